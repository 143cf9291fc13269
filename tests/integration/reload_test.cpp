#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <csignal>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;

std::string str(const boost::json::value& v) {
    return std::string(v.as_string());
}

}  // namespace

TEST_CASE("a bad reload keeps the old configuration running and says why",
          "[integration][reload][concurrency]") {
    RuleParams params;
    params.for_duration = "0s";
    Installation inst(params);
    auto daemon = inst.start();

    // A rule file with a typo'd key and a bad duration: refused as a whole.
    inst.write_rules_text(
        "kpis:\n"
        "  activation_rate: { source: app, query: \"SELECT value FROM kpi\", every: 100ms }\n"
        "rules:\n"
        "  - alert: ActivationRateLow\n"
        "    kpi: activation_rate\n"
        "    belw: { warning: 0.30 }\n"
        "    for: soon\n");
    daemon->signal(SIGHUP);
    REQUIRE(daemon->wait_notify("last reload refused", 15s));
    const auto log = daemon->log();
    CHECK_THAT(log, Catch::Contains("rules.yaml:6:5"));
    CHECK_THAT(log, Catch::Contains("belw"));
    CHECK_THAT(log, Catch::Contains("rules.yaml:7:10"));
    CHECK_THAT(log, Catch::Contains("reload refused"));

    // The old rules still evaluate and notify.
    inst.set_value(0.25);
    REQUIRE(inst.hook.wait_for_requests(1, 10s));
    CHECK(str(inst.post(0).at("status")) == "firing");
    REQUIRE(eventually([&] { return inst.outbox_count("delivered") == 1; }, 10s));

    // A good reload with a lower warning level: the alert keeps its identity and state, so it is
    // not fired again; the value 0.25 is now healthy, so it resolves.
    params.below = "{ warning: 0.20 }";
    params.recover = "0.22";
    inst.write_rules(params);
    daemon->signal(SIGHUP);
    REQUIRE(daemon->wait_notify("configuration reloaded", 15s));
    REQUIRE(inst.hook.wait_for_requests(2, 10s));
    CHECK(str(inst.post(1).at("status")) == "resolved");
    CHECK(inst.hook.request_count() == 2);

    daemon->signal(SIGTERM);
    CHECK(daemon->wait_exit(15s) == 0);
}

}  // namespace tocsin::testing
