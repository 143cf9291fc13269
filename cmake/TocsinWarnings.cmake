add_library(tocsin_compile_options INTERFACE)
add_library(tocsin::compile_options ALIAS tocsin_compile_options)
target_compile_options(tocsin_compile_options INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Woverloaded-virtual -Wimplicit-fallthrough
    $<$<BOOL:${TOCSIN_WARNINGS_AS_ERRORS}>:-Werror>)
if(TOCSIN_SANITIZE)
    target_compile_options(tocsin_compile_options INTERFACE
        -fsanitize=${TOCSIN_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(tocsin_compile_options INTERFACE -fsanitize=${TOCSIN_SANITIZE})
    if(TOCSIN_SANITIZE MATCHES "thread")
        # g++ warns that TSan does not model atomic_thread_fence, which Boost.Asio's
        # std_fenced_block uses; Asio's queues synchronise through mutexes, which TSan does see.
        target_compile_options(tocsin_compile_options INTERFACE -Wno-tsan)
    endif()
endif()
# libFuzzer: every library is built with coverage instrumentation and ASan+UBSan; the fuzz
# executables themselves add -fsanitize=fuzzer (tests/fuzz), which brings libFuzzer's main().
if(TOCSIN_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR "TOCSIN_FUZZ needs clang (libFuzzer); configure with the fuzz preset")
    endif()
    target_compile_options(tocsin_compile_options INTERFACE
        -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
        -fno-sanitize-recover=all)
    target_link_options(tocsin_compile_options INTERFACE -fsanitize=address,undefined)
endif()
