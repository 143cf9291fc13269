# tocsin_add_plugin(<name> KIND source|notifier SOURCES ... [LIBRARIES ...])
# Builds one loadable module against the SDK only, with hidden visibility so that the entry point
# is its one exported symbol, and installs it into TOCSIN_INSTALL_PLUGINDIR (lib/tocsin/plugins, the
# plugin_dirs entry of the packaged tocsin.yaml) with mode 0644.
set(TOCSIN_INSTALL_PLUGINDIR lib/tocsin/plugins CACHE STRING "Where plugins are installed, under the prefix")
function(tocsin_add_plugin name)
    cmake_parse_arguments(ARG "" "KIND" "SOURCES;LIBRARIES" ${ARGN})
    set(target tocsin_${ARG_KIND}_${name})
    add_library(${target} MODULE ${ARG_SOURCES})
    set_target_properties(${target} PROPERTIES
        PREFIX "" OUTPUT_NAME "tocsin_${ARG_KIND}_${name}"
        LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/plugins
        CXX_VISIBILITY_PRESET hidden C_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
    target_link_libraries(${target} PRIVATE tocsin::sdk tocsin::compile_options ${ARG_LIBRARIES})
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
    # The host refuses group- or world-writable modules; a umask of 002 must not make ours so.
    add_custom_command(TARGET ${target} POST_BUILD COMMAND chmod go-w $<TARGET_FILE:${target}> VERBATIM)
    install(TARGETS ${target} LIBRARY DESTINATION ${TOCSIN_INSTALL_PLUGINDIR}
            PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endfunction()
