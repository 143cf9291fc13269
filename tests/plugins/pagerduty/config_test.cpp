#include "pagerduty_config.hpp"
#include "plugin_harness.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace pd = tocsin::plugins::pagerduty;
using tocsin::sdk::Config;
using tocsin::sdk::Json;

namespace {

constexpr const char* kKey = "R0123456789abcdef0123456789abcde";

std::string bad_config_message(const std::string& json) {
    pd::PagerDutyConfig parsed;
    const auto status = pd::parse_config(Config(Json::parse(json)), parsed);
    CHECK(status.code == TOCSIN_BAD_CONFIG);
    return status.message;
}

}  // namespace

TEST_CASE("pagerduty config defaults to the public Events API", "[pagerduty][config]") {
    pd::PagerDutyConfig parsed;
    REQUIRE(pd::parse_config(
                Config(Json::parse(std::string(R"({"routing_key": ")") + kKey + "\"}")), parsed)
                .is_ok());
    CHECK(parsed.routing_key == kKey);
    CHECK(parsed.api_url == "https://events.pagerduty.com");
    CHECK(parsed.client == "tocsin");

    REQUIRE(pd::parse_config(Config(Json::parse(std::string(R"({"routing_key": ")") + kKey +
                                                R"(", "api_url": "http://127.0.0.1:1/",
                                                "source": "db1", "group": "g"})")),
                             parsed)
                .is_ok());
    CHECK(parsed.api_url == "http://127.0.0.1:1");
    CHECK(parsed.source == "db1");
    CHECK(parsed.group == "g");
}

TEST_CASE("pagerduty config rejects bad keys and urls without echoing the key",
          "[pagerduty][config]") {
    const auto message = bad_config_message(R"({"routing_key": "shortSECRET"})");
    CHECK(message ==
          "routing_key must be the 32-character integration key of an Events API v2 integration");
    CHECK_THAT(message, !Catch::Contains("SECRET"));
    CHECK(bad_config_message(std::string(R"({"routing_key": ")") + kKey +
                             R"(", "api_url": "events.pagerduty.com"})") ==
          "api_url must be an http(s) URL such as https://events.pagerduty.com");
}

TEST_CASE("pagerduty module declares its keys with the routing key secret", "[pagerduty][config]") {
    const tocsin_plugin& plugin = tocsin::testing::load_plugin("tocsin_notifier_pagerduty.so");
    CHECK(std::string_view(plugin.name) == "pagerduty");
    std::string names;
    for (std::size_t i = 0; i < plugin.config_key_count; ++i) {
        const auto& key = plugin.config_keys[i];
        names += std::string(key.name) + (key.required != 0 ? "!" : "") +
                 (key.secret != 0 ? "(secret)" : "") + " ";
    }
    CHECK(names == "routing_key!(secret) api_url source component group client ");
    tocsin::testing::PluginInstance bad(plugin, R"({"routing_key": "tooSECRETshort"})");
    CHECK(bad.create_status() == TOCSIN_BAD_CONFIG);
    CHECK_THAT(bad.last_error(), !Catch::Contains("SECRET"));
}
