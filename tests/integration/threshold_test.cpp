// End to end: the real daemon, the real sqlite source reading a real app database, the real
// webhook notifier posting to a loopback receiver; crashes are real SIGKILLs.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <set>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;

std::string str(const boost::json::value& v) {
    return std::string(v.as_string());
}

const boost::json::object& first_alert(const boost::json::object& post) {
    return post.at("alerts").as_array().at(0).as_object();
}

/// Every request's status, severity and idempotency key, for failure messages.
std::string describe(const HttpServer& server) {
    std::string out;
    for (const auto& r : server.requests()) {
        const auto body = boost::json::parse(r.body).as_object();
        const auto& alert = first_alert(body);
        out += str(body.at("status")) + " " + str(alert.at("labels").at("severity")) + " " +
               r.header("Idempotency-Key") + "\n";
    }
    return out;
}

std::set<std::string> idempotency_keys(const HttpServer& server) {
    std::set<std::string> keys;
    for (const auto& r : server.requests()) {
        keys.insert(r.header("Idempotency-Key"));
    }
    return keys;
}

}  // namespace

TEST_CASE(
    "a threshold alert fires, changes severity and resolves once each across kill -9 at every "
    "stage",
    "[integration][durability]") {
    Installation inst;
    auto daemon = inst.start();

    // Stage 1: warning crossed; crash while pending. The `for` timer must continue, not restart.
    inst.set_value(0.25);
    REQUIRE(eventually([&] { return inst.instance_state() == "pending"; }, 10s));
    const long long pending_since = std::stoll(
        sql_value(inst.state_db, "SELECT pending_since_ms FROM alert_instances").value());
    daemon->kill9();
    daemon = inst.start();

    REQUIRE(inst.hook.wait_for_requests(1, 15s));
    {
        const auto post = inst.post(0);
        const auto& alert = first_alert(post);
        CHECK(str(post.at("version")) == "4");
        CHECK(str(post.at("status")) == "firing");
        CHECK(str(alert.at("labels").at("alertname")) == "ActivationRateLow");
        CHECK(str(alert.at("labels").at("severity")) == "warning");
        CHECK(str(alert.at("labels").at("team")) == "growth");
        CHECK(str(alert.at("endsAt")) == "0001-01-01T00:00:00Z");
        const long long starts_at = parse_time_ms(str(alert.at("startsAt")));
        CHECK(starts_at >= pending_since + 2000);         // not before `for` elapsed
        CHECK(starts_at <= pending_since + 2000 + 1500);  // and not restarted by the crash
    }
    REQUIRE(eventually([&] { return inst.outbox_count("delivered") == 1; }, 10s));

    // Stage 2: crash after the firing was delivered; critical crossed after the restart.
    daemon->kill9();
    daemon = inst.start();
    inst.set_value(0.15);
    REQUIRE(inst.hook.wait_for_requests(2, 15s));
    {
        const auto post = inst.post(1);
        CHECK(str(post.at("status")) == "firing");
        CHECK(str(first_alert(post).at("labels").at("severity")) == "critical");
        CHECK(str(first_alert(post).at("fingerprint")) ==
              str(first_alert(inst.post(0)).at("fingerprint")));
    }
    REQUIRE(eventually([&] { return inst.outbox_count("delivered") == 2; }, 10s));

    // Stage 3: crash; back above the warning level but below `recover`: hysteresis keeps it
    // firing, de-escalated to warning (one severity-change POST), not resolved.
    daemon->kill9();
    daemon = inst.start();
    inst.set_value(0.31);
    REQUIRE(inst.hook.wait_for_requests(3, 15s));
    {
        INFO(describe(inst.hook));
        const auto post = inst.post(2);
        CHECK(str(post.at("status")) == "firing");
        CHECK(str(first_alert(post).at("labels").at("severity")) == "warning");
    }
    CHECK(inst.instance_state() == "firing");
    REQUIRE(eventually([&] { return inst.outbox_count("delivered") == 3; }, 10s));

    // Past `recover`: one resolved POST.
    inst.set_value(0.35);
    REQUIRE(inst.hook.wait_for_requests(4, 15s));
    {
        INFO(describe(inst.hook));
        const auto post = inst.post(3);
        CHECK(str(post.at("status")) == "resolved");
        CHECK(str(first_alert(post).at("endsAt")) != "0001-01-01T00:00:00Z");
    }
    REQUIRE(eventually([&] { return inst.outbox_count("delivered") == 4; }, 10s));

    // Stage 4: crash after everything was delivered; the restart must send nothing again.
    daemon->kill9();
    const long before = inst.sample_count();
    daemon = inst.start();
    REQUIRE(eventually([&] { return inst.sample_count() >= before + 5; }, 10s));
    CHECK(inst.outbox_count("pending") == 0);
    INFO(describe(inst.hook));
    CHECK(inst.hook.request_count() == 4);
    CHECK(idempotency_keys(inst.hook).size() == 4);
    CHECK(inst.instance_state().empty());

    daemon->signal(SIGTERM);
    CHECK(daemon->wait_exit(15s) == 0);
}

TEST_CASE("a notification the receiver refused before a crash is delivered once after the restart",
          "[integration][durability]") {
    RuleParams params;
    params.for_duration = "0s";
    Installation inst(params);
    inst.hook.set_default_response(HttpResponse{503, {}, "down for maintenance", {}});
    auto daemon = inst.start();

    inst.set_value(0.25);
    REQUIRE(inst.hook.wait_for_requests(1, 15s));
    REQUIRE(eventually(
        [&] {
            return sql_value(inst.state_db, "SELECT attempts FROM outbox WHERE state = 'pending'")
                       .value_or("0") != "0";
        },
        10s));
    daemon->kill9();

    inst.hook.set_default_response(HttpResponse{200, {}, "", {}});
    const auto refused = inst.hook.request_count();
    daemon = inst.start();
    REQUIRE(inst.hook.wait_for_requests(refused + 1, 20s));
    REQUIRE(eventually([&] { return inst.outbox_count("delivered") == 1; }, 10s));

    // Every attempt, before and after the crash, carried the same idempotency id.
    CHECK(idempotency_keys(inst.hook).size() == 1);
    CHECK(inst.outbox_count("pending") == 0);
    CHECK(inst.outbox_count("failed") == 0);
}

TEST_CASE("a hung source does not delay the KPIs of other sources", "[integration][concurrency]") {
    RuleParams params;
    params.for_duration = "0s";
    Installation inst(params);
    // A second source whose query never ends on its own: it is cut off at its timeout.
    const auto slow_db = inst.dir.file("slow.db");
    sql_exec(slow_db, "CREATE TABLE t (x INT);");
    inst.write_rules_text(
        "kpis:\n"
        "  activation_rate: { source: app, query: \"SELECT value FROM kpi WHERE name = "
        "'activation'\", every: 100ms }\n"
        "  forever: { source: slow, every: 100ms, query: \"WITH RECURSIVE c(x) AS (SELECT 1 UNION "
        "ALL SELECT x + 1 FROM c) "
        "SELECT max(x) AS value FROM c\" }\n"
        "policies:\n"
        "  page: { steps: [ { notify: [hook] } ] }\n"
        "rules:\n"
        "  - alert: ActivationRateLow\n"
        "    kpi: activation_rate\n"
        "    below: { warning: 0.30 }\n");
    inst.write_config("  slow: { plugin: sqlite, path: " + slow_db + ", timeout: 30s }\n");
    auto daemon = inst.start();
    inst.set_value(0.25);
    const auto changed = std::chrono::steady_clock::now();
    REQUIRE(inst.hook.wait_for_requests(1, 10s));
    CHECK(std::chrono::steady_clock::now() - changed < 3s);
    daemon->signal(SIGTERM);
    CHECK(daemon->wait_exit(30s).has_value());
}

}  // namespace tocsin::testing
