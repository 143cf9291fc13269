#include "engine/loader.hpp"
#include "loader_fixture.hpp"
#include "lua_fixture.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace tocsin::engine;
using namespace tocsin::engine::testing;
using tocsin::testing::TempDir;

namespace {

struct Loaded {
    Diagnostics diags;
    std::optional<RuleSet> set;
};

std::string load(const TempDir& dir, const std::string& text, Loaded& l) {
    const std::string path = write_file(dir.str(), "rules.yaml", text);
    l.set = load_rule_files({path}, l.diags);
    return path;
}

}  // namespace

TEST_CASE("check reports a Lua syntax error at the YAML line and column", "[lua][loader]") {
    TempDir dir;
    Loaded l;
    const auto path = load(dir,
                           R"(kpis:
  k: { source: s }
rules:
  - alert: A
    kpi: k
    lua: |
      local x = value
      if x > then return "warning" end
)",
                           l);
    CHECK_FALSE(l.set.has_value());
    require_diag(l.diags,
                 path + ":8:14: error: rule 'A' > lua: Lua: unexpected symbol near 'then'");
    CHECK(l.diags.error_count() == 1);
}

TEST_CASE("check reports unknown helpers and names at their column", "[lua][loader]") {
    TempDir dir;
    Loaded l;
    const auto path = load(dir,
                           R"(kpis:
  k: { source: s }
rules:
  - alert: A
    kpi: k
    lua: |
      local change = detla("7d")
      if chnage < 0 then return "warning" end
  - alert: B
    kpi: k
    lua: return io.open("/etc/passwd")
)",
                           l);
    CHECK_FALSE(l.set.has_value());
    require_diag(l.diags,
                 path +
                     ":7:22: error: rule 'A' > lua: unknown helper 'detla' (did you mean "
                     "'delta'?); helpers: delta, rate,");
    require_diag(l.diags,
                 path +
                     ":8:10: error: rule 'A' > lua: unknown name 'chnage' (did you mean "
                     "'change'?)");
    require_diag(l.diags,
                 path + ":11:17: error: rule 'B' > lua: 'io' is not available in rule Lua");
    CHECK(l.diags.error_count() == 3);
}

TEST_CASE("locals, parameters, fields and table keys are not unknown names", "[lua][loader]") {
    TempDir dir;
    Loaded l;
    (void)load(dir,
               R"(kpis:
  k: { source: s }
rules:
  - alert: A
    kpi: k
    lua: |
      local function score(parts, weight)
        local total = 0
        for name, v in pairs(parts) do total = total + v * weight end
        return total
      end
      local t = { low = 1, high = value }
      if score(t, 2) > math.max(t.low, 3) and labels.plan ~= "free" then
        return "warning", ("score %d"):format(score(t, 1))
      end
)",
               l);
    INFO(l.diags.render(false));
    CHECK(l.set.has_value());
}

TEST_CASE("check refuses windows longer than the kept history", "[lua][loader]") {
    TempDir dir;
    Loaded l;
    const auto path = load(dir,
                           R"(kpis:
  k: { source: s }
  long: { source: s, history: 35d }
rules:
  - alert: A
    kpi: k
    lua: if delta("30d") < 0 then return "warning" end
  - alert: B
    kpi: long
    lua: if zscore("28d", "7d") > 3 then return "warning" end
    summary: "{{ pct(avg('35d')) }}"
)",
                           l);
    CHECK_FALSE(l.set.has_value());
    require_diag(l.diags,
                 path +
                     ":7:19: error: rule 'A' > lua: window 30d of delta() is longer than the "
                     "history kept for kpi 'k' (8d); set history: 30d (or more) on kpi 'k'");
    CHECK(l.diags.error_count() == 1);
}

TEST_CASE("check names a cycle between derived KPIs", "[lua][loader]") {
    TempDir dir;
    Loaded l;
    const auto path = load(dir,
                           R"(kpis:
  a:
    lua: return kpi("b") + 1
  b:
    lua: return kpi("c") * 2
  c:
    lua: return kpi("a")
  d:
    lua: return kpi("a") + kpi("nope")
)",
                           l);
    CHECK_FALSE(l.set.has_value());
    require_diag(l.diags,
                 path +
                     ":7:21: error: kpi 'c' > lua: derived KPIs form a cycle: a -> b -> c -> a; a "
                     "KPI cannot depend on itself");
    require_diag(l.diags, path + ":9:32: error: kpi 'd' > lua: unknown kpi 'nope'");
    CHECK(l.diags.error_count() == 2);
}

TEST_CASE("a derived KPI takes no source keys", "[lua][loader]") {
    TempDir dir;
    Loaded l;
    const auto path = load(dir,
                           R"(kpis:
  a: { source: s }
  b:
    lua: return kpi("a")
    query: SELECT 1
)",
                           l);
    CHECK_FALSE(l.set.has_value());
    require_diag(l.diags,
                 path +
                     ":5:5: error: kpi 'b': 'query' is for collected KPIs; a lua KPI is "
                     "computed from other KPIs");
}

TEST_CASE("require loads modules from the rule files' folder only", "[lua][loader]") {
    TempDir dir;
    write_file(
        dir.str(), "scores.lua", "local M = {}\nfunction M.double(x) return x * 2 end\nreturn M\n");
    write_file(dir.str(), "broken.lua", "local M = {\nreturn M\n");
    Loaded l;
    const auto path = load(dir,
                           R"(kpis:
  k: { source: s }
rules:
  - alert: A
    kpi: k
    lua: if require("scores").double(value) > 1 then return "warning" end
  - alert: B
    kpi: k
    lua: return require("missing")
  - alert: C
    kpi: k
    lua: return require("../etc/passwd")
  - alert: D
    kpi: k
    lua: return require("broken")
)",
                           l);
    CHECK_FALSE(l.set.has_value());
    require_diag(l.diags,
                 path + ":9:25: error: rule 'B' > lua: no module 'missing'; put missing.lua");
    require_diag(l.diags,
                 path + ":12:25: error: rule 'C' > lua: '../etc/passwd' is not a module name");
    require_diag(l.diags,
                 dir.str() + "/broken.lua:2:1: error: module 'broken': Lua: unexpected symbol");
    CHECK(l.diags.error_count() == 3);
}

TEST_CASE("history longer than the store's retention is a config error", "[lua][loader]") {
    RuleSet set;
    KpiDef k;
    k.name = "k";
    k.history = std::chrono::hours(24 * 60);
    k.history_set = true;
    k.history_loc = SourceLoc{"r.yaml", 3, 14};
    set.kpis.push_back(k);
    Config config;
    config.file = "tocsin.yaml";
    Diagnostics diags;
    cross_check(config, set, diags);
    require_diag(diags,
                 "r.yaml:3:14: error: kpi 'k' > history: 60d is longer than retention (35d) in "
                 "tocsin.yaml");
}
