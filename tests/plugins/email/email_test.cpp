#include "email/smtp_server.hpp"
#include "email_message.hpp"
#include "notifier_common/sample_notifications.hpp"
#include "plugin_harness.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <chrono>
#include <string>

namespace em = tocsin::plugins::email;
namespace cm = tocsin::plugins::common;
using std::chrono::milliseconds;
using tocsin::sdk::Json;
using tocsin::testing::PluginInstance;
using tocsin::testing::sample_firing;
using tocsin::testing::sample_of_kind;
using tocsin::testing::SmtpServer;

namespace {

// A title with umlauts, a dash and a check mark: needs RFC 2047 in the subject.
const std::string kUnicodeTitle = "[WARNING] Aktivierungsrate zu niedrig – Größe ✓";

std::string decode_base64(std::string_view text) {
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

std::string config_for(std::uint16_t port,
                       const std::string& scheme = "smtp",
                       const std::string& extra = "") {
    auto& server = SmtpServer::instance();
    return R"({"smtp_url": ")" + scheme + "://127.0.0.1:" + std::to_string(port) +
           R"(", "username": "tocsin", "password": "s3cret-pw", "ca_file": ")" + server.ca_file() +
           R"(", "from": "tocsin <alerts@example.com>", "to": ["lead@example.com"])" + extra + "}";
}

const tocsin_plugin& email_plugin() {
    return tocsin::testing::load_plugin("tocsin_notifier_email.so");
}

Json with_id(Json notification, const std::string& id) {
    notification.set("id", id);
    return notification;
}

em::EmailConfig sample_config() {
    em::EmailConfig config;
    config.smtp_url = "smtp://127.0.0.1";
    REQUIRE(em::parse_mailbox("tocsin <alerts@example.com>", config.from));
    config.to.push_back({"", "lead@example.com"});
    return config;
}

}  // namespace

TEST_CASE("email subjects are RFC 2047 encoded words when not plain ASCII", "[email]") {
    CHECK(em::encode_header_text("[WARNING] Plain") == "[WARNING] Plain");
    CHECK(em::encode_header_text("looks =?like?= a word") != "looks =?like?= a word");
    const std::string encoded = em::encode_header_text(kUnicodeTitle);
    std::string decoded;
    std::size_t start = 0;
    while ((start = encoded.find("=?UTF-8?B?", start)) != std::string::npos) {
        const auto end = encoded.find("?=", start + 10);
        REQUIRE(end != std::string::npos);
        CHECK(end + 2 - start <= 75);
        decoded += decode_base64(encoded.substr(start + 10, end - start - 10));
        start = end + 2;
    }
    CHECK(decoded == kUnicodeTitle);
    CHECK_THAT(encoded, Catch::Contains("?=\r\n =?UTF-8?B?"));
}

TEST_CASE("email bodies are quoted-printable with short lines", "[email]") {
    CHECK(em::quoted_printable("a=b é\n") == "a=3Db =C3=A9\r\n");
    CHECK(em::quoted_printable("trailing \nx") == "trailing=20\r\nx");
    const std::string long_line = em::quoted_printable(std::string(200, 'x'));
    for (std::size_t pos = 0, next = 0; pos < long_line.size(); pos = next + 2) {
        next = long_line.find("\r\n", pos);
        if (next == std::string::npos) {
            next = long_line.size();
        }
        CHECK(next - pos <= 76);
    }
}

TEST_CASE("email dates follow RFC 5322", "[email]") {
    CHECK(em::rfc5322_date(1767571200) == "Mon, 05 Jan 2026 00:00:00 +0000");
    CHECK(em::rfc5322_date(1767650705) == "Mon, 05 Jan 2026 22:05:05 +0000");
}

TEST_CASE("email threads later mails to the firing mail without state", "[email]") {
    const auto config = sample_config();
    const auto firing = em::build_mail(cm::read_notification(sample_firing()), config, 1767571200);
    const auto resolved =
        em::build_mail(cm::read_notification(sample_of_kind("resolved")), config, 1767575100);
    const auto acked =
        em::build_mail(cm::read_notification(sample_of_kind("acknowledged")), config, 1767572000);
    CHECK(firing.message_id ==
          em::thread_message_id("5f1c2a9e3b7d4c10", "2026-01-05T06:00:00Z", "example.com"));
    CHECK(firing.in_reply_to.empty());
    CHECK(resolved.in_reply_to == firing.message_id);
    CHECK(acked.in_reply_to == firing.message_id);
    CHECK(resolved.message_id != firing.message_id);
    CHECK(acked.message_id != resolved.message_id);
    // A new episode of the same alert (another start) starts a new thread.
    CHECK(em::thread_message_id("5f1c2a9e3b7d4c10", "2026-01-06T06:00:00Z", "example.com") !=
          firing.message_id);
    CHECK_THAT(resolved.text, Catch::Contains("\r\nReferences: " + firing.message_id + "\r\n"));
    CHECK_THAT(firing.text, !Catch::Contains("In-Reply-To"));
}

TEST_CASE("email sends a batch of several alerts outside any alert's thread", "[email]") {
    auto batch = sample_firing();
    auto second = batch["alerts"].as_array().front();
    second.set("fingerprint", "0000000000000002");
    batch["alerts"].as_array().push_back(second);
    batch.set("id", "batch-0123456789abcdef-1767571200000/ops");
    const auto mail = em::build_mail(cm::read_notification(batch), sample_config(), 1767571200);
    CHECK(mail.message_id !=
          em::thread_message_id("5f1c2a9e3b7d4c10", "2026-01-05T06:00:00Z", "example.com"));
    CHECK(mail.in_reply_to.empty());
}

TEST_CASE("email module delivers over STARTTLS with AUTH and threads the resolve",
          "[email][smtp]") {
    auto& server = SmtpServer::instance();
    PluginInstance instance(
        email_plugin(),
        config_for(server.starttls_port(), "smtp", R"(, "cc": ["audit@example.com"])"));
    REQUIRE(instance.create_status() == TOCSIN_OK);

    Json firing = with_id(sample_firing(), "starttls-firing");
    firing.set("message", Json::object());
    firing["message"].set("title", kUnicodeTitle);
    const auto sent = instance.send(firing.dump(), milliseconds(10000));
    INFO(sent.error);
    REQUIRE(sent.status == TOCSIN_OK);
    CHECK_THAT(sent.detail, Catch::StartsWith("SMTP 250"));
    const auto resolved = instance.send(
        with_id(sample_of_kind("resolved"), "starttls-resolved").dump(), milliseconds(10000));
    INFO(resolved.error);
    REQUIRE(resolved.status == TOCSIN_OK);

    const auto first = server.find("starttls-firing");
    const auto second = server.find("starttls-resolved");
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->at("tls") == Json(true));
    CHECK(first->at("authenticated") == Json(true));
    CHECK(first->at("mail_from") == Json("alerts@example.com"));
    CHECK(first->at("rcpt_tos").dump() == R"(["lead@example.com","audit@example.com"])");
    CHECK(first->at("defects").size() == 0);
    CHECK(first->at("content_type") == Json("multipart/alternative"));
    const Json& headers = first->at("headers");
    CHECK(headers.at("Subject") == Json(kUnicodeTitle));
    CHECK_THAT(first->at("raw_subject").as_string(), Catch::StartsWith("=?UTF-8?B?"));
    CHECK(headers.at("From") == Json("tocsin <alerts@example.com>"));
    CHECK(headers.at("To") == Json("lead@example.com"));
    CHECK(headers.at("Cc") == Json("audit@example.com"));
    CHECK(headers.at("MIME-Version") == Json("1.0"));
    CHECK_THAT(headers.at("Date").as_string(), Catch::Matches("[A-Z][a-z]{2}, \\d{2} .* \\+0000"));
    CHECK_FALSE(headers.contains("In-Reply-To"));
    const auto& parts = first->at("parts").as_array();
    REQUIRE(parts.size() == 2);
    CHECK(parts[0].at("content_type") == Json("text/plain"));
    CHECK(parts[0].at("charset") == Json("utf-8"));
    CHECK_THAT(parts[0].at("text").as_string(), Catch::Contains(kUnicodeTitle));
    CHECK_THAT(parts[0].at("text").as_string(),
               Catch::Contains("activation_rate 28% (threshold 30%, target 40%; down from 31%)"));
    CHECK(parts[1].at("content_type") == Json("text/html"));
    CHECK_THAT(parts[1].at("text").as_string(),
               Catch::Contains("href=\"http://127.0.0.1:9470/api/v1/ack?token=abc.def\""));
    CHECK_THAT(parts[1].at("text").as_string(),
               Catch::Contains("href=\"https://wiki.example.com/runbooks/activation\""));

    const Json& reply = second->at("headers");
    CHECK(reply.at("In-Reply-To") == headers.at("Message-ID"));
    CHECK(reply.at("References") == headers.at("Message-ID"));
    CHECK(reply.at("Subject") == Json("[RESOLVED] ActivationRateLow"));
    CHECK_THAT(second->at("parts").at(0).at("text").as_string(), Catch::Contains("lasted 1h 5m"));
}

TEST_CASE("email module delivers over smtps", "[email][smtp]") {
    auto& server = SmtpServer::instance();
    PluginInstance instance(email_plugin(), config_for(server.smtps_port(), "smtps"));
    const auto outcome =
        instance.send(with_id(sample_firing(), "smtps-1").dump(), milliseconds(10000));
    INFO(outcome.error);
    REQUIRE(outcome.status == TOCSIN_OK);
    const auto mail = server.find("smtps-1");
    REQUIRE(mail);
    CHECK(mail->at("tls") == Json(true));
}

TEST_CASE("email module reports refused recipients and sends to the rest", "[email][smtp]") {
    auto& server = SmtpServer::instance();
    SECTION("one of two refused: delivered, refusal in the detail") {
        PluginInstance instance(
            email_plugin(),
            config_for(server.starttls_port(), "smtp", R"(, "cc": ["reject-me@example.com"])"));
        const auto outcome =
            instance.send(with_id(sample_firing(), "partial-1").dump(), milliseconds(10000));
        INFO(outcome.error);
        REQUIRE(outcome.status == TOCSIN_OK);
        CHECK_THAT(outcome.detail, Catch::Contains("refused <reject-me@example.com>: 550"));
        CHECK(instance.count_logs(TOCSIN_LOG_WARNING, "some recipients were refused") == 1);
        const auto mail = server.find("partial-1");
        REQUIRE(mail);
        CHECK(mail->at("rcpt_tos").dump() == R"(["lead@example.com"])");
    }
    SECTION("all refused for good: failed") {
        PluginInstance instance(
            email_plugin(),
            R"({"smtp_url": "smtp://127.0.0.1:)" + std::to_string(server.starttls_port()) +
                R"(", "username": "tocsin", "password": "s3cret-pw", "ca_file": ")" +
                server.ca_file() + R"(", "from": "a@example.com", "to": ["reject@example.com"]})");
        const auto outcome =
            instance.send(with_id(sample_firing(), "partial-2").dump(), milliseconds(10000));
        CHECK(outcome.status == TOCSIN_FAILED);
        CHECK_THAT(outcome.error, Catch::StartsWith("SMTP 550 from smtp://127.0.0.1:"));
        CHECK_FALSE(server.find("partial-2"));
    }
    SECTION("only a temporary refusal: retry") {
        PluginInstance instance(
            email_plugin(),
            R"({"smtp_url": "smtp://127.0.0.1:)" + std::to_string(server.starttls_port()) +
                R"(", "username": "tocsin", "password": "s3cret-pw", "ca_file": ")" +
                server.ca_file() +
                R"(", "from": "a@example.com", "to": ["tempfail@example.com"]})");
        const auto outcome =
            instance.send(with_id(sample_firing(), "partial-3").dump(), milliseconds(10000));
        CHECK(outcome.status == TOCSIN_RETRY);
        CHECK_THAT(outcome.error, Catch::StartsWith("SMTP 451"));
    }
}

TEST_CASE("email module fails on a wrong password without showing it", "[email][smtp]") {
    auto& server = SmtpServer::instance();
    std::string config = config_for(server.starttls_port());
    config.replace(config.find("s3cret-pw"), 9, "wrongSECRET");
    PluginInstance instance(email_plugin(), config);
    const auto outcome =
        instance.send(with_id(sample_firing(), "badauth").dump(), milliseconds(10000));
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK_THAT(outcome.error, Catch::StartsWith("SMTP 535"));
    CHECK_THAT(outcome.error + outcome.detail, !Catch::Contains("SECRET"));
}

TEST_CASE("email module requires STARTTLS unless told otherwise", "[email][smtp]") {
    auto& server = SmtpServer::instance();
    const std::string base = R"({"smtp_url": "smtp://127.0.0.1:)" +
                             std::to_string(server.plain_port()) +
                             R"(", "from": "a@example.com", "to": ["lead@example.com"])";
    PluginInstance strict(email_plugin(), base + "}");
    const auto refused =
        strict.send(with_id(sample_firing(), "plain-1").dump(), milliseconds(10000));
    CHECK(refused.status == TOCSIN_FAILED);
    CHECK_THAT(refused.error,
               Catch::StartsWith("the server does not offer STARTTLS and require_tls is true"));
    CHECK_FALSE(server.find("plain-1"));

    PluginInstance lenient(email_plugin(), base + R"(, "require_tls": false})");
    const auto sent = lenient.send(with_id(sample_firing(), "plain-2").dump(), milliseconds(10000));
    INFO(sent.error);
    CHECK(sent.status == TOCSIN_OK);
    const auto mail = server.find("plain-2");
    REQUIRE(mail);
    CHECK(mail->at("tls") == Json(false));
}

TEST_CASE("email module checks the server certificate", "[email][smtp]") {
    auto& server = SmtpServer::instance();
    std::string config = config_for(server.starttls_port());
    config.replace(config.find(server.ca_file()),
                   server.ca_file().size(),
                   "/etc/ssl/certs/ca-certificates.crt");
    PluginInstance instance(email_plugin(), config);
    const auto outcome =
        instance.send(with_id(sample_firing(), "badcert").dump(), milliseconds(10000));
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK_THAT(outcome.error, Catch::StartsWith("TLS certificate check failed"));
    CHECK_FALSE(server.find("badcert"));
}

TEST_CASE("email module retries when the server cannot be reached", "[email]") {
    PluginInstance instance(email_plugin(),
                            R"({"smtp_url": "smtp://127.0.0.1:1", "from": "a@example.com",
                                "to": ["b@example.com"]})");
    const auto outcome = instance.send(sample_firing().dump(), milliseconds(5000));
    CHECK(outcome.status == TOCSIN_RETRY);
    CHECK_THAT(outcome.error, Catch::StartsWith("cannot reach smtp://127.0.0.1:1"));
}

namespace {

/// The message with quoted-printable soft breaks and escapes undone (headers pass unchanged).
std::string unquote(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '=' && i + 2 < text.size() && text[i + 1] == '\r' && text[i + 2] == '\n') {
            i += 2;
        } else if (text[i] == '=' && i + 2 < text.size() && std::isxdigit(text[i + 1]) != 0 &&
                   std::isxdigit(text[i + 2]) != 0) {
            out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

}  // namespace

TEST_CASE("email sends a report with its title as subject and a table of lines",
          "[email][report]") {
    Json n = tocsin::testing::sample_report();
    n.set("message", Json::parse(R"({"title": "Growth KPIs: 1 critical, 1 no data, 1 ok",
                                     "text": "activation_rate: 35.0% ok", "short": "x"})"));
    const auto mail = em::build_mail(cm::read_notification(n), sample_config(), 1772438401);
    CHECK(mail.subject == "Growth KPIs: 1 critical, 1 no data, 1 ok");
    CHECK(mail.in_reply_to.empty());  // a report starts no thread and joins none
    const std::string text = unquote(mail.text);
    CHECK_THAT(text, Catch::Contains("activation_rate: 35.0% ok"));  // the plain-text part
    CHECK_THAT(text, Catch::Contains("background:#c62828"));         // a critical line: red
    CHECK_THAT(text,
               Catch::Contains(">signups{plan=pro}</td><td style=\"padding:4px 12px 4px "
                               "0\">40</td>"));
    CHECK_THAT(text, Catch::Contains("critical (SignupsLow)"));
    CHECK_THAT(text, Catch::Contains("<th align=\"left\">Last report</th>"));
}
