#include "plugin_harness.hpp"
#include "twilio_config.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace tw = tocsin::plugins::twilio;
using tocsin::sdk::Config;
using tocsin::sdk::Json;

namespace {

std::string bad_config_message(const std::string& json) {
    tw::TwilioConfig parsed;
    const auto status = tw::parse_config(Config(Json::parse(json)), parsed);
    CHECK(status.code == TOCSIN_BAD_CONFIG);
    CHECK_THAT(status.message, !Catch::Contains("SECRET"));
    return status.message;
}

}  // namespace

TEST_CASE("twilio config takes a token or an API key", "[twilio][config]") {
    tw::TwilioConfig parsed;
    REQUIRE(tw::parse_config(Config(Json::parse(R"({"account_sid": "AC0000", "auth_token": "tok",
                                                   "from": "+15550100", "to": ["+15550199"]})")),
                             parsed)
                .is_ok());
    CHECK(parsed.auth_user == "AC0000");
    CHECK(parsed.auth_password == "tok");
    CHECK(parsed.api_url == "https://api.twilio.com");
    CHECK(parsed.validity_period == std::chrono::seconds(3600));

    REQUIRE(tw::parse_config(Config(Json::parse(R"({"account_sid": "AC0000", "api_key_sid": "SK1",
                                                   "api_key_secret": "sec", "to": ["+4915112345678"],
                                                   "messaging_service_sid": "MG1",
                                                   "validity_period": 600000})")),
                             parsed)
                .is_ok());
    CHECK(parsed.auth_user == "SK1");
    CHECK(parsed.auth_password == "sec");
    CHECK(parsed.messaging_service_sid == "MG1");
    CHECK(parsed.validity_period == std::chrono::seconds(600));
}

TEST_CASE("twilio config checks credentials, sender and numbers", "[twilio][config]") {
    const std::string base = R"("account_sid": "AC0000", "to": ["+15550199"])";
    CHECK(bad_config_message(R"({"account_sid": "XY00", "auth_token": "SECRET", "from": "+1555",
                                 "to": ["+15550199"]})") ==
          "account_sid must be the account SID, starting with AC");
    CHECK(bad_config_message("{" + base + R"(, "from": "+15550100"})") ==
          "credentials missing: set auth_token, or api_key_sid with api_key_secret");
    CHECK(bad_config_message("{" + base +
                             R"(, "from": "+15550100", "auth_token": "SECRET",
                                "api_key_sid": "SK1", "api_key_secret": "SECRET"})") ==
          "set either auth_token or api_key_sid with api_key_secret, not both");
    CHECK(bad_config_message("{" + base + R"(, "auth_token": "SECRET"})") ==
          "set exactly one of from and messaging_service_sid");
    CHECK(bad_config_message(
              "{" + base +
              R"(, "auth_token": "SECRET", "from": "+1", "messaging_service_sid": "MG1"})") ==
          "set exactly one of from and messaging_service_sid");
    CHECK(bad_config_message(R"({"account_sid": "AC0000", "auth_token": "SECRET",
                                 "from": "+15550100", "to": ["0155 50199"]})") ==
          "to: '0155 50199' is not an E.164 number; use e.g. +15550199");
    CHECK(bad_config_message(
              "{" + base +
              R"(, "auth_token": "SECRET", "from": "+15550100", "validity_period": 40000000})") ==
          "validity_period must be between 1s and 10h");
}

TEST_CASE("twilio module declares its keys with token and secret secret", "[twilio][config]") {
    const tocsin_plugin& plugin = tocsin::testing::load_plugin("tocsin_notifier_twilio.so");
    CHECK(std::string_view(plugin.name) == "twilio");
    std::string names;
    for (std::size_t i = 0; i < plugin.config_key_count; ++i) {
        const auto& key = plugin.config_keys[i];
        names += std::string(key.name) + (key.required != 0 ? "!" : "") +
                 (key.secret != 0 ? "(secret)" : "") + " ";
    }
    CHECK(names ==
          "account_sid! auth_token(secret) api_key_sid api_key_secret(secret) from "
          "messaging_service_sid to! api_url validity_period ");
}
