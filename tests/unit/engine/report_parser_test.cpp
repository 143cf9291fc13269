#include "engine/loader.hpp"
#include "loader_fixture.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace tocsin::engine;
using tocsin::engine::testing::fake_env;
using tocsin::engine::testing::require_diag;
using tocsin::testing::TempDir;

namespace {

constexpr const char* kKpis = R"(kpis:
  activation_rate:
    source: app_db
    unit: percent
    target: 0.40
  ltv_cac:
    source: app_db
)";

struct Loaded {
    std::optional<RuleSet> set;
    Diagnostics diags;
};

std::string load_rules(const TempDir& dir, const std::string& reports, Loaded& out) {
    const std::string path = dir.write("r.yaml", std::string(kKpis) + reports);
    out.set = load_rule_files({path}, out.diags);
    return path;
}

struct ConfigRun {
    std::optional<LoadedConfig> loaded;
    Diagnostics diags;
    std::string rules;
};

/// A tocsin.yaml with notifiers growth-slack (slack) and pager (pagerduty) and one rule file.
void load_with_config(const TempDir& dir, const std::string& reports, ConfigRun& out) {
    out.rules = dir.write("rules.yaml", std::string(kKpis) + reports);
    const auto path = dir.write("tocsin.yaml", R"(state_dir: state
rule_files: [rules.yaml]
timezone: Europe/Berlin
sources:
  app_db: { plugin: sqlite, path: app.db }
notifiers:
  growth-slack: { plugin: slack, webhook_url: "https://hooks.example.com/x" }
  leads-email: { plugin: email, to: [lead@example.com] }
  pager: { plugin: pagerduty, routing_key: abc }
)");
    out.loaded = load_config(path, out.diags, fake_env({}));
}

}  // namespace

TEST_CASE("a report loads with every key", "[report][loader]") {
    TempDir dir;
    Loaded l;
    load_rules(dir,
               R"(reports:
  growth-daily:
    schedule: "0 9 * * mon-fri"
    timezone: Europe/Berlin
    kpis: [activation_rate, ltv_cac]
    notify: [growth-slack, leads-email]
    title: "Growth KPIs"
  weekly:
    schedule: "@weekly"
    kpis: ltv_cac
    notify: growth-slack
)",
               l);
    INFO(l.diags.render());
    REQUIRE(l.set.has_value());
    REQUIRE(l.set->reports.size() == 2);
    const ReportDef& daily = l.set->reports[0];
    CHECK(daily.name == "growth-daily");
    CHECK(daily.schedule.text == "0 9 * * mon-fri");
    CHECK(daily.timezone == "Europe/Berlin");
    CHECK(daily.kpis == std::vector<std::string>{"activation_rate", "ltv_cac"});
    CHECK(daily.notify == std::vector<std::string>{"growth-slack", "leads-email"});
    CHECK(daily.shown_title() == "Growth KPIs");
    CHECK(daily.loc.line == 9);
    const ReportDef* weekly = l.set->find_report("weekly");
    REQUIRE(weekly != nullptr);
    CHECK(weekly->timezone.empty());  // the config's timezone applies
    CHECK(weekly->kpis == std::vector<std::string>{"ltv_cac"});
    CHECK(weekly->shown_title() == "weekly");
}

TEST_CASE("report mistakes are reported at their position", "[report][loader]") {
    TempDir dir;
    Loaded l;
    const auto path = load_rules(dir,
                                 R"(reports:
  daily:
    schedule: "0 25 * * *"
    timezone: Europe/Berlinn
    kpis: [activation_rat, activation_rate, activation_rate]
    notify: []
    titel: x
  empty: {}
)",
                                 l);
    CHECK_FALSE(l.set.has_value());
    require_diag(l.diags, path + ":10:15: error: report 'daily' > schedule: ");
    require_diag(l.diags,
                 path +
                     ":11:15: error: report 'daily' > timezone: unknown time zone 'Europe/Berlinn' "
                     "(did you mean 'Europe/Berlin'?)");
    require_diag(l.diags,
                 path +
                     ":12:45: error: report 'daily' > kpis: 'activation_rate' is listed twice; "
                     "name each KPI once");
    require_diag(l.diags,
                 path +
                     ":12:12: error: report 'daily' > kpis: unknown kpi 'activation_rat' (did you "
                     "mean 'activation_rate'?); defined kpis: activation_rate, ltv_cac");
    require_diag(l.diags,
                 path +
                     ":13:13: error: report 'daily' > notify: the list is empty; name at least one "
                     "notifier");
    require_diag(
        l.diags,
        path + ":14:5: error: report 'daily': unknown key 'titel' (did you mean 'title'?)");
    require_diag(l.diags,
                 path +
                     ":15:3: error: report 'empty': missing required key 'schedule'; add a cron "
                     "schedule such as \"0 9 * * mon-fri\" or @daily");
    require_diag(l.diags,
                 path +
                     ":15:3: error: report 'empty': missing required key 'kpis'; list the KPIs "
                     "to report");
    require_diag(l.diags,
                 path +
                     ":15:3: error: report 'empty': missing required key 'notify'; list the "
                     "notifiers to send to");
}

TEST_CASE("report names are unique across rule files", "[report][loader]") {
    TempDir dir;
    const auto a =
        dir.write("a.yaml",
                  std::string(kKpis) +
                      "reports:\n  daily: {schedule: \"@daily\", kpis: [ltv_cac], notify: [x]}\n");
    const auto b = dir.write(
        "b.yaml", "reports:\n  daily: {schedule: \"@daily\", kpis: [ltv_cac], notify: [x]}\n");
    Diagnostics diags;
    CHECK_FALSE(load_rule_files({a, b}, diags).has_value());
    require_diag(diags,
                 b +
                     ":2:3: error: report 'daily': duplicate report name 'daily'; first defined "
                     "at " +
                     a + ":9:3");
}

TEST_CASE("report notifiers must be configured and must not page", "[report][loader][config]") {
    TempDir dir;
    ConfigRun c;
    load_with_config(dir,
                     R"(reports:
  daily:
    schedule: "@daily"
    kpis: [ltv_cac]
    notify: [growth-slak, pager, leads-email]
)",
                     c);
    require_diag(c.diags,
                 c.rules +
                     ":12:14: error: report 'daily' > notify: unknown notifier 'growth-slak' (did "
                     "you mean 'growth-slack'?); configured notifiers: growth-slack, "
                     "leads-email, pager");
    require_diag(c.diags,
                 c.rules +
                     ":12:27: error: report 'daily' > notify: notifier 'pager' is a pagerduty "
                     "notifier, which opens incidents; send reports to chat, e-mail, webhook or "
                     "log notifiers instead");
    CHECK(c.diags.error_count() == 2);
}

TEST_CASE("a report to configured notifiers passes the config check", "[report][loader][config]") {
    TempDir dir;
    ConfigRun c;
    load_with_config(dir,
                     R"(reports:
  daily: { schedule: "0 9 * * *", kpis: [activation_rate], notify: [growth-slack] }
)",
                     c);
    INFO(c.diags.render());
    REQUIRE(c.loaded.has_value());
    CHECK_FALSE(c.diags.has_errors());
    REQUIRE(c.loaded->rules.reports.size() == 1);
}
