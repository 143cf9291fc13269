#include "engine/alert.hpp"
#include "engine/loader.hpp"
#include "loader_fixture.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace tocsin::engine;
using tocsin::engine::testing::require_diag;
using tocsin::testing::TempDir;

namespace {

constexpr const char* kGoodRules = R"(kpis:
  activation_rate:
    source: app_db
    query: SELECT 0.3 AS value
    every: 6h
    unit: percent
    target: 0.40
    description: share of signups that activate
  revenue:
    source: app_db
    unit: EUR
  signups:
    source: app_db
    unit: users

rules:
  - alert: ActivationRateLow
    kpi: activation_rate
    below: { warning: 0.30, critical: 0.20 }
    recover: 0.32
    for: 1h
    keep_firing_for: 30m
    nodata: { after: 13h, severity: critical }
    labels: { team: growth }
    summary: "Activation rate {{ pct(value) }} is below {{ pct(threshold) }}"
    description: |
      Target is {{ pct(target) }}.
    runbook: https://wiki.example.com/runbooks/activation
    policy: growth-oncall
  - alert: RevenueOutOfBand
    kpi: revenue
    outside: { warning: [100, 900], critical: [50, 1000] }
    recover: [120, 880]

policies:
  growth-oncall:
    steps:
      - notify: [growth-slack]
      - after: 30m
        notify: leads-email
        severity: critical
)";

struct Loaded {
    std::optional<RuleSet> set;
    Diagnostics diags;
};

// Loads one rule file written from `text`; returns the result and its path.
std::string load_one(const TempDir& dir,
                     const std::string& text,
                     Loaded& out,
                     const std::string& name = "r.yaml") {
    const std::string path = dir.write(name, text);
    out.set = load_rule_files({path}, out.diags);
    return path;
}

}  // namespace

TEST_CASE("rule files load kpis, rules and policies", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    const std::string path = load_one(dir, kGoodRules, l);
    INFO(l.diags.render());
    REQUIRE(l.set.has_value());
    CHECK(l.diags.warning_count() == 0);
    const RuleSet& set = *l.set;
    CHECK(set.files == std::vector<std::string>{path});

    REQUIRE(set.kpis.size() == 3);
    const KpiDef* kpi = set.find_kpi("activation_rate");
    REQUIRE(kpi != nullptr);
    CHECK(kpi->source == "app_db");
    CHECK(kpi->source_loc.line == 3);
    CHECK(kpi->source_loc.col == 13);
    CHECK(kpi->every == Duration{std::chrono::hours(6)});
    CHECK(kpi->unit == Unit::Percent);
    CHECK(kpi->unit_text == "percent");
    CHECK(kpi->target == Approx(0.40));
    CHECK(kpi->description == "share of signups that activate");
    REQUIRE(kpi->params.size() == 1);
    CHECK(kpi->params[0].key == "query");
    CHECK(kpi->params[0].value.scalar == "SELECT 0.3 AS value");
    CHECK(kpi->params[0].key_loc.line == 4);
    CHECK(set.find_kpi("revenue")->unit == Unit::Money);
    CHECK(set.find_kpi("signups")->unit == Unit::None);
    CHECK(set.find_kpi("signups")->unit_text == "users");
    CHECK(set.find_kpi("nope") == nullptr);

    REQUIRE(set.rules.size() == 2);
    const RuleDef& rule = set.rules[0];
    CHECK(rule.alert == "ActivationRateLow");
    CHECK(rule.loc.line == 17);
    CHECK(rule.loc.col == 12);
    CHECK(rule.kpi == "activation_rate");
    CHECK(rule.threshold.comparison == Comparison::Below);
    CHECK(rule.threshold.warning->low == Approx(0.30));
    CHECK(rule.threshold.critical->high == Approx(0.20));
    CHECK(rule.threshold.recover->low == Approx(0.32));
    CHECK(rule.for_duration == Duration{std::chrono::hours(1)});
    CHECK(rule.keep_firing_for == Duration{std::chrono::minutes(30)});
    REQUIRE(rule.nodata.has_value());
    CHECK(rule.nodata->after == Duration{std::chrono::hours(13)});
    CHECK(rule.nodata->severity == Severity::Critical);
    CHECK(rule.labels == Labels{{"team", "growth"}});
    CHECK(rule.policy == "growth-oncall");
    TemplateContext ctx;
    ctx.value = 0.25;
    ctx.threshold = 0.3;
    ctx.target = 0.4;
    CHECK(rule.summary.render(ctx) == "Activation rate 25.0% is below 30.0%");
    CHECK(rule.description.render(ctx) == "Target is 40.0%.\n");
    CHECK(rule.runbook.render(ctx) == "https://wiki.example.com/runbooks/activation");

    const RuleDef& band = set.rules[1];
    CHECK(band.threshold.comparison == Comparison::Outside);
    CHECK(band.threshold.warning->low == 100);
    CHECK(band.threshold.warning->high == 900);
    CHECK(band.threshold.critical->low == 50);
    CHECK(band.threshold.recover->high == 880);
    CHECK_FALSE(band.nodata.has_value());

    const PolicyDef* policy = set.find_policy("growth-oncall");
    REQUIRE(policy != nullptr);
    REQUIRE(policy->steps.size() == 2);
    CHECK(policy->steps[0].notify == std::vector<std::string>{"growth-slack"});
    CHECK(policy->steps[0].after == Duration{0});
    CHECK(policy->steps[1].notify == std::vector<std::string>{"leads-email"});
    CHECK(policy->steps[1].notify_locs[0].line == 40);
    CHECK(policy->steps[1].after == Duration{std::chrono::minutes(30)});
    CHECK(policy->steps[1].severity == Severity::Critical);
    CHECK(set.find_policy("other") == nullptr);
}

TEST_CASE("empty rule files are fine", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    load_one(dir, "# nothing here yet\n", l);
    REQUIRE(l.set.has_value());
    CHECK(l.set->rules.empty());
    CHECK(l.diags.all().empty());
}

TEST_CASE("a missing rule file is an error naming the file", "[loader][rules]") {
    Diagnostics diags;
    const std::string path = "/nonexistent/tocsin/rules.yaml";
    CHECK_FALSE(load_rule_files({path}, diags).has_value());
    require_diag(diags, path + ": error: cannot read rule file: No such file or directory");
}

TEST_CASE("bad yaml syntax is reported at the parser's mark", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    const auto path = load_one(dir, "rules:\n  - alert: [X\n    kpi: y\n", l);
    CHECK_FALSE(l.set.has_value());
    REQUIRE(l.diags.error_count() == 1);
    const Diagnostic& d = l.diags.all().front();
    CHECK(d.loc.file == path);
    CHECK(d.loc.line >= 2);
    CHECK(d.message.rfind("invalid YAML: ", 0) == 0);
}

TEST_CASE("unknown top-level keys suggest the closest one", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    const auto path = load_one(dir, "kpis: {}\nrulez: []\nreports: {}\n", l);
    CHECK_FALSE(l.set.has_value());
    require_diag(l.diags,
                 path +
                     ":2:1: error: unknown key 'rulez' (did you mean 'rules'?); allowed: kpis, "
                     "rules, policies, calendars");
    require_diag(l.diags,
                 path +
                     ":3:1: error: 'reports' is not available in this version; allowed: kpis, "
                     "rules, policies, calendars");
}

TEST_CASE("a rule file must be a map", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    const auto path = load_one(dir, "- alert: X\n", l);
    require_diag(l.diags,
                 path + ":1:1: error: expected a map with kpis, rules or policies, got a list");
}

TEST_CASE("kpi problems are reported at their keys", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    const auto path = load_one(dir,
                               R"(kpis:
  a:
    every: soon
    target: abc
  b:
    lua: return kpi("nope")
  c: 42
)",
                               l);
    CHECK_FALSE(l.set.has_value());
    require_diag(
        l.diags,
        path +
            ":2:3: error: kpi 'a': missing required key 'source'; name a source from tocsin.yaml");
    require_diag(
        l.diags,
        path + ":3:12: error: kpi 'a' > every: 'soon' is not a duration; use e.g. 30s or 2m");
    require_diag(l.diags, path + ":4:13: error: kpi 'a' > target: expected a number, got 'abc'");
    require_diag(l.diags, path + ":6:21: error: kpi 'b' > lua: unknown kpi 'nope'");
    require_diag(l.diags, path + ":7:6: error: kpi 'c': expected a map of keys, got '42'");
    CHECK(l.diags.error_count() == 5);
}

TEST_CASE("rule key problems are reported with the rule's item path", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    const auto path = load_one(dir,
                               R"(kpis:
  k: { source: s }
rules:
  - alert: A
    kpi: k
    above: { warning: 1 }
    for: soon
    keep_firing_for: 5
    summry: hello
  - kpi: k
  - alert: B
    above: { warning: 1 }
  - alert: C
    kpi: k
    lua: return detla("1h")
)",
                               l);
    CHECK_FALSE(l.set.has_value());
    require_diag(
        l.diags,
        path + ":7:10: error: rule 'A' > for: 'soon' is not a duration; use e.g. 30s or 2m");
    require_diag(
        l.diags,
        path +
            ":8:22: error: rule 'A' > keep_firing_for: '5' is not a duration; use e.g. 30s or 2m");
    require_diag(l.diags,
                 path +
                     ":9:5: error: rule 'A': unknown key 'summry' (did you mean 'summary'?); "
                     "allowed: alert,");
    require_diag(l.diags,
                 path +
                     ":10:5: error: rule #2: missing required key 'alert'; name the rule, e.g. "
                     "alert: DiskFull");
    require_diag(
        l.diags,
        path +
            ":11:12: error: rule 'B': missing required key 'kpi'; name the KPI this rule watches");
    require_diag(l.diags,
                 path +
                     ":15:17: error: rule 'C' > lua: unknown helper 'detla' (did you mean "
                     "'delta'?); helpers: delta,");
    CHECK(l.diags.error_count() == 6);
}

TEST_CASE("a rule needs exactly one condition with at least one level", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    const auto path = load_one(dir,
                               R"(kpis:
  k: { source: s }
rules:
  - alert: None
    kpi: k
  - alert: Two
    kpi: k
    above: { warning: 1 }
    below: { warning: 0 }
  - alert: Empty
    kpi: k
    above: {}
  - alert: Typo
    kpi: k
    above: { warning: 1, critcal: 2 }
)",
                               l);
    require_diag(
        l.diags,
        path + ":4:12: error: rule 'None': no condition; add one of above, below, outside, inside");
    require_diag(l.diags,
                 path +
                     ":9:5: error: rule 'Two': only one of above, below, outside, inside is "
                     "allowed; 'above' is already set");
    require_diag(
        l.diags,
        path + ":12:12: error: rule 'Empty' > above: no levels; set warning, critical or both");
    require_diag(l.diags,
                 path +
                     ":15:26: error: rule 'Typo' > above: unknown key 'critcal' (did you mean "
                     "'critical'?); allowed: warning, critical");
    CHECK(l.diags.error_count() == 4);
}

TEST_CASE("threshold levels and recover must be ordered", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    const auto path = load_one(dir,
                               R"(kpis:
  k: { source: s }
rules:
  - alert: Above
    kpi: k
    above: { warning: 5, critical: 3 }
    recover: 6
  - alert: Below
    kpi: k
    below: { warning: 0.3, critical: 0.4 }
    recover: 0.2
  - alert: Outside
    kpi: k
    outside: { warning: [10, 20], critical: [12, 30] }
    recover: [5, 18]
  - alert: Inside
    kpi: k
    inside: { warning: [10, 20], critical: [5, 15] }
    recover: [11, 25]
  - alert: Fine
    kpi: k
    above: { critical: 10 }
    recover: 8
)",
                               l);
    require_diag(l.diags,
                 path +
                     ":6:36: error: rule 'Above' > above > critical: critical (3) must be above "
                     "warning (5) for an "
                     "'above' rule; swap the two levels");
    require_diag(l.diags,
                 path +
                     ":7:14: error: rule 'Above' > recover: recover (6) must be at or below "
                     "warning (5) for an 'above' rule");
    require_diag(l.diags,
                 path +
                     ":10:38: error: rule 'Below' > below > critical: critical (0.4) must be below "
                     "warning (0.3) for a "
                     "'below' rule; swap the two levels");
    require_diag(l.diags,
                 path +
                     ":11:14: error: rule 'Below' > recover: recover (0.2) must be at or above "
                     "warning (0.3) for a 'below' rule");
    require_diag(l.diags,
                 path +
                     ":14:45: error: rule 'Outside' > outside > critical: critical [12, 30] must "
                     "contain warning [10, 20] "
                     "for an 'outside' rule; widen critical");
    require_diag(l.diags,
                 path +
                     ":15:14: error: rule 'Outside' > recover: recover [5, 18] must lie within "
                     "warning [10, 20] for an "
                     "'outside' rule");
    require_diag(l.diags,
                 path +
                     ":18:44: error: rule 'Inside' > inside > critical: critical [5, 15] must lie "
                     "within warning [10, 20] "
                     "for an 'inside' rule; narrow critical");
    require_diag(l.diags,
                 path +
                     ":19:14: error: rule 'Inside' > recover: recover [11, 25] must contain "
                     "warning [10, 20] for an "
                     "'inside' rule");
    CHECK(l.diags.error_count() == 8);
}

TEST_CASE("range levels must be [low, high] pairs of numbers", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    const auto path = load_one(dir,
                               R"(kpis:
  k: { source: s }
rules:
  - alert: R
    kpi: k
    outside: { warning: 5, critical: [30, 10] }
    recover: [1, x]
)",
                               l);
    require_diag(
        l.diags,
        path + ":6:25: error: rule 'R' > outside > warning: expected a [low, high] pair, got '5'");
    require_diag(l.diags,
                 path +
                     ":6:38: error: rule 'R' > outside > critical: low bound 30 is above high "
                     "bound 10; write [low, high]");
    require_diag(l.diags, path + ":7:18: error: rule 'R' > recover: expected a number, got 'x'");
    CHECK(l.diags.error_count() == 3);
}

TEST_CASE("nodata and labels are checked", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    const auto path = load_one(dir,
                               R"(kpis:
  k: { source: s }
rules:
  - alert: N
    kpi: k
    above: { warning: 1 }
    nodata: { severity: crit }
    labels: { severity: high, 1team: x, ok: [a] }
)",
                               l);
    require_diag(l.diags,
                 path +
                     ":7:13: error: rule 'N' > nodata: missing required key 'after'; say how long "
                     "without data counts, "
                     "e.g. after: 2h");
    require_diag(l.diags,
                 path +
                     ":7:25: error: rule 'N' > nodata > severity: 'crit' is not a severity; use "
                     "warning or critical");
    require_diag(l.diags,
                 path +
                     ":8:15: error: rule 'N' > labels: label 'severity' is set by tocsin; choose "
                     "another name");
    require_diag(l.diags,
                 path +
                     ":8:31: error: rule 'N' > labels: '1team' is not a label name; use letters, "
                     "digits and '_', not "
                     "starting with a digit");
    require_diag(l.diags,
                 path + ":8:45: error: rule 'N' > labels > ok: expected a string, got a list");
    CHECK(l.diags.error_count() == 5);
}

TEST_CASE("template errors point at the expression's column", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    const auto path = load_one(dir,
                               R"(kpis:
  k: { source: s }
rules:
  - alert: T
    kpi: k
    above: { warning: 1 }
    summary: "now {{ valeu }}"
    runbook: see {{ pcnt(value) }}
    description: |
      first line
      then {{ nope }}
)",
                               l);
    require_diag(
        l.diags,
        path + ":7:22: error: rule 'T' > summary: unknown name 'valeu' (did you mean 'value'?)");
    require_diag(
        l.diags,
        path + ":8:21: error: rule 'T' > runbook: unknown helper 'pcnt' (did you mean 'pct'?)");
    require_diag(l.diags, path + ":11:15: error: rule 'T' > description: unknown name 'nope'");
    CHECK(l.diags.error_count() == 3);
}

TEST_CASE("rules must name a defined kpi", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    const auto path = load_one(dir,
                               R"(kpis:
  activation_rate: { source: s }
rules:
  - alert: A
    kpi: activaton_rate
    above: { warning: 1 }
)",
                               l);
    require_diag(l.diags,
                 path +
                     ":5:10: error: rule 'A' > kpi: unknown kpi 'activaton_rate' (did you mean "
                     "'activation_rate'?); "
                     "defined kpis: activation_rate");
}

TEST_CASE("names are unique across rule files", "[loader][rules]") {
    TempDir dir;
    const auto first = dir.write("a.yaml", R"(kpis:
  k: { source: s }
rules:
  - alert: Same
    kpi: k
    above: { warning: 1 }
policies:
  p: { steps: [ { notify: [n] } ] }
)");
    const auto second = dir.write("b.yaml", R"(kpis:
  k: { source: s }
rules:
  - alert: Same
    kpi: k
    above: { warning: 2 }
policies:
  p: { steps: [ { notify: [n] } ] }
)");
    Diagnostics diags;
    const auto set = load_rule_files({first, second}, diags);
    CHECK_FALSE(set.has_value());
    require_diag(diags,
                 second + ":2:3: error: kpi 'k': duplicate kpi name 'k'; first defined at " +
                     first + ":2:3");
    require_diag(diags,
                 second +
                     ":4:12: error: rule 'Same': duplicate alert name 'Same'; first defined at " +
                     first + ":4:12");
    require_diag(diags,
                 second + ":8:3: error: policy 'p': duplicate policy name 'p'; first defined at " +
                     first + ":8:3");
    CHECK(diags.error_count() == 3);
}

TEST_CASE("duplicate keys in one map are errors", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    const auto path = load_one(dir, "kpis:\n  k: { source: s }\n  k: { source: t }\n", l);
    require_diag(l.diags, path + ":3:3: error: kpis: duplicate key 'k'; it is first set at line 2");
}

TEST_CASE("policy problems are reported per step", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    const auto path = load_one(dir,
                               R"(policies:
  none: {}
  empty: { steps: [] }
  bad:
    repaet: 2
    steps:
      - after: later
        notify: []
      - severity: high
        notfy: [x]
)",
                               l);
    require_diag(l.diags,
                 path +
                     ":2:3: error: policy 'none': missing required key 'steps'; add e.g. steps: "
                     "[{notify: [ops-slack]}]");
    require_diag(l.diags,
                 path +
                     ":3:19: error: policy 'empty' > steps: expected a list of at least one step, "
                     "got a list; add e.g. - "
                     "notify: [ops-slack]");
    require_diag(l.diags,
                 path +
                     ":5:5: error: policy 'bad': unknown key 'repaet' (did you mean 'repeat'?); "
                     "allowed: steps, until, repeat, repeat_interval, resolves, group_by, "
                     "group_wait, quiet_hours");
    require_diag(l.diags,
                 path +
                     ":7:16: error: policy 'bad' > step 1 > after: 'later' is not a duration; use "
                     "e.g. 30s or 2m");
    require_diag(l.diags,
                 path +
                     ":8:17: error: policy 'bad' > step 1 > notify: the list is empty; name at "
                     "least one notifier");
    require_diag(l.diags,
                 path +
                     ":9:19: error: policy 'bad' > step 2 > severity: 'high' is not a severity; "
                     "use warning or critical");
    require_diag(l.diags,
                 path +
                     ":10:9: error: policy 'bad' > step 2: unknown key 'notfy' (did you mean "
                     "'notify'?); allowed: after, "
                     "notify, severity, quiet_hours");
    require_diag(l.diags,
                 path +
                     ":9:9: error: policy 'bad' > step 2: missing required key 'notify'; list the "
                     "notifiers of this step");
    CHECK(l.diags.error_count() == 8);
}

TEST_CASE("rule files keep env references as written", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    load_one(dir, "kpis:\n  k:\n    source: s\n    query: \"${env:HOME}\"\n", l);
    REQUIRE(l.set.has_value());
    CHECK(l.set->kpis[0].params[0].value.scalar == "${env:HOME}");
    CHECK(l.set->kpis[0].params[0].value.quoted);
    CHECK_FALSE(l.set->kpis[0].params[0].value.secret);
}

TEST_CASE("odd shapes in rule files are reported", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    const auto path = load_one(dir,
                               R"(kpis:
  k: { source: s, every: 0s }
  ? [a, b]
  : { source: s }
rules:
  - alert: ""
    kpi: k
  - alert: Z
    kpi: k
    above: { warning: 1 }
    nodata: { after: 0s }
)",
                               l);
    require_diag(l.diags, path + ":2:26: error: kpi 'k' > every: must be longer than 0s");
    require_diag(l.diags, path + ":3:5: error: kpis: keys must be plain names, got a list");
    require_diag(
        l.diags,
        path +
            ":6:12: error: rule #1 > alert: the rule name is empty; name it, e.g. alert: DiskFull");
    require_diag(l.diags,
                 path + ":11:22: error: rule 'Z' > nodata > after: must be longer than 0s");
    CHECK(l.diags.error_count() == 4);
}

TEST_CASE("rules must be a list", "[loader][rules]") {
    TempDir dir;
    Loaded l;
    const auto path = load_one(dir, "rules:\n  alert: X\n", l);
    require_diag(l.diags, path + ":2:3: error: rules: expected a list of rules, got a map");
}
