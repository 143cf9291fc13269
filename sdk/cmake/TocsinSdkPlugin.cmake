# tocsin_sdk_add_plugin(<name> KIND source|notifier SOURCES <file>... [LIBRARIES <lib>...]
#                       [OUTPUT_DIRECTORY <dir>])
#
# Builds one loadable tocsin plugin module from out-of-tree sources, the way tocsin builds its
# own (cmake/TocsinPlugin.cmake):
#   - target `tocsin_<kind>_<name>`, file `tocsin_<kind>_<name>.so` (no `lib` prefix), written to
#     OUTPUT_DIRECTORY (default: <build dir>/plugins), ready to be named in `plugin_dirs`;
#   - hidden visibility, so the entry point from TOCSIN_EXPORT_SOURCE/NOTIFIER is its one
#     exported symbol, and --no-undefined, so a missing symbol fails the link, not the load;
#   - not writable by group or others (the daemon refuses such modules);
#   - installed into <prefix>/lib/tocsin/plugins (never a multiarch dir), where tocsin looks.
# <name> is only used for file names; the name users write after `plugin:` is the one the code
# passes to the export macro.
include_guard(GLOBAL)
include(GNUInstallDirs)

function(tocsin_sdk_add_plugin name)
    cmake_parse_arguments(ARG "" "KIND;OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
    if(NOT ARG_KIND MATCHES "^(source|notifier)$")
        message(FATAL_ERROR "tocsin_sdk_add_plugin(${name}): KIND must be source or notifier")
    endif()
    if(NOT ARG_SOURCES)
        message(FATAL_ERROR "tocsin_sdk_add_plugin(${name}): give the plugin's SOURCES")
    endif()
    if(ARG_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR
            "tocsin_sdk_add_plugin(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
    endif()
    if(NOT ARG_OUTPUT_DIRECTORY)
        set(ARG_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/plugins)
    endif()
    set(target tocsin_${ARG_KIND}_${name})
    add_library(${target} MODULE ${ARG_SOURCES})
    set_target_properties(${target} PROPERTIES
        PREFIX "" OUTPUT_NAME "tocsin_${ARG_KIND}_${name}"
        LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY}
        CXX_EXTENSIONS OFF
        CXX_VISIBILITY_PRESET hidden C_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
    target_link_libraries(${target} PRIVATE tocsin::sdk ${ARG_LIBRARIES})
    if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
        target_link_options(${target} PRIVATE LINKER:--no-undefined)
    endif()
    add_custom_command(TARGET ${target} POST_BUILD
        COMMAND chmod go-w $<TARGET_FILE:${target}> VERBATIM)
    # lib/tocsin/plugins, not the multiarch libdir: it is where the packaged daemon looks
    # (plugin_dirs in /etc/tocsin/tocsin.yaml is /usr/lib/tocsin/plugins).
    install(TARGETS ${target} LIBRARY DESTINATION lib/tocsin/plugins)
endfunction()
