#include "engine/engine.hpp"
#include "lua_fixture.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace tocsin::engine;
using namespace tocsin::engine::testing;
using tocsin::testing::TempDir;

namespace {

std::shared_ptr<const LoadedConfig> load_text(const TempDir& dir, const std::string& text) {
    return load_ok({write_file(dir.str(), "rules.yaml", text)});
}

std::optional<double> derived_value(const StepOutput& out,
                                    const std::string& kpi,
                                    const Labels& labels = {}) {
    std::optional<double> v;
    for (const auto& s : out.derived) {
        if (s.kpi == kpi && s.labels == labels) {
            v = s.value;
        }
    }
    return v;
}

}  // namespace

TEST_CASE("a derived KPI is recomputed when any input changes", "[lua][engine]") {
    TempDir dir;
    const auto cfg = load_text(dir, R"(kpis:
  ltv: { source: db }
  cac: { source: db }
  ltv_cac:
    lua: return kpi("ltv") / kpi("cac")
rules:
  - alert: LtvCacLow
    kpi: ltv_cac
    below: { warning: 3 }
    summary: "LTV:CAC {{ num(value) }}"
)");
    Engine engine(cfg, kStart);
    // One input alone: the other has no value yet, so nothing is computed and nothing fails.
    auto out = engine.ingest({Sample{"ltv", {}, 400, at(0s)}}, at(0s));
    CHECK(out.derived.empty());
    CHECK(out.rule_errors.empty());
    out = engine.ingest({Sample{"cac", {}, 100, at(1min)}}, at(1min));
    CHECK(derived_value(out, "ltv_cac") == 4.0);
    CHECK(out.notifications.empty());
    out = engine.ingest({Sample{"cac", {}, 200, at(2min)}}, at(2min));
    CHECK(derived_value(out, "ltv_cac") == 2.0);
    const Notification* n = find_sent(out.notifications, "LtvCacLow");
    REQUIRE(n != nullptr);
    CHECK(n->summary == "LTV:CAC 2");
    out = engine.ingest({Sample{"ltv", {}, 800, at(3min)}}, at(3min));
    CHECK(derived_value(out, "ltv_cac") == 4.0);
    CHECK(find_sent(out.notifications, "LtvCacLow", NotificationKind::Resolved) != nullptr);
}

TEST_CASE("a derived KPI matches labels of its inputs", "[lua][engine]") {
    TempDir dir;
    const auto cfg = load_text(dir, R"(kpis:
  revenue: { source: db }
  costs: { source: db }
  margin:
    lua: return (kpi("revenue") - kpi("costs")) / kpi("revenue")
)");
    Engine engine(cfg, kStart);
    (void)engine.ingest({Sample{"revenue", {{"plan", "pro"}}, 100, at(0s)},
                         Sample{"revenue", {{"plan", "free"}}, 50, at(0s)}},
                        at(0s));
    // An unlabelled input applies to every plan: both margins are computed.
    auto out = engine.ingest({Sample{"costs", {}, 25, at(1min)}}, at(1min));
    CHECK(derived_value(out, "margin", {{"plan", "pro"}}) == 0.75);
    CHECK(derived_value(out, "margin", {{"plan", "free"}}) == 0.5);
    // A labelled input recomputes its own label set only.
    out = engine.ingest({Sample{"revenue", {{"plan", "pro"}}, 50, at(2min)}}, at(2min));
    CHECK(out.derived.size() == 1);
    CHECK(derived_value(out, "margin", {{"plan", "pro"}}) == 0.5);
}

TEST_CASE("a Lua condition fires after for and resolves when it returns nothing", "[lua][engine]") {
    TempDir dir;
    const auto cfg = load_text(dir, R"(kpis:
  errors: { source: db }
rules:
  - alert: ErrorsHigh
    kpi: errors
    for: 10m
    keep_firing_for: 5m
    lua: |
      if value > 10 then return "critical", "errors at " .. num(value) end
      if value > 5 then return "warning" end
)");
    Driver d(cfg);
    d.sample("errors", 7, at(0s));
    CHECK(d.sent.empty());
    REQUIRE(d.store.size() == 1);
    CHECK(d.store.begin()->second.state == AlertState::Pending);
    d.advance_to(at(10min));
    REQUIRE(d.sent.size() == 1);
    CHECK(d.sent[0].severity == Severity::Warning);
    CHECK(d.sent[0].summary == "errors is warning (ErrorsHigh)");
    d.sample("errors", 12, at(11min));
    REQUIRE(d.sent.size() == 2);
    CHECK(d.sent[1].kind == NotificationKind::SeverityChange);
    CHECK(d.sent[1].summary == "errors at 12");
    d.sample("errors", 1, at(12min));
    CHECK(d.sent.size() == 2);  // keep_firing_for holds it
    d.advance_to(at(17min));
    REQUIRE(d.sent.size() == 3);
    CHECK(d.sent[2].kind == NotificationKind::Resolved);
}

TEST_CASE("history helpers read the series' kept samples", "[lua][engine]") {
    TempDir dir;
    const auto cfg = load_text(dir, R"(kpis:
  signups: { source: db, history: 30d }
rules:
  - alert: Stats
    kpi: signups
    lua: |
      if count("1d") < 3 then return end
      return "warning", string.format("d=%s r=%s a=%s lo=%s hi=%s sd=%s z=%s ago=%s",
        num(delta("2h")), num(rate("2h") * 3600), num(avg("1d")), num(min("1d")),
        num(max("1d")), num(stddev("1d")), num(zscore("1d")), num(ago("1h")))
)");
    Driver d(cfg);
    d.sample("signups", 10, at(0h));
    d.sample("signups", 20, at(1h));
    CHECK(d.sent.empty());
    d.sample("signups", 30, at(2h));
    REQUIRE(d.sent.size() == 1);
    // zscore: 30 against {10, 20}: mean 15, population sd 5 -> 3.
    CHECK(d.sent[0].summary == "d=20 r=10 a=20 lo=10 hi=30 sd=8.165 z=3 ago=20");
}

TEST_CASE("zscore against the same hour of previous weeks", "[lua][engine]") {
    TempDir dir;
    const auto cfg = load_text(dir, R"(kpis:
  signups: { source: db, history: 29d }
rules:
  - alert: SignupsUnusual
    kpi: signups
    lua: |
      local z = zscore("28d", "7d")
      if math.abs(z) > 3 then return "warning", "z " .. num(z) end
)");
    Driver d(cfg);
    const std::vector<double> weeks{100, 110, 90, 100};
    for (std::size_t w = 0; w < weeks.size(); ++w) {
        for (int h = 0; h < 24 * 7; ++h) {
            // Every hour is ordinary; the same hour in each week has its own value.
            d.sample("signups",
                     h == 10 ? weeks[w] : 50.0 + h % 3,
                     at(std::chrono::hours(24 * 7 * w + h)));
        }
    }
    CHECK(d.sent.empty());
    d.sample("signups", 180, at(std::chrono::hours(24 * 7 * 4 + 10)));
    REQUIRE(d.sent.size() == 1);
    CHECK(d.sent[0].summary.rfind("z 11.3", 0) == 0);
}

TEST_CASE("preloaded history gives the same answers after a restart", "[lua][engine]") {
    TempDir dir;
    const auto cfg = load_text(dir, R"(kpis:
  d7: { source: db }
rules:
  - alert: Falling
    kpi: d7
    lua: if delta("7d") < -0.05 then return "warning", "fell " .. pct(-delta("7d")) end
)");
    std::vector<Sample> stored;
    for (int day = 0; day < 7; ++day) {
        stored.push_back(Sample{"d7", {}, 0.40 - 0.005 * day, at(std::chrono::hours(24 * day))});
    }
    Engine engine(cfg, at(std::chrono::hours(24 * 7)));
    CHECK(engine.history_needs() ==
          std::vector<std::pair<std::string, Duration>>{{"d7", KpiDef::kDefaultHistory}});
    engine.preload(stored);
    const auto out = engine.ingest({Sample{"d7", {}, 0.33, at(std::chrono::hours(24 * 7))}},
                                   at(std::chrono::hours(24 * 7)));
    const Notification* n = find_sent(out.notifications, "Falling");
    REQUIRE(n != nullptr);
    CHECK(n->summary == "fell 7.0%");
    CHECK(engine.history().size() == 8);
}

TEST_CASE("TocsinRuleError resolves when the Lua works again", "[lua][engine]") {
    TempDir dir;
    const auto cfg = load_text(dir, R"(kpis:
  k: { source: db }
rules:
  - alert: Fragile
    kpi: k
    lua: |
      local parts = { 1, 2 }
      if parts[value] + 1 > 2 then return "warning" end
)");
    Driver d(cfg);
    d.sample("k", 5, at(0s));
    REQUIRE(d.sent.size() == 1);
    CHECK(d.sent[0].alert == kRuleErrorAlert);
    CHECK(d.sent[0].labels.at("rule") == "Fragile");
    CHECK(d.sent[0].summary.find("rules.yaml:8:7: attempt to perform arithmetic on a nil value") !=
          std::string::npos);
    d.sample("k", 5, at(1min));
    CHECK(d.sent.size() == 1);  // still failing: no repeat
    d.sample("k", 2, at(2min));
    REQUIRE(d.sent.size() == 3);
    CHECK(find_sent(d.sent, kRuleErrorAlert, NotificationKind::Resolved) != nullptr);
    CHECK(find_sent(d.sent, "Fragile") != nullptr);
}

TEST_CASE("templates are Lua expressions with the same helpers", "[lua][engine]") {
    TempDir dir;
    const auto cfg = load_text(dir, R"Y(kpis:
  churn: { source: db, unit: percent, target: 0.05 }
rules:
  - alert: ChurnHigh
    kpi: churn
    above: { warning: 0.07 }
    labels: { team: growth }
    summary: "{{ labels.plan }} churn {{ value }} ({{ pct(value - target) }} over target, {{ value > 0.1 and 'bad' or 'watch' }})"
    description: "{{ string.upper(labels.team) }} since {{ dur(now - since) }}, change {{ pct(delta('1d')) }}"
)Y");
    Driver d(cfg);
    d.sample("churn", 0.06, at(0s), {{"plan", "pro"}});
    d.sample("churn", 0.08, at(1h), {{"plan", "pro"}});
    REQUIRE(d.sent.size() == 1);
    CHECK(d.sent[0].summary == "pro churn 8.0% (3.0% over target, watch)");
    CHECK(d.sent[0].description == "GROWTH since 0s, change 2.0%");
}

TEST_CASE("rules share modules required next to the rule files", "[lua][engine]") {
    TempDir dir;
    write_file(dir.str(),
               "levels.lua",
               "local M = {}\nfunction M.of(v)\n  if v > 10 then return 'critical' end\n  if v > 5 "
               "then return 'warning' end\nend\nreturn M\n");
    const auto cfg = load_text(dir, R"(kpis:
  k: { source: db }
rules:
  - alert: A
    kpi: k
    lua: return require("levels").of(value)
  - alert: B
    kpi: k
    lua: |
      local levels = require("levels")
      levels.of = nil
)");
    Engine engine(cfg, kStart);
    const auto out = engine.ingest({Sample{"k", {}, 12, at(0s)}}, at(0s));
    const Notification* a = find_sent(out.notifications, "A");
    REQUIRE(a != nullptr);
    CHECK(a->severity == Severity::Critical);
    REQUIRE(out.rule_errors.size() == 1);
    CHECK(out.rule_errors[0].item == "B");
    CHECK(out.rule_errors[0].message.find("read-only") != std::string::npos);
    CHECK(out.rule_errors[0].where.line == 11);
}

TEST_CASE("a module's error points at the module's own line", "[lua][engine]") {
    TempDir dir;
    write_file(
        dir.str(), "helpers.lua", "local M = {}\nfunction M.f(v)\n  return v.x\nend\nreturn M\n");
    const auto cfg = load_text(dir, R"(kpis:
  k: { source: db }
rules:
  - alert: A
    kpi: k
    lua: return require("helpers").f(value)
)");
    Engine engine(cfg, kStart);
    const auto out = engine.ingest({Sample{"k", {}, 1, at(0s)}}, at(0s));
    REQUIRE(out.rule_errors.size() == 1);
    CHECK(out.rule_errors[0].where.file == dir.str() + "/helpers.lua");
    CHECK(out.rule_errors[0].where.line == 3);
}
