// Back-pressure for polled sources, end to end: while the state database cannot keep up (here a
// write lock held by another connection, as a slow disk or a backup would), due collections are
// skipped and counted instead of queueing engine steps in memory, pushes are still answered at
// once, and once the store catches up the collections resume and alerts fire as before.
#include "api_fixture.hpp"
#include "sqlite_util.hpp"
#include "support/http_server.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <filesystem>
#include <future>
#include <set>
#include <string>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;

/// SignupsHigh: signups above 100 is critical.
const std::string kSignupsHigh =
    "  - alert: SignupsHigh\n"
    "    kpi: signups\n"
    "    above: { critical: 100 }\n";

/// The value of one series in the /metrics text (0 when it is not there).
double metric(const ApiInstallation& inst, const std::string& series) {
    const auto body = inst.call("GET", "/metrics").body;
    const auto at = body.find("\n" + series + " ");
    if (at == std::string::npos) {
        return 0;
    }
    return std::stod(body.substr(at + series.size() + 2));
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

std::set<std::string> fired_alerts(const HttpServer& hook) {
    std::set<std::string> out;
    for (const auto& r : hook.requests()) {
        const auto body = boost::json::parse(r.body).as_object();
        for (const auto& a : body.at("alerts").as_array()) {
            out.insert(std::string(a.at("labels").at("alertname").as_string()));
        }
    }
    return out;
}

}  // namespace

TEST_CASE(
    "a polled source skips and counts its collections while the store is behind, and catches up "
    "once it is not",
    "[integration][backpressure][storage]") {
    PolledInstallation inst(kSignupsHigh);
    inst.start();
    const std::string collections = R"(tocsin_source_collections_total{source="app"})";
    const std::string behind =
        R"(tocsin_source_collections_skipped_total{source="app",reason="store_behind"})";
    // Every series exists from the start, at 0.
    CHECK_THAT(inst.call("GET", "/metrics").body, Catch::Contains(behind + " 0\n"));
    REQUIRE(eventually([&] { return metric(inst, collections) >= 2; }, 10s));

    std::optional<WriteLock> lock(std::in_place, inst.state_db());
    const double collected_before = metric(inst, collections);
    sql_exec(inst.app_db(), "UPDATE kpi SET value = 500 WHERE name = 'signups'");
    // Ten due collections (a second) with the store stuck: skipped, not queued.
    REQUIRE(eventually([&] { return metric(inst, behind) >= 10; }, 10s));
    // At most the one collection already under way when the lock was taken went through.
    CHECK(metric(inst, collections) <= collected_before + 1);

    // A push is answered at once: its step does not wait behind a queue of collections.
    const auto t0 = std::chrono::steady_clock::now();
    const auto pushed =
        inst.call("POST", "/api/v1/samples", R"([{"kpi":"queue_depth","value":500}])");
    CHECK(pushed.status == 200);
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);

    // The status is read on the loop when the request arrives (the answer then waits for the
    // store thread, which the lock holds up): a few steps at most, however long the lock lasts.
    auto status =
        std::async(std::launch::async, [&] { return inst.call("GET", "/api/v1/status"); });
    const double skipped = metric(inst, behind);
    REQUIRE(eventually([&] { return metric(inst, behind) >= skipped + 3; }, 10s));
    CHECK(inst.hook.request_count() == 0);  // nothing is sent before it is written
    lock.reset();
    const auto answer = status.get();
    REQUIRE(answer.status == 200);
    const auto unpersisted = parse_body(answer).at("store").at("unpersisted_steps").as_int64();
    CHECK(unpersisted >= 1);
    CHECK(unpersisted <= 3);  // the stuck collection, the push, perhaps a timer step

    // Caught up: collections resume, the polled value and the push fire, nothing is left over.
    INFO(inst.daemon->log());
    REQUIRE(inst.hook.wait_for_requests(2, 15s));
    CHECK(fired_alerts(inst.hook) == std::set<std::string>{"QueueDeep", "SignupsHigh"});
    CHECK(eventually([&] { return metric(inst, collections) >= collected_before + 5; }, 10s));
    CHECK(eventually(
        [&] {
            const auto s = inst.call("GET", "/api/v1/status");
            return s.status == 200 &&
                   parse_body(s).at("store").at("unpersisted_steps").as_int64() == 0;
        },
        10s));
    // One warning a minute per source, with the reason and the fix.
    const auto log = inst.daemon->log();
    CHECK(occurrences(log, "collection skipped: the state database has not yet written") == 1);
    CHECK_THAT(log, Catch::Contains("collect less often (every:)"));
}

TEST_CASE("a collection still running when the next is due skips that one and counts it",
          "[integration][backpressure][source]") {
    HttpServer hook;
    TempDir scripts;
    const auto check = scripts.write("slow_check",
                                     "#!/bin/sh\n"
                                     "sleep 0.35\n"
                                     "echo 'QUEUE OK - 3 waiting | waiting=3'\n");
    std::filesystem::permissions(
        check, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
    ApiInstallation inst(webhook_notifier("hook", hook.url("/hook")),
                         "[hook]",
                         "  slow: { plugin: exec, command: [" + check +
                             "], format: nagios, every: 100ms, timeout: 5s }\n");
    inst.write_rules("[hook]", "  slow_waiting: { source: slow, perfdata: waiting }\n");
    inst.start();
    const std::string running =
        R"(tocsin_source_collections_skipped_total{source="slow",reason="still_running"})";
    const std::string collections = R"(tocsin_source_collections_total{source="slow"})";
    REQUIRE(eventually([&] { return metric(inst, running) >= 6; }, 15s));
    // Each collection takes 3.5 intervals: about three skips per collection, none stacked up.
    const double ran = metric(inst, collections);
    const double skipped = metric(inst, running);
    INFO("collections " << ran << ", skipped " << skipped);
    CHECK(ran >= 1);
    CHECK(skipped >= 2 * ran);
    const auto log = inst.daemon->log();
    CHECK(occurrences(log, "collection skipped: the previous one is still running after 100ms") ==
          1);
    CHECK(
        metric(inst,
               R"(tocsin_source_collections_skipped_total{source="slow",reason="store_behind"})") ==
        0);
}

}  // namespace tocsin::testing
