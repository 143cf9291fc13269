// Security, end to end through the real binary: planted secrets never show up in any log line,
// API answer or command output; acknowledge links cannot be replayed on a later episode; plugin
// modules and directories others could change are refused while the daemon runs on; and a slow
// client does not keep the API from serving others. (Deadlines, size limits and the token
// comparison are also covered against the server alone in tests/unit/app/api_server_test.cpp.)
#include "api_fixture.hpp"
#include "support/http_server.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Distinctive values, each planted in one place a secret can be configured.
constexpr const char* kApiTokenSecret = "PLANTED-API-TOKEN-61d0c9";
constexpr const char* kBearerSecret = "PLANTED-BEARER-ENV-5a7e12";
constexpr const char* kHmacSecret = "PLANTED-HMAC-FILE-0b93f4";
constexpr const char* kUrlPassword = "PLANTED-URL-PASSWORD-7d2a";
constexpr const char* kSmtpPassword = "PLANTED-SMTP-PASSWORD-8a1c";
constexpr const char* kTwilioToken = "PLANTED-TWILIO-TOKEN-2b6e";
constexpr const char* kPgPassword = "PLANTED-PG-PASSWORD-5c1f";

/// Every planted secret found in `text` (none, if all is well).
std::vector<std::string> leaked(const std::string& text) {
    std::vector<std::string> out;
    for (const char* secret : {kApiTokenSecret,
                               kBearerSecret,
                               kHmacSecret,
                               kUrlPassword,
                               kSmtpPassword,
                               kTwilioToken,
                               kPgPassword}) {
        if (text.find(secret) != std::string::npos) {
            out.emplace_back(secret);
        }
    }
    return out;
}

bool plugin_built(const std::string& file) {
    return fs::exists(plugin_dir() + "/" + file);
}

TEST_CASE("planted secrets appear in no log line, API answer or command output",
          "[integration][security]") {
    for (const char* file : {"tocsin_source_postgres.so",
                             "tocsin_notifier_email.so",
                             "tocsin_notifier_twilio.so",
                             "tocsin_notifier_webhook.so"}) {
        if (!plugin_built(file)) {
            WARN("skipped: " << file << " is not built (its plugin option is off)");
            return;
        }
    }
    HttpServer hook;
    HttpServer twilio;
    // Deliveries fail first (the failures are logged with the far end's answer), then succeed.
    hook.set_default_response(HttpResponse{500, {}, "hook down", 0ms});
    twilio.set_default_response(HttpResponse{500, {}, "twilio down", 0ms});
    ::setenv("TOCSIN_TEST_BEARER", kBearerSecret, 1);

    TempDir dir;
    dir.write("token", std::string(kApiTokenSecret) + "\n");
    dir.write("hmac", std::string(kHmacSecret) + "\n");
    const std::string hook_url = "http://alice:" + std::string(kUrlPassword) +
                                 "@127.0.0.1:" + std::to_string(hook.port()) + "/hook";
    const auto config =
        dir.write("tocsin.yaml",
                  "state_dir: state\n"
                  "plugin_dirs: [" +
                      plugin_dir() +
                      "]\n"
                      "rule_files: [rules.yaml]\n"
                      "api: { listen: 127.0.0.1:0, token_file: token }\n"
                      "sources:\n"
                      "  pushed: { plugin: push }\n"
                      "  warehouse: { plugin: postgres, dsn: \"postgresql://reader:" +
                      kPgPassword +
                      "@127.0.0.1:1/warehouse?connect_timeout=2\" }\n"
                      "notifiers:\n"
                      "  hook:\n"
                      "    plugin: webhook\n"
                      "    url: \"" +
                      hook_url +
                      "\"\n"
                      "    bearer_token: \"${env:TOCSIN_TEST_BEARER}\"\n"
                      "    hmac_secret: \"${file:hmac}\"\n"
                      "    timeout: 2s\n"
                      "    rate_limit: off\n"
                      "  mail:\n"
                      "    plugin: email\n"
                      "    smtp_url: smtp://127.0.0.1:1\n"
                      "    username: alerts\n"
                      "    password: \"" +
                      kSmtpPassword +
                      "\"\n"
                      "    from: \"tocsin <alerts@example.com>\"\n"
                      "    to: [lead@example.com]\n"
                      "    require_tls: false\n"
                      "    timeout: 2s\n"
                      "  sms:\n"
                      "    plugin: twilio\n"
                      "    account_sid: AC0000\n"
                      "    auth_token: \"" +
                      kTwilioToken +
                      "\"\n"
                      "    from: \"+15550100\"\n"
                      "    to: [\"+15550199\"]\n"
                      "    api_url: " +
                      twilio.url("") +
                      "\n"
                      "    timeout: 2s\n"
                      "default_policy: page\n");
    dir.write("rules.yaml",
              "kpis:\n"
              "  queue_depth: { source: pushed }\n"
              "  orders: { source: warehouse, query: \"SELECT 1 AS value\", every: 300ms }\n"
              "rules:\n"
              "  - alert: QueueDeep\n"
              "    kpi: queue_depth\n"
              "    above: { critical: 100 }\n"
              "    summary: \"queue at {{ value }}\"\n"
              "policies:\n"
              "  page:\n"
              "    steps:\n"
              "      - notify: [hook, mail, sms]\n");

    std::map<std::string, std::string> outputs;  // what was looked at -> its bytes
    const auto record = [&](const std::string& what, const CommandResult& r) {
        outputs[what + " (stdout)"] = r.out;
        outputs[what + " (stderr)"] = r.err;
    };
    record("tocsin check", run_command({tocsin_binary(), "check", "-c", config}, 60s));
    record("tocsin check --format json",
           run_command({tocsin_binary(), "check", "-c", config, "--format", "json"}, 60s));
    record("tocsin plugins", run_command({tocsin_binary(), "plugins", "-c", config}, 60s));
    CHECK(run_command({tocsin_binary(), "check", "-c", config}, 60s).exit_code == 0);

    DaemonProcess daemon(
        tocsin_binary(), {"run", "-c", config, "--log-level", "debug"}, dir.file("daemon.log"));
    REQUIRE(daemon.wait_ready(30s));
    std::smatch m;
    const auto start_log = daemon.log();
    REQUIRE(std::regex_search(
        start_log, m, std::regex("listening on (http://127\\.0\\.0\\.1:[0-9]+)")));
    const std::string base = m[1];
    const std::vector<std::string> auth{"Authorization: Bearer " + std::string(kApiTokenSecret),
                                        "Content-Type: application/json"};

    REQUIRE(http_request(
                "POST", base + "/api/v1/samples", auth, R"([{"kpi":"queue_depth","value":500}])")
                .status == 200);
    REQUIRE(hook.wait_for_requests(1, 15s));
    REQUIRE(twilio.wait_for_requests(1, 15s));
    // The far ends recover: the retries are delivered.
    hook.set_default_response(HttpResponse{200, {}, "ok", 0ms});
    twilio.set_default_response(HttpResponse{201, {}, R"({"sid":"SM1"})", 0ms});
    REQUIRE(eventually(
        [&] {
            const auto a = http_request("GET", base + "/api/v1/notifications?state=delivered");
            return a.status == 200 && a.body.find("\"hook\"") != std::string::npos &&
                   a.body.find("\"sms\"") != std::string::npos;
        },
        20s));
    // The webhook really used the secrets it must not show (so the test plants live values).
    const auto last = hook.requests().back();
    CHECK(last.header("Authorization") == "Bearer " + std::string(kBearerSecret));
    CHECK(last.has_header("X-Tocsin-Signature"));
    // The source has failed (and logged why) by now.
    REQUIRE(eventually([&] { return daemon.log().find("warehouse") != std::string::npos; }, 10s));

    for (const std::string path : {"/api/v1/status",
                                   "/api/v1/rules",
                                   "/api/v1/kpis",
                                   "/api/v1/kpis/queue_depth/history",
                                   "/api/v1/notifications",
                                   "/api/v1/notifications?state=pending",
                                   "/api/v1/notifications?state=failed",
                                   "/api/v1/alerts",
                                   "/api/v1/silences",
                                   "/metrics",
                                   "/healthz"}) {
        const auto answer = http_request("GET", base + path, auth);
        CHECK(answer.status == 200);
        outputs["GET " + path] = answer.body;
        for (const auto& [name, value] : answer.headers) {
            outputs["GET " + path + " headers"] += name + ": " + value + "\n";
        }
    }
    outputs["401 answer"] =
        http_request("POST", base + "/api/v1/reload", {"Authorization: Bearer wrong"}).body;
    for (const std::string command : {"status", "alerts"}) {
        record("tocsin " + command,
               run_command({tocsin_binary(), command, "-c", config, "--url", base}, 30s));
    }
    // A reload, and the stop, log their lifecycle lines too.
    daemon.signal(SIGHUP);
    REQUIRE(daemon.wait_ready(30s));
    daemon.signal(SIGTERM);
    CHECK(daemon.wait_exit(30s) == std::optional<int>(0));
    outputs["daemon log"] = daemon.log();
    outputs["state folder listing"] = [&] {
        std::string names;
        for (const auto& e : fs::directory_iterator(dir.file("state"))) {
            names += e.path().filename().string() + "\n";
        }
        return names;
    }();

    for (const auto& [what, bytes] : outputs) {
        INFO(what << ":\n" << bytes);
        CHECK(leaked(bytes).empty());
    }
    // The test looked at real output: the daemon did fail and retry, loudly.
    CHECK_THAT(outputs["daemon log"], Catch::Contains("delivery failed"));
    CHECK_THAT(outputs["daemon log"], Catch::Contains("notify 'mail'"));
    CHECK_THAT(outputs["tocsin plugins (stdout)"], Catch::Contains("webhook"));
    ::unsetenv("TOCSIN_TEST_BEARER");
}

/// The query parameter `name` of `url`.
std::string query_param(const std::string& url, const std::string& name) {
    std::smatch m;
    REQUIRE(std::regex_search(url, m, std::regex("[?&]" + name + "=([^&]*)")));
    return m[1];
}

std::string confirm(const std::string& link, const std::string& name) {
    return "s=" + query_param(link, "s") + "&e=" + query_param(link, "e") +
           "&sig=" + query_param(link, "sig") + "&name=" + name;
}

TEST_CASE("an acknowledge link cannot be replayed after its alert resolved or fired again",
          "[integration][security][ack]") {
    TempDir out;
    const auto log_path = out.file("notifications.log");
    ApiInstallation inst("  file: { plugin: log, path: " + log_path + " }\n", "[file]");
    inst.start();
    const auto links = [&] {
        std::vector<std::string> found;
        std::ifstream in(log_path);
        for (std::string line; std::getline(in, line);) {
            const auto n = boost::json::parse(line).as_object();
            if (n.at("status") != "firing" || n.at("kind") != "firing") {
                continue;
            }
            found.emplace_back(n.at("alerts").as_array()[0].at("ack_url").as_string());
        }
        return found;
    };
    const auto fire = [&](int value) {
        inst.push(R"({"kpi":"queue_depth","value":)" + std::to_string(value) + "}");
    };
    fire(500);
    REQUIRE(eventually([&] { return links().size() == 1; }, 10s));
    const auto first = links()[0];
    std::smatch m;
    REQUIRE(std::regex_search(first, m, std::regex("/alerts/([0-9a-f]+)/ack")));
    const std::string id = m[1];
    const auto post = [&](const std::string& link, const std::string& name) {
        return http_request("POST",
                            inst.base + "/api/v1/alerts/" + id + "/ack/confirm",
                            {"Content-Type: application/x-www-form-urlencoded"},
                            confirm(link, name));
    };

    // Resolved: the link is genuine but there is nothing of its episode left to acknowledge.
    fire(5);
    REQUIRE(eventually(
        [&] {
            return parse_body(inst.call("GET", "/api/v1/alerts")).at("alerts").as_array().empty();
        },
        10s));
    const auto after_resolve = post(first, "mallory");
    CHECK(after_resolve.status == 409);
    CHECK_THAT(after_resolve.body, Catch::Contains("no longer firing"));

    // Fired again: a new episode (new start) that the old link does not sign.
    fire(600);
    REQUIRE(eventually([&] { return links().size() == 2; }, 10s));
    const auto second = links()[1];
    CHECK(query_param(second, "s") != query_param(first, "s"));
    const auto replayed = post(first, "mallory");
    CHECK(replayed.status == 409);
    const auto alerts = parse_body(inst.call("GET", "/api/v1/alerts")).at("alerts").as_array();
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].at("ack").is_null());
    // Moving the old signature onto the new episode's start is a forgery.
    const auto moved =
        http_request("POST",
                     inst.base + "/api/v1/alerts/" + id + "/ack/confirm",
                     {"Content-Type: application/x-www-form-urlencoded"},
                     "s=" + query_param(second, "s") + "&e=" + query_param(first, "e") +
                         "&sig=" + query_param(first, "sig") + "&name=mallory");
    CHECK(moved.status == 403);

    // The new link works, once for its episode.
    CHECK(post(second, "dana").status == 200);
    const auto acked = parse_body(inst.call("GET", "/api/v1/alerts")).at("alerts").as_array();
    REQUIRE(acked.size() == 1);
    CHECK(acked[0].at("ack").at("author") == "dana");
}

TEST_CASE(
    "plugin directories and modules others could change are refused and the daemon runs on "
    "with the other plugins",
    "[integration][security][plugins]") {
    HttpServer hook;
    TempDir dir;
    // A world-writable directory holding a module; when root, also a module of another user.
    const auto open_dir = dir.file("open");
    fs::create_directory(open_dir);
    fs::copy_file(plugin_dir() + "/tocsin_notifier_log.so", open_dir + "/tocsin_notifier_log.so");
    fs::permissions(open_dir, fs::perms(0777));
    const auto foreign_dir = dir.file("foreign");
    fs::create_directory(foreign_dir);
    fs::permissions(foreign_dir, fs::perms(0755));
    const auto foreign = foreign_dir + "/tocsin_notifier_webhook.so";
    fs::copy_file(plugin_dir() + "/tocsin_notifier_webhook.so", foreign);
    const bool root = ::geteuid() == 0;
    if (root) {
        REQUIRE(::chown(foreign.c_str(), 65534, 65534) == 0);
    } else {
        WARN("not root: the module owned by another user is not part of this run");
        fs::permissions(foreign, fs::perms::group_write, fs::perm_options::add);
    }
    const auto config =
        dir.write("tocsin.yaml",
                  "state_dir: state\n"
                  "plugin_dirs: [" +
                      open_dir + ", " + foreign_dir + ", " + plugin_dir() +
                      "]\n"
                      "rule_files: [rules.yaml]\n"
                      "api: { listen: 127.0.0.1:0, token_file: token }\n"
                      "sources:\n"
                      "  pushed: { plugin: push }\n"
                      "notifiers:\n" +
                      webhook_notifier("hook", hook.url("/hook")) + "default_policy: page\n");
    dir.write("token", std::string(kApiToken) + "\n");
    dir.write("rules.yaml",
              "kpis:\n"
              "  queue_depth: { source: pushed }\n"
              "rules:\n"
              "  - alert: QueueDeep\n"
              "    kpi: queue_depth\n"
              "    above: { critical: 100 }\n"
              "policies:\n"
              "  page:\n"
              "    steps:\n"
              "      - notify: [hook]\n");

    const auto check = run_command({tocsin_binary(), "check", "-c", config}, 60s);
    INFO(check.out << check.err);
    CHECK(check.exit_code == 0);
    const auto plugins = run_command({tocsin_binary(), "plugins", "-c", config}, 60s);
    INFO(plugins.out << plugins.err);
    CHECK_THAT(plugins.err,
               Catch::Contains(open_dir + ": refused: the plugin directory is writable by group or "
                                          "others"));
    CHECK_THAT(plugins.err, Catch::Contains(foreign + ": refused: the module is"));
    CHECK_THAT(plugins.out,
               Catch::Contains("file: " + plugin_dir() + "/tocsin_notifier_webhook.so"));

    DaemonProcess daemon(tocsin_binary(), {"run", "-c", config}, dir.file("daemon.log"));
    REQUIRE(daemon.wait_ready(30s));
    const auto log = daemon.log();
    INFO(log);
    CHECK_THAT(log,
               Catch::Contains("warning config") && Catch::Contains(open_dir) &&
                   Catch::Contains("run 'chmod go-w " + open_dir + "'"));
    if (root) {
        CHECK_THAT(log,
                   Catch::Contains("owned by uid 65534") &&
                       Catch::Contains("run 'chown root: " + foreign + "'"));
    }
    std::smatch m;
    REQUIRE(std::regex_search(log, m, std::regex("listening on (http://127\\.0\\.0\\.1:[0-9]+)")));
    const std::string base = m[1];
    REQUIRE(http_request("POST",
                         base + "/api/v1/samples",
                         {"Authorization: Bearer " + std::string(kApiToken),
                          "Content-Type: application/json"},
                         R"([{"kpi":"queue_depth","value":500}])")
                .status == 200);
    CHECK(hook.wait_for_requests(1, 15s));  // the safe copy of the webhook plugin delivers
    const auto status = boost::json::parse(http_request("GET", base + "/api/v1/status").body);
    for (const auto& p : status.at("plugins").as_array()) {
        CHECK_THAT(std::string(p.at("path").as_string()), Catch::StartsWith(plugin_dir()));
    }
}

TEST_CASE("a client that trickles its request does not keep the API from serving others",
          "[integration][security][api][concurrency]") {
    HttpServer hook;
    ApiInstallation inst(webhook_notifier("hook", hook.url("/hook")), "[hook]");
    inst.start();
    const auto port =
        static_cast<std::uint16_t>(std::stoi(inst.base.substr(inst.base.rfind(':') + 1)));
    std::vector<int> slow;
    for (int i = 0; i < 20; ++i) {  // many connections, each stuck in its headers
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
        const std::string start = "POST /api/v1/samples HTTP/1.1\r\nHost: x\r\nX-Slow: a";
        REQUIRE(::send(fd, start.data(), start.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(start.size()));
        slow.push_back(fd);
    }
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(inst.call("GET", "/healthz").status == 200);
    inst.push(R"({"kpi":"queue_depth","value":500})");
    CHECK(hook.wait_for_requests(1, 10s));
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    for (const int fd : slow) {
        ::close(fd);
    }
}

}  // namespace
}  // namespace tocsin::testing
