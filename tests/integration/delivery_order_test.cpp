// A step with notifications and many samples (a large scrape or push) commits its alert state
// and outbox first and its history rows right after (daemon/app/delivery.cpp, kSplitSamples):
// the notification goes out once and every sample still reaches the state database.
#include "api_fixture.hpp"
#include "sqlite_util.hpp"
#include "support/http_server.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace tocsin::testing {
using namespace std::chrono_literals;

TEST_CASE("a push of 2000 samples with one breach sends one notification and keeps every sample",
          "[integration][outbox]") {
    HttpServer hook;
    ApiInstallation inst(webhook_notifier("hook", hook.url("/hook"), "2s"), "[hook]");
    inst.start();
    std::string samples;
    for (int i = 0; i < 2000; ++i) {
        samples += std::string(i == 0 ? "" : ",") + R"({"kpi":"queue_depth","value":)" +
                   (i == 1234 ? "500" : "5") + R"(,"labels":{"queue":"q)" + std::to_string(i) +
                   "\"}}";
    }
    inst.push(samples);

    REQUIRE(hook.wait_for_requests(1, 15s));
    CHECK(hook.requests()[0].body.find("\"queue\":\"q1234\"") != std::string::npos);
    const std::string db = (inst.dir.path() / "state" / "state.db").string();
    CHECK(eventually([&] { return sql_value(db, kSampleCountSql) == "2000"; }, 10s));
    CHECK(eventually([&] { return inst.outbox("delivered").size() == 1; }, 10s));
    CHECK(sql_value(db, "SELECT count(*) FROM outbox") == "1");
    CHECK(hook.requests().size() == 1);
}

}  // namespace tocsin::testing
