#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <time.h>

#include <csignal>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

// The systemd notify protocol as the real daemon speaks it: the test owns the AF_UNIX datagram
// socket that NOTIFY_SOCKET names (as systemd does for Type=notify) and reads every message in
// order across start, reloads and stop.
namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;

/// One notify datagram as its KEY=value lines.
std::map<std::string, std::string> fields(const std::string& message) {
    std::map<std::string, std::string> out;
    std::size_t start = 0;
    while (start < message.size()) {
        auto end = message.find('\n', start);
        if (end == std::string::npos) {
            end = message.size();
        }
        const auto line = message.substr(start, end - start);
        const auto eq = line.find('=');
        if (eq != std::string::npos) {
            out[line.substr(0, eq)] = line.substr(eq + 1);
        }
        start = end + 1;
    }
    return out;
}

std::uint64_t monotonic_usec() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1000000U +
           static_cast<std::uint64_t>(now.tv_nsec) / 1000U;
}

/// The messages until (and with) the first that has `key`, skipping watchdog pings.
std::vector<std::map<std::string, std::string>> until(DaemonProcess& daemon,
                                                      const std::string& key) {
    std::vector<std::map<std::string, std::string>> seen;
    while (auto message = daemon.next_notify(20s)) {
        auto f = fields(*message);
        if (f.size() == 1 && f.count("WATCHDOG")) {
            continue;
        }
        seen.push_back(f);
        if (f.count(key)) {
            return seen;
        }
    }
    FAIL("no notify message with " << key << "; the daemon's log:\n" << daemon.log());
    return seen;
}

/// Checks that a reload began with RELOADING=1 stamped between `before` and now, then ended
/// with READY=1 and a STATUS containing `status`.
void expect_reload(DaemonProcess& daemon, std::uint64_t before, const std::string& status) {
    auto reloading = until(daemon, "RELOADING");
    REQUIRE(reloading.size() == 1);
    CHECK(reloading[0]["RELOADING"] == "1");
    CHECK(reloading[0]["STATUS"] == "reloading");
    REQUIRE(reloading[0].count("MONOTONIC_USEC") == 1);
    const auto stamp = std::stoull(reloading[0]["MONOTONIC_USEC"]);
    CHECK(stamp >= before);
    CHECK(stamp <= monotonic_usec());
    auto ready = until(daemon, "READY");
    REQUIRE(ready.size() == 1);
    CHECK(ready[0]["READY"] == "1");
    CHECK_THAT(ready[0]["STATUS"], Catch::Contains(status));
}

}  // namespace

TEST_CASE("the daemon tells systemd when it is ready, reloading and stopping",
          "[integration][systemd]") {
    Installation inst;
    DaemonProcess daemon(tocsin_binary(),
                         {"run", "-c", inst.config},
                         inst.dir.file("daemon.log"),
                         {{"WATCHDOG_USEC", "400000"}});

    // Start: a STATUS while starting, then READY=1 with the running status.
    auto start = until(daemon, "READY");
    REQUIRE(start.size() == 2);
    CHECK(start[0]["STATUS"] == "starting");
    CHECK(start[1]["READY"] == "1");
    CHECK(start[1]["STATUS"] == "running");

    // WatchdogSec= in the unit: pings come at half of WATCHDOG_USEC.
    std::optional<std::string> ping;
    for (int i = 0; i < 5 && ping != "WATCHDOG=1"; ++i) {
        ping = daemon.next_notify(2s);
    }
    CHECK(ping == "WATCHDOG=1");

    // A reload that applies.
    auto before = monotonic_usec();
    daemon.signal(SIGHUP);
    expect_reload(daemon, before, "configuration reloaded");

    // A reload that is refused: systemd still hears READY=1 (the old configuration runs on).
    inst.write_rules_text("rules:\n  - alert: Broken\n    kpi: nothing_like_this\n");
    before = monotonic_usec();
    daemon.signal(SIGHUP);
    expect_reload(daemon, before, "last reload refused");

    // SIGTERM: STOPPING=1 before the shutdown work, then a clean exit.
    daemon.signal(SIGTERM);
    auto stopping = until(daemon, "STOPPING");
    REQUIRE(stopping.size() == 1);
    CHECK(stopping[0]["STOPPING"] == "1");
    CHECK(stopping[0]["STATUS"] == "stopping");
    CHECK(daemon.wait_exit(15s) == 0);
}

TEST_CASE("a watchdog meant for another process is not pinged", "[integration][systemd]") {
    Installation inst;
    // WATCHDOG_PID names pid 1, as when a service's script passes its variables on to us.
    DaemonProcess daemon(tocsin_binary(),
                         {"run", "-c", inst.config},
                         inst.dir.file("daemon.log"),
                         {{"WATCHDOG_USEC", "100000"}, {"WATCHDOG_PID", "1"}});
    REQUIRE(daemon.wait_ready(30s));
    // Pings would come every 50 ms.
    CHECK_FALSE(daemon.next_notify(300ms));
    daemon.signal(SIGTERM);
    auto message = daemon.next_notify(15s);
    REQUIRE(message);
    CHECK_THAT(*message, Catch::StartsWith("STOPPING=1"));
    CHECK(daemon.wait_exit(15s) == 0);
}

}  // namespace tocsin::testing
