// Operating tocsin: GET /metrics (checked with promtool, counters moving as alerts fire and
// notifications go out), GET /api/v1/rules with Lua errors, and refused reloads made visible.
#include "api_fixture.hpp"
#include "support/http_server.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <exposition.hpp>
#include <fstream>
#include <sstream>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;

/// The webhook receiver `hook`, made before the installation that points at it.
struct Receiver {
    HttpServer hook;
};

class OpsInstallation : public Receiver, public ApiInstallation {
public:
    OpsInstallation()
        : ApiInstallation("  hook: { plugin: webhook, url: \"" + hook.url("/hook") +
                              "\", timeout: 2s, rate_limit: off }\n",
                          "[hook]") {}

    /// GET /metrics, parsed; the test fails when it does not parse.
    [[nodiscard]] exposition::Exposition metrics(std::string* text = nullptr) const {
        const auto answer = call("GET", "/metrics", {}, "", "");
        INFO(answer.body);
        REQUIRE(answer.status == 200);
        CHECK(answer.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
        exposition::Exposition out;
        REQUIRE_FALSE(exposition::parse(answer.body, out));
        if (text != nullptr) {
            *text = answer.body;
        }
        return out;
    }

    /// One series' value; -1 when the series is missing.
    [[nodiscard]] double metric(const std::string& name,
                                const exposition::Labels& labels = {}) const {
        for (const auto& s : metrics().series) {
            if (s.name == name && s.labels == labels) {
                return s.value;
            }
        }
        return -1;
    }

    /// `promtool check metrics` on the text: exit status 0 and nothing to complain about.
    void promtool_check(const std::string& text) const {
        const auto file = dir.write("metrics.txt", text);
        const auto result =
            run_command({"/bin/sh", "-c", "promtool check metrics < '" + file + "'"}, 30s);
        INFO("promtool (Debian package prometheus, installed by scripts/setup.sh): " << result.out
                                                                                     << result.err);
        CHECK(result.exit_code == 0);
        CHECK(result.out.empty());
        CHECK(result.err.empty());
    }
};

const exposition::Labels kFiringCritical{{"state", "firing"}, {"severity", "critical"}};

exposition::Labels hook_result(const std::string& result) {
    return {{"notifier", "hook"}, {"result", result}};
}

}  // namespace

TEST_CASE("/metrics passes promtool and its counters move as an alert fires and is sent",
          "[integration][metrics][concurrency]") {
    OpsInstallation inst;
    inst.start();
    std::string text;
    const auto families = inst.metrics(&text).families;
    inst.promtool_check(text);
    for (const char* name : {"tocsin_build_info",
                             "tocsin_start_time_seconds",
                             "tocsin_rule_evaluations_total",
                             "tocsin_engine_step_duration_seconds",
                             "tocsin_alerts",
                             "tocsin_notifications_total",
                             "tocsin_outbox_depth",
                             "tocsin_outbox_oldest_age_seconds",
                             "tocsin_source_collections_total",
                             "tocsin_source_errors_total",
                             "tocsin_lua_budget_hits_total",
                             "tocsin_rule_errors_total",
                             "tocsin_reloads_total",
                             "tocsin_samples_ingested_total"}) {
        INFO(name);
        CHECK(std::any_of(
            families.begin(), families.end(), [&](const auto& f) { return f.name == name; }));
    }
    CHECK(inst.metric("tocsin_alerts", kFiringCritical) == 0);
    CHECK(inst.metric("tocsin_notifications_total", hook_result("sent")) == 0);
    const double ingested = inst.metric("tocsin_samples_ingested_total");
    const double evaluations = inst.metric("tocsin_rule_evaluations_total");
    const double steps = inst.metric("tocsin_engine_step_duration_seconds_count");

    inst.push(R"({"kpi":"queue_depth","value":500})");
    REQUIRE(inst.hook.wait_for_requests(1, 10s));
    REQUIRE(eventually(
        [&] { return inst.metric("tocsin_notifications_total", hook_result("sent")) == 1; }, 10s));
    CHECK(inst.metric("tocsin_alerts", kFiringCritical) == 1);
    CHECK(inst.metric("tocsin_samples_ingested_total") == ingested + 1);
    CHECK(inst.metric("tocsin_rule_evaluations_total") == evaluations + 1);
    CHECK(inst.metric("tocsin_engine_step_duration_seconds_count") > steps);
    CHECK(inst.metric("tocsin_notifications_total", hook_result("failed")) == 0);

    // The resolve meets a failing receiver once: counted failed and retried, then sent.
    inst.hook.enqueue(HttpResponse{503, {}, "busy"});
    inst.push(R"({"kpi":"queue_depth","value":5})");
    REQUIRE(inst.hook.wait_for_requests(3, 15s));
    REQUIRE(eventually(
        [&] { return inst.metric("tocsin_notifications_total", hook_result("sent")) == 2; }, 10s));
    CHECK(inst.metric("tocsin_notifications_total", hook_result("failed")) == 1);
    CHECK(inst.metric("tocsin_notifications_total", hook_result("retried")) == 1);
    CHECK(inst.metric("tocsin_notifications_total", hook_result("dead")) == 0);
    CHECK(inst.metric("tocsin_alerts", kFiringCritical) == 0);
    CHECK(inst.metric("tocsin_outbox_depth") == 0);
    (void)inst.metrics(&text);
    inst.promtool_check(text);
}

TEST_CASE("/api/v1/rules lists every rule with its kind, place, policy, state and Lua error",
          "[integration][rules]") {
    OpsInstallation inst;
    inst.dir.write("rules.yaml",
                   "kpis:\n"
                   "  queue_depth: { source: pushed }\n"
                   "rules:\n"
                   "  - alert: QueueDeep\n"
                   "    kpi: queue_depth\n"
                   "    above: { critical: 100 }\n"
                   "  - alert: QueueOdd\n"
                   "    kpi: queue_depth\n"
                   "    labels: { team: queues }\n"
                   "    lua: |\n"
                   "      if value > 1 then\n"
                   "        return value.size > 3\n"
                   "      end\n"
                   "policies:\n"
                   "  page:\n"
                   "    steps:\n"
                   "      - notify: [hook]\n");
    inst.start();
    auto rules = parse_body(inst.call("GET", "/api/v1/rules")).at("rules").as_array();
    REQUIRE(rules.size() == 2);
    CHECK(rules[0].at("last_evaluation").is_null());
    CHECK(rules[1].at("last_error").is_null());

    inst.push(R"({"kpi":"queue_depth","value":500})");
    REQUIRE(eventually(
        [&] {
            rules = parse_body(inst.call("GET", "/api/v1/rules")).at("rules").as_array();
            return !rules[1].at("last_error").is_null() &&
                   rules[0].at("instances").at("firing") == 1;
        },
        10s));
    const auto& deep = rules[0].as_object();
    CHECK(deep.at("name") == "QueueDeep");
    CHECK(deep.at("kpi") == "queue_depth");
    CHECK(deep.at("kind") == "threshold");
    CHECK(deep.at("file") == boost::json::value(inst.dir.file("rules.yaml")));
    CHECK(deep.at("line") == 4);
    CHECK(deep.at("policy") == "page");
    CHECK(deep.at("instances").at("pending") == 0);
    CHECK(deep.at("last_evaluation").is_string());
    CHECK(deep.at("last_error").is_null());

    const auto& odd = rules[1].as_object();
    CHECK(odd.at("name") == "QueueOdd");
    CHECK(odd.at("kind") == "lua");
    CHECK(odd.at("labels").at("team") == "queues");
    const auto& error = odd.at("last_error").as_object();
    CHECK(error.at("where") == boost::json::value(inst.dir.file("rules.yaml") + ":12:9"));
    CHECK_THAT(std::string(error.at("message").as_string()), Catch::Contains("index a number"));
    CHECK(error.at("active") == true);
    CHECK(error.at("limit") == false);

    const auto status = parse_body(inst.call("GET", "/api/v1/status"));
    REQUIRE(status.at("rule_errors").as_array().size() == 1);
    CHECK(status.at("rule_errors").as_array()[0].at("rule") == "QueueOdd");
    CHECK(inst.metric("tocsin_rule_errors_total", {{"rule", "QueueOdd"}}) == 1);
    CHECK(inst.metric("tocsin_lua_budget_hits_total") == 0);
}

TEST_CASE("a refused reload shows in the log, the status and the metrics",
          "[integration][reload][metrics]") {
    OpsInstallation inst;
    inst.start();
    CHECK(inst.metric("tocsin_reloads_total", {{"result", "refused"}}) == 0);
    CHECK(parse_body(inst.call("GET", "/api/v1/status"))
              .at("config")
              .at("last_refused_reload")
              .is_null());

    inst.dir.write("rules.yaml", "kpis:\n  queue_depth: { source: nowhere }\n");
    CHECK(inst.call("POST", "/api/v1/reload", "{}").status == 422);
    CHECK_THAT(inst.daemon->log(), Catch::Contains("reload refused"));
    const auto status = parse_body(inst.call("GET", "/api/v1/status"));
    const auto& refused = status.at("config").at("last_refused_reload");
    REQUIRE(refused.is_object());
    CHECK(refused.at("errors").as_int64() >= 1);
    CHECK_THAT(boost::json::serialize(refused.at("diagnostics")), Catch::Contains("nowhere"));
    CHECK(inst.metric("tocsin_reloads_total", {{"result", "refused"}}) == 1);
    CHECK(inst.metric("tocsin_last_reload_successful") == 0);

    inst.write_rules("[hook]");
    CHECK(inst.call("POST", "/api/v1/reload", "{}").status == 200);
    CHECK(inst.metric("tocsin_reloads_total", {{"result", "ok"}}) == 1);
    CHECK(inst.metric("tocsin_last_reload_successful") == 1);
    // The last refused one stays on record after a good reload.
    CHECK(parse_body(inst.call("GET", "/api/v1/status"))
              .at("config")
              .at("last_refused_reload")
              .is_object());
}

TEST_CASE("with reload: {watch: true} a changed rule file is reloaded, and a broken one refused",
          "[integration][reload][watch][concurrency]") {
    OpsInstallation inst;
    {
        std::ifstream in(inst.config);
        std::stringstream text;
        text << in.rdbuf();
        inst.dir.write("tocsin.yaml",
                       text.str() + "reload: { watch: true, watch_interval: 100ms }\n");
    }
    inst.start();
    const auto rule_count = [&] {
        return parse_body(inst.call("GET", "/api/v1/rules")).at("rules").as_array().size();
    };
    REQUIRE(rule_count() == 1);

    inst.write_rules("[hook]",
                     "",
                     "rules_more: true\n");  // not a valid key: refused, the old rules stay
    REQUIRE(eventually(
        [&] {
            return inst.metric("tocsin_reloads_total", {{"result", "refused"}}) == 1;
        },
        10s));
    CHECK_THAT(inst.daemon->log(),
               Catch::Contains("configuration files changed; reloading") &&
                   Catch::Contains("reload refused"));
    CHECK(rule_count() == 1);

    inst.dir.write("rules.yaml",
                   "kpis:\n"
                   "  queue_depth: { source: pushed }\n"
                   "rules:\n"
                   "  - alert: QueueDeep\n"
                   "    kpi: queue_depth\n"
                   "    above: { critical: 100 }\n"
                   "  - alert: QueueShallow\n"
                   "    kpi: queue_depth\n"
                   "    below: { warning: 1 }\n"
                   "policies:\n"
                   "  page:\n"
                   "    steps:\n"
                   "      - notify: [hook]\n");
    REQUIRE(eventually([&] { return rule_count() == 2; }, 10s));
    CHECK(inst.metric("tocsin_reloads_total", {{"result", "ok"}}) == 1);
    CHECK(inst.metric("tocsin_last_reload_successful") == 1);
}

}  // namespace tocsin::testing
