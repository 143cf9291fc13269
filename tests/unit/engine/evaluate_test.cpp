#include "engine/evaluate.hpp"

#include "engine/alert.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace tocsin::engine;

namespace {

Threshold make(Comparison c,
               std::optional<Interval> warning,
               std::optional<Interval> critical,
               std::optional<Interval> recover = std::nullopt) {
    Threshold t;
    t.comparison = c;
    t.warning = warning;
    t.critical = critical;
    t.recover = recover;
    return t;
}

Interval at(double v) {
    return Interval{v, v};
}

}  // namespace

TEST_CASE("above breaches strictly over the level and picks the most severe", "[evaluate]") {
    const Threshold t = make(Comparison::Above, at(10), at(20));
    CHECK(breached_severity(t, 10) == Severity::None);
    CHECK(breached_severity(t, 10.5) == Severity::Warning);
    CHECK(breached_severity(t, 20) == Severity::Warning);
    CHECK(breached_severity(t, 21) == Severity::Critical);
    CHECK(threshold_bound(t, Severity::Critical, 25) == 20.0);
}

TEST_CASE("below breaches strictly under the level", "[evaluate]") {
    const Threshold t = make(Comparison::Below, at(0.30), at(0.20));
    CHECK(breached_severity(t, 0.30) == Severity::None);
    CHECK(breached_severity(t, 0.29) == Severity::Warning);
    CHECK(breached_severity(t, 0.19) == Severity::Critical);
}

TEST_CASE("outside breaches beyond either bound and quotes the crossed bound", "[evaluate]") {
    const Threshold t = make(Comparison::Outside, Interval{10, 20}, Interval{5, 30});
    CHECK(breached_severity(t, 10) == Severity::None);
    CHECK(breached_severity(t, 20) == Severity::None);
    CHECK(breached_severity(t, 9) == Severity::Warning);
    CHECK(breached_severity(t, 21) == Severity::Warning);
    CHECK(breached_severity(t, 4) == Severity::Critical);
    CHECK(breached_severity(t, 31) == Severity::Critical);
    CHECK(threshold_bound(t, Severity::Warning, 9) == 10.0);
    CHECK(threshold_bound(t, Severity::Warning, 21) == 20.0);
    CHECK(threshold_bound(t, Severity::Critical, 31) == 30.0);
}

TEST_CASE("inside breaches within the closed interval", "[evaluate]") {
    const Threshold t = make(Comparison::Inside, Interval{40, 60}, Interval{45, 55});
    CHECK(breached_severity(t, 39.9) == Severity::None);
    CHECK(breached_severity(t, 40) == Severity::Warning);
    CHECK(breached_severity(t, 60) == Severity::Warning);
    CHECK(breached_severity(t, 50) == Severity::Critical);
    CHECK(breached_severity(t, 61) == Severity::None);
    CHECK(threshold_bound(t, Severity::Warning, 42) == 40.0);
    CHECK(threshold_bound(t, Severity::Warning, 59) == 60.0);
}

TEST_CASE("recover adds hysteresis on each comparison", "[evaluate]") {
    SECTION("above") {
        const Threshold t = make(Comparison::Above, at(10), std::nullopt, at(8));
        CHECK_FALSE(recovered(t, 11));
        CHECK_FALSE(recovered(t, 9));
        CHECK(recovered(t, 8));
        CHECK(active_severity(t, 9) == Severity::Warning);
    }
    SECTION("below") {
        const Threshold t = make(Comparison::Below, at(0.30), at(0.20), at(0.32));
        CHECK_FALSE(recovered(t, 0.31));
        CHECK(recovered(t, 0.32));
        CHECK(active_severity(t, 0.31) == Severity::Warning);
        CHECK(active_severity(t, 0.19) == Severity::Critical);
    }
    SECTION("outside") {
        const Threshold t =
            make(Comparison::Outside, Interval{10, 20}, std::nullopt, Interval{12, 18});
        CHECK_FALSE(recovered(t, 11));
        CHECK_FALSE(recovered(t, 19));
        CHECK(recovered(t, 12));
        CHECK(recovered(t, 18));
    }
    SECTION("inside") {
        const Threshold t =
            make(Comparison::Inside, Interval{40, 60}, std::nullopt, Interval{35, 65});
        CHECK_FALSE(recovered(t, 50));
        CHECK_FALSE(recovered(t, 36));
        CHECK(recovered(t, 34));
        CHECK(recovered(t, 66));
    }
}

TEST_CASE("without recover an alert recovers as soon as no level is breached", "[evaluate]") {
    const Threshold t = make(Comparison::Above, at(10), at(20));
    CHECK_FALSE(recovered(t, 15));
    CHECK(recovered(t, 10));
}

TEST_CASE("a recover bound on the wrong side of a level does not resolve a breach", "[evaluate]") {
    const Threshold t = make(Comparison::Above, at(10), std::nullopt, at(12));
    CHECK_FALSE(recovered(t, 11));
    CHECK(recovered(t, 10));
}

TEST_CASE("critical-only thresholds hold at critical", "[evaluate]") {
    const Threshold t = make(Comparison::Above, std::nullopt, at(20), at(15));
    CHECK(least_severe_level(t) == Severity::Critical);
    CHECK(active_severity(t, 17) == Severity::Critical);
    CHECK(threshold_bound(t, Severity::Warning, 30) == std::nullopt);
}

TEST_CASE("NaN neither breaches nor recovers", "[evaluate]") {
    const Threshold t = make(Comparison::Below, at(1), std::nullopt);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    CHECK(breached_severity(t, nan) == Severity::None);
    CHECK_FALSE(recovered(t, nan));
}

TEST_CASE("fingerprint ignores severity and depends on every other label", "[alert]") {
    const Labels a{{"alertname", "X"}, {"team", "growth"}};
    Labels with_severity = a;
    with_severity["severity"] = "critical";
    CHECK(fingerprint(a) == fingerprint(with_severity));
    CHECK(fingerprint(a).size() == 16);
    CHECK(fingerprint(a).find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(fingerprint(a) != fingerprint(Labels{{"alertname", "X"}, {"team", "growtH"}}));
    // Pair boundaries matter: {a: b, c: d} is not {a: "bc=d"}.
    CHECK(fingerprint(Labels{{"a", "b"}, {"c", "d"}}) != fingerprint(Labels{{"a", "bc=d"}}));
    // FNV-1a 64 of the empty input is its offset basis.
    CHECK(fingerprint(Labels{}) == "cbf29ce484222325");
}

TEST_CASE("alert labels are series labels, then rule labels, then alertname", "[alert]") {
    RuleDef rule;
    rule.alert = "ChurnHigh";
    rule.labels = {{"team", "growth"}, {"plan", "override"}};
    const Labels labels = alert_labels(rule, Labels{{"plan", "pro"}, {"region", "eu"}});
    CHECK(labels == Labels{{"alertname", "ChurnHigh"},
                           {"plan", "override"},
                           {"region", "eu"},
                           {"team", "growth"}});
}

TEST_CASE("kinds and states round-trip through their names", "[alert]") {
    for (const auto k :
         {NotificationKind::Firing, NotificationKind::SeverityChange, NotificationKind::Resolved}) {
        CHECK(parse_notification_kind(to_string(k)) == k);
    }
    CHECK_FALSE(parse_notification_kind("fired").has_value());
    CHECK(std::string(to_string(AlertState::Pending)) == "pending");
    CHECK(std::string(to_string(AlertState::Firing)) == "firing");
    CHECK(std::string(to_string(AlertState::Inactive)) == "inactive");
}
