#include "engine/rule_test.hpp"

#include "engine/rule_test_file.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

using namespace tocsin::engine;
namespace fs = std::filesystem;
using tocsin::testing::TempDir;

namespace {

constexpr const char* kRules = R"(kpis:
  signups:
    source: app_db
    unit: count
rules:
  - alert: SignupsLow
    kpi: signups
    below: { warning: 100, critical: 50 }
    recover: 120
    for: 1h
    labels: { team: growth }
    summary: "signups {{ value }} below {{ threshold }}"
policies:
  growth:
    steps:
      - notify: [growth-log]
      - after: 2h
        notify: [oncall-sms]
        severity: critical
)";

constexpr const char* kHeader = R"(rule_files: [rules/*.yaml]
sources: [app_db]
notifiers: [growth-log, oncall-sms]
routes:
  - match: { team: growth }
    policy: growth
start: 2026-01-05T00:00:00Z
)";

struct RunResult {
    RuleTestSummary summary;
    std::string output;
    Diagnostics diags;
};

RunResult run(const std::vector<std::string>& files) {
    RunResult r;
    std::ostringstream out;
    r.summary = run_rule_tests(files, out, r.diags);
    r.output = out.str();
    return r;
}

std::string last_line(const std::string& text) {
    std::string trimmed = text;
    while (!trimmed.empty() && trimmed.back() == '\n') {
        trimmed.pop_back();
    }
    return trimmed.substr(trimmed.rfind('\n') + 1);
}

}  // namespace

TEST_CASE("a rule test file whose expectations hold passes", "[rule_test]") {
    TempDir dir;
    dir.write("rules/signups.yaml", kRules);
    const std::string test = dir.write("signups_test.yaml", std::string(kHeader) + R"(tests:
  - name: warns after an hour, escalates to critical, resolves past recover
    series:
      - kpi: signups
        interval: 1h
        values: "150 90x2 40x3 110 _ 125"
    expect:
      - { at: 2h, alert: SignupsLow, kind: firing, severity: warning, notifier: growth-log,
          labels: { team: growth }, summary: "signups 90 below 100" }
      - { at: 3h, alert: SignupsLow, kind: severity_change, severity: critical, notifier: growth-log }
      - { at: 4h, alert: SignupsLow, kind: firing, severity: critical, notifier: oncall-sms }
      - { at: 6h, alert: SignupsLow, kind: severity_change, severity: warning, notifier: growth-log }
      - { at: 6h, alert: SignupsLow, kind: severity_change, severity: warning, notifier: oncall-sms }
      - { at: 8h, alert: SignupsLow, kind: resolved, severity: warning, notifier: growth-log }
      - { at: 2026-01-05T08:00:00Z, alert: SignupsLow, kind: resolved, severity: warning, notifier: oncall-sms }
  - name: a dip shorter than for stays silent
    series:
      - kpi: signups
        samples:
          - { at: 0s, value: 90 }
          - { at: 59m, value: 150 }
    expect: []
)");
    const RunResult r = run({test});
    INFO(r.output);
    CHECK(r.summary.files == 1);
    CHECK(r.summary.cases == 2);
    CHECK(r.summary.passed == 2);
    CHECK(r.summary.failed == 0);
    CHECK(r.output.find("ok   " + test + ":9: warns after an hour") != std::string::npos);
    CHECK(last_line(r.output) == "tocsin: 2 passed, 0 failed");
    CHECK_FALSE(r.diags.has_errors());
}

TEST_CASE("a failing rule test prints expected against sent as a timeline", "[rule_test]") {
    TempDir dir;
    dir.write("rules/signups.yaml", kRules);
    const std::string test = dir.write("signups_test.yaml", std::string(kHeader) + R"(tests:
  - name: wrong expectations
    series:
      - kpi: signups
        interval: 1h
        values: "90x3 40"
    expect:
      - { at: 1h, alert: SignupsLow, kind: firing, severity: warning, notifier: growth-log }
      - { at: 3h, alert: SignupsLow, kind: severity_change, severity: critical, notifier: growth-log,
          summary: "nope" }
)");
    const RunResult r = run({test});
    CHECK(r.summary.passed == 0);
    CHECK(r.summary.failed == 1);
    const std::string expected = "FAIL " + test + R"(:9:5: wrong expectations
      time  kind             severity  alert       notifier
  ok  +1h   firing           warning   SignupsLow  growth-log
  -   +3h   severity_change  critical  SignupsLow  growth-log    (expected, not sent)
        summary: "nope"
  +   +3h   severity_change  critical  SignupsLow  growth-log    (sent, not expected)
        summary: "signups 40 below 50"
        labels: {alertname: SignupsLow, severity: critical, team: growth}
  +   +3h   firing           critical  SignupsLow  oncall-sms    (sent, not expected)
tocsin: 0 passed, 1 failed
)";
    CHECK(r.output == expected);
}

TEST_CASE("a restart event restores persisted alerts without repeating notifications",
          "[rule_test]") {
    TempDir dir;
    dir.write("rules/signups.yaml", kRules);
    const std::string test = dir.write("restart_test.yaml", std::string(kHeader) + R"(tests:
  - name: for and escalation survive kill -9
    until: 6h
    series:
      - kpi: signups
        samples: [{ at: 0s, value: 40 }]
    events:
      - { at: 30m, restart: true }
      - { at: 2h, restart: true }
    expect:
      - { at: 1h, alert: SignupsLow, kind: firing, severity: critical, notifier: growth-log }
      - { at: 3h, alert: SignupsLow, kind: firing, severity: critical, notifier: oncall-sms }
)");
    const RunResult r = run({test});
    INFO(r.output);
    CHECK(r.summary.passed == 1);
    CHECK(last_line(r.output) == "tocsin: 1 passed, 0 failed");
}

TEST_CASE("problems in a test file are reported with their positions", "[rule_test]") {
    TempDir dir;
    dir.write("rules/signups.yaml", kRules);
    const std::string test = dir.write("broken_test.yaml", std::string(kHeader) + R"(tests:
  - name: typos
    seris: []
    series:
      - kpi: signup
        values: "1 2x 3"
    expect:
      - { at: soon, alert: SignupLow, kind: fired, severity: warning, notifier: growth-slack }
)");
    const RunResult r = run({test});
    INFO(r.output);
    CHECK(r.summary.failed == 1);
    CHECK(r.summary.passed == 0);
    CHECK(r.diags.error_count() == 7);
    const std::string& out = r.output;
    CHECK(out.find(test + ":10:5: error: tests #1: unknown key 'seris' (did you mean 'series'?)") !=
          std::string::npos);
    CHECK(out.find(test + ":12:14: error: test 'typos' > series #1 > kpi: unknown kpi 'signup' "
                          "(did you mean 'signups'?)") != std::string::npos);
    CHECK(out.find(test + ":13:18: error: test 'typos' > series #1 > values: '2x' has no valid "
                          "repeat count") != std::string::npos);
    CHECK(out.find(test + ":15:15: error: test 'typos' > expect #1 > at: 'soon' is neither") !=
          std::string::npos);
    CHECK(out.find(":15:28: error: test 'typos' > expect #1 > alert: unknown alert 'SignupLow' "
                   "(did you mean 'SignupsLow'?)") != std::string::npos);
    CHECK(out.find(":15:45: error: test 'typos' > expect #1 > kind: unknown kind 'fired'") !=
          std::string::npos);
    CHECK(out.find("unknown notifier 'growth-slack' (did you mean 'growth-log'?)") !=
          std::string::npos);
    // The source line and a caret follow each message.
    CHECK(out.find("        seris: []\n        ^") != std::string::npos);
    CHECK(out.find("FAIL " + test + ": not run; fix the errors above") != std::string::npos);
    CHECK(last_line(out) == "tocsin: 0 passed, 1 failed");
}

TEST_CASE("errors in the rule files under test fail the file", "[rule_test]") {
    TempDir dir;
    dir.write("rules/signups.yaml", kRules);
    dir.write("rules/broken.yaml", "rules:\n  - alert: Broken\n    kpi: signups\n    for: soon\n");
    const std::string test = dir.write("t_test.yaml", std::string(kHeader) + R"(tests:
  - name: never runs
    series: []
    expect: []
)");
    const RunResult r =
        run({test, dir.write("missing_test.yaml", "rule_files: [nothing/*.yaml]\ntests: []\n")});
    INFO(r.output);
    CHECK(r.summary.failed == 2);
    CHECK(r.output.find("broken.yaml:4:10: error: ") != std::string::npos);
    CHECK(r.output.find(
              "missing_test.yaml:1:14: error: rule_files: 'nothing/*.yaml' matches no file") !=
          std::string::npos);
    CHECK(last_line(r.output) == "tocsin: 0 passed, 2 failed");
}

TEST_CASE("the values shorthand expands repeats and empty slots", "[rule_test]") {
    std::string why;
    const auto v = rule_test::parse_values("0.41 0.28x3  _ _x2 -1e2", why);
    REQUIRE(v.has_value());
    REQUIRE(v->size() == 8);
    CHECK((*v)[0] == 0.41);
    CHECK((*v)[3] == 0.28);
    CHECK_FALSE((*v)[4].has_value());
    CHECK_FALSE((*v)[6].has_value());
    CHECK((*v)[7] == -100.0);
    CHECK_FALSE(rule_test::parse_values("1 abc", why).has_value());
    CHECK(why == "'abc' is not a value; write a number, NxK, _ or _xK");
    CHECK_FALSE(rule_test::parse_values("1x0", why).has_value());
}

TEST_CASE("the shipped rule packs pass their own tests", "[rule_test]") {
    const fs::path dir = fs::path(TOCSIN_SOURCE_DIR) / "rules";
    std::vector<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (name.size() > 10 && name.ends_with("_test.yaml")) {
            files.push_back(entry.path().string());
        }
    }
    REQUIRE_FALSE(files.empty());
    const RunResult r = run(files);
    INFO(r.output);
    CHECK(r.summary.failed == 0);
    CHECK(r.summary.passed > 0);
}
