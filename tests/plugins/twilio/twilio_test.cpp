#include "notifier_common/sample_notifications.hpp"
#include "plugin_harness.hpp"
#include "support/http_server.hpp"
#include "text_util.hpp"
#include "twilio_sms.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <string>

namespace tw = tocsin::plugins::twilio;
namespace cm = tocsin::plugins::common;
using std::chrono::milliseconds;
using tocsin::sdk::Json;
using tocsin::testing::HttpRequest;
using tocsin::testing::HttpResponse;
using tocsin::testing::HttpServer;
using tocsin::testing::PluginInstance;
using tocsin::testing::sample_firing;
using tocsin::testing::sample_of_kind;

namespace {

constexpr const char* kAccount = "AC0123456789abcdef0123456789abcdef";
constexpr const char* kToken = "tokenSECRET";

std::string base64_decode(std::string_view text) {
    constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (const char c : text) {
        const auto pos = kAlphabet.find(c);
        if (pos == std::string_view::npos) {
            break;
        }
        buffer = (buffer << 6U) | static_cast<unsigned>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> static_cast<unsigned>(bits)) & 0xFFU);
        }
    }
    return out;
}

std::string form_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] == '%' && i + 2 < text.size()) {
            out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::map<std::string, std::string> parse_form(std::string_view body) {
    std::map<std::string, std::string> out;
    while (!body.empty()) {
        const auto amp = body.find('&');
        const auto pair = body.substr(0, amp);
        const auto eq = pair.find('=');
        out[form_decode(pair.substr(0, eq))] =
            eq == std::string_view::npos ? "" : form_decode(pair.substr(eq + 1));
        body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    }
    return out;
}

HttpResponse twilio_error(int status, int code, const std::string& message) {
    Json body = Json::object();
    body.set("code", code);
    body.set("message", message);
    body.set("more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code));
    body.set("status", status);
    return HttpResponse{status, {{"Content-Type", "application/json"}}, body.dump(), {}};
}

bool e164(const std::string& number) {
    return number.size() >= 3 && number.size() <= 16 && number[0] == '+' &&
           number.find_first_not_of("0123456789", 1) == std::string::npos;
}

// A stand-in for the Messages API, checking requests as Twilio documents them.
HttpResponse fake_twilio(const HttpRequest& request) {
    const std::string path = std::string("/2010-04-01/Accounts/") + kAccount + "/Messages.json";
    if (request.path() != path) {
        return twilio_error(
            404, 20404, "The requested resource " + request.path() + " was not found");
    }
    if (request.method != "POST") {
        return twilio_error(405, 20004, "Method not allowed");
    }
    const std::string auth = request.header("Authorization");
    const std::string credentials =
        auth.rfind("Basic ", 0) == 0 ? base64_decode(auth.substr(6)) : "";
    if (credentials != std::string(kAccount) + ":" + kToken && credentials != "SKkey1:keySECRET") {
        return twilio_error(401, 20003, "Authenticate");
    }
    if (request.header("Content-Type") != "application/x-www-form-urlencoded") {
        return twilio_error(400, 20001, "Content-Type must be application/x-www-form-urlencoded");
    }
    auto form = parse_form(request.body);
    if (form["To"].empty()) {
        return twilio_error(400, 21604, "A 'To' phone number is required.");
    }
    if (!e164(form["To"])) {
        return twilio_error(400, 21211, "Invalid 'To' Phone Number: " + form["To"]);
    }
    if (form["From"].empty() && form["MessagingServiceSid"].empty()) {
        return twilio_error(400, 21603, "A 'From' phone number is required.");
    }
    if (form["Body"].empty()) {
        return twilio_error(400, 21602, "Message body is required.");
    }
    if (cm::utf8_length(form["Body"]) > 1600) {
        return twilio_error(
            400, 21617, "The concatenated message body exceeds the 1600 character limit.");
    }
    if (form.count("ValidityPeriod") != 0) {
        const auto& v = form["ValidityPeriod"];
        if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos ||
            std::stol(v) < 1 || std::stol(v) > 36000) {
            return twilio_error(400, 21624, "Invalid validity period value");
        }
    }
    Json message = Json::object();
    message.set("sid", "SM00000000000000000000000000000001");
    message.set("status", "queued");
    message.set("to", form["To"]);
    message.set("body", form["Body"]);
    message.set("num_segments", std::to_string(tw::segment_count(form["Body"])));
    return HttpResponse{201, {{"Content-Type", "application/json"}}, message.dump(), {}};
}

std::string config_for(const HttpServer& server, const std::string& to = R"(["+15550199"])") {
    return std::string(R"({"account_sid": ")") + kAccount + R"(", "auth_token": ")" + kToken +
           R"(", "from": "+15550100", "to": )" + to + R"(, "api_url": ")" + server.url("") + "\"}";
}

cm::NotificationView view_with_short(const std::string& text) {
    Json n = sample_firing();
    n.set("message", Json::object());
    n["message"].set("short", text);
    return cm::read_notification(n);
}

const tocsin_plugin& twilio_plugin() {
    return tocsin::testing::load_plugin("tocsin_notifier_twilio.so");
}

}  // namespace

TEST_CASE("twilio counts GSM-7 and UCS-2 segments", "[twilio]") {
    CHECK(tw::encoding_of("Hello {world} €5") == tw::SmsEncoding::Gsm7);
    CHECK(tw::encoding_of("Grüße") == tw::SmsEncoding::Gsm7);
    CHECK(tw::encoding_of("price ₹5") == tw::SmsEncoding::Ucs2);
    CHECK(tw::sms_units("a{b}", tw::SmsEncoding::Gsm7) == 6);
    CHECK(tw::sms_units("a😀", tw::SmsEncoding::Ucs2) == 3);
    CHECK(tw::segment_count(std::string(160, 'a')) == 1);
    CHECK(tw::segment_count(std::string(161, 'a')) == 2);
    CHECK(tw::segment_count(std::string(306, 'a')) == 2);
    CHECK(tw::segment_count(std::string(307, 'a')) == 3);
    CHECK(tw::segment_count("₹" + std::string(69, 'a')) == 1);
    CHECK(tw::segment_count("₹" + std::string(70, 'a')) == 2);
    CHECK(tw::gsm_friendly("“quoted” – it’s… ↑") == "\"quoted\" - it's... up");
}

TEST_CASE("twilio text is short, self-contained and carries the ack link", "[twilio]") {
    const auto view = cm::read_notification(sample_firing());
    const std::string body = tw::sms_body(view);
    CHECK(body ==
          "[WARNING] ActivationRateLow: Activation rate 28% is below 30% (target 40%) Ack: "
          "http://127.0.0.1:9470/api/v1/ack?token=abc.def");
    CHECK(tw::segment_count(body) <= 2);
    CHECK(tw::encoding_of(body) == tw::SmsEncoding::Gsm7);

    const auto resolved = tw::sms_body(cm::read_notification(sample_of_kind("resolved")));
    CHECK(resolved ==
          "[RESOLVED] ActivationRateLow: Activation rate 28% is below 30% (target 40%) (lasted "
          "1h 5m)");
}

TEST_CASE("twilio texts a batch once without the first alert's ack link", "[twilio]") {
    auto batch = sample_firing();
    auto second = batch["alerts"].as_array().front();
    second.set("fingerprint", "0000000000000002");
    batch["alerts"].as_array().push_back(second);
    batch.set("message",
              Json::parse(R"({"title":"[FIRING] 2 alerts: ActivationRateLow","text":"two",)"
                          R"("short":"2 alerts firing: ActivationRateLow, ActivationRateLow"})"));
    CHECK(tw::sms_body(cm::read_notification(batch)) ==
          "2 alerts firing: ActivationRateLow, ActivationRateLow");
}

TEST_CASE("twilio text is cut to two segments", "[twilio]") {
    SECTION("GSM-7 keeps the link and cuts the text") {
        auto view = view_with_short(std::string(500, 'x'));
        view.via_fallback = "ops-slack";
        const std::string body = tw::sms_body(view);
        CHECK(tw::sms_units(body, tw::SmsEncoding::Gsm7) <= 306);
        CHECK(tw::segment_count(body) == 2);
        CHECK_THAT(body,
                   Catch::EndsWith("... (via fallback: ops-slack failed) Ack: "
                                   "http://127.0.0.1:9470/api/v1/ack?token=abc.def"));
    }
    SECTION("UCS-2 when it must, within 134 units") {
        std::string text;
        for (int i = 0; i < 200; ++i) {
            text += "₹";
        }
        auto view = view_with_short(text);
        view.alerts.front().ack_url.clear();
        const std::string body = tw::sms_body(view);
        CHECK(tw::encoding_of(body) == tw::SmsEncoding::Ucs2);
        CHECK(tw::sms_units(body, tw::SmsEncoding::Ucs2) == 134);
        CHECK(tw::segment_count(body) == 2);
    }
    SECTION("one segment on request") {
        const std::string body = tw::sms_body(view_with_short(std::string(500, 'y')), 1);
        CHECK(tw::segment_count(body) == 1);
    }
}

TEST_CASE("twilio validity period follows the alert's useful life", "[twilio]") {
    tw::TwilioConfig config;
    config.validity_period = std::chrono::seconds(7200);
    CHECK(tw::validity_for(cm::read_notification(sample_firing()), config).count() == 7200);
    CHECK(tw::validity_for(cm::read_notification(sample_of_kind("resolved")), config).count() ==
          900);
    CHECK(tw::validity_for(cm::read_notification(sample_of_kind("acknowledged")), config).count() ==
          900);
}

TEST_CASE("twilio answers are described from their JSON", "[twilio]") {
    CHECK(tw::describe_answer(201, R"({"sid": "SM1", "status": "queued"})") ==
          "HTTP 201 SM1 queued");
    CHECK(tw::describe_answer(400, R"({"code": 21211, "message": "Invalid 'To' Phone Number",
                                       "status": 400})") ==
          "HTTP 400 21211: Invalid 'To' Phone Number");
    CHECK(tw::describe_answer(503, "") == "HTTP 503");
}

TEST_CASE("twilio module texts every number through a validating stand-in", "[twilio]") {
    HttpServer server;
    server.set_handler(fake_twilio);
    PluginInstance instance(twilio_plugin(),
                            config_for(server, R"(["+15550199", "+4915112345678"])"));
    REQUIRE(instance.create_status() == TOCSIN_OK);
    const auto outcome = instance.send(sample_firing().dump(), milliseconds(5000));
    INFO(outcome.error);
    REQUIRE(outcome.status == TOCSIN_OK);
    CHECK(outcome.detail == "HTTP 201 SM00000000000000000000000000000001 queued (2 messages)");
    const auto requests = server.requests();
    REQUIRE(requests.size() == 2);
    auto form = parse_form(requests[0].body);
    CHECK(form["To"] == "+15550199");
    CHECK(form["From"] == "+15550100");
    CHECK(form["ValidityPeriod"] == "3600");
    CHECK(form["Body"] == tw::sms_body(cm::read_notification(sample_firing())));
    CHECK(parse_form(requests[1].body)["To"] == "+4915112345678");
}

TEST_CASE("twilio module authenticates with an API key and a messaging service", "[twilio]") {
    HttpServer server;
    server.set_handler(fake_twilio);
    PluginInstance instance(twilio_plugin(),
                            std::string(R"({"account_sid": ")") + kAccount +
                                R"(", "api_key_sid": "SKkey1", "api_key_secret": "keySECRET",
                                   "messaging_service_sid": "MG1", "to": ["+15550199"],
                                   "api_url": ")" +
                                server.url("") + "\"}");
    const auto outcome = instance.send(sample_of_kind("resolved").dump(), milliseconds(5000));
    INFO(outcome.error);
    REQUIRE(outcome.status == TOCSIN_OK);
    auto form = parse_form(server.requests().front().body);
    CHECK(form["MessagingServiceSid"] == "MG1");
    CHECK(form.count("From") == 0);
    CHECK(form["ValidityPeriod"] == "900");
}

TEST_CASE("twilio module fails permanently on a wrong token without leaking it", "[twilio]") {
    HttpServer server;
    server.set_handler(fake_twilio);
    PluginInstance instance(
        twilio_plugin(),
        std::string(R"({"account_sid": ")") + kAccount +
            R"(", "auth_token": "wrongSECRET", "from": "+15550100", "to": ["+15550199"],
               "api_url": ")" +
            server.url("") + "\"}");
    const auto outcome = instance.send(sample_firing().dump(), milliseconds(5000));
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK(outcome.detail == "+15550199: HTTP 401 20003: Authenticate");
    CHECK_THAT(outcome.error, !Catch::Contains("SECRET"));
}

TEST_CASE("twilio module retries 429 and 5xx without texting anyone twice", "[twilio]") {
    HttpServer server;
    std::atomic<int> seen{0};
    server.set_handler([&](const HttpRequest& request) {
        const int n = ++seen;
        if (n == 2) {
            HttpResponse limited = twilio_error(429, 20429, "Too Many Requests");
            limited.headers.emplace_back("Retry-After", "2");
            return limited;
        }
        if (n == 3) {
            return twilio_error(503, 20503, "Service unavailable");
        }
        return fake_twilio(request);
    });
    PluginInstance instance(twilio_plugin(), config_for(server, R"(["+15550101", "+15550102"])"));
    const std::string n = sample_firing().dump();
    const auto first = instance.send(n, milliseconds(5000));  // +..101 ok, +..102 gets 429
    CHECK(first.status == TOCSIN_RETRY);
    CHECK(first.retry_after_ms == 2000);
    CHECK(first.detail == "+15550102: HTTP 429 20429: Too Many Requests");
    const auto second = instance.send(n, milliseconds(5000));  // +..102 gets 503
    CHECK(second.status == TOCSIN_RETRY);
    const auto third = instance.send(n, milliseconds(5000));  // +..102 ok
    CHECK(third.status == TOCSIN_OK);
    const auto requests = server.requests();
    REQUIRE(requests.size() == 4);
    CHECK(parse_form(requests[0].body)["To"] == "+15550101");
    for (std::size_t i = 1; i < 4; ++i) {
        CHECK(parse_form(requests[i].body)["To"] == "+15550102");
    }
}

TEST_CASE("twilio module delivers to good numbers when one is refused for good", "[twilio]") {
    HttpServer server;
    std::atomic<int> seen{0};
    server.set_handler([&](const HttpRequest& request) {
        if (++seen == 1) {
            return twilio_error(400, 21610, "Attempt to send to unsubscribed recipient");
        }
        return fake_twilio(request);
    });
    PluginInstance instance(twilio_plugin(), config_for(server, R"(["+15550101", "+15550102"])"));
    const auto outcome = instance.send(sample_firing().dump(), milliseconds(5000));
    CHECK(outcome.status == TOCSIN_OK);
    CHECK(
        outcome.detail ==
        "sent to 1, refused: +15550101: HTTP 400 21610: Attempt to send to unsubscribed recipient");
    CHECK(instance.count_logs(TOCSIN_LOG_WARNING, "SMS refused for some numbers") == 1);
}

TEST_CASE("twilio module retries when Twilio hangs past the deadline", "[twilio]") {
    HttpServer server;
    server.set_default_response(HttpResponse{201, {}, "{}", milliseconds(10000)});
    PluginInstance instance(twilio_plugin(), config_for(server));
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = instance.send(sample_firing().dump(), milliseconds(300));
    CHECK(outcome.status == TOCSIN_RETRY);
    CHECK(std::chrono::steady_clock::now() - started < milliseconds(1300));
}

TEST_CASE("twilio texts a report's short line", "[twilio][report]") {
    Json n = tocsin::testing::sample_report();
    n.set("message",
          Json::parse(R"({"title": "Growth KPIs: 1 critical, 1 no data, 1 ok", "text": "x",
                          "short": "Growth KPIs: activation_rate 35.0% ok; signups{plan=pro} 40 critical"})"));
    CHECK(tw::sms_body(cm::read_notification(n)) ==
          "Growth KPIs: activation_rate 35.0% ok; signups{plan=pro} 40 critical");
}
