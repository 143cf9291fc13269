#include "fixture.hpp"

#include <catch2/catch.hpp>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;

/// A config with a three-step policy with quiet hours at night (22:00-06:00 UTC) for the chat.
std::string write_config(TempDir& dir) {
    dir.write("rules.yaml",
              "kpis:\n"
              "  errors: { source: db, query: SELECT 1 AS value }\n"
              "rules:\n"
              "  - alert: ErrorsHigh\n"
              "    kpi: errors\n"
              "    above: { warning: 10, critical: 50 }\n"
              "calendars:\n"
              "  nights: { include: [{ times: [\"22:00-06:00\"] }] }\n"
              "policies:\n"
              "  ops:\n"
              "    steps:\n"
              "      - notify: [chat]\n"
              "      - after: 30m\n"
              "        notify: [phone]\n"
              "        severity: critical\n"
              "    quiet_hours: { calendar: nights, outcome: defer, bypass: critical }\n");
    return dir.write("tocsin.yaml",
                     "state_dir: state\n"
                     "plugin_dirs: [" +
                         plugin_dir() +
                         "]\n"
                         "rule_files: [rules.yaml]\n"
                         "sources:\n"
                         "  db: { plugin: sqlite, path: app.db }\n"
                         "notifiers:\n"
                         "  chat: { plugin: log, path: \"-\" }\n"
                         "  phone: { plugin: log, path: \"-\" }\n"
                         "default_policy: ops\n");
}

}  // namespace

TEST_CASE("tocsin simulate prints the timeline a config would have sent", "[integration]") {
    TempDir dir;
    const auto config = write_config(dir);
    const auto series = dir.write("values.csv",
                                  "time,kpi,value\n"
                                  "2026-01-05T09:00:00Z,errors,20\n"  // warning: chat at once
                                  "2026-01-05T12:00:00Z,errors,2\n"   // resolved
                                  "2026-01-05T23:00:00Z,errors,30\n"  // at night: deferred
                                  "2026-01-06T01:00:00Z,errors,80\n"  // critical: bypass
                                  "2026-01-06T08:00:00Z,errors,1\n");
    const auto r = run_command({tocsin_binary(),
                                "simulate",
                                "-c",
                                config,
                                "--series",
                                series,
                                "--from",
                                "2026-01-05T00:00:00Z",
                                "--to",
                                "2026-01-07T00:00:00Z"},
                               30s);
    INFO(r.out + r.err);
    CHECK(r.exit_code == 0);
    const std::vector<std::string> expected{
        "2026-01-05T09:00:00Z  firing  warning  ErrorsHigh  chat  {}",
        "2026-01-05T12:00:00Z  resolved  warning  ErrorsHigh  chat  {}",
        "2026-01-06T01:00:00Z  firing  critical  ErrorsHigh  chat  {}",
        "2026-01-06T01:00:00Z  firing  critical  ErrorsHigh  phone  {}",
        "2026-01-06T08:00:00Z  resolved  critical  ErrorsHigh  chat  {}",
        "2026-01-06T08:00:00Z  resolved  critical  ErrorsHigh  phone  {}",
    };
    std::size_t from = 0;
    for (const auto& line : expected) {
        const auto at = r.out.find(line, from);
        CHECK(at != std::string::npos);
        from = at == std::string::npos ? from : at;
    }
    CHECK_THAT(r.out, Catch::Contains("tocsin: 6 notification(s)"));
}

TEST_CASE("tocsin simulate names the bad line of the series and exits 1", "[integration]") {
    TempDir dir;
    const auto config = write_config(dir);
    const auto series = dir.write("values.csv", "2026-01-05T09:00:00Z,errors,20\nsoon,errors,3\n");
    const auto r = run_command({tocsin_binary(),
                                "simulate",
                                "-c",
                                config,
                                "--series",
                                series,
                                "--from",
                                "2026-01-05T00:00:00Z",
                                "--to",
                                "2026-01-06T00:00:00Z"},
                               30s);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("values.csv: line 2: 'soon' is not a time"));
    const auto bad_range = run_command(
        {tocsin_binary(), "simulate", "-c", config, "--series", series, "--from", "x", "--to", "y"},
        30s);
    CHECK(bad_range.exit_code == 2);
}

}  // namespace tocsin::testing
