# Build options. Flags live on one INTERFACE target, tocsin::compile_options.
string(COMPARE EQUAL "${CMAKE_SOURCE_DIR}" "${PROJECT_SOURCE_DIR}" _tocsin_top_level)
option(TOCSIN_BUILD_TESTS "Build the test suites" ${_tocsin_top_level})
option(TOCSIN_BUILD_BENCH "Build the benchmarks" ${_tocsin_top_level})
option(TOCSIN_WARNINGS_AS_ERRORS "Treat compiler warnings in our code as errors" OFF)
set(TOCSIN_SANITIZE "" CACHE STRING "Sanitizers to build with: address,undefined or thread")
option(TOCSIN_WITH_SQLITE "Build the sqlite source plugin" ON)
option(TOCSIN_WITH_WEBHOOK "Build the webhook notifier plugin" ON)
option(TOCSIN_WITH_LOG "Build the log notifier plugin" ON)

find_program(TOCSIN_CCACHE ccache)
if(TOCSIN_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
    set(CMAKE_C_COMPILER_LAUNCHER ${TOCSIN_CCACHE})
    set(CMAKE_CXX_COMPILER_LAUNCHER ${TOCSIN_CCACHE})
endif()

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
    set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()
