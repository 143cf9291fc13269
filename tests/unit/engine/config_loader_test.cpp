#include "engine/loader.hpp"
#include "loader_fixture.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace tocsin::engine;
using tocsin::engine::testing::fake_env;
using tocsin::engine::testing::require_diag;
using tocsin::testing::TempDir;

namespace {

constexpr const char* kRules = R"(kpis:
  activation_rate:
    source: app_db
    query: SELECT 0.3 AS value
    unit: percent
rules:
  - alert: ActivationRateLow
    kpi: activation_rate
    below: { warning: 0.30 }
    policy: growth-oncall
policies:
  growth-oncall:
    steps:
      - notify: [growth-slack]
  ops-default:
    steps:
      - notify: [growth-slack]
)";

const RawEntry* setting(const PluginInstanceConfig& inst, const std::string& key) {
    for (const auto& e : inst.settings) {
        if (e.key == key) {
            return &e;
        }
    }
    return nullptr;
}

struct Run {
    std::optional<LoadedConfig> loaded;
    Diagnostics diags;
};

void load(const std::string& path, Run& run, const EnvLookup& env = fake_env({})) {
    run.loaded = load_config(path, run.diags, env);
}

}  // namespace

TEST_CASE("a full config loads with its rule files", "[loader][config]") {
    TempDir dir;
    dir.write("rules.d/growth.yaml", kRules);
    dir.write("rules.d/empty.yaml", "");
    dir.write("secrets/smtp", "hunter2\n");
    const auto path = dir.write("tocsin.yaml", R"(state_dir: state
plugin_dirs: [plugins, /usr/lib/tocsin/plugins]
rule_files: [rules.d/*.yaml]
timezone: Europe/Berlin
retention: 90d
api: { listen: "0.0.0.0:9999", token_file: api-token }
sources:
  app_db: { plugin: sqlite, path: /var/lib/app/app.db, every: 5m, timeout: 10s }
notifiers:
  growth-slack: { plugin: slack, webhook_url: "${env:SLACK_HOOK}" }
  leads-email:
    plugin: email
    password: "${file:secrets/smtp}"
    to: [lead@example.com]
    fallback: growth-slack
    every: 1m
routes:
  - match: { team: growth }
    match_re: { env: "prod|staging" }
    policy: growth-oncall
default_policy: ops-default
)");
    Run run;
    load(path, run, fake_env({{"SLACK_HOOK", "https://hooks.example.com/T000/B000"}}));
    INFO(run.diags.render());
    REQUIRE(run.loaded.has_value());
    CHECK(run.diags.all().empty());
    const Config& c = run.loaded->config;
    const auto root = std::filesystem::path(dir.path());
    CHECK(c.file == path);
    CHECK(c.state_dir == (root / "state").string());
    CHECK(c.plugin_dirs ==
          std::vector<std::string>{(root / "plugins").string(), "/usr/lib/tocsin/plugins"});
    CHECK(c.rule_files == std::vector<std::string>{(root / "rules.d/*.yaml").string()});
    CHECK(c.timezone == "Europe/Berlin");
    CHECK(c.retention == Duration{std::chrono::hours(24 * 90)});
    CHECK(c.api.listen == "0.0.0.0:9999");
    CHECK(c.api.token_file == (root / "api-token").string());

    REQUIRE(c.sources.size() == 1);
    const auto& src = c.sources[0];
    CHECK(src.name == "app_db");
    CHECK(src.plugin == "sqlite");
    CHECK(src.loc.line == 8);
    CHECK(src.plugin_loc.col == 21);
    CHECK(src.every == Duration{std::chrono::minutes(5)});
    CHECK(src.timeout == Duration{std::chrono::seconds(10)});
    REQUIRE(src.settings.size() == 1);
    CHECK(src.settings[0].key == "path");
    CHECK(src.settings[0].value.scalar == "/var/lib/app/app.db");

    REQUIRE(c.notifiers.size() == 2);
    const auto& slack = c.notifiers[0];
    CHECK(slack.timeout == Duration{std::chrono::seconds(30)});
    CHECK_FALSE(slack.every.has_value());
    const RawEntry* hook = setting(slack, "webhook_url");
    REQUIRE(hook != nullptr);
    CHECK(hook->value.scalar == "https://hooks.example.com/T000/B000");
    CHECK(hook->value.secret);
    CHECK(hook->value.quoted);
    const auto& email = c.notifiers[1];
    CHECK(setting(email, "password")->value.scalar == "hunter2");
    CHECK(setting(email, "password")->value.secret);
    const RawEntry* to = setting(email, "to");
    REQUIRE(to != nullptr);
    CHECK(to->value.kind == RawValue::Kind::List);
    CHECK(to->value.items.at(0).scalar == "lead@example.com");
    CHECK_FALSE(to->value.items.at(0).secret);
    // `every` is a source key; on a notifier it is left for the plugin host to reject.
    CHECK(setting(email, "every") != nullptr);

    REQUIRE(c.routes.size() == 1);
    const auto& route = c.routes[0];
    CHECK(route.policy == "growth-oncall");
    REQUIRE(route.match.size() == 2);
    CHECK(route.match[0].name == "team");
    CHECK(route.match[0].op == MatchOp::Equal);
    CHECK(route.match[0].value == "growth");
    CHECK(route.match[1].op == MatchOp::Regex);
    CHECK(route.match[1].value == "prod|staging");
    CHECK(c.default_policy == "ops-default");

    const RuleSet& rules = run.loaded->rules;
    CHECK(rules.files.size() == 2);
    CHECK(rules.rules.size() == 1);
    CHECK(rules.find_policy("growth-oncall") != nullptr);
}

TEST_CASE("config defaults apply when keys are left out", "[loader][config]") {
    TempDir dir;
    const auto path = dir.write("tocsin.yaml", "state_dir: /var/lib/tocsin\n");
    Run run;
    load(path, run);
    REQUIRE(run.loaded.has_value());
    const Config& c = run.loaded->config;
    CHECK(c.state_dir == "/var/lib/tocsin");
    CHECK(c.timezone == "UTC");
    CHECK(c.retention == Duration{std::chrono::hours(24 * 35)});
    CHECK(c.api.listen == "127.0.0.1:9470");
    CHECK(c.sources.empty());
    CHECK(c.rule_files.empty());
}

TEST_CASE("a missing or broken config file is reported", "[loader][config]") {
    TempDir dir;
    Run run;
    SECTION("missing") {
        const std::string path = (dir.path() / "nope.yaml").string();
        load(path, run);
        require_diag(run.diags,
                     path + ": error: cannot read config file: No such file or directory");
    }
    SECTION("bad syntax") {
        const auto path = dir.write("tocsin.yaml", "state_dir: /x\nsources: { a: [1, 2 }\n");
        load(path, run);
        REQUIRE(run.diags.error_count() == 1);
        CHECK(run.diags.all()[0].loc.line == 2);
        CHECK(run.diags.all()[0].message.rfind("invalid YAML: ", 0) == 0);
    }
    SECTION("not a map") {
        const auto path = dir.write("tocsin.yaml", "- state_dir\n");
        load(path, run);
        require_diag(run.diags,
                     path +
                         ":1:1: error: expected a map of settings, got a list; start with "
                         "state_dir: /var/lib/tocsin");
    }
    CHECK_FALSE(run.loaded.has_value());
}

TEST_CASE("top-level config problems are each reported", "[loader][config]") {
    TempDir dir;
    const auto path = dir.write("tocsin.yaml", R"(timezon: UTC
retention: forever
plugin_dirs: { a: b }
api: { listen: localhost, token_fle: x }
)");
    Run run;
    load(path, run);
    CHECK_FALSE(run.loaded.has_value());
    require_diag(
        run.diags,
        path +
            ":1:1: error: missing required key 'state_dir'; add e.g. state_dir: /var/lib/tocsin");
    require_diag(
        run.diags,
        path +
            ":1:1: error: unknown key 'timezon' (did you mean 'timezone'?); allowed: state_dir, "
            "plugin_dirs, rule_files, timezone, retention, api, reload, sources, notifiers, "
            "routes, "
            "default_policy");
    require_diag(run.diags,
                 path + ":2:12: error: retention: 'forever' is not a duration; use e.g. 30s or 2m");
    require_diag(run.diags,
                 path + ":3:14: error: plugin_dirs: expected a list of strings, got a map");
    require_diag(
        run.diags,
        path +
            ":4:16: error: api > listen: 'localhost' is not an address; use host:port, e.g. "
            "127.0.0.1:9470");
    require_diag(run.diags,
                 path +
                     ":4:27: error: api: unknown key 'token_fle' (did you mean 'token_file'?); "
                     "allowed: listen, token_file");
    CHECK(run.diags.error_count() == 6);
}

TEST_CASE("plugin instance problems name the instance", "[loader][config]") {
    TempDir dir;
    const auto path = dir.write("tocsin.yaml", R"(state_dir: /s
sources:
  app_db: { path: /x, every: 0s }
  other: { plugin: [sqlite] }
notifiers:
  ops-slack:
    plugin: slack
    timeout: 30 seconds
    fallback: ops-slack
  pager:
    plugin: pagerduty
    fallback: ops-slak
  broken: 5
)");
    Run run;
    load(path, run);
    CHECK_FALSE(run.loaded.has_value());
    require_diag(
        run.diags,
        path +
            ":3:3: error: source 'app_db': missing required key 'plugin'; name the plugin to use, "
            "e.g. plugin: sqlite");
    require_diag(run.diags, path + ":3:30: error: source 'app_db' > every: must be longer than 0s");
    require_diag(
        run.diags,
        path + ":4:20: error: source 'other' > plugin: expected a plugin name, got a list");
    require_diag(
        run.diags,
        path +
            ":8:14: error: notifier 'ops-slack' > timeout: '30 seconds' is not a duration; use "
            "e.g. 30s or 2m");
    require_diag(run.diags,
                 path +
                     ":9:15: error: notifier 'ops-slack' > fallback: a notifier cannot be its own "
                     "fallback; name another notifier");
    require_diag(
        run.diags,
        path +
            ":12:15: error: notifier 'pager' > fallback: unknown notifier 'ops-slak' (did you "
            "mean 'ops-slack'?); configured notifiers: ops-slack, pager");
    require_diag(run.diags,
                 path + ":13:11: error: notifier 'broken': expected a map of keys, got '5'");
    CHECK(run.diags.error_count() == 7);
}

TEST_CASE("route match_re refuses an invalid regular expression", "[loader][config]") {
    // match_re goes through the same compile as the matchers.
    TempDir dir;
    dir.write("rules.yaml", "policies:\n  p: { steps: [ { notify: [n] } ] }\n");
    const auto path = dir.write("tocsin.yaml", R"(state_dir: /s
rule_files: [rules.yaml]
notifiers:
  n: { plugin: log }
routes:
  - match_re: { team: "x{2,1}" }
    policy: p
default_policy: p
)");
    Run run;
    load(path, run);
    CHECK_FALSE(run.loaded.has_value());
    require_diag(run.diags,
                 path +
                     ":6:23: error: route #1 > match_re > team: 'x{2,1}' is not a valid regular "
                     "expression: an invalid repetition count in {...} at offset 4");
}

TEST_CASE("route problems name the route", "[loader][config]") {
    TempDir dir;
    dir.write("rules.yaml", "policies:\n  p: { steps: [ { notify: [n] } ] }\n");
    const auto path = dir.write("tocsin.yaml", R"(state_dir: /s
rule_files: [rules.yaml]
notifiers:
  n: { plugin: log }
routes:
  - match: { team: growth }
  - match_re: { team: "(" }
    policy: p
    matches: {}
  - policy: nope
default_policy: q
)");
    Run run;
    load(path, run);
    CHECK_FALSE(run.loaded.has_value());
    require_diag(run.diags,
                 path +
                     ":6:5: error: route #1: missing required key 'policy'; name the policy for "
                     "matching alerts");
    require_diag(
        run.diags,
        path + ":7:23: error: route #2 > match_re > team: '(' is not a valid regular expression");
    require_diag(
        run.diags,
        path +
            ":9:5: error: route #2: unknown key 'matches' (did you mean 'match'?); allowed: match, "
            "match_re, policy");
    require_diag(
        run.diags,
        path + ":10:13: error: route #3 > policy: unknown policy 'nope'; defined policies: p");
    require_diag(
        run.diags,
        path +
            ":11:17: error: default_policy: unknown policy 'q' (did you mean 'p'?); defined "
            "policies: p");
    CHECK(run.diags.error_count() == 5);
}

TEST_CASE("rule file patterns: a missing file is an error, an empty glob a warning",
          "[loader][config]") {
    TempDir dir;
    dir.write("rules.d/a.yaml", "");
    const auto path = dir.write("tocsin.yaml", R"(state_dir: /s
rule_files:
  - rules.d/*.yaml
  - missing.yaml
  - none.d/*.yaml
  - rules.d/a.yaml
)");
    Run run;
    load(path, run);
    CHECK_FALSE(run.loaded.has_value());
    const std::string base = dir.path().string();
    require_diag(run.diags,
                 path + ":4:5: error: rule_files: rule file '" + base +
                     "/missing.yaml' does not exist; fix the path or remove it from rule_files");
    require_diag(
        run.diags,
        path + ":5:5: warning: rule_files: pattern '" + base + "/none.d/*.yaml' matches no file");
    CHECK(run.diags.error_count() == 1);
    CHECK(run.diags.warning_count() == 1);
}

TEST_CASE("warnings alone still give a config", "[loader][config]") {
    TempDir dir;
    const auto path = dir.write("tocsin.yaml", "state_dir: /s\nrule_files: [none/*.yaml]\n");
    Run run;
    load(path, run);
    CHECK(run.loaded.has_value());
    CHECK(run.diags.warning_count() == 1);
}

TEST_CASE("env and file references expand and are marked secret", "[loader][config][secrets]") {
    TempDir dir;
    dir.write("token", "s3cr3t-file\r\n");
    const auto path = dir.write("tocsin.yaml", R"(state_dir: /s
notifiers:
  hook:
    plugin: webhook
    headers: { Authorization: "Bearer ${env:TOKEN}" }
    bearer_token: ${file:token}
    url: "https://example.com/$${not-expanded}"
)");
    Run run;
    load(path, run, fake_env({{"TOKEN", "abc123"}}));
    INFO(run.diags.render());
    REQUIRE(run.loaded.has_value());
    const auto& hook = run.loaded->config.notifiers.at(0);
    const RawEntry* headers = setting(hook, "headers");
    REQUIRE(headers != nullptr);
    REQUIRE(headers->value.kind == RawValue::Kind::Map);
    CHECK(headers->value.entries.at(0).key == "Authorization");
    CHECK(headers->value.entries.at(0).value.scalar == "Bearer abc123");
    CHECK(headers->value.entries.at(0).value.secret);
    CHECK(setting(hook, "bearer_token")->value.scalar == "s3cr3t-file");
    CHECK_FALSE(setting(hook, "bearer_token")->value.quoted);
    CHECK(setting(hook, "url")->value.scalar == "https://example.com/${not-expanded}");
    CHECK_FALSE(setting(hook, "url")->value.secret);
}

TEST_CASE("bad env and file references are errors at their position", "[loader][config][secrets]") {
    TempDir dir;
    const auto path = dir.write("tocsin.yaml", R"(state_dir: /s
notifiers:
  hook:
    plugin: webhook
    url: "https://x/${env:MISSING_VAR}"
    bearer_token: ${file:/nonexistent/secret}
    hmac_secret: ${vault:x}
    other: "${env:UNCLOSED"
)");
    Run run;
    load(path, run);
    CHECK_FALSE(run.loaded.has_value());
    require_diag(
        run.diags,
        path +
            ":5:21: error: notifier 'hook' > url: environment variable 'MISSING_VAR' is not set; "
            "set it before starting tocsin");
    require_diag(run.diags,
                 path +
                     ":6:19: error: notifier 'hook' > bearer_token: cannot read secret file "
                     "'/nonexistent/secret': No such file or directory");
    require_diag(
        run.diags,
        path +
            ":7:18: error: notifier 'hook' > hmac_secret: unknown reference '${vault:x}'; write "
            "${env:NAME} or ${file:PATH}");
    require_diag(
        run.diags,
        path +
            ":8:13: error: notifier 'hook' > other: '${' is not closed; write ${env:NAME} or "
            "${file:PATH}");
    CHECK(run.diags.error_count() == 4);
}

TEST_CASE("secret values never appear in diagnostics", "[loader][config][secrets]") {
    TempDir dir;
    const std::string secret = "xoxb-PLANTED-SECRET-42";
    dir.write("secret.txt", secret + "\n");
    const auto path = dir.write("tocsin.yaml", R"(state_dir: /s
retention: ${env:PLANTED}
api: { listen: "${env:PLANTED}" }
sources:
  db: { plugin: sqlite, timeout: "${env:PLANTED}", every: "${file:secret.txt}" }
notifiers:
  n: { plugin: slack, webhook_url: "${env:PLANTED}", fallback: "${env:PLANTED}", timeout: "${env:PLANTED}" }
)");
    Run run;
    load(path, run, fake_env({{"PLANTED", secret}}));
    CHECK_FALSE(run.loaded.has_value());
    CHECK(run.diags.error_count() >= 5);
    require_diag(
        run.diags,
        path + ":2:12: error: retention: '${env:PLANTED}' is not a duration; use e.g. 30s or 2m");
    require_diag(
        run.diags,
        path + ":5:59: error: source 'db' > every: '${file:secret.txt}' is not a duration");
    const std::string text = run.diags.render();
    const std::string json = run.diags.render_json();
    CHECK(text.find("PLANTED-SECRET") == std::string::npos);
    CHECK(json.find("PLANTED-SECRET") == std::string::npos);
    for (const auto& d : run.diags.all()) {
        CHECK(d.message.find("PLANTED-SECRET") == std::string::npos);
        CHECK(d.path.find("PLANTED-SECRET") == std::string::npos);
    }
}

TEST_CASE("cross check finds names that do not exist", "[loader][config]") {
    TempDir dir;
    const auto rules = dir.write("rules.yaml", R"(kpis:
  signups: { source: app_dbb }
rules:
  - alert: SignupsLow
    kpi: signups
    below: { warning: 10 }
    policy: growth-oncal
  - alert: Orphan
    kpi: signups
    above: { warning: 100 }
policies:
  growth-oncall:
    steps:
      - notify: [growth-slak, ops]
)");
    const auto path = dir.write("tocsin.yaml", R"(state_dir: /s
rule_files: [rules.yaml]
sources:
  app_db: { plugin: sqlite }
notifiers:
  growth-slack: { plugin: slack }
  ops: { plugin: log }
)");
    Run run;
    load(path, run);
    CHECK_FALSE(run.loaded.has_value());
    require_diag(run.diags,
                 rules +
                     ":2:22: error: kpi 'signups' > source: unknown source 'app_dbb' (did you mean "
                     "'app_db'?); configured sources: app_db");
    require_diag(
        run.diags,
        rules +
            ":7:13: error: rule 'SignupsLow' > policy: unknown policy 'growth-oncal' (did you "
            "mean 'growth-oncall'?); defined policies: growth-oncall");
    require_diag(
        run.diags,
        rules +
            ":8:12: warning: rule 'Orphan': no policy applies, so its alerts notify nobody; set "
            "policy: on the rule, or default_policy or routes in " +
            path);
    require_diag(run.diags,
                 rules +
                     ":14:18: error: policy 'growth-oncall' > step 1 > notify: unknown notifier "
                     "'growth-slak' (did you mean 'growth-slack'?); configured notifiers: "
                     "growth-slack, ops");
    CHECK(run.diags.error_count() == 3);
    CHECK(run.diags.warning_count() == 1);
}

TEST_CASE("check warns about routes that never match and alerts no route reaches",
          "[loader][config]") {
    TempDir dir;
    const auto rules = dir.write("rules.yaml", R"(kpis:
  signups: { source: app_db }
rules:
  - alert: SignupsLow
    kpi: signups
    below: { warning: 10 }
    labels: { team: ops }
  - alert: SignupsHigh
    kpi: signups
    above: { warning: 100 }
    labels: { team: growth }
policies:
  growth:
    steps: [{ notify: [ops] }]
)");
    const auto path = dir.write("tocsin.yaml", R"(state_dir: /s
rule_files: [rules.yaml]
sources:
  app_db: { plugin: sqlite }
notifiers:
  ops: { plugin: log }
routes:
  - match: { team: growth }
    continue: true
    policy: growth
  - match: ["team=growth", "team!=growth"]
    policy: growth
  - match: { team: growth, severity: page }
    policy: growth
  - match: {}
    policy: growth
  - match: { region: eu }
    policy: growth
)");
    Run run;
    load(path, run);
    CHECK(run.loaded.has_value());
    require_diag(run.diags,
                 path +
                     ":11:5: warning: route #2: this route can never match: team=\"growth\" and "
                     "team!=\"growth\" cannot both hold");
    require_diag(run.diags,
                 path +
                     ":17:5: warning: route #5: this route can never match: route #4 above "
                     "matches every alert and has no continue: true");
    CHECK(run.diags.warning_count() == 2);

    // Without the catch-all, SignupsLow (team: ops) has no route: only team=growth ones, one on
    // an impossible severity, and one on a series label that might exist.
    const auto narrow = dir.write("narrow.yaml", R"(state_dir: /s
rule_files: [rules.yaml]
sources:
  app_db: { plugin: sqlite }
notifiers:
  ops: { plugin: log }
routes:
  - match: { team: growth }
    policy: growth
  - match: { team: ops, severity: page }
    policy: growth
)");
    Run narrow_run;
    load(narrow, narrow_run);
    require_diag(
        narrow_run.diags,
        rules +
            ":4:12: warning: rule 'SignupsLow': no route can match its alerts and there is "
            "no default_policy, so they notify nobody; add a route, a default_policy or "
            "policy: on the rule");
    CHECK(narrow_run.diags.warning_count() == 1);
}

TEST_CASE("one check reports mistakes of every kind across files", "[loader][config]") {
    TempDir dir;
    const auto broken =
        dir.write("rules.d/broken.yaml", "rules:\n  - alert: X\n     kpi: [unclosed\n");
    const auto good = dir.write("rules.d/good.yaml", R"(kpis:
  revenue:
    source: billing
    target: lots
rules:
  - alert: RevenueLow
    kpi: revenue
    below: { warning: 100 }
    for: soon
)");
    const auto path = dir.write("tocsin.yaml", R"(state_dir: /var/lib/tocsin
rule_files: [rules.d/*.yaml]
sources:
  app_db: { plugin: sqlite }
notifiers:
  ops: { plugin: log }
defualt_policy: ops
)");
    Run run;
    load(path, run);
    CHECK_FALSE(run.loaded.has_value());
    INFO(run.diags.render());
    // bad YAML in one rule file
    bool syntax = false;
    for (const auto& d : run.diags.all()) {
        syntax = syntax || (d.loc.file == broken && d.message.rfind("invalid YAML", 0) == 0 &&
                            d.loc.line >= 2);
    }
    CHECK(syntax);
    // unknown key with did-you-mean
    require_diag(
        run.diags,
        path + ":7:1: error: unknown key 'defualt_policy' (did you mean 'default_policy'?)");
    // wrong type
    require_diag(run.diags,
                 good + ":4:13: error: kpi 'revenue' > target: expected a number, got 'lots'");
    // bad duration
    require_diag(
        run.diags,
        good +
            ":9:10: error: rule 'RevenueLow' > for: 'soon' is not a duration; use e.g. 30s or 2m");
    // unknown source
    require_diag(
        run.diags,
        good +
            ":3:13: error: kpi 'revenue' > source: unknown source 'billing'; configured sources: "
            "app_db");
    CHECK(run.diags.error_count() == 5);
    const std::string rendered = run.diags.render();
    CHECK(rendered.find("tocsin: 5 errors, 1 warning; configuration not applied. Fix them, then "
                        "run 'tocsin check'.") != std::string::npos);
}

TEST_CASE("process env reads the real environment", "[loader][config]") {
    const EnvLookup env = process_env();
    CHECK(env("PATH").has_value());
    CHECK_FALSE(env("TOCSIN_SURELY_UNSET_VARIABLE_1234").has_value());
}

TEST_CASE("odd shapes in the config are reported", "[loader][config]") {
    TempDir dir;
    const auto path = dir.write("tocsin.yaml", R"(state_dir: /s
retention: 0s
routes: { policy: p }
notifiers:
  a: { plugin: log }
  b: { plugin: log, fallback: "${env:FALLBACK}" }
)");
    Run run;
    load(path, run, fake_env({{"FALLBACK", "a"}}));
    require_diag(run.diags, path + ":2:12: error: retention: must be longer than 0s");
    require_diag(run.diags, path + ":3:9: error: routes: expected a list of routes, got a map");
    require_diag(
        run.diags,
        path +
            ":6:31: error: notifier 'b' > fallback: name the fallback notifier directly, not "
            "through ${env:...} or ${file:...}");
    CHECK(run.diags.error_count() == 3);
}
