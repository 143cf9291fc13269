#include "plugin_harness.hpp"
#include "slack_config.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace sl = tocsin::plugins::slack;
using tocsin::sdk::Config;
using tocsin::sdk::Json;

namespace {

std::string bad_config_message(std::string_view json) {
    sl::SlackConfig parsed;
    const auto status = sl::parse_config(Config(Json::parse(json)), parsed);
    CHECK(status.code == TOCSIN_BAD_CONFIG);
    return status.message;
}

}  // namespace

TEST_CASE("slack config reads the webhook and overrides", "[slack][config]") {
    sl::SlackConfig parsed;
    REQUIRE(sl::parse_config(Config(Json::parse(R"({
        "webhook_url": "https://hooks.slack.com/services/T0/B0/XYZ", "channel": "#ops",
        "username": "tocsin", "icon_emoji": ":rotating_light:", "mention": "<!here>",
        "max_alerts": 3})")),
                             parsed)
                .is_ok());
    CHECK(parsed.webhook_url == "https://hooks.slack.com/services/T0/B0/XYZ");
    CHECK(parsed.channel == "#ops");
    CHECK(parsed.username == "tocsin");
    CHECK(parsed.icon_emoji == ":rotating_light:");
    CHECK(parsed.mention == "<!here>");
    CHECK(parsed.max_alerts == 3);

    sl::SlackConfig defaults;
    REQUIRE(sl::parse_config(Config(Json::parse(R"({"webhook_url": "https://h/x"})")), defaults)
                .is_ok());
    CHECK(defaults.max_alerts == 10);
    CHECK(defaults.channel.empty());
}

TEST_CASE("slack config rejects bad values without echoing the url", "[slack][config]") {
    const auto message =
        bad_config_message(R"({"webhook_url": "hooks.slack.com/services/SECRET"})");
    CHECK(message ==
          "webhook_url must start with https:// (e.g. https://hooks.slack.com/services/...)");
    CHECK(bad_config_message(R"({"webhook_url": "https:///services/SECRET"})") ==
          "webhook_url has no host");
    CHECK(bad_config_message(R"({"webhook_url": "https://h/SECRET x"})") ==
          "webhook_url contains spaces or control characters");
    CHECK(bad_config_message(R"({"webhook_url": "https://h/x", "icon_emoji": "siren"})") ==
          "icon_emoji must look like :name:");
    CHECK(bad_config_message(R"({"webhook_url": "https://h/x", "max_alerts": 0})") ==
          "max_alerts must be between 1 and 15");
    CHECK(bad_config_message(R"({"webhook_url": "https://h/x", "max_alerts": 16})") ==
          "max_alerts must be between 1 and 15");
}

TEST_CASE("slack module declares its keys with the webhook url secret", "[slack][config]") {
    const tocsin_plugin& plugin = tocsin::testing::load_plugin("tocsin_notifier_slack.so");
    CHECK(std::string_view(plugin.name) == "slack");
    CHECK(plugin.kind == TOCSIN_KIND_NOTIFIER);
    std::string names;
    for (std::size_t i = 0; i < plugin.config_key_count; ++i) {
        const auto& key = plugin.config_keys[i];
        names += std::string(key.name) + (key.required != 0 ? "!" : "") +
                 (key.secret != 0 ? "(secret)" : "") + " ";
    }
    CHECK(names == "webhook_url!(secret) channel username icon_emoji mention max_alerts ");
}

TEST_CASE("slack module refuses a bad url at create without echoing it", "[slack][config]") {
    const tocsin_plugin& plugin = tocsin::testing::load_plugin("tocsin_notifier_slack.so");
    tocsin::testing::PluginInstance instance(plugin,
                                             R"({"webhook_url": "ftp://h/services/SECRET"})");
    CHECK(instance.create_status() == TOCSIN_BAD_CONFIG);
    CHECK_THAT(instance.last_error(), !Catch::Contains("SECRET"));
}
