#include "api_fixture.hpp"

#include "sqlite_util.hpp"

#include <catch2/catch.hpp>

#include <regex>

namespace tocsin::testing {
using namespace std::chrono_literals;

std::string webhook_notifier(const std::string& name,
                             const std::string& url,
                             const std::string& timeout) {
    return "  " + name + ": { plugin: webhook, url: \"" + url + "\", timeout: " + timeout +
           ", rate_limit: off }\n";
}

ApiInstallation::ApiInstallation(const std::string& notifiers,
                                 const std::string& notify,
                                 const std::string& extra_sources) {
    dir.write("token", std::string(kApiToken) + "\n");
    config = dir.write("tocsin.yaml",
                       "state_dir: state\n"
                       "plugin_dirs: [" +
                           plugin_dir() +
                           "]\n"
                           "rule_files: [rules.yaml]\n"
                           "api: { listen: 127.0.0.1:0, token_file: token }\n"
                           "sources:\n"
                           "  pushed: { plugin: push }\n" +
                           extra_sources + "notifiers:\n" + notifiers + "default_policy: page\n");
    write_rules(notify);
}

void ApiInstallation::write_rules(const std::string& notify,
                                  const std::string& extra_kpis,
                                  const std::string& later_steps,
                                  const std::string& policy_keys,
                                  const std::string& extra_rules) {
    dir.write("rules.yaml",
              "kpis:\n"
              "  queue_depth: { source: pushed }\n" +
                  extra_kpis +
                  "rules:\n"
                  "  - alert: QueueDeep\n"
                  "    kpi: queue_depth\n"
                  "    above: { critical: 100 }\n"
                  "    summary: \"queue at {{ value }}\"\n" +
                  extra_rules +
                  "policies:\n"
                  "  page:\n" +
                  policy_keys +
                  "    steps:\n"
                  "      - notify: " +
                  notify + "\n" + later_steps);
}

PolledInstallation::PolledInstallation(const std::string& extra_rules)
    : ApiInstallation(webhook_notifier("hook", hook.url("/hook")),
                      "[hook]",
                      "  app: { plugin: sqlite, path: " + app_dir.file("app.db") + " }\n") {
    sql_exec(app_db(),
             "CREATE TABLE kpi (name TEXT PRIMARY KEY, value REAL);"
             "INSERT INTO kpi VALUES ('signups', 12);");
    write_rules("[hook]",
                "  signups:\n"
                "    source: app\n"
                "    query: SELECT value FROM kpi WHERE name = 'signups'\n"
                "    every: 100ms\n",
                "",
                "",
                extra_rules);
}

void ApiInstallation::start() {
    daemon.reset();
    daemon = std::make_unique<DaemonProcess>(
        tocsin_binary(),
        std::vector<std::string>{"run", "-c", config, "--log-level", "debug"},
        dir.file("daemon-" + std::to_string(++starts) + ".log"));
    const bool ready = daemon->wait_ready(30s);
    INFO(daemon->log());
    REQUIRE(ready);
    std::smatch m;
    const auto log = daemon->log();
    REQUIRE(std::regex_search(log, m, std::regex("listening on (http://127\\.0\\.0\\.1:[0-9]+)")));
    base = m[1];
}

HttpAnswer ApiInstallation::call(const std::string& method,
                                 const std::string& path,
                                 const std::string& body,
                                 const std::string& content_type,
                                 const std::string& token) const {
    std::vector<std::string> headers{"Content-Type: " + content_type};
    if (!token.empty()) {
        headers.push_back("Authorization: Bearer " + token);
    }
    return http_request(method, base + path, headers, body);
}

void ApiInstallation::push(const std::string& samples) const {
    const auto answer = call("POST", "/api/v1/samples", "[" + samples + "]");
    INFO(answer.body);
    REQUIRE(answer.status == 200);
}

boost::json::array ApiInstallation::outbox(const std::string& state) const {
    const auto answer = call("GET", "/api/v1/notifications?limit=1000&state=" + state);
    if (answer.status != 200) {
        return {};
    }
    return boost::json::parse(answer.body).at("notifications").as_array();
}

CommandResult ApiInstallation::cli(std::vector<std::string> args) const {
    args.insert(args.begin(), tocsin_binary());
    args.insert(args.end(), {"-c", config, "--url", base});
    return run_command(args, 30s);
}

boost::json::object parse_body(const HttpAnswer& answer) {
    INFO(answer.status << " " << answer.body);
    return boost::json::parse(answer.body).as_object();
}

}  // namespace tocsin::testing
