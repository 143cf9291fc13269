#include "fixture.hpp"

#include <catch2/catch.hpp>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;
}  // namespace

TEST_CASE("tocsin check reports Lua syntax errors and unknown helpers at their YAML position",
          "[integration][config][lua]") {
    TempDir dir;
    dir.write("scores.lua", "local M = {}\nfunction M.f(x)\n  return x +\nend\nreturn M\n");
    dir.write(
        "rules.yaml",
        "kpis:\n"
        "  ltv: { source: db, query: SELECT 1 AS value }\n"
        "  cac: { source: db, query: SELECT 1 AS value }\n"
        "  ltv_cac:\n"
        "    lua: return kpi(\"ltv\") / kpi(\"cca\")\n"  // 5:34 unknown kpi
        "rules:\n"
        "  - alert: Falling\n"
        "    kpi: ltv\n"
        "    lua: |\n"
        "      local change = delta(\"30d\")\n"  // (windows are checked once the syntax is right)
        "      if change < then return \"warning\" end\n"  // 11:19 syntax
        "  - alert: Typo\n"
        "    kpi: cac\n"
        "    lua: if avgg(\"1h\") > 2 then return require(\"scores\").f(1) end\n"  // 14:13
        "    summary: \"{{ pct(valeu) }}\"\n");
    const auto config = dir.write("tocsin.yaml",
                                  "state_dir: state\n"
                                  "plugin_dirs: [" +
                                      plugin_dir() +
                                      "]\n"
                                      "rule_files: [rules.yaml]\n"
                                      "sources:\n"
                                      "  db: { plugin: sqlite, path: app.db }\n");
    const auto r = run_command({tocsin_binary(), "check", "-c", config}, 30s);
    INFO(r.err);
    CHECK(r.exit_code == 1);
    const auto& e = r.err;
    // Messages wrap at 80 columns on a terminal-less stderr: check the position and the start.
    CHECK_THAT(e, Catch::Contains("rules.yaml:5:34: error: kpi 'ltv_cac' > lua: unknown"));
    CHECK_THAT(e, Catch::Contains("kpi 'cca' (did you mean 'cac'?)"));
    CHECK_THAT(e, Catch::Contains("rules.yaml:11:19: error: rule 'Falling' > lua: Lua:"));
    CHECK_THAT(e, Catch::Contains("unexpected symbol near 'then'"));
    CHECK_THAT(e,
               Catch::Contains("if change < then return \"warning\" end\n                      ^"));
    CHECK_THAT(e, Catch::Contains("rules.yaml:14:13: error: rule 'Typo' > lua: unknown"));
    CHECK_THAT(e, Catch::Contains("helper 'avgg' (did you mean 'avg'?)"));
    CHECK_THAT(e, Catch::Contains("rules.yaml:15:22: error: rule 'Typo' > summary:"));
    CHECK_THAT(e, Catch::Contains("unknown name 'valeu' (did you mean 'value'?)"));
    CHECK_THAT(e, Catch::Contains("scores.lua:4:1: error: module 'scores': Lua:"));
}

}  // namespace tocsin::testing
