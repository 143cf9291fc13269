#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <ctime>

namespace tocsin::testing {
using namespace std::chrono_literals;

namespace {

std::string rules_text(const RuleParams& p) {
    return "kpis:\n"
           "  activation_rate:\n"
           "    source: app\n"
           "    query: SELECT value FROM kpi WHERE name = 'activation'\n"
           "    every: " +
           p.every +
           "\n"
           "    unit: percent\n"
           "    target: 0.40\n"
           "policies:\n"
           "  page:\n"
           "    steps:\n"
           "      - notify: [hook]\n"
           "rules:\n"
           "  - alert: " +
           p.alert +
           "\n"
           "    kpi: activation_rate\n"
           "    below: " +
           p.below +
           "\n"
           "    recover: " +
           p.recover +
           "\n"
           "    for: " +
           p.for_duration +
           "\n"
           "    labels: { team: growth }\n"
           "    summary: \"Activation rate {{ value }} is below {{ threshold }}\"\n";
}

}  // namespace

Installation::Installation(const RuleParams& params) {
    app_db = dir.file("app.db");
    sql_exec(app_db,
             "CREATE TABLE kpi (name TEXT PRIMARY KEY, value REAL);"
             "INSERT INTO kpi VALUES ('activation', 0.40);");
    state_db = dir.file("state/state.db");
    write_rules(params);
    write_config();
}

void Installation::write_config(const std::string& extra_sources) {
    std::string text = "state_dir: state\n";
    text += "plugin_dirs: [" + plugin_dir() + "]\n";
    text += "rule_files: [rules.yaml]\n";
    text += "sources:\n";
    text += "  app: { plugin: sqlite, path: " + app_db + " }\n";
    text += extra_sources;
    text += "notifiers:\n";
    text += "  hook: { plugin: webhook, url: \"" + hook.url("/hook") + "\", timeout: 2s }\n";
    text += "default_policy: page\n";
    config = dir.write("tocsin.yaml", text);
}

void Installation::write_rules(const RuleParams& params) {
    write_rules_text(rules_text(params));
}

void Installation::write_rules_text(const std::string& text) {
    rules = dir.write("rules.yaml", text);
}

void Installation::set_value(double value) {
    sql_exec(app_db,
             "UPDATE kpi SET value = " + std::to_string(value) + " WHERE name = 'activation'");
}

std::unique_ptr<DaemonProcess> Installation::start() {
    auto d = std::make_unique<DaemonProcess>(
        tocsin_binary(),
        std::vector<std::string>{"run", "-c", config, "--log-level", "debug"},
        dir.file("daemon-" + std::to_string(starts++) + ".log"));
    const bool ready = d->wait_ready(30s);
    INFO(d->log());
    REQUIRE(ready);
    return d;
}

boost::json::object Installation::post(std::size_t i) const {
    const auto requests = hook.requests();
    REQUIRE(i < requests.size());
    return boost::json::parse(requests[i].body).as_object();
}

int Installation::outbox_count(const std::string& state) const {
    auto v = sql_value(state_db, "SELECT count(*) FROM outbox WHERE state = '" + state + "'");
    return v ? std::stoi(*v) : 0;
}

std::string Installation::instance_state() const {
    return sql_value(state_db, "SELECT state FROM alert_instances").value_or("");
}

long Installation::sample_count() const {
    auto v = sql_value(state_db, kSampleCountSql);
    return v ? std::stol(*v) : 0;
}

long long parse_time_ms(const std::string& text) {
    std::tm tm{};
    int ms = 0;
    const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    REQUIRE(rest != nullptr);
    if (*rest == '.') {
        ms = std::atoi(rest + 1);
        // "250" -> 250 ms; "25" -> 250 ms; "2" -> 200 ms
        for (std::size_t digits = std::strspn(rest + 1, "0123456789"); digits < 3; ++digits) {
            ms *= 10;
        }
    }
    return static_cast<long long>(timegm(&tm)) * 1000 + ms;
}

}  // namespace tocsin::testing
