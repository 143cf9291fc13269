#include "notifier_common/sample_notifications.hpp"
#include "plugin_harness.hpp"
#include "slack_message.hpp"
#include "support/http_server.hpp"
#include "text_util.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <string>

namespace sl = tocsin::plugins::slack;
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

constexpr const char* kHookPath = "/services/T0001/B0001/XXXXsecretXXXX";

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t len = c < 0x80         ? 1
                                : (c >> 5) == 6  ? 2
                                : (c >> 4) == 14 ? 3
                                : (c >> 3) == 30 ? 4
                                                 : 0;
        if (len == 0 || i + len > s.size()) {
            return false;
        }
        for (std::size_t k = 1; k < len; ++k) {
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
                return false;
            }
        }
        i += len;
    }
    return true;
}

bool text_ok(const Json& text, std::size_t max, bool plain_only) {
    if (!text.is_object() || !text.contains("type") || !text.contains("text") ||
        !text.at("text").is_string()) {
        return false;
    }
    const std::string type = text.at("type").as_string();
    if (type != "plain_text" && (plain_only || type != "mrkdwn")) {
        return false;
    }
    const std::string& value = text.at("text").as_string();
    return !value.empty() && cm::utf8_length(value) <= max && valid_utf8(value);
}

// Checks a message as Slack's Block Kit reference documents it; "" when valid, else the error
// code Slack would answer.
std::string check_blocks(const Json& body) {
    if (!body.contains("blocks")) {
        return "";
    }
    const Json& blocks = body.at("blocks");
    if (!blocks.is_array() || blocks.size() > 50) {
        return "invalid_blocks";
    }
    std::set<std::string> action_ids;
    for (const Json& block : blocks.as_array()) {
        const std::string type =
            block.is_object() && block.contains("type") ? block.at("type").as_string() : "";
        if (type == "header") {
            if (!text_ok(block.at("text"), 150, true)) {
                return "invalid_blocks";
            }
        } else if (type == "section") {
            const bool has_text = block.contains("text");
            const bool has_fields = block.contains("fields");
            if (!has_text && !has_fields) {
                return "invalid_blocks";
            }
            if (has_text && !text_ok(block.at("text"), 3000, false)) {
                return "invalid_blocks";
            }
            if (has_fields) {
                const Json& fields = block.at("fields");
                if (!fields.is_array() || fields.size() == 0 || fields.size() > 10) {
                    return "invalid_blocks";
                }
                for (const Json& field : fields.as_array()) {
                    if (!text_ok(field, 2000, false)) {
                        return "invalid_blocks";
                    }
                }
            }
        } else if (type == "context") {
            const Json& elements = block.at("elements");
            if (!elements.is_array() || elements.size() == 0 || elements.size() > 10) {
                return "invalid_blocks";
            }
            for (const Json& element : elements.as_array()) {
                if (!text_ok(element, 3000, false)) {
                    return "invalid_blocks";
                }
            }
        } else if (type == "actions") {
            const Json& elements = block.at("elements");
            if (!elements.is_array() || elements.size() == 0 || elements.size() > 25) {
                return "invalid_blocks";
            }
            for (const Json& element : elements.as_array()) {
                if (element.at("type").as_string() != "button" ||
                    !text_ok(element.at("text"), 75, true) ||
                    element.at("url").as_string().size() > 3000 ||
                    element.at("action_id").as_string().size() > 255 ||
                    !action_ids.insert(element.at("action_id").as_string()).second) {
                    return "invalid_blocks";
                }
                if (element.contains("style") && element.at("style").as_string() != "primary" &&
                    element.at("style").as_string() != "danger") {
                    return "invalid_blocks";
                }
            }
        } else if (type != "divider") {
            return "invalid_blocks";
        }
    }
    return "";
}

// A stand-in for a Slack incoming webhook, answering as Slack does.
HttpResponse fake_slack(const HttpRequest& request) {
    auto answer = [](int status, const std::string& body) {
        return HttpResponse{status, {{"Content-Type", "text/html"}}, body, {}};
    };
    if (request.path() != kHookPath) {
        return answer(404, "no_service");
    }
    if (request.method != "POST") {
        return answer(400, "invalid_payload");
    }
    if (request.header("Content-Type").rfind("application/json", 0) != 0) {
        return answer(400, "invalid_payload");
    }
    Json body;
    if (!Json::try_parse(request.body, body) || !body.is_object()) {
        return answer(400, "invalid_payload");
    }
    if (!body.contains("text") && !body.contains("blocks")) {
        return answer(400, "no_text");
    }
    if (body.contains("text") &&
        (!body.at("text").is_string() || !valid_utf8(body.at("text").as_string()))) {
        return answer(400, "invalid_payload");
    }
    try {
        if (const auto error = check_blocks(body); !error.empty()) {
            return answer(400, error);
        }
    } catch (const tocsin::sdk::JsonError&) {
        return answer(400, "invalid_blocks");
    }
    return answer(200, "ok");
}

const tocsin_plugin& slack_plugin() {
    return tocsin::testing::load_plugin("tocsin_notifier_slack.so");
}

std::string config_for(const HttpServer& server, const std::string& extra = "") {
    return R"({"webhook_url": ")" + server.url(kHookPath) + "\"" + extra + "}";
}

Json render(const Json& notification, const std::string& config_extra = "") {
    sl::SlackConfig config;
    REQUIRE(sl::parse_config(
                tocsin::sdk::Config(Json::parse(R"({"webhook_url": "https://hooks.slack.com/x")" +
                                                config_extra + "}")),
                config)
                .is_ok());
    return sl::render_message(cm::read_notification(notification), config);
}

std::string header_of(const Json& message) {
    return message.at("blocks").at(0).at("text").at("text").as_string();
}

// Every block's texts, buttons and fields, joined, for "contains" checks.
std::string all_text(const Json& message) {
    return message.dump();
}

}  // namespace

TEST_CASE("slack message shows a firing alert with severity, facts and buttons", "[slack]") {
    const Json message = render(sample_firing());
    CHECK(check_blocks(message).empty());
    CHECK(message.at("text") == Json(":large_yellow_circle: [WARNING] ActivationRateLow"));
    CHECK(header_of(message) == ":large_yellow_circle: [WARNING] ActivationRateLow");
    const auto& blocks = message.at("blocks").as_array();
    REQUIRE(blocks.size() == 5);
    CHECK(blocks[1].at("type") == Json("context"));
    CHECK(blocks[1].at("elements").at(0).at("text") ==
          Json("*Severity:* WARNING   *Kind:* firing   *Notifier:* ops"));
    CHECK(blocks[2].at("text").at("text").as_string().rfind(
              "[WARNING] ActivationRateLow: Activation rate 28% is below 30% (target 40%)", 0) ==
          0);
    const std::string facts = blocks[3].dump();
    CHECK_THAT(facts, Catch::Contains(R"(*Value*\n28% ↓ from 31%)"));
    CHECK_THAT(facts, Catch::Contains(R"(*Threshold*\n30%)"));
    CHECK_THAT(facts, Catch::Contains(R"(*Target*\n40%)"));
    CHECK_THAT(facts, Catch::Contains(R"(*Since*\n2026-01-05T06:00:00Z)"));
    const auto& buttons = blocks[4].at("elements").as_array();
    REQUIRE(buttons.size() == 2);
    CHECK(buttons[0].at("url") == Json("https://wiki.example.com/runbooks/activation"));
    CHECK(buttons[0].at("text").at("text") == Json("Runbook"));
    CHECK(buttons[1].at("url") == Json("http://127.0.0.1:9470/api/v1/ack?token=abc.def"));
    CHECK(buttons[1].at("style") == Json("primary"));
}

TEST_CASE("slack message renders each kind distinctly", "[slack]") {
    CHECK(header_of(render(sample_of_kind("severity_change"))) ==
          ":red_circle: [CRITICAL] ActivationRateLow (was warning)");
    CHECK(header_of(render(sample_of_kind("reminder"))) ==
          ":large_yellow_circle: [WARNING] Still firing: ActivationRateLow");
    CHECK(header_of(render(sample_of_kind("acknowledged"))) ==
          ":eyes: [ACKNOWLEDGED] ActivationRateLow by alice");
    CHECK(header_of(render(sample_of_kind("digest"))) == ":clipboard: Digest: 1 alert");
    CHECK(header_of(render(sample_of_kind("test"))) == ":test_tube: Test notification from tocsin");

    const Json resolved = render(sample_of_kind("resolved"));
    CHECK(header_of(resolved) == ":white_check_mark: [RESOLVED] ActivationRateLow");
    CHECK_THAT(all_text(resolved), Catch::Contains(R"(*Lasted*\n1h 5m)"));
    CHECK_THAT(all_text(resolved), !Catch::Contains("Acknowledge"));
    CHECK_THAT(all_text(resolved), Catch::Contains("Runbook"));
    CHECK_THAT(all_text(resolved), !Catch::Contains("*Severity:*"));
}

TEST_CASE("slack message uses the daemon's title and text and says when it is a fallback",
          "[slack]") {
    Json n = sample_firing();
    n.set("message", Json::parse(R"({"title": "KPI <activation> & more", "text": "body <b>"})"));
    n.set("via_fallback", "ops-email");
    const Json message = render(n);
    CHECK(header_of(message) == ":large_yellow_circle: KPI <activation> & more");
    CHECK(message.at("text") ==
          Json(":large_yellow_circle: KPI &lt;activation&gt; &amp; more (sent "
               "via fallback because ops-email failed)"));
    CHECK(message.at("blocks").at(2).at("text").at("text") ==
          Json("body &lt;b&gt;\nSent via fallback because ops-email failed"));
}

TEST_CASE("slack message mentions only on critical firing", "[slack]") {
    const Json critical = render(sample_of_kind("severity_change"), R"(, "mention": "<!here>")");
    CHECK(critical.at("text").as_string().rfind("<!here> :red_circle:", 0) == 0);
    CHECK(critical.at("blocks").at(2).at("text").at("text") == Json("<!here>"));
    const Json warning = render(sample_firing(), R"(, "mention": "<!here>")");
    CHECK_THAT(all_text(warning), !Catch::Contains("<!here>"));
}

TEST_CASE("slack message stays within Block Kit limits", "[slack]") {
    Json n = sample_with_alerts(60);
    std::string long_title;
    for (int i = 0; i < 200; ++i) {
        long_title += "é";
    }
    std::string long_text;
    for (int i = 0; i < 2000; ++i) {
        long_text += "a&b ";
    }
    n.set("message", Json::object());
    n["message"].set("title", long_title);
    n["message"].set("text", long_text);
    const Json message = render(n, R"(, "max_alerts": 15)");
    CHECK(check_blocks(message).empty());
    CHECK(message.at("blocks").size() <= 50);
    const std::string header = header_of(message);
    CHECK(cm::utf8_length(header) == 150);
    CHECK(valid_utf8(header));
    const std::string text = message.at("blocks").at(2).at("text").at("text").as_string();
    CHECK(cm::utf8_length(text) <= 3000);
    CHECK_THAT(text, Catch::EndsWith("\xE2\x80\xA6"));
    CHECK_THAT(all_text(message), Catch::Contains("45 more alerts in this notification"));
}

TEST_CASE("slack mrkdwn escaping never leaves half an escape", "[slack]") {
    CHECK(sl::mrkdwn("a<b>&c", 100) == "a&lt;b&gt;&amp;c");
    CHECK(sl::mrkdwn("ab&", 4) == "ab\xE2\x80\xA6");
    CHECK(sl::mrkdwn("abcdef", 4) == "abc\xE2\x80\xA6");
}

TEST_CASE("slack module posts every kind to a validating Slack stand-in", "[slack]") {
    HttpServer server;
    server.set_handler(fake_slack);
    PluginInstance instance(slack_plugin(), config_for(server, R"(, "channel": "#ops")"));
    REQUIRE(instance.create_status() == TOCSIN_OK);
    for (const char* kind :
         {"firing", "severity_change", "reminder", "acknowledged", "resolved", "digest", "test"}) {
        INFO(kind);
        const auto outcome = instance.send(sample_of_kind(kind).dump(), milliseconds(5000));
        INFO(outcome.error);
        CHECK(outcome.status == TOCSIN_OK);
        CHECK(outcome.detail == "HTTP 200 ok");
    }
    const auto many = instance.send(sample_with_alerts(40).dump(), milliseconds(5000));
    CHECK(many.status == TOCSIN_OK);
    const auto requests = server.requests();
    REQUIRE(requests.size() == 8);
    CHECK(requests.front().header("Content-Type") == "application/json; charset=utf-8");
    CHECK(Json::parse(requests.front().body).at("channel") == Json("#ops"));
}

TEST_CASE("slack module fails permanently on Slack's 4xx codes without leaking the url",
          "[slack]") {
    HttpServer server;
    server.set_handler(fake_slack);
    SECTION("no_service for an unknown hook") {
        PluginInstance instance(
            slack_plugin(),
            R"({"webhook_url": ")" + server.url("/services/T0001/B0001/wrongSECRET") + "\"}");
        const auto outcome = instance.send(sample_firing().dump(), milliseconds(5000));
        CHECK(outcome.status == TOCSIN_FAILED);
        CHECK(outcome.detail == "HTTP 404 no_service");
        CHECK(outcome.error == "HTTP 404 from " + server.url("") + ": no_service");
    }
    SECTION("channel_not_found and invalid_payload") {
        server.set_handler({});
        server.enqueue(HttpResponse{404, {}, "channel_not_found", {}});
        server.enqueue(HttpResponse{400, {}, "invalid_payload", {}});
        server.enqueue(HttpResponse{403, {}, "action_prohibited", {}});
        PluginInstance instance(slack_plugin(), config_for(server));
        CHECK(instance.send(sample_firing().dump(), milliseconds(5000)).detail ==
              "HTTP 404 channel_not_found");
        const auto bad = instance.send(sample_firing().dump(), milliseconds(5000));
        CHECK(bad.status == TOCSIN_FAILED);
        CHECK(bad.detail == "HTTP 400 invalid_payload");
        CHECK(instance.send(sample_firing().dump(), milliseconds(5000)).status == TOCSIN_FAILED);
        for (const auto& line : instance.logs()) {
            CHECK_THAT(line.text, !Catch::Contains("secret"));
        }
    }
}

TEST_CASE("slack module retries on 429 with Retry-After and on 500 then succeeds", "[slack]") {
    HttpServer server;
    server.enqueue(HttpResponse{429, {{"Retry-After", "30"}}, "rate_limited", {}});
    server.enqueue(HttpResponse{500, {}, "", {}});
    server.set_default_response(HttpResponse{200, {}, "ok", {}});
    PluginInstance instance(slack_plugin(), config_for(server));
    const auto limited = instance.send(sample_firing().dump(), milliseconds(5000));
    CHECK(limited.status == TOCSIN_RETRY);
    CHECK(limited.retry_after_ms == 30000);
    CHECK(limited.detail == "HTTP 429 rate_limited");
    const auto broken = instance.send(sample_firing().dump(), milliseconds(5000));
    CHECK(broken.status == TOCSIN_RETRY);
    CHECK(broken.detail == "HTTP 500");
    const auto fine = instance.send(sample_firing().dump(), milliseconds(5000));
    CHECK(fine.status == TOCSIN_OK);
    CHECK(server.request_count() == 3);
}

TEST_CASE("slack module gives up on a hanging Slack at the deadline and retries", "[slack]") {
    HttpServer server;
    server.set_default_response(HttpResponse{200, {}, "ok", milliseconds(10000)});
    PluginInstance instance(slack_plugin(), config_for(server));
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = instance.send(sample_firing().dump(), milliseconds(300));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    CHECK(outcome.status == TOCSIN_RETRY);
    CHECK_THAT(outcome.error, Catch::StartsWith("cannot reach " + server.url("")));
    CHECK_THAT(outcome.error, !Catch::Contains("secret"));
    CHECK(elapsed < milliseconds(1300));
}

TEST_CASE("slack stand-in refuses what Slack refuses", "[slack]") {
    HttpServer server;
    server.set_handler(fake_slack);
    Json too_many = Json::parse(R"({"text": "x", "blocks": []})");
    for (int i = 0; i < 51; ++i) {
        too_many["blocks"].push_back(Json::parse(R"({"type": "divider"})"));
    }
    Json long_header = Json::parse(R"({"blocks": [{"type": "header",
        "text": {"type": "plain_text", "text": ""}}]})");
    long_header["blocks"].as_array()[0]["text"].set("text", std::string(151, 'x'));
    const Json no_text = Json::parse(R"({"channel": "#ops"})");
    for (const Json& body : {too_many, long_header, no_text}) {
        tocsin::testing::HttpRequest request;
        request.method = "POST";
        request.target = kHookPath;
        request.headers = {{"Content-Type", "application/json"}};
        request.body = body.dump();
        CHECK(fake_slack(request).status == 400);
    }
}

TEST_CASE("slack shows a report as a header and a section per KPI line", "[slack][report]") {
    const Json message = render(tocsin::testing::sample_report());
    CHECK(header_of(message) == ":bar_chart: Growth KPIs");
    const auto& blocks = message.at("blocks").as_array();
    REQUIRE(blocks.size() == 5);  // header, context, three lines
    CHECK_THAT(blocks[1].dump(), Catch::Contains("*Kind:* report"));
    CHECK_THAT(blocks[1].dump(), !Catch::Contains("*Severity:*"));
    CHECK(blocks[2].at("text").at("text") ==
          Json(":white_check_mark: *activation_rate*: 35% (target 40%), ok, up from 33%"));
    CHECK(blocks[3].at("text").at("text") ==
          Json(":red_circle: *signups{plan=pro}*: 40, critical (SignupsLow), down from 52"));
    CHECK(blocks[4].at("text").at("text") == Json(":grey_question: *churn*: no data"));
}

TEST_CASE("slack counts the report lines past its block limit", "[slack][report]") {
    Json n = tocsin::testing::sample_report();
    Json lines = Json::array();
    for (int i = 0; i < 60; ++i) {
        lines.push_back(Json::parse(R"({"kpi": "k)" + std::to_string(i) +
                                    R"(", "value": 1, "unit": "", "status": "ok"})"));
    }
    n["report"].set("lines", lines);
    const Json message = render(n);
    const auto& blocks = message.at("blocks").as_array();
    CHECK(blocks.size() == sl::kMaxBlocks);
    CHECK_THAT(blocks.back().dump(), Catch::Contains("13 more KPI lines not shown"));
}
