#include "plugin_harness.hpp"
#include "webhook_config.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace wh = tocsin::plugins::webhook;
using tocsin::sdk::Config;
using tocsin::sdk::Json;

namespace {

tocsin::sdk::Status parse(std::string_view json, wh::WebhookConfig& out) {
    return wh::parse_config(Config(Json::parse(json)), out);
}

std::string bad_config_message(std::string_view json) {
    wh::WebhookConfig parsed;
    const auto status = parse(json, parsed);
    CHECK(status.code == TOCSIN_BAD_CONFIG);
    return status.message;
}

}  // namespace

TEST_CASE("webhook config takes url, headers, token and max_alerts", "[webhook][config]") {
    wh::WebhookConfig parsed;
    REQUIRE(parse(R"({"url": "https://hooks.example.com/a/b?c=d",
                      "headers": {"X-Team": "growth", "X-Empty": ""},
                      "bearer_token": "s3cret", "max_alerts": 5})",
                  parsed)
                .is_ok());
    CHECK(parsed.url == "https://hooks.example.com/a/b?c=d");
    CHECK(parsed.headers == wh::HeaderList{{"X-Team", "growth"}, {"X-Empty", ""}});
    CHECK(parsed.bearer_token == "s3cret");
    CHECK(parsed.max_alerts == 5);
}

TEST_CASE("webhook config defaults to no headers, no token and all alerts", "[webhook][config]") {
    wh::WebhookConfig parsed;
    REQUIRE(parse(R"({"url": "http://127.0.0.1:8080/hook"})", parsed).is_ok());
    CHECK(parsed.headers.empty());
    CHECK(parsed.bearer_token.empty());
    CHECK(parsed.max_alerts == 0);
}

TEST_CASE("webhook config rejects urls that are not http(s)", "[webhook][config]") {
    CHECK(bad_config_message(R"({"url": "ftp://files.example.com/secret-path"})") ==
          "url must start with http:// or https://");
    CHECK(bad_config_message(R"({"url": "hooks.example.com"})") ==
          "url must start with http:// or https://");
    CHECK(bad_config_message(R"({"url": "https:///only/a/path"})") ==
          "url has no host; use e.g. https://hooks.example.com/alerts");
    CHECK(bad_config_message(R"({"url": "https://h.example.com/a b"})") ==
          "url contains spaces or control characters; percent-encode them");
}

TEST_CASE("webhook config rejects malformed and reserved headers", "[webhook][config]") {
    CHECK(bad_config_message(R"({"url": "http://h", "headers": {"Bad Name": "x"}})") ==
          "headers: 'Bad Name' is not a valid header name; use letters, digits and -");
    CHECK(bad_config_message(R"({"url": "http://h", "headers": {"X-A": "line\r\nInjected: 1"}})") ==
          "headers: the value of 'X-A' contains control characters");
    CHECK(bad_config_message(R"({"url": "http://h", "headers": {"idempotency-key": "x"}})") ==
          "headers: 'idempotency-key' is set by the plugin and cannot be overridden");
    CHECK(bad_config_message(R"({"url": "http://h", "headers": {"Content-Length": "1"}})") ==
          "headers: 'Content-Length' is set by the plugin and cannot be overridden");
}

TEST_CASE("webhook config refuses both bearer_token and an Authorization header",
          "[webhook][config]") {
    CHECK(bad_config_message(R"({"url": "http://h", "bearer_token": "t",
                                 "headers": {"Authorization": "Basic x"}})") ==
          "headers: 'Authorization' conflicts with bearer_token; set only one of them");
    wh::WebhookConfig parsed;
    CHECK(parse(R"({"url": "http://h", "headers": {"Authorization": "Basic x"}})", parsed).is_ok());
}

TEST_CASE("webhook config takes basic_auth and hmac_secret", "[webhook][config]") {
    wh::WebhookConfig parsed;
    REQUIRE(parse(R"({"url": "http://h", "basic_auth": {"username": "u", "password": "p w"},
                      "hmac_secret": "k"})",
                  parsed)
                .is_ok());
    CHECK(parsed.basic_username == "u");
    CHECK(parsed.basic_password == "p w");
    CHECK(parsed.hmac_secret == "k");
}

TEST_CASE("webhook config checks basic_auth", "[webhook][config]") {
    CHECK(bad_config_message(R"({"url": "http://h", "basic_auth": {"user": "u"}})") ==
          "basic_auth: unknown key 'user'; allowed: username, password");
    CHECK(bad_config_message(R"({"url": "http://h", "basic_auth": {"password": "hunter2"}})") ==
          "basic_auth needs a username");
    CHECK(bad_config_message(R"({"url": "http://h", "basic_auth": {"username": "a:b"}})") ==
          "basic_auth: the username may not contain ':' or control characters, the password no "
          "control characters");
    CHECK(bad_config_message(R"({"url": "http://h", "bearer_token": "t",
                                 "basic_auth": {"username": "u", "password": "hunter2"}})") ==
          "set only one of bearer_token and basic_auth");
    CHECK(bad_config_message(R"({"url": "http://h", "basic_auth": {"username": "u"},
                                 "headers": {"authorization": "x"}})") ==
          "headers: 'Authorization' conflicts with basic_auth; set only one of them");
    CHECK(bad_config_message(R"({"url": "http://h", "hmac_secret": ""})") ==
          "hmac_secret is empty; leave it out or set a secret");
    CHECK(bad_config_message(R"({"url": "http://h", "headers": {"X-Tocsin-Signature": "x"}})") ==
          "headers: 'X-Tocsin-Signature' is set by the plugin and cannot be overridden");
}

TEST_CASE("webhook config errors never echo secrets", "[webhook][config]") {
    const auto message = bad_config_message(
        R"({"url": "http://h", "bearer_token": "tok-123",
            "basic_auth": {"username": "u", "password": "hunter2"}})");
    CHECK_THAT(message, !Catch::Contains("hunter2") && !Catch::Contains("tok-123"));
}

TEST_CASE("webhook config rejects a negative max_alerts", "[webhook][config]") {
    CHECK(bad_config_message(R"({"url": "http://h", "max_alerts": -1})") ==
          "max_alerts is negative; use 0 for all alerts or a count");
}

TEST_CASE("webhook module declares its keys with the token secret", "[webhook][config]") {
    const tocsin_plugin& plugin = tocsin::testing::load_plugin("tocsin_notifier_webhook.so");
    CHECK(std::string_view(plugin.name) == "webhook");
    CHECK(plugin.kind == TOCSIN_KIND_NOTIFIER);
    CHECK(plugin.send != nullptr);
    CHECK(plugin.collect == nullptr);
    CHECK(plugin.kpi_key_count == 0);
    REQUIRE(plugin.config_key_count == 6);
    std::string names;
    for (std::size_t i = 0; i < plugin.config_key_count; ++i) {
        const auto& key = plugin.config_keys[i];
        names += std::string(key.name) + (key.required != 0 ? "!" : "") +
                 (key.secret != 0 ? "(secret)" : "") + " ";
        if (std::string_view(key.name) == "max_alerts") {
            CHECK(key.type == TOCSIN_TYPE_INT);
            CHECK(std::string_view(key.default_json) == "0");
        }
        if (std::string_view(key.name) == "headers") {
            CHECK(key.type == TOCSIN_TYPE_STRING_MAP);
        }
    }
    CHECK(names ==
          "url! headers bearer_token(secret) basic_auth(secret) hmac_secret(secret) max_alerts ");
}

TEST_CASE("webhook module refuses a bad url at create without echoing it", "[webhook][config]") {
    const tocsin_plugin& plugin = tocsin::testing::load_plugin("tocsin_notifier_webhook.so");
    tocsin::testing::PluginInstance instance(plugin,
                                             R"({"url": "ftp://h.example.com/secret-path"})");
    CHECK(instance.create_status() == TOCSIN_BAD_CONFIG);
    CHECK(instance.last_error() == "url must start with http:// or https://");
}
