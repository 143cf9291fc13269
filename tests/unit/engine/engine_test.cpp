#include "engine/engine.hpp"

#include "engine/routing.hpp"
#include "engine_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

using namespace tocsin::engine;
using namespace tocsin::engine::testing;

namespace {

/// revenue below 100 warns, below 50 is critical; for 10m; one notifier "ops".
ConfigBuilder revenue_config() {
    ConfigBuilder b;
    b.kpi("revenue", 120.0);
    RuleDef& r = b.rule("RevenueLow", "revenue", Comparison::Below, level(100), level(50));
    r.for_duration = 10min;
    r.labels = {{"team", "sales"}};
    Diagnostics diags;
    r.summary = Template::parse("revenue {{ value }} below {{ threshold }}", {}, "summary", diags);
    PolicyDef& p = b.policy("sales");
    ConfigBuilder::step(p, 0s, {"ops"});
    b.cfg.config.default_policy = "sales";
    return b;
}

std::vector<std::string> kinds(const std::vector<Notification>& ns) {
    std::vector<std::string> out;
    for (const auto& n : ns) {
        out.push_back(std::string(to_string(n.kind)) + ":" + to_string(n.severity) + ":" +
                      n.notifier);
    }
    return out;
}

}  // namespace

TEST_CASE("pending alert fires after exactly its for", "[engine]") {
    Driver d(revenue_config().build());
    d.sample("revenue", 80, at(0min));
    CHECK(d.sent.empty());
    REQUIRE(d.store.size() == 1);
    CHECK(d.store.begin()->second.state == AlertState::Pending);
    CHECK(d.engine->next_wakeup() == at(10min));

    d.advance_to(at(10min) - 1ms);
    CHECK(d.sent.empty());
    d.advance_to(at(10min));
    REQUIRE(d.sent.size() == 1);
    const Notification& n = d.sent[0];
    CHECK(n.kind == NotificationKind::Firing);
    CHECK(n.severity == Severity::Warning);
    CHECK(n.at == at(10min));
    CHECK(n.starts_at == at(10min));
    CHECK(n.notifier == "ops");
    CHECK(n.threshold == 100.0);
    CHECK(n.target == 120.0);
    CHECK(n.value == 80.0);
    CHECK(n.summary == "revenue 80 below 100");
    CHECK(n.labels ==
          Labels{{"alertname", "RevenueLow"}, {"severity", "warning"}, {"team", "sales"}});
    CHECK(n.fingerprint == fingerprint(Labels{{"alertname", "RevenueLow"}, {"team", "sales"}}));
    CHECK(n.id == n.fingerprint + "-" + std::to_string(to_unix_ms(at(10min))) + "-1/ops");
    CHECK(d.store.begin()->second.state == AlertState::Firing);
    CHECK(d.store.begin()->second.notified == std::vector<std::string>{"ops"});

    // Further breaching samples at the same severity say nothing more.
    d.sample("revenue", 70, at(20min));
    d.advance_to(at(5h));
    CHECK(d.sent.size() == 1);
}

TEST_CASE("crossing into critical sends one severity change", "[engine]") {
    Driver d(revenue_config().build());
    d.sample("revenue", 80, at(0min));
    d.advance_to(at(10min));
    d.take();
    d.sample("revenue", 40, at(15min));
    d.sample("revenue", 30, at(20min));
    const auto sent = d.take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].kind == NotificationKind::SeverityChange);
    CHECK(sent[0].severity == Severity::Critical);
    CHECK(sent[0].previous_severity == Severity::Warning);
    CHECK(sent[0].threshold == 50.0);
    CHECK(sent[0].labels.at("severity") == "critical");
    CHECK(sent[0].id.ends_with("-2/ops"));
    CHECK(d.store.begin()->second.severity == Severity::Critical);
}

TEST_CASE("a rising value pending at warning fires at critical", "[engine]") {
    Driver d(revenue_config().build());
    d.sample("revenue", 80, at(0min));
    d.sample("revenue", 40, at(5min));
    d.advance_to(at(10min));
    CHECK(kinds(d.take()) == std::vector<std::string>{"firing:critical:ops"});
}

TEST_CASE("an alert with recover resolves only past the recover level", "[engine]") {
    ConfigBuilder b = revenue_config();
    b.cfg.rules.rules[0].threshold.recover = level(110);
    b.cfg.rules.rules[0].for_duration = 0s;
    Driver d(b.build());
    d.sample("revenue", 80, at(0min));
    d.sample("revenue", 105, at(1min));  // no longer breached, not yet recovered
    d.sample("revenue", 109.9, at(2min));
    CHECK(kinds(d.take()) == std::vector<std::string>{"firing:warning:ops"});
    d.sample("revenue", 110, at(3min));
    const auto sent = d.take();
    REQUIRE(kinds(sent) == std::vector<std::string>{"resolved:warning:ops"});
    CHECK(sent[0].ends_at == at(3min));
    CHECK(sent[0].starts_at == at(0min));
    // The rule's summary describes the breach; a resolve says where the value is now instead.
    CHECK(sent[0].summary == "revenue is back at 110 (alert level 100)");
    CHECK(d.store.empty());
    CHECK(d.engine->instances().empty());
}

TEST_CASE("keep_firing_for holds a recovered alert and a re-breach cancels it", "[engine]") {
    ConfigBuilder b = revenue_config();
    b.cfg.rules.rules[0].for_duration = 0s;
    b.cfg.rules.rules[0].keep_firing_for = 30min;
    Driver d(b.build());
    d.sample("revenue", 80, at(0min));
    d.take();

    SECTION("resolves once keep_firing_for has passed") {
        d.sample("revenue", 150, at(10min));
        CHECK(d.store.begin()->second.clear_since == at(10min));
        d.sample("revenue", 160, at(20min));  // staying recovered does not restart the wait
        d.advance_to(at(40min) - 1ms);
        CHECK(d.sent.empty());
        d.advance_to(at(40min));
        const auto sent = d.take();
        REQUIRE(kinds(sent) == std::vector<std::string>{"resolved:warning:ops"});
        CHECK(sent[0].ends_at == at(40min));
        CHECK(d.store.empty());
    }
    SECTION("a breach before the end cancels the resolve") {
        d.sample("revenue", 150, at(10min));
        d.sample("revenue", 90, at(30min));
        CHECK_FALSE(d.store.begin()->second.clear_since.has_value());
        d.advance_to(at(3h));
        CHECK(d.sent.empty());
        d.sample("revenue", 150, at(4h));
        d.advance_to(at(4h + 29min));
        CHECK(d.sent.empty());
        d.advance_to(at(4h + 30min));
        CHECK(kinds(d.take()) == std::vector<std::string>{"resolved:warning:ops"});
    }
}

TEST_CASE("a pending alert that recovers ends silently", "[engine]") {
    Driver d(revenue_config().build());
    d.sample("revenue", 80, at(0min));
    REQUIRE(d.store.size() == 1);
    d.sample("revenue", 150, at(5min));
    CHECK(d.store.empty());
    CHECK_FALSE(d.engine->next_wakeup().has_value());
    d.advance_to(at(1h));
    CHECK(d.sent.empty());
    CHECK(d.engine->instances().empty());
}

TEST_CASE("a stale series fires nodata and a fresh sample clears it", "[engine]") {
    ConfigBuilder b = revenue_config();
    b.cfg.rules.rules[0].nodata = NoData{2h, Severity::Critical};
    Driver d(b.build());
    d.sample("revenue", 150, at(0min));
    CHECK(d.engine->next_wakeup() == at(2h));
    d.sample("revenue", 150, at(1h));  // a new sample pushes the deadline
    d.advance_to(at(3h) - 1ms);
    CHECK(d.sent.empty());
    d.advance_to(at(3h));
    auto sent = d.take();
    REQUIRE(kinds(sent) == std::vector<std::string>{"firing:critical:ops"});
    CHECK(sent[0].nodata);
    CHECK(sent[0].summary ==
          "no data for revenue since 2026-01-01T01:00:00Z");  // not the breach summary
    CHECK(d.store.begin()->second.nodata);

    d.sample("revenue", 150, at(4h));
    sent = d.take();
    REQUIRE(kinds(sent) == std::vector<std::string>{"resolved:critical:ops"});
    CHECK(d.store.empty());
    CHECK(d.engine->next_wakeup() == at(6h));
}

TEST_CASE("data returning breached turns nodata into a normal alert", "[engine]") {
    ConfigBuilder b = revenue_config();
    b.cfg.rules.rules[0].nodata = NoData{2h, Severity::Warning};
    Driver d(b.build());
    d.sample("revenue", 150, at(0min));
    d.advance_to(at(2h));
    CHECK(kinds(d.take()) == std::vector<std::string>{"firing:warning:ops"});
    d.sample("revenue", 20, at(3h));
    CHECK(kinds(d.take()) == std::vector<std::string>{"severity_change:critical:ops"});
    CHECK_FALSE(d.store.begin()->second.nodata);
}

TEST_CASE("a KPI never seen since start fires nodata with empty series labels", "[engine]") {
    ConfigBuilder b = revenue_config();
    b.cfg.rules.rules[0].nodata = NoData{1h, Severity::Warning};
    const auto loaded = b.build();

    SECTION("fires one hour after start") {
        Driver d(loaded);
        CHECK(d.engine->next_wakeup() == at(1h));
        d.advance_to(at(1h));
        const auto sent = d.take();
        REQUIRE(kinds(sent) == std::vector<std::string>{"firing:warning:ops"});
        CHECK(sent[0].nodata);
        REQUIRE(d.store.size() == 1);
        CHECK(d.store.begin()->second.series_labels.empty());
    }
    SECTION("a labelled series retires the placeholder and resolves its alert") {
        Driver d(loaded);
        d.advance_to(at(1h));
        d.take();
        d.sample("revenue", 150, at(2h), {{"region", "eu"}});
        CHECK(kinds(d.take()) == std::vector<std::string>{"resolved:warning:ops"});
        CHECK(d.store.empty());
        // Only the real series' own timer remains.
        CHECK(d.engine->next_wakeup() == at(3h));
    }
    SECTION("a series seen before the deadline prevents it") {
        Driver d(loaded);
        d.sample("revenue", 150, at(30min), {{"region", "eu"}});
        d.advance_to(at(1h + 29min));
        CHECK(d.sent.empty());
        d.advance_to(at(1h + 30min));
        const auto sent = d.take();
        REQUIRE(sent.size() == 1);
        CHECK(sent[0].labels.at("region") == "eu");
    }
}

TEST_CASE("a stale series without nodata keeps its last state", "[engine]") {
    ConfigBuilder b = revenue_config();
    b.cfg.rules.rules[0].for_duration = 0s;
    Driver d(b.build());
    d.sample("revenue", 80, at(0min));
    d.take();
    CHECK_FALSE(d.engine->next_wakeup().has_value());
    d.advance_to(at(30 * 24h));
    CHECK(d.sent.empty());
    CHECK(d.engine->instances().size() == 1);
}

TEST_CASE("restore continues a for timer on time without repeating notifications", "[engine]") {
    ConfigBuilder b = revenue_config();
    b.cfg.rules.rules[0].for_duration = 1h;
    PolicyDef& p = b.cfg.rules.policies[0];
    ConfigBuilder::step(p, 2h, {"lead"});
    const auto loaded = b.build();

    Driver d(loaded);
    d.sample("revenue", 80, at(0min));
    d.restart(loaded, at(20min));
    CHECK(d.engine->next_wakeup() == at(1h));
    d.advance_to(at(1h));
    auto sent = d.take();
    REQUIRE(kinds(sent) == std::vector<std::string>{"firing:warning:ops"});
    CHECK(sent[0].at == at(1h));

    d.restart(loaded, at(90min));
    CHECK(d.engine->next_wakeup() == at(3h));  // the lead step, counted from firing
    d.advance_to(at(3h));
    sent = d.take();
    REQUIRE(kinds(sent) == std::vector<std::string>{"firing:warning:lead"});
    CHECK(sent[0].id.ends_with("-2/lead"));

    d.restart(loaded, at(4h));
    d.advance_to(at(10h));
    CHECK(d.sent.empty());
    d.sample("revenue", 150, at(11h));
    CHECK(kinds(d.take()) ==
          std::vector<std::string>{"resolved:warning:ops", "resolved:warning:lead"});
}

TEST_CASE("a for timer due during downtime fires at restore with its own start", "[engine]") {
    ConfigBuilder b = revenue_config();
    const auto loaded = b.build();
    Driver d(loaded);
    d.sample("revenue", 80, at(0min));
    d.restart(loaded, at(2h));
    d.apply(d.engine->advance(at(2h)));  // one late wakeup, as after a long outage
    const auto sent = d.take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].starts_at == at(10min));
    CHECK(sent[0].at == at(2h));
    CHECK(d.store.begin()->second.firing_since == at(10min));
}

TEST_CASE("restore drops instances of removed rules and resolves them", "[engine]") {
    ConfigBuilder b = revenue_config();
    b.cfg.rules.rules[0].for_duration = 0s;
    Driver d(b.build());
    d.sample("revenue", 80, at(0min));
    d.take();

    SECTION("rule gone") {
        ConfigBuilder other = revenue_config();
        other.cfg.rules.rules[0].alert = "RevenueTooLow";
        d.restart(other.build(), at(1h));
        const auto sent = d.take();
        REQUIRE(kinds(sent) == std::vector<std::string>{"resolved:warning:ops"});
        CHECK(sent[0].alert == "RevenueLow");
        CHECK(sent[0].ends_at == at(1h));
        CHECK(d.store.empty());
    }
    SECTION("rule moved to another KPI") {
        ConfigBuilder other = revenue_config();
        other.kpi("bookings");
        other.cfg.rules.rules[0].kpi = "bookings";
        d.restart(other.build(), at(1h));
        CHECK(kinds(d.take()) == std::vector<std::string>{"resolved:warning:ops"});
        CHECK(d.store.empty());
    }
    SECTION("unchanged rule keeps its instance") {
        d.restart(revenue_config().build(), at(1h));
        CHECK(d.sent.empty());
        CHECK(d.engine->instances().size() == 1);
    }
}

TEST_CASE("routing takes the rule's policy, then the first matching route, then the default",
          "[engine]") {
    ConfigBuilder b;
    b.kpi("k");
    b.rule("Own", "k", Comparison::Above, level(1), std::nullopt).policy = "p-own";
    b.rule("Growth", "k", Comparison::Above, level(1), std::nullopt).labels = {{"team", "growth"}};
    b.rule("GrowthCritical", "k", Comparison::Above, level(1), level(5)).labels = {
        {"team", "growth"}};
    b.rule("Other", "k", Comparison::Above, level(1), std::nullopt).labels = {{"team", "ops"}};
    for (const char* name : {"p-own", "p-critical", "p-growth", "p-default"}) {
        ConfigBuilder::step(b.policy(name), 0s, {std::string("n-") + (name + 2)});
    }
    b.route({LabelMatcher{"team", MatchOp::Regex, "grow.*", {}},
             LabelMatcher{"severity", MatchOp::Equal, "critical", {}}},
            "p-critical");
    b.route({LabelMatcher{"team", MatchOp::Equal, "growth", {}}}, "p-growth");
    b.route({LabelMatcher{"team", MatchOp::Regex, "gro", {}}}, "p-never");  // anchored: no match
    b.cfg.config.default_policy = "p-default";
    Driver d(b.build());
    d.sample("k", 10, at(0min));
    std::map<std::string, std::string> by_alert;
    for (const auto& n : d.take()) {
        by_alert[n.alert] = n.notifier;
    }
    CHECK(by_alert == std::map<std::string, std::string>{{"GrowthCritical", "n-critical"},
                                                         {"Growth", "n-growth"},
                                                         {"Other", "n-default"},
                                                         {"Own", "n-own"}});
}

TEST_CASE("route matchers support not-equal and not-regex", "[engine]") {
    Router::Matcher ne{"team", MatchOp::NotEqual, "ops", std::nullopt};
    CHECK(Router::matches(ne, Labels{{"team", "growth"}}));
    CHECK(Router::matches(ne, Labels{}));
    CHECK_FALSE(Router::matches(ne, Labels{{"team", "ops"}}));
    std::string why;
    Router::Matcher nre{
        "team", MatchOp::NotRegex, "", tocsin::exposition::Regex::compile("op.", why)};
    CHECK(Router::matches(nre, Labels{{"team", "growth"}}));
    CHECK_FALSE(Router::matches(nre, Labels{{"team", "ops"}}));
    CHECK(Router::matches(nre, Labels{{"team", "opsx"}}));
}

TEST_CASE("without any policy an alert fires but notifies nobody", "[engine]") {
    ConfigBuilder b = revenue_config();
    b.cfg.config.default_policy.clear();
    b.cfg.rules.rules[0].for_duration = 0s;
    Driver d(b.build());
    d.sample("revenue", 80, at(0min));
    CHECK(d.sent.empty());
    CHECK(d.store.begin()->second.state == AlertState::Firing);
    d.sample("revenue", 150, at(1min));
    CHECK(d.sent.empty());
    CHECK(d.store.empty());
}

TEST_CASE("escalation steps run after their delay and only at their severity", "[engine]") {
    ConfigBuilder b = revenue_config();
    b.cfg.rules.rules[0].for_duration = 0s;
    PolicyDef& p = b.cfg.rules.policies[0];
    // Written out of order on purpose: steps run by delay.
    ConfigBuilder::step(p, 2h, {"sms"}, Severity::Critical);
    ConfigBuilder::step(p, 30min, {"email", "ops"});
    Driver d(b.build());
    d.sample("revenue", 80, at(0min));
    CHECK(kinds(d.take()) == std::vector<std::string>{"firing:warning:ops"});
    d.advance_to(at(30min));
    CHECK(kinds(d.take()) == std::vector<std::string>{"firing:warning:email"});
    d.advance_to(at(2h));
    CHECK(d.sent.empty());  // the sms step is for critical alerts only
    CHECK(d.store.begin()->second.steps_done == 3);

    SECTION("a later critical reaches the skipped step at once") {
        d.sample("revenue", 10, at(3h));
        const auto sent = d.take();
        CHECK(kinds(sent) == std::vector<std::string>{"severity_change:critical:ops",
                                                      "severity_change:critical:email",
                                                      "firing:critical:sms"});
        // One decision, one sequence number.
        for (const auto& n : sent) {
            CHECK(n.id.substr(n.id.find('/') - 2, 2) == "-3");
        }
        d.sample("revenue", 150, at(4h));
        CHECK(kinds(d.take()) == std::vector<std::string>{"resolved:critical:ops",
                                                          "resolved:critical:email",
                                                          "resolved:critical:sms"});
    }
    SECTION("a critical before the step's delay waits for it") {
        ConfigBuilder b2 = revenue_config();
        b2.cfg.rules.rules[0].for_duration = 0s;
        ConfigBuilder::step(b2.cfg.rules.policies[0], 2h, {"sms"}, Severity::Critical);
        Driver d2(b2.build());
        d2.sample("revenue", 10, at(0min));
        CHECK(kinds(d2.take()) == std::vector<std::string>{"firing:critical:ops"});
        d2.advance_to(at(2h) - 1ms);
        CHECK(d2.sent.empty());
        d2.advance_to(at(2h));
        CHECK(kinds(d2.take()) == std::vector<std::string>{"firing:critical:sms"});
    }
}

TEST_CASE("outside and inside rules fire and resolve through the engine", "[engine]") {
    ConfigBuilder b;
    b.kpi("latency");
    b.rule("Band", "latency", Comparison::Outside, Interval{10, 20}, Interval{0, 30});
    b.rule("Dead", "latency", Comparison::Inside, Interval{40, 60}, std::nullopt);
    ConfigBuilder::step(b.policy("p"), 0s, {"ops"});
    b.cfg.config.default_policy = "p";
    Driver d(b.build());
    d.sample("latency", 15, at(0min));
    CHECK(d.sent.empty());
    d.sample("latency", 25, at(1min));
    auto sent = d.take();
    REQUIRE(kinds(sent) == std::vector<std::string>{"firing:warning:ops"});
    CHECK(sent[0].alert == "Band");
    CHECK(sent[0].threshold == 20.0);
    d.sample("latency", 50, at(2min));
    sent = d.take();
    REQUIRE(sent.size() == 2);
    CHECK(sent[0].alert == "Band");
    CHECK(sent[0].kind == NotificationKind::SeverityChange);
    CHECK(sent[0].threshold == 30.0);
    CHECK(sent[1].alert == "Dead");
    CHECK(sent[1].kind == NotificationKind::Firing);
    d.sample("latency", 12, at(3min));
    CHECK(kinds(d.take()) ==
          std::vector<std::string>{"resolved:critical:ops", "resolved:warning:ops"});
}

TEST_CASE("each labelled series gets its own instance", "[engine]") {
    ConfigBuilder b = revenue_config();
    b.cfg.rules.rules[0].for_duration = 0s;
    Driver d(b.build());
    d.sample("revenue", 80, at(0min), {{"plan", "pro"}});
    d.sample("revenue", 40, at(0min), {{"plan", "free"}});
    d.sample("revenue", 150, at(0min), {{"plan", "team"}});
    const auto sent = d.take();
    REQUIRE(sent.size() == 2);
    CHECK(sent[0].labels.at("plan") == "pro");
    CHECK(sent[1].labels.at("plan") == "free");
    CHECK(sent[0].fingerprint != sent[1].fingerprint);
    CHECK(d.store.size() == 2);
    CHECK(d.engine->instances().size() == 2);
    CHECK(d.engine->latest().size() == 3);

    d.sample("revenue", 150, at(1min), {{"plan", "pro"}});
    const auto resolved = d.take();
    REQUIRE(resolved.size() == 1);
    CHECK(resolved[0].labels.at("plan") == "pro");
    CHECK(d.store.size() == 1);
}

TEST_CASE("latest keeps the newest value per series and ignores older samples", "[engine]") {
    Driver d(revenue_config().build());
    d.sample("revenue", 150, at(2min));
    d.engine->ingest({Sample{"revenue", {}, 10, at(1min)}}, at(3min));
    d.engine->ingest({Sample{"unknown_kpi", {}, 10, at(1min)}}, at(3min));
    const auto latest = d.engine->latest();
    REQUIRE(latest.size() == 1);
    CHECK(latest[0].value == 150);
    CHECK(latest[0].at == at(2min));
    CHECK(d.engine->instances().empty());
}

TEST_CASE("the persisted instances always equal the engine's", "[engine]") {
    ConfigBuilder b = revenue_config();
    b.cfg.rules.rules[0].keep_firing_for = 5min;
    b.cfg.rules.rules[0].nodata = NoData{1h, Severity::Warning};
    Driver d(b.build());
    const double values[] = {80, 40, 150, 90, 150, 150, 20};
    for (int i = 0; i < 7; ++i) {
        d.sample("revenue", values[i], at(i * 7min), {{"plan", i % 2 == 0 ? "a" : "b"}});
        std::vector<AlertInstance> stored;
        for (const auto& [key, inst] : d.store) {
            stored.push_back(inst);
        }
        const auto live = d.engine->instances();
        REQUIRE(stored.size() == live.size());
        for (std::size_t j = 0; j < live.size(); ++j) {
            CHECK(stored[j].fingerprint == live[j].fingerprint);
            CHECK(stored[j].state == live[j].state);
            CHECK(stored[j].severity == live[j].severity);
            CHECK(stored[j].clear_since == live[j].clear_since);
            CHECK(stored[j].notified == live[j].notified);
            CHECK(stored[j].seq == live[j].seq);
        }
    }
    d.advance_to(at(5h));
    CHECK(d.store.size() == d.engine->instances().size());
}

TEST_CASE("an alert that fires, resolves and fires again in one millisecond gets new ids",
          "[engine]") {
    auto b = revenue_config();
    b.cfg.rules.rules[0].for_duration = 0s;
    Driver d(b.build());
    std::set<std::string> ids;
    std::size_t sent_count = 0;
    for (int i = 0; i < 5; ++i) {
        d.sample("revenue", 80, at(1min));
        d.sample("revenue", 120, at(1min));
        for (const auto& n : d.take()) {
            ids.insert(n.id);
            ++sent_count;
        }
    }
    CHECK(sent_count == 10);  // five firings and five resolves
    CHECK(ids.size() == sent_count);
}
