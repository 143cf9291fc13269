#include "engine/simulate.hpp"

#include "engine_fixture.hpp"

#include <catch2/catch.hpp>

using namespace tocsin::engine;
using namespace tocsin::engine::testing;
using namespace std::chrono_literals;

TEST_CASE("series CSV reads times, values and labels", "[simulate]") {
    std::string why;
    const auto samples = parse_series_csv(
        "time,kpi,value,labels\n"
        "# a comment\n"
        "\n"
        "2026-01-05T06:00:00Z, job_failures, 12, job=invoices;team=ops\n"
        "1767225600000,signups,3.5\n",
        why);
    REQUIRE(samples);
    REQUIRE(samples->size() == 2);
    CHECK((*samples)[0].kpi == "job_failures");
    CHECK((*samples)[0].value == 12);
    CHECK((*samples)[0].labels == Labels{{"job", "invoices"}, {"team", "ops"}});
    CHECK(format_rfc3339((*samples)[0].at) == "2026-01-05T06:00:00Z");
    CHECK((*samples)[1].at == kStart);
    CHECK((*samples)[1].labels.empty());
}

TEST_CASE("series CSV names the first bad line", "[simulate]") {
    std::string why;
    CHECK_FALSE(parse_series_csv("2026-01-05T06:00:00Z,k,1\nyesterday,k,1\n", why));
    CHECK(why ==
          "line 2: 'yesterday' is not a time; use RFC 3339 (2026-01-05T06:00:00Z) or Unix "
          "milliseconds");
    CHECK_FALSE(parse_series_csv("2026-01-05T06:00:00Z,k,lots\n", why));
    CHECK(why == "line 1: 'lots' is not a number");
    CHECK_FALSE(parse_series_csv("2026-01-05T06:00:00Z,k,1,job\n", why));
    CHECK(why == "line 1: label 'job' is not name=value");
    CHECK_FALSE(parse_series_csv("2026-01-05T06:00:00Z,k\n", why));
    CHECK(why == "line 1: expected time,kpi,value[,labels], got 2 fields");
}

TEST_CASE("simulate lists escalation, repeats and the resolve over recorded values", "[simulate]") {
    ConfigBuilder b;
    b.kpi("errors");
    b.rule("ErrorsHigh", "errors", Comparison::Above, level(10), std::nullopt);
    PolicyDef& p = b.policy("ops");
    ConfigBuilder::step(p, 0s, {"chat"});
    ConfigBuilder::step(p, 30min, {"phone"});
    p.repeat = 1;
    p.repeat_interval = 2h;
    b.cfg.config.default_policy = "ops";
    std::vector<Sample> samples{{"errors", {}, 20, at(1h)},
                                {"errors", {}, 2, at(4h)},
                                {"errors", {}, 50, at(30h)}};  // after `to`: ignored
    const auto sent = simulate(b.build(), samples, kStart, at(24h));
    std::vector<std::string> seen;
    for (const Notification& n : sent) {
        seen.push_back(format_duration(n.at - kStart) + " " + to_string(n.kind) + " " + n.notifier);
    }
    CHECK(seen == std::vector<std::string>{"1h firing chat",
                                           "1h30m firing phone",
                                           "3h reminder chat",
                                           "3h30m reminder phone",
                                           "4h resolved chat",
                                           "4h resolved phone"});
    CHECK(format_timeline(sent).find(
              "2026-01-01T01:00:00Z  firing  warning  ErrorsHigh  chat  {}") == 0);
}
