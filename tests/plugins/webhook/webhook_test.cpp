#include "alertmanager_payload.hpp"
#include "http_response.hpp"
#include "notifier_common/sample_notifications.hpp"
#include "plugin_harness.hpp"
#include "sha256.hpp"
#include "support/http_server.hpp"
#include "text_util.hpp"
#include "webhook_signature.hpp"
#include <tocsin/sdk/json.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

namespace wh = tocsin::plugins::webhook;
namespace cm = tocsin::plugins::common;
using std::chrono::milliseconds;
using tocsin::sdk::Json;
using tocsin::testing::HttpResponse;
using tocsin::testing::HttpServer;
using tocsin::testing::PluginInstance;

namespace {

// The notification of docs/notification-json.md, firing.
constexpr const char* kFiring = R"json({
  "version": "1",
  "id": "5f1c2a9e3b7d4c10-1767571200000-1/growth-webhook",
  "kind": "firing",
  "receiver": "growth-webhook",
  "status": "firing",
  "created_at": "2026-01-05T06:00:00Z",
  "external_url": "http://127.0.0.1:9470",
  "group_labels": {"alertname": "ActivationRateLow"},
  "common_labels": {"alertname": "ActivationRateLow", "severity": "warning", "team": "growth"},
  "common_annotations": {"summary": "Activation rate 28% is below 30% (target 40%)"},
  "alerts": [{
    "status": "firing",
    "name": "ActivationRateLow",
    "kpi": "activation_rate",
    "fingerprint": "5f1c2a9e3b7d4c10",
    "severity": "warning",
    "previous_severity": "",
    "nodata": false,
    "labels": {"alertname": "ActivationRateLow", "severity": "warning", "team": "growth"},
    "annotations": {"summary": "Activation rate 28% is below 30% (target 40%)",
                    "runbook": "https://wiki.example.com/runbooks/activation"},
    "value": 0.28,
    "threshold": 0.30,
    "target": 0.40,
    "unit": "percent",
    "starts_at": "2026-01-05T06:00:00Z",
    "ends_at": "0001-01-01T00:00:00Z"
  }]
})json";

Json firing() {
    return Json::parse(kFiring);
}

// `count` alerts a0, a1, ... in one notification.
Json with_alerts(int count) {
    Json notification = firing();
    const Json alert = notification.at("alerts").as_array().front();
    Json alerts = Json::array();
    for (int i = 0; i < count; ++i) {
        Json copy = alert;
        copy.set("fingerprint", "a" + std::to_string(i));
        alerts.push_back(copy);
    }
    notification.set("alerts", alerts);
    return notification;
}

const tocsin_plugin& webhook_plugin() {
    return tocsin::testing::load_plugin("tocsin_notifier_webhook.so");
}

std::string config_for(const std::string& url, const std::string& extra = "") {
    return R"({"url": ")" + url + "\"" + extra + "}";
}

std::chrono::system_clock::time_point at_unix(std::int64_t seconds) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

}  // namespace

TEST_CASE("webhook payload has the Alertmanager v4 fields", "[webhook]") {
    const Json payload = cm::render_payload(firing(), 0);
    std::string keys;
    for (const auto& [key, value] : payload.as_object()) {
        keys += key + " ";
    }
    CHECK(keys ==
          "version groupKey truncatedAlerts status receiver groupLabels commonLabels "
          "commonAnnotations externalURL alerts ");
    CHECK(payload.at("version") == Json("4"));
    CHECK(payload.at("groupKey") == Json(R"({}:{alertname="ActivationRateLow"})"));
    CHECK(payload.at("truncatedAlerts") == Json(0));
    CHECK(payload.at("status") == Json("firing"));
    CHECK(payload.at("receiver") == Json("growth-webhook"));
    CHECK(payload.at("groupLabels").dump() == R"({"alertname":"ActivationRateLow"})");
    CHECK(payload.at("commonLabels").at("team") == Json("growth"));
    CHECK(payload.at("commonAnnotations").at("summary") ==
          Json("Activation rate 28% is below 30% (target 40%)"));
    CHECK(payload.at("externalURL") == Json("http://127.0.0.1:9470"));

    REQUIRE(payload.at("alerts").size() == 1);
    const Json& alert = payload.at("alerts").as_array().front();
    std::string alert_keys;
    for (const auto& [key, value] : alert.as_object()) {
        alert_keys += key + " ";
    }
    CHECK(alert_keys == "status labels annotations startsAt endsAt generatorURL fingerprint ");
    CHECK(alert.at("status") == Json("firing"));
    CHECK(alert.at("labels").dump() ==
          R"({"alertname":"ActivationRateLow","severity":"warning","team":"growth"})");
    CHECK(alert.at("annotations").at("runbook") ==
          Json("https://wiki.example.com/runbooks/activation"));
    CHECK(alert.at("startsAt") == Json("2026-01-05T06:00:00Z"));
    CHECK(alert.at("endsAt") == Json("0001-01-01T00:00:00Z"));
    CHECK(alert.at("generatorURL") ==
          Json("http://127.0.0.1:9470/api/v1/alerts?fingerprint=5f1c2a9e3b7d4c10"));
    CHECK(alert.at("fingerprint") == Json("5f1c2a9e3b7d4c10"));
}

TEST_CASE("webhook payload keeps endsAt at the zero time while firing", "[webhook]") {
    Json notification = firing();
    // Even if the host filled ends_at, a firing alert has not ended.
    notification["alerts"].as_array().front().set("ends_at", "2026-01-05T07:00:00Z");
    const Json payload = cm::render_payload(notification, 0);
    CHECK(payload.at("alerts").as_array().front().at("endsAt") == Json(cm::kZeroTime));
}

TEST_CASE("webhook payload of a resolved alert carries its end time", "[webhook]") {
    Json notification = firing();
    notification.set("status", "resolved");
    Json& alert = notification["alerts"].as_array().front();
    alert.set("status", "resolved");
    alert.set("ends_at", "2026-01-05T09:30:00Z");
    const Json payload = cm::render_payload(notification, 0);
    CHECK(payload.at("status") == Json("resolved"));
    const Json& rendered = payload.at("alerts").as_array().front();
    CHECK(rendered.at("status") == Json("resolved"));
    CHECK(rendered.at("endsAt") == Json("2026-01-05T09:30:00Z"));
}

TEST_CASE("webhook payload adds alertname and severity labels when missing", "[webhook]") {
    Json notification = firing();
    notification["alerts"].as_array().front().set("labels", Json::parse(R"({"team": "growth"})"));
    notification.set("external_url", "");
    const Json payload = cm::render_payload(notification, 0);
    const Json& alert = payload.at("alerts").as_array().front();
    CHECK(alert.at("labels").dump() ==
          R"({"team":"growth","alertname":"ActivationRateLow","severity":"warning"})");
    CHECK(alert.at("generatorURL") == Json(""));
}

TEST_CASE("webhook payload truncates to max_alerts and counts the rest", "[webhook]") {
    SECTION("max_alerts below the count") {
        const Json payload = cm::render_payload(with_alerts(5), 2);
        REQUIRE(payload.at("alerts").size() == 2);
        CHECK(payload.at("alerts").as_array()[1].at("fingerprint") == Json("a1"));
        CHECK(payload.at("truncatedAlerts") == Json(3));
    }
    SECTION("max_alerts 0 keeps all") {
        const Json payload = cm::render_payload(with_alerts(5), 0);
        CHECK(payload.at("alerts").size() == 5);
        CHECK(payload.at("truncatedAlerts") == Json(0));
    }
    SECTION("max_alerts above the count") {
        const Json payload = cm::render_payload(with_alerts(2), 3);
        CHECK(payload.at("alerts").size() == 2);
        CHECK(payload.at("truncatedAlerts") == Json(0));
    }
}

TEST_CASE("webhook group key sorts and escapes the group labels", "[webhook]") {
    CHECK(cm::group_key(Json::parse(R"({"team": "a\"b", "alertname": "X"})")) ==
          R"({}:{alertname="X", team="a\"b"})");
    CHECK(cm::group_key(Json::object()) == "{}:{}");
}

TEST_CASE("webhook urls are cut to scheme and host in messages", "[webhook]") {
    CHECK(cm::redact_url("https://hooks.example.com/services/T0/B0/secret?token=x") ==
          "https://hooks.example.com");
    CHECK(cm::redact_url("http://user:pass@127.0.0.1:8080/x") == "http://127.0.0.1:8080");
    CHECK(cm::redact_url("http://h.example.com?q=1") == "http://h.example.com");
    CHECK(cm::redact_url("http://h.example.com#frag") == "http://h.example.com");
    CHECK(cm::redact_url("no scheme") == "(invalid url)");
}

TEST_CASE("webhook Retry-After is read as seconds or an HTTP date", "[webhook]") {
    const auto now = at_unix(1767571200);  // Mon, 05 Jan 2026 00:00:00 GMT
    CHECK(cm::parse_retry_after_ms("7", now) == 7000);
    CHECK(cm::parse_retry_after_ms(" 120 ", now) == 120000);
    CHECK(cm::parse_retry_after_ms("Mon, 05 Jan 2026 00:00:30 GMT", now) == 30000);
    CHECK(cm::parse_retry_after_ms("Sun, 04 Jan 2026 23:00:00 GMT", now) == 0);
    CHECK_FALSE(cm::parse_retry_after_ms("", now));
    CHECK_FALSE(cm::parse_retry_after_ms("soon", now));
    CHECK_FALSE(cm::parse_retry_after_ms("7s", now));
}

TEST_CASE("webhook answers map to ok, retry and failed", "[webhook]") {
    const auto now = at_unix(1767571200);
    const std::string endpoint = "https://hooks.example.com";

    const auto ok = cm::classify_response(204, "", "", endpoint, now);
    CHECK(ok.status.is_ok());
    CHECK(ok.detail == "HTTP 204");

    const auto busy = cm::classify_response(503, "", "down for maintenance", endpoint, now);
    CHECK(busy.status.code == TOCSIN_RETRY);
    CHECK(busy.status.message == "HTTP 503 from https://hooks.example.com: down for maintenance");
    CHECK(busy.retry_after_ms == 0);

    const auto limited = cm::classify_response(429, "7", "", endpoint, now);
    CHECK(limited.status.code == TOCSIN_RETRY);
    CHECK(limited.retry_after_ms == 7000);

    const auto bad =
        cm::classify_response(400, "3", "{\"error\":\n\"bad payload\"}", endpoint, now);
    CHECK(bad.status.code == TOCSIN_FAILED);
    CHECK(bad.status.message ==
          R"(HTTP 400 from https://hooks.example.com: {"error": "bad payload"})");
    CHECK(bad.retry_after_ms == 0);

    const auto moved = cm::classify_response(301, "", "", endpoint, now);
    CHECK(moved.status.code == TOCSIN_FAILED);
    CHECK(moved.detail == "HTTP 301");
}

TEST_CASE("webhook module posts the payload with its headers", "[webhook]") {
    HttpServer server;
    PluginInstance instance(
        webhook_plugin(),
        config_for(
            server.url("/hooks/growth?team=1"),
            R"(, "bearer_token": "tok-123", "max_alerts": 1, "headers": {"X-Team": "growth"})"));
    REQUIRE(instance.create_status() == TOCSIN_OK);

    const Json notification = with_alerts(3);
    const auto outcome = instance.send(notification.dump(), milliseconds(5000));
    INFO(outcome.error);
    REQUIRE(outcome.status == TOCSIN_OK);
    CHECK(outcome.detail == "HTTP 200");

    const auto requests = server.requests();
    REQUIRE(requests.size() == 1);
    const auto& request = requests.front();
    CHECK(request.method == "POST");
    CHECK(request.target == "/hooks/growth?team=1");
    CHECK(request.header("Content-Type") == "application/json");
    CHECK(request.header("Idempotency-Key") == "5f1c2a9e3b7d4c10-1767571200000-1/growth-webhook");
    CHECK(request.header("Authorization") == "Bearer tok-123");
    CHECK(request.header("User-Agent") == "tocsin/" TOCSIN_VERSION);
    CHECK(request.header("X-Team") == "growth");
    CHECK_FALSE(request.has_header("Expect"));
    const Json body = Json::parse(request.body);
    CHECK(body == cm::render_payload(notification, 1));
    CHECK(body.at("truncatedAlerts") == Json(2));
}

TEST_CASE("webhook module sends no Authorization header without a token", "[webhook]") {
    HttpServer server;
    PluginInstance instance(webhook_plugin(), config_for(server.url("/h")));
    REQUIRE(instance.send(kFiring, milliseconds(5000)).status == TOCSIN_OK);
    REQUIRE(server.request_count() == 1);
    CHECK_FALSE(server.requests().front().has_header("Authorization"));
}

TEST_CASE("webhook module retries on HTTP 500", "[webhook]") {
    HttpServer server;
    server.enqueue(HttpResponse{500, {}, "boom", {}});
    PluginInstance instance(webhook_plugin(), config_for(server.url("/secret/path?key=abc")));
    const auto outcome = instance.send(kFiring, milliseconds(5000));
    CHECK(outcome.status == TOCSIN_RETRY);
    CHECK(outcome.detail == "HTTP 500");
    CHECK(outcome.retry_after_ms == 0);
    CHECK(outcome.error == "HTTP 500 from " + server.url("") + ": boom");
}

TEST_CASE("webhook module honours Retry-After on HTTP 429", "[webhook]") {
    HttpServer server;
    server.enqueue(HttpResponse{429, {{"Retry-After", "7"}}, "", {}});
    PluginInstance instance(webhook_plugin(), config_for(server.url("/h")));
    const auto outcome = instance.send(kFiring, milliseconds(5000));
    CHECK(outcome.status == TOCSIN_RETRY);
    CHECK(outcome.retry_after_ms == 7000);
    CHECK(outcome.detail == "HTTP 429");
}

TEST_CASE("webhook module fails permanently on HTTP 404", "[webhook]") {
    HttpServer server;
    server.enqueue(HttpResponse{404, {}, "", {}});
    PluginInstance instance(webhook_plugin(), config_for(server.url("/missing")));
    const auto outcome = instance.send(kFiring, milliseconds(5000));
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK(outcome.error == "HTTP 404 from " + server.url(""));
    CHECK(outcome.detail == "HTTP 404");
}

TEST_CASE("webhook module retries when the connection is refused", "[webhook]") {
    std::string url;
    {
        HttpServer gone;  // bind a free port, then give it up
        url = gone.url("/secret/path?token=abc");
    }
    PluginInstance instance(webhook_plugin(), config_for(url, R"(, "bearer_token": "tok-123")"));
    const auto outcome = instance.send(kFiring, milliseconds(5000));
    CHECK(outcome.status == TOCSIN_RETRY);
    CHECK_THAT(outcome.error, Catch::StartsWith("cannot reach http://127.0.0.1:"));
    CHECK_THAT(outcome.error, !Catch::Contains("secret") && !Catch::Contains("tok-123"));
    for (const auto& line : instance.logs()) {
        CHECK_THAT(line.text, !Catch::Contains("secret") && !Catch::Contains("tok-123"));
    }
}

TEST_CASE("webhook module gives up on a hanging server at the deadline", "[webhook]") {
    HttpServer server;
    server.set_default_response(HttpResponse{200, {}, "", milliseconds(10000)});
    PluginInstance instance(webhook_plugin(), config_for(server.url("/slow/secret")));
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = instance.send(kFiring, milliseconds(300));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    CHECK(outcome.status == TOCSIN_RETRY);
    CHECK_THAT(outcome.error, Catch::StartsWith("cannot reach " + server.url("") + ": "));
    CHECK_THAT(outcome.error, !Catch::Contains("secret"));
    CHECK(server.request_count() == 1);
    CHECK(elapsed >= milliseconds(250));
    CHECK(elapsed < milliseconds(1300));
}

TEST_CASE("webhook module retries at once when the deadline already passed", "[webhook]") {
    HttpServer server;
    PluginInstance instance(webhook_plugin(), config_for(server.url("/h")));
    const auto outcome = instance.send(kFiring, milliseconds(-1));
    CHECK(outcome.status == TOCSIN_RETRY);
    CHECK(server.request_count() == 0);
}

TEST_CASE("webhook module fails a notification that is not an object", "[webhook]") {
    HttpServer server;
    PluginInstance instance(webhook_plugin(), config_for(server.url("/h")));
    const auto outcome = instance.send("[1, 2]", milliseconds(5000));
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK(outcome.error == "the notification is not a JSON object");
    CHECK(server.request_count() == 0);
}

TEST_CASE("webhook signature is sha256 hex of timestamp dot body", "[webhook]") {
    // From: printf '1767571200.{"a":1}' | openssl dgst -sha256 -hmac k
    CHECK(wh::signature("k", 1767571200, R"({"a":1})") ==
          "sha256=c19f476f9996e75b07b4b274de993e335c5f8d4eb2155132bfa1f41c73c9ed5e");
    CHECK(wh::signature("k", 1767571200, R"({"a":1})") !=
          wh::signature("k", 1767571201, R"({"a":1})"));
}

TEST_CASE("webhook module signs the body and sends basic auth", "[webhook]") {
    HttpServer server;
    PluginInstance instance(
        webhook_plugin(),
        config_for(
            server.url("/h"),
            R"(, "hmac_secret": "shh", "basic_auth": {"username": "tocsin", "password": "pw"})"));
    REQUIRE(instance.create_status() == TOCSIN_OK);
    const auto before = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    REQUIRE(instance.send(kFiring, milliseconds(5000)).status == TOCSIN_OK);
    REQUIRE(server.request_count() == 1);
    const auto request = server.requests().front();
    // base64("tocsin:pw")
    CHECK(request.header("Authorization") == "Basic dG9jc2luOnB3");
    const std::string timestamp = request.header("X-Tocsin-Timestamp");
    REQUIRE_FALSE(timestamp.empty());
    const auto seconds = std::stoll(timestamp);
    CHECK(seconds >= before);
    CHECK(seconds <= before + 5);
    CHECK(request.header("X-Tocsin-Signature") ==
          "sha256=" + cm::to_hex(cm::hmac_sha256("shh", timestamp + "." + request.body)));
}

TEST_CASE("webhook sends a report as tocsin's own notification JSON", "[webhook][report]") {
    const Json report = tocsin::testing::sample_report();
    const Json payload = cm::render_payload(report, 0);
    CHECK(payload == report);
    CHECK(payload.at("report").at("lines").size() == 3);
}
