// The HTTP API of the running daemon: reads, the token on every mutation, limits, push, reload,
// dead letters, fallback and the source health alert — through real HTTP and the real CLI.
#include "api_fixture.hpp"
#include "sqlite_util.hpp"
#include "support/http_server.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <sha256.hpp>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;

/// A second KPI for pushed Prometheus text, picked by a selector.
const std::string kTemperature = "  temperature: { source: pushed, match: 'temp_c{room=\"a\"}' }\n";

/// The usual webhook receiver `hook`, made before the installation that points at it.
struct Receiver {
    HttpServer hook;
};

/// The shared API installation with `hook` as its notifier (plus `extra_notifiers`).
class HookedInstallation : public Receiver, public ApiInstallation {
public:
    explicit HookedInstallation(const std::string& extra_sources = "",
                                const std::string& extra_notifiers = "")
        : ApiInstallation("  hook: { plugin: webhook, url: \"" + hook.url("/hook") +
                              "\", timeout: 2s }\n" + extra_notifiers,
                          "[hook]",
                          extra_sources) {
        write_rules("[hook]", kTemperature);
    }
};

}  // namespace

TEST_CASE("reads are open, and a mutating call without the token gets 401 and changes nothing",
          "[integration][api]") {
    HookedInstallation inst;
    inst.start();
    CHECK(inst.call("GET", "/healthz", {}, "", "").status == 200);

    const std::string push = R"({"samples":[{"kpi":"queue_depth","value":500}]})";
    for (const std::string token : {"", "wrong-token-of-the-same-size-00"}) {
        const auto refused = inst.call("POST", "/api/v1/samples", push, "application/json", token);
        CHECK(refused.status == 401);
        CHECK(refused.header("www-authenticate") == "Bearer realm=\"tocsin\"");
        CHECK_THAT(parse_body(refused).at("error").as_string().c_str(),
                   Catch::Contains("needs the API token"));
        const auto reload = inst.call("POST", "/api/v1/reload", "{}", "application/json", token);
        CHECK(reload.status == 401);
    }
    CHECK(parse_body(inst.call("GET", "/api/v1/kpis", {}, "", "")).at("kpis").as_array().empty());
    CHECK(
        parse_body(inst.call("GET", "/api/v1/alerts", {}, "", "")).at("alerts").as_array().empty());
    CHECK(inst.hook.request_count() == 0);
    CHECK_THAT(inst.daemon->log(), !Catch::Contains("reloading"));
}

TEST_CASE("bad requests get a 4xx with a JSON error", "[integration][api]") {
    HookedInstallation inst;
    inst.start();
    const auto check = [](const HttpAnswer& a, long status, const std::string& text) {
        INFO(a.body);
        CHECK(a.status == status);
        CHECK(a.header("content-type") == "application/json");
        const auto body = parse_body(a);
        CHECK(body.at("status").as_int64() == status);
        CHECK_THAT(std::string(body.at("error").as_string()), Catch::Contains(text));
    };
    check(inst.call("GET", "/api/v1/nothing"), 404, "no such endpoint");
    check(inst.call("DELETE", "/api/v1/alerts"), 405, "allowed: GET");
    check(inst.call("POST", "/api/v1/samples", "{not json"), 400, "not valid JSON");
    check(inst.call("POST", "/api/v1/samples", "x", "text/csv"), 415, "Content-Type");
    check(inst.call("POST", "/api/v1/samples", std::string(2 * 1024 * 1024, ' ')),
          413,
          "larger than 1048576 bytes");
    check(
        http_request("GET", inst.base + "/api/v1/alerts", {"X-Padding: " + std::string(9000, 'x')}),
        431,
        "headers are larger");
    check(inst.call("GET", "/api/v1/kpis/queue_depth/history?from=yesterday"), 400, "RFC 3339");
    check(inst.call("GET", "/api/v1/kpis/nope/history"), 404, "no KPI named 'nope'");
    check(inst.call("GET", "/api/v1/notifications?state=lost"), 400, "state must be");
    // The daemon is still fine.
    CHECK(inst.call("GET", "/healthz").status == 200);
}

TEST_CASE("pushed samples in JSON and Prometheus text reach their rules and the CLI shows them",
          "[integration][api][push]") {
    HookedInstallation inst;
    inst.start();

    auto pushed = inst.call("POST",
                            "/api/v1/samples",
                            R"({"samples":[{"kpi":"queue_depth","value":150},)"
                            R"({"kpi":"unknown","value":1}]})");
    CHECK(pushed.status == 200);
    auto body = parse_body(pushed);
    CHECK(body.at("accepted").as_int64() == 1);
    REQUIRE(body.at("rejected").as_array().size() == 1);
    CHECK_THAT(std::string(body.at("rejected").as_array()[0].as_string()),
               Catch::Contains("sample 2: no KPI named 'unknown'"));

    REQUIRE(inst.hook.wait_for_requests(1, 10s));
    const auto post = boost::json::parse(inst.hook.requests()[0].body).as_object();
    CHECK(post.at("status") == "firing");
    CHECK(post.at("alerts").as_array()[0].at("labels").at("alertname") == "QueueDeep");

    pushed = inst.call("POST",
                       "/api/v1/samples",
                       "# TYPE temp_c gauge\ntemp_c{room=\"a\"} 21.5\ntemp_c{room=\"b\"} 19\n",
                       "text/plain; version=0.0.4");
    CHECK(pushed.status == 200);
    CHECK(parse_body(pushed).at("accepted").as_int64() == 1);
    const auto kpis = parse_body(inst.call("GET", "/api/v1/kpis")).at("kpis").as_array();
    bool saw_temperature = false;
    for (const auto& k : kpis) {
        if (k.at("kpi") == "temperature") {
            saw_temperature = true;
            CHECK(k.at("labels").at("room") == "a");
            CHECK(k.at("value").to_number<double>() == 21.5);
        }
    }
    CHECK(saw_temperature);

    const auto history = parse_body(inst.call("GET", "/api/v1/kpis/queue_depth/history?from=0"));
    REQUIRE(history.at("points").as_array().size() == 1);
    CHECK(history.at("points").as_array()[0].as_array()[1].to_number<double>() == 150);

    const auto alerts = inst.cli({"alerts"});
    INFO(alerts.err);
    CHECK(alerts.exit_code == 0);
    CHECK_THAT(alerts.out,
               Catch::Contains("QueueDeep") && Catch::Contains("firing") &&
                   Catch::Contains("critical") && Catch::Contains("150"));
    const auto json = inst.cli({"alerts", "--json"});
    CHECK(boost::json::parse(json.out).at("alerts").as_array().size() == 1);
    const auto status = inst.cli({"status"});
    CHECK(status.exit_code == 0);
    CHECK_THAT(status.out, Catch::Contains("alerts: 1 firing") && Catch::Contains("pushed"));
}

TEST_CASE(
    "a reload through the API answers with the validation result, and a refused one keeps the "
    "old rules",
    "[integration][api][reload]") {
    HookedInstallation inst;
    inst.start();
    inst.write_rules("[hook]", kTemperature + "  broken: { source: nowhere }\n");
    auto refused = inst.call("POST", "/api/v1/reload", "{}");
    CHECK(refused.status == 422);
    auto body = parse_body(refused);
    CHECK(body.at("ok") == false);
    REQUIRE(!body.at("diagnostics").as_array().empty());
    const auto& d = body.at("diagnostics").as_array()[0].as_object();
    CHECK_THAT(std::string(d.at("file").as_string()), Catch::EndsWith("rules.yaml"));
    CHECK(d.at("line").as_int64() == 4);

    const auto cli = inst.cli({"reload"});
    CHECK(cli.exit_code == 1);
    CHECK_THAT(cli.err, Catch::Contains("rules.yaml:4:"));
    CHECK_THAT(cli.out, Catch::Contains("reload refused"));
    // The old rules still evaluate.
    CHECK(inst.call("POST", "/api/v1/samples", R"([{"kpi":"queue_depth","value":101}])").status ==
          200);
    REQUIRE(inst.hook.wait_for_requests(1, 10s));
    const auto status = parse_body(inst.call("GET", "/api/v1/status"));
    CHECK(status.at("config").at("last_reload").at("ok") == false);

    inst.write_rules("[hook]", kTemperature);
    CHECK(inst.cli({"reload"}).exit_code == 0);
    CHECK(parse_body(inst.call("GET", "/api/v1/status")).at("config").at("last_reload").at("ok") ==
          true);
}

TEST_CASE("dead letters are listed and put back by hand", "[integration][api][outbox]") {
    HookedInstallation inst;
    inst.hook.enqueue(HttpResponse{400, {}, "no such hook"});
    inst.start();
    CHECK(inst.call("POST", "/api/v1/samples", R"([{"kpi":"queue_depth","value":500}])").status ==
          200);
    REQUIRE(inst.hook.wait_for_requests(1, 10s));
    std::string id;
    REQUIRE(eventually(
        [&] {
            const auto failed = parse_body(inst.call("GET", "/api/v1/notifications?state=failed"));
            const auto& items = failed.at("notifications").as_array();
            if (items.empty()) {
                return false;
            }
            id = std::string(items[0].at("id").as_string());
            return true;
        },
        10s));
    const auto listed = inst.cli({"notifications", "--state", "failed"});
    CHECK_THAT(listed.out, Catch::Contains(id) && Catch::Contains("HTTP 400"));

    const auto retried = inst.cli({"notifications", "--retry", id});
    INFO(retried.err);
    CHECK(retried.exit_code == 0);
    REQUIRE(inst.hook.wait_for_requests(2, 10s));
    CHECK(inst.hook.requests()[1].header("Idempotency-Key") ==
          inst.hook.requests()[0].header("Idempotency-Key"));
    REQUIRE(eventually(
        [&] {
            return parse_body(inst.call("GET", "/api/v1/notifications?state=delivered"))
                       .at("notifications")
                       .as_array()
                       .size() == 1;
        },
        10s));
    CHECK(inst.cli({"notifications", "--retry", "no-such-id"}).exit_code == 1);
}

TEST_CASE(
    "a notifier refused for longer than its threshold hands over to its fallback, and "
    "takes over again once it recovers",
    "[integration][outbox][fallback]") {
    std::uint16_t primary_port = 0;
    {
        HttpServer probe;  // a free port with nobody listening once this closes
        primary_port = probe.port();
    }
    HookedInstallation inst("",
                            "  primary:\n"
                            "    plugin: webhook\n"
                            "    url: http://127.0.0.1:" +
                                std::to_string(primary_port) +
                                "/hook\n"
                                "    timeout: 2s\n"
                                "    fallback: hook\n"
                                "    fallback_attempts: 2\n");
    // Route the alert to the primary only; its fallback is the usual receiver.
    inst.write_rules("[primary]");
    inst.start();
    CHECK(inst.call("POST", "/api/v1/samples", R"([{"kpi":"queue_depth","value":500}])").status ==
          200);
    REQUIRE(inst.hook.wait_for_requests(1, 20s));
    const auto via = boost::json::parse(inst.hook.requests()[0].body).as_object();
    CHECK(via.at("status") == "firing");
    const auto rerouted = parse_body(inst.call("GET", "/api/v1/notifications?state=rerouted"));
    REQUIRE(rerouted.at("notifications").as_array().size() == 1);
    CHECK(rerouted.at("notifications").as_array()[0].at("attempts").as_int64() == 2);

    // The primary comes back on its address; the resolve goes to it, not to the fallback.
    HttpServer primary(primary_port);
    CHECK(inst.call("POST", "/api/v1/samples", R"([{"kpi":"queue_depth","value":5}])").status ==
          200);
    REQUIRE(primary.wait_for_requests(1, 20s));
    CHECK(boost::json::parse(primary.requests()[0].body).at("status") == "resolved");
    CHECK(inst.hook.request_count() == 1);
}

TEST_CASE(
    "a failing source fires TocsinSourceDown naming it and the error, and recovery resolves it",
    "[integration][source]") {
    TempDir app;
    const auto db = app.file("app.db");  // does not exist yet: the sqlite source fails
    HookedInstallation inst("  app: { plugin: sqlite, path: " + db +
                            ", every: 100ms, down_after: 0s }\n");
    inst.write_rules("[hook]", "  signups: { source: app, query: \"SELECT value FROM kpi\" }\n");
    inst.start();
    REQUIRE(inst.hook.wait_for_requests(1, 15s));
    const auto fired = boost::json::parse(inst.hook.requests()[0].body).as_object();
    const auto& alert = fired.at("alerts").as_array()[0].as_object();
    CHECK(alert.at("labels").at("alertname") == "TocsinSourceDown");
    CHECK(alert.at("labels").at("source") == "app");
    CHECK_THAT(std::string(alert.at("annotations").at("description").as_string()),
               Catch::Contains("last error: "));
    const auto status = parse_body(inst.call("GET", "/api/v1/status"));
    bool listed = false;
    for (const auto& s : status.at("sources").as_array()) {
        if (s.at("name") == "app") {
            listed = true;
            CHECK(s.at("up") == false);
            CHECK(s.at("failures").as_int64() >= 1);
        }
    }
    CHECK(listed);

    sql_exec(db, "CREATE TABLE kpi (value REAL); INSERT INTO kpi VALUES (7);");
    REQUIRE(inst.hook.wait_for_requests(2, 20s));
    const auto resolved = boost::json::parse(inst.hook.requests()[1].body).as_object();
    CHECK(resolved.at("status") == "resolved");
    CHECK(resolved.at("alerts").as_array()[0].at("labels").at("alertname") == "TocsinSourceDown");
}

}  // namespace tocsin::testing

namespace tocsin::testing {
namespace {

std::string hex_of(const std::string& bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char c : bytes) {
        out.push_back(kDigits[c >> 4]);
        out.push_back(kDigits[c & 0xf]);
    }
    return out;
}

/// The query parameter `name` of `url`.
std::string query_param(const std::string& url, const std::string& name) {
    std::smatch m;
    REQUIRE(std::regex_search(url, m, std::regex("[?&]" + name + "=([^&]*)")));
    return m[1];
}

}  // namespace

TEST_CASE(
    "alerts are acknowledged through the CLI and through signed links that cannot be "
    "forged, reused for another alert or used after expiry",
    "[integration][api][ack]") {
    TempDir out;  // the log notifier's path is relative to the daemon's working directory
    const auto log_path = out.file("notifications.log");
    HookedInstallation inst("", "  file: { plugin: log, path: " + log_path + " }\n");
    inst.write_rules("[file]", "", "      - after: 1h\n        notify: [hook]\n");
    inst.start();
    const auto no_token =
        inst.call("POST", "/api/v1/alerts/x/ack", R"({"author":"eve"})", "application/json", "");
    CHECK(no_token.status == 401);

    const std::string push = R"([{"kpi":"queue_depth","value":500,"labels":{"q":"a"}},)"
                             R"({"kpi":"queue_depth","value":700,"labels":{"q":"b"}}])";
    REQUIRE(inst.call("POST", "/api/v1/samples", push).status == 200);
    std::vector<boost::json::object> lines;
    const auto read_lines = [&] {
        lines.clear();
        std::ifstream in(log_path);
        for (std::string line; std::getline(in, line);) {
            lines.push_back(boost::json::parse(line).as_object());
        }
        return lines.size();
    };
    REQUIRE(eventually([&] { return read_lines() >= 2; }, 10s));
    std::map<std::string, std::string> link_of;  // label q -> ack_url
    std::map<std::string, std::string> id_of;
    for (const auto& n : lines) {
        const auto& alert = n.at("alerts").as_array()[0].as_object();
        const std::string q(alert.at("labels").at("q").as_string());
        link_of[q] = std::string(alert.at("ack_url").as_string());
        id_of[q] = std::string(alert.at("fingerprint").as_string());
        CHECK_THAT(std::string(n.at("message").at("text").as_string()),
                   Catch::Contains("Acknowledge: " + link_of[q]));
    }
    REQUIRE(link_of.size() == 2);
    const auto& link = link_of["a"];
    CHECK_THAT(link, Catch::StartsWith(inst.base + "/api/v1/alerts/" + id_of["a"] + "/ack?"));

    // Opening the link only shows a confirm page; nothing is acknowledged yet.
    auto page = http_request("GET", link);
    CHECK(page.status == 200);
    CHECK_THAT(page.body, Catch::Contains("Acknowledge QueueDeep") && Catch::Contains("<form"));
    CHECK(parse_body(inst.call("GET", "/api/v1/alerts"))
              .at("alerts")
              .as_array()[0]
              .at("ack")
              .is_null());

    // Forged, moved to the other alert, expired: refused.
    const auto s = query_param(link, "s");
    const auto e = query_param(link, "e");
    const auto sig = query_param(link, "sig");
    std::string forged = sig;
    forged[0] = forged[0] == 'a' ? 'b' : 'a';
    CHECK(http_request("GET",
                       inst.base + "/api/v1/alerts/" + id_of["a"] + "/ack?s=" + s + "&e=" + e +
                           "&sig=" + forged)
              .status == 403);
    CHECK(http_request("GET",
                       inst.base + "/api/v1/alerts/" + id_of["b"] + "/ack?s=" + s + "&e=" + e +
                           "&sig=" + sig)
              .status == 403);
    std::ifstream key_file(inst.dir.file("state/ack-links.key"));
    std::string key;
    std::getline(key_file, key);
    const std::string past = "1000";
    const auto expired_sig = hex_of(
        plugins::common::hmac_sha256(key, "tocsin-ack\n" + id_of["a"] + "\n" + s + "\n" + past));
    CHECK(http_request("GET",
                       inst.base + "/api/v1/alerts/" + id_of["a"] + "/ack?s=" + s + "&e=" + past +
                           "&sig=" + expired_sig)
              .status == 403);
    CHECK(http_request("POST",
                       inst.base + "/api/v1/alerts/" + id_of["a"] + "/ack/confirm",
                       {"Content-Type: application/x-www-form-urlencoded"},
                       "s=" + s + "&e=" + past + "&sig=" + expired_sig + "&name=eve")
              .status == 403);

    // Confirming acknowledges: those already told hear of it.
    auto confirmed =
        http_request("POST",
                     inst.base + "/api/v1/alerts/" + id_of["a"] + "/ack/confirm",
                     {"Content-Type: application/x-www-form-urlencoded"},
                     "s=" + s + "&e=" + e + "&sig=" + sig + "&name=dana&comment=on+it");
    CHECK(confirmed.status == 200);
    CHECK_THAT(confirmed.body, Catch::Contains("Acknowledged"));
    REQUIRE(eventually([&] { return read_lines() >= 3; }, 10s));
    CHECK(lines[2].at("kind") == "acknowledged");
    CHECK(lines[2].at("ack").at("author") == "dana");
    CHECK(lines[2].at("ack").at("comment") == "on it");

    // The CLI acknowledges the other one.
    const auto cli =
        inst.cli({"ack", id_of["b"], "--author", "lee", "--comment", "db", "--for", "10m"});
    INFO(cli.err);
    CHECK(cli.exit_code == 0);
    CHECK_THAT(cli.out, Catch::Contains("acknowledged QueueDeep"));
    const auto alerts = parse_body(inst.call("GET", "/api/v1/alerts")).at("alerts").as_array();
    REQUIRE(alerts.size() == 2);
    for (const auto& a : alerts) {
        CHECK(a.at("ack").is_object());
    }
    CHECK(inst.cli({"ack", "0000000000000000", "--author", "lee"}).exit_code == 1);
}

}  // namespace tocsin::testing

namespace tocsin::testing {

TEST_CASE("tocsin notify --test sends through a configured notifier and reports the answer",
          "[integration][notify]") {
    HookedInstallation inst;
    auto r = run_command({tocsin_binary(), "notify", "--test", "hook", "-c", inst.config}, 30s);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("hook: delivered") && Catch::Contains("HTTP 200"));
    REQUIRE(inst.hook.request_count() == 1);
    const auto body = boost::json::parse(inst.hook.requests()[0].body).as_object();
    CHECK(body.at("alerts").as_array()[0].at("labels").at("alertname") == "TocsinTest");

    inst.hook.enqueue(HttpResponse{503, {}, "down for maintenance"});
    r = run_command({tocsin_binary(), "notify", "--test", "hook", "-c", inst.config}, 30s);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("temporary failure") && Catch::Contains("503"));

    r = run_command({tocsin_binary(), "notify", "--test", "nobody", "-c", inst.config}, 30s);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("no notifier named 'nobody'; configured: hook"));
}

}  // namespace tocsin::testing

namespace tocsin::testing {

TEST_CASE(
    "a notifier's own message templates replace the default words, and mistakes in them are "
    "check errors at their position",
    "[integration][message]") {
    TempDir out;
    const auto log_path = out.file("notifications.log");
    HookedInstallation inst(
        "",
        "  file:\n"
        "    plugin: log\n"
        "    path: " +
            log_path +
            "\n"
            "    message:\n"
            "      title: \"{{ alert }} on queue {{ labels.q }}\"\n"
            "      short: \"{{ value > 400 and 'huge' or 'big' }} queue {{ num(value) }}\"\n");
    inst.write_rules("[file, hook]");
    inst.start();
    REQUIRE(inst.call("POST",
                      "/api/v1/samples",
                      R"([{"kpi":"queue_depth","value":90,"labels":{"q":"a"}}])")
                .status == 200);
    REQUIRE(inst.call("POST",
                      "/api/v1/samples",
                      R"([{"kpi":"queue_depth","value":500,"labels":{"q":"a"}}])")
                .status == 200);
    boost::json::object line;
    REQUIRE(eventually(
        [&] {
            std::ifstream in(log_path);
            std::string text;
            if (!std::getline(in, text)) {
                return false;
            }
            line = boost::json::parse(text).as_object();
            return true;
        },
        10s));
    const auto& message = line.at("message").as_object();
    CHECK(message.at("title") == "QueueDeep on queue a");
    CHECK(message.at("short") == "huge queue 500");
    // The text keeps the default wording, with the trend from the previous value.
    CHECK_THAT(std::string(message.at("text").as_string()), Catch::Contains("Trend: up from 90"));
    CHECK(line.at("alerts").as_array()[0].at("previous_value").to_number<double>() == 90);
    // The other notifier keeps the default title.
    REQUIRE(inst.hook.wait_for_requests(1, 10s));

    inst.dir.write("tocsin.yaml",
                   "state_dir: state\n"
                   "plugin_dirs: [" +
                       plugin_dir() +
                       "]\n"
                       "notifiers:\n"
                       "  file:\n"
                       "    plugin: log\n"
                       "    path: \"-\"\n"
                       "    message: { title: \"{{ nosuch(value) }}\", subject: x }\n");
    const auto r = run_command({tocsin_binary(), "check", "-c", inst.config}, 30s);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("tocsin.yaml:7:") && Catch::Contains("nosuch"));
    CHECK_THAT(r.err, Catch::Contains("unknown key 'subject'"));
}

}  // namespace tocsin::testing
