#include "harness.hpp"

#include <catch2/catch.hpp>

// The sanitizer builds (docs/development.md) run the real binary as a child process; a report
// there reaches only its stderr, so the harness has to find it and fail the test.
namespace tocsin::testing {
using namespace std::chrono_literals;

namespace {

constexpr const char* kAsanReport =
    "=================================================================\n"
    "==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010\n"
    "READ of size 4 at 0x602000000010 thread T0\n"
    "    #0 0x55d1 in main demo.cpp:5\n";

}  // namespace

TEST_CASE("sanitizer reports are found from their first line", "[integration][sanitizers]") {
    CHECK(sanitizer_report("info: tocsin: started\ninfo: tocsin: stopping on SIGTERM\n").empty());
    const auto asan = sanitizer_report(std::string("info: tocsin: started\n") + kAsanReport);
    CHECK(asan.rfind("==4242==ERROR: AddressSanitizer: heap-use-after-free", 0) == 0);
    CHECK(asan.find("#0 0x55d1 in main demo.cpp:5") != std::string::npos);
    CHECK(sanitizer_report("x\n==7==ERROR: LeakSanitizer: detected memory leaks\n")
              .rfind("==7==ERROR: LeakSanitizer", 0) == 0);
    CHECK(sanitizer_report("WARNING: ThreadSanitizer: data race (pid=9)\n").size() > 0);
    CHECK(sanitizer_report(
              "a\ndaemon/engine/alert.cpp:10:5: runtime error: signed integer overflow\n")
              .rfind("daemon/engine/alert.cpp:10:5: runtime error:", 0) == 0);
}

TEST_CASE("a sanitizer report in a command's stderr fails the test",
          "[integration][sanitizers][!shouldfail]") {
    const auto result = run_command(
        {"/bin/sh", "-c", std::string("printf '%s' '") + kAsanReport + "' >&2; exit 1"}, 10s);
    CHECK(result.exit_code == 1);
}

TEST_CASE("a sanitizer report in a daemon's log fails the test",
          "[integration][sanitizers][!shouldfail]") {
    TempDir dir;
    // A stand-in for `tocsin run` that reports and keeps running until the harness stops it.
    DaemonProcess daemon(
        "/bin/sh",
        {"-c", std::string("printf '%s' '") + kAsanReport + "' >&2; exec sleep 30"},
        dir.file("daemon.log"));
    CHECK(eventually([&] { return !daemon.log().empty(); }, 10s));
}

}  // namespace tocsin::testing
