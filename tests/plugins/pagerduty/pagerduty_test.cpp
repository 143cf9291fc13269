#include "notifier_common/sample_notifications.hpp"
#include "pagerduty_event.hpp"
#include "plugin_harness.hpp"
#include "support/http_server.hpp"
#include "text_util.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>

namespace pd = tocsin::plugins::pagerduty;
namespace cm = tocsin::plugins::common;
using std::chrono::milliseconds;
using tocsin::sdk::Json;
using tocsin::testing::HttpRequest;
using tocsin::testing::HttpResponse;
using tocsin::testing::HttpServer;
using tocsin::testing::PluginInstance;
using tocsin::testing::sample_firing;
using tocsin::testing::sample_of_kind;
using tocsin::testing::sample_with_alerts;

namespace {

constexpr const char* kKey = "R0123456789abcdef0123456789abcde";

HttpResponse json_answer(int status, const std::string& body) {
    return HttpResponse{status, {{"Content-Type", "application/json"}}, body, {}};
}

HttpResponse invalid(const std::string& error) {
    Json body = Json::parse(R"({"status": "invalid event", "message": "Event object is invalid"})");
    body.set("errors", Json::array({error}));
    return json_answer(400, body.dump());
}

bool is_string(const Json& object, const char* key) {
    return object.contains(key) && object.at(key).is_string();
}

// A stand-in for the Events API v2 enqueue endpoint, checking events as PagerDuty documents them.
HttpResponse fake_pagerduty(const HttpRequest& request) {
    if (request.method != "POST" || request.path() != "/v2/enqueue") {
        return json_answer(404, R"({"status": "not found"})");
    }
    if (request.header("Content-Type").rfind("application/json", 0) != 0) {
        return invalid("Content-Type must be application/json");
    }
    Json event;
    if (!Json::try_parse(request.body, event) || !event.is_object()) {
        return json_answer(400, R"({"status": "invalid request", "message": "Invalid JSON"})");
    }
    if (!is_string(event, "routing_key") || event.at("routing_key").as_string().size() != 32) {
        return invalid("Length of 'routing_key' is incorrect (should be 32 characters)");
    }
    const std::string action =
        is_string(event, "event_action") ? event.at("event_action").as_string() : "";
    if (action != "trigger" && action != "acknowledge" && action != "resolve") {
        return invalid(
            "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or "
            "'resolve')");
    }
    if (event.contains("dedup_key") &&
        (!is_string(event, "dedup_key") || event.at("dedup_key").as_string().size() > 255)) {
        return invalid("'dedup_key' must be a string of at most 255 characters");
    }
    if (action != "trigger" && !is_string(event, "dedup_key")) {
        return invalid("'dedup_key' is missing and is required for acknowledge and resolve");
    }
    if (action == "trigger") {
        if (!event.contains("payload") || !event.at("payload").is_object()) {
            return invalid("'payload' is missing or blank");
        }
        const Json& payload = event.at("payload");
        if (!is_string(payload, "summary") || payload.at("summary").as_string().empty() ||
            cm::utf8_length(payload.at("summary").as_string()) > 1024) {
            return invalid("'payload.summary' is missing, blank or longer than 1024 characters");
        }
        if (!is_string(payload, "source") || payload.at("source").as_string().empty()) {
            return invalid("'payload.source' is missing or blank");
        }
        const std::string severity =
            is_string(payload, "severity") ? payload.at("severity").as_string() : "";
        if (severity != "critical" && severity != "error" && severity != "warning" &&
            severity != "info") {
            return invalid(
                "'payload.severity' is invalid (must be one of the following: "
                "'critical', 'warning', 'error' or 'info')");
        }
        if (payload.contains("custom_details") && !payload.at("custom_details").is_object()) {
            return invalid("'payload.custom_details' must be an object");
        }
    }
    if (event.contains("links")) {
        for (const Json& link : event.at("links").as_array()) {
            if (!is_string(link, "href")) {
                return invalid("'links[].href' is missing");
            }
        }
    }
    const std::string key =
        is_string(event, "dedup_key") ? event.at("dedup_key").as_string() : "generated";
    Json answer = Json::parse(R"({"status": "success", "message": "Event processed"})");
    answer.set("dedup_key", key);
    return json_answer(202, answer.dump());
}

std::string config_for(const HttpServer& server) {
    return std::string(R"({"routing_key": ")") + kKey + R"(", "api_url": ")" + server.url("") +
           "\"}";
}

pd::PagerDutyConfig default_config() {
    pd::PagerDutyConfig config;
    config.routing_key = kKey;
    return config;
}

std::vector<pd::Event> events_for(const Json& notification) {
    return pd::build_events(cm::read_notification(notification), default_config());
}

const tocsin_plugin& pagerduty_plugin() {
    return tocsin::testing::load_plugin("tocsin_notifier_pagerduty.so");
}

}  // namespace

TEST_CASE("pagerduty triggers a firing alert keyed by its fingerprint", "[pagerduty]") {
    const auto events = events_for(sample_firing());
    REQUIRE(events.size() == 1);
    const Json& body = events.front().body;
    CHECK(body.at("routing_key") == Json(kKey));
    CHECK(body.at("event_action") == Json("trigger"));
    CHECK(body.at("dedup_key") == Json("5f1c2a9e3b7d4c10"));
    const Json& payload = body.at("payload");
    CHECK(payload.at("summary") ==
          Json("ActivationRateLow: Activation rate 28% is below 30% (target 40%)"));
    CHECK(payload.at("source") == Json("activation_rate"));
    CHECK(payload.at("severity") == Json("warning"));
    CHECK(payload.at("timestamp") == Json("2026-01-05T06:00:00Z"));
    CHECK(payload.at("component") == Json("activation_rate"));
    CHECK(payload.at("group") == Json("growth"));
    CHECK(payload.at("class") == Json("ActivationRateLow"));
    const Json& details = payload.at("custom_details");
    CHECK(details.at("value") == Json("28%"));
    CHECK(details.at("previous_value") == Json("31%"));
    CHECK(details.at("threshold") == Json("30%"));
    CHECK(details.at("target") == Json("40%"));
    CHECK(details.at("labels").at("team") == Json("growth"));
    CHECK(details.at("notification_id") == Json("5f1c2a9e3b7d4c10-1767571200000-1/ops"));
    REQUIRE(body.at("links").size() == 2);
    CHECK(body.at("links").at(0).at("href") ==
          Json("https://wiki.example.com/runbooks/activation"));
    CHECK(body.at("links").at(1).at("text") == Json("Acknowledge in tocsin"));
    CHECK(body.at("client") == Json("tocsin"));
    CHECK(body.at("client_url") == Json("http://127.0.0.1:9470"));
}

TEST_CASE("pagerduty acknowledge and resolve carry the same dedup key", "[pagerduty]") {
    const auto ack = events_for(sample_of_kind("acknowledged"));
    REQUIRE(ack.size() == 1);
    CHECK(ack.front().action == "acknowledge");
    CHECK(ack.front().body.at("dedup_key") == Json("5f1c2a9e3b7d4c10"));
    CHECK_FALSE(ack.front().body.contains("payload"));
    const auto resolve = events_for(sample_of_kind("resolved"));
    REQUIRE(resolve.size() == 1);
    CHECK(resolve.front().action == "resolve");
    CHECK(resolve.front().body.at("dedup_key") == Json("5f1c2a9e3b7d4c10"));
    const auto changed = events_for(sample_of_kind("severity_change"));
    CHECK(changed.front().body.at("payload").at("severity") == Json("critical"));
    CHECK(changed.front().body.at("payload").at("custom_details").at("previous_severity") ==
          Json("warning"));
}

TEST_CASE("pagerduty sends one event per alert and probes with a test", "[pagerduty]") {
    const auto events = events_for(sample_with_alerts(3));
    REQUIRE(events.size() == 3);
    CHECK(events[2].dedup_key == "fp2");
    const auto test = events_for(sample_of_kind("test"));
    REQUIRE(test.size() == 2);
    CHECK(test[0].action == "trigger");
    CHECK(test[0].body.at("payload").at("severity") == Json("info"));
    CHECK(test[1].action == "resolve");
    CHECK(test[0].dedup_key == test[1].dedup_key);
}

TEST_CASE("pagerduty summary is cut to 1024 characters and severities map", "[pagerduty]") {
    Json n = sample_firing();
    std::string long_summary;
    for (int i = 0; i < 1500; ++i) {
        long_summary += "ü";
    }
    n["alerts"].as_array().front()["annotations"].set("summary", long_summary);
    const auto events = events_for(n);
    CHECK(cm::utf8_length(events.front().body.at("payload").at("summary").as_string()) == 1024);
    CHECK(pd::pagerduty_severity("critical") == "critical");
    CHECK(pd::pagerduty_severity("info") == "info");
    CHECK(pd::pagerduty_severity("page") == "error");
}

TEST_CASE("pagerduty answers are described from their JSON", "[pagerduty]") {
    CHECK(pd::describe_answer(202, R"({"status":"success","message":"Event processed"})") ==
          "HTTP 202 success: Event processed");
    CHECK(pd::describe_answer(400, R"({"status":"invalid event","message":"Event object is invalid",
                                      "errors":["'payload.summary' is missing"]})") ==
          "HTTP 400 invalid event: 'payload.summary' is missing");
    CHECK(pd::describe_answer(502, "Bad gateway") == "HTTP 502 Bad gateway");
}

TEST_CASE("pagerduty module triggers, acknowledges and resolves at a validating stand-in",
          "[pagerduty]") {
    HttpServer server;
    server.set_handler(fake_pagerduty);
    PluginInstance instance(pagerduty_plugin(), config_for(server));
    REQUIRE(instance.create_status() == TOCSIN_OK);
    for (const char* kind : {"firing", "acknowledged", "resolved", "test"}) {
        INFO(kind);
        const auto outcome = instance.send(sample_of_kind(kind).dump(), milliseconds(5000));
        INFO(outcome.error);
        CHECK(outcome.status == TOCSIN_OK);
        CHECK_THAT(outcome.detail, Catch::StartsWith("HTTP 202 success: Event processed"));
    }
    const auto requests = server.requests();
    REQUIRE(requests.size() == 5);
    CHECK(Json::parse(requests[0].body).at("event_action") == Json("trigger"));
    CHECK(Json::parse(requests[1].body).at("event_action") == Json("acknowledge"));
    CHECK(Json::parse(requests[2].body).at("event_action") == Json("resolve"));
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(Json::parse(requests[i].body).at("dedup_key") == Json("5f1c2a9e3b7d4c10"));
    }
}

TEST_CASE("pagerduty module fails permanently on an invalid event", "[pagerduty]") {
    HttpServer server;
    server.set_handler(
        [](const HttpRequest&) { return invalid("'payload.source' is missing or blank"); });
    PluginInstance instance(pagerduty_plugin(), config_for(server));
    const auto outcome = instance.send(sample_firing().dump(), milliseconds(5000));
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK(outcome.detail == "HTTP 400 invalid event: 'payload.source' is missing or blank");
    CHECK(outcome.error == "HTTP 400 invalid event: 'payload.source' is missing or blank from " +
                               server.url("") + " (trigger 5f1c2a9e3b7d4c10)");
    CHECK_THAT(outcome.error, !Catch::Contains(kKey));
}

TEST_CASE("pagerduty module retries 429 and 5xx and resends only what was not accepted",
          "[pagerduty]") {
    HttpServer server;
    std::atomic<int> seen{0};
    server.set_handler([&](const HttpRequest& request) {
        const int n = ++seen;
        if (n == 1) {
            return json_answer(429, R"({"status":"throttle event","message":"slow down"})");
        }
        if (n == 3) {
            return json_answer(500, "");
        }
        return fake_pagerduty(request);
    });
    PluginInstance instance(pagerduty_plugin(), config_for(server));
    const std::string three = sample_with_alerts(3).dump();
    const auto limited = instance.send(three, milliseconds(5000));
    CHECK(limited.status == TOCSIN_RETRY);
    CHECK(limited.detail == "HTTP 429 throttle event: slow down");
    const auto broken = instance.send(three, milliseconds(5000));  // fp0 accepted, fp1 gets 500
    CHECK(broken.status == TOCSIN_RETRY);
    const auto done = instance.send(three, milliseconds(5000));  // fp1 and fp2 only
    CHECK(done.status == TOCSIN_OK);
    CHECK(done.detail == "HTTP 202 success: Event processed (2 events)");
    const auto requests = server.requests();
    REQUIRE(requests.size() == 5);
    CHECK(Json::parse(requests[1].body).at("dedup_key") == Json("fp0"));
    CHECK(Json::parse(requests[3].body).at("dedup_key") == Json("fp1"));
    CHECK(Json::parse(requests[4].body).at("dedup_key") == Json("fp2"));
}

TEST_CASE("pagerduty module retries when PagerDuty hangs past the deadline", "[pagerduty]") {
    HttpServer server;
    server.set_default_response(HttpResponse{202, {}, "{}", milliseconds(10000)});
    PluginInstance instance(pagerduty_plugin(), config_for(server));
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = instance.send(sample_firing().dump(), milliseconds(300));
    CHECK(outcome.status == TOCSIN_RETRY);
    CHECK(std::chrono::steady_clock::now() - started < milliseconds(1300));
}

TEST_CASE("pagerduty module answers a report without paging anyone", "[pagerduty][report]") {
    HttpServer server;
    server.set_handler(fake_pagerduty);
    PluginInstance instance(pagerduty_plugin(), config_for(server));
    REQUIRE(instance.create_status() == TOCSIN_OK);
    const auto outcome = instance.send(tocsin::testing::sample_report().dump(), milliseconds(5000));
    CHECK(outcome.status == TOCSIN_OK);
    CHECK(outcome.detail == "not sent: PagerDuty takes incidents, not reports");
    CHECK(server.requests().empty());
}
