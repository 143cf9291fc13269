#include "email_config.hpp"
#include "plugin_harness.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace em = tocsin::plugins::email;
using tocsin::sdk::Config;
using tocsin::sdk::Json;

namespace {

std::string bad_config_message(const std::string& json) {
    em::EmailConfig parsed;
    const auto status = em::parse_config(Config(Json::parse(json)), parsed);
    CHECK(status.code == TOCSIN_BAD_CONFIG);
    CHECK_THAT(status.message, !Catch::Contains("SECRET"));
    return status.message;
}

}  // namespace

TEST_CASE("email config reads server, sender and recipients", "[email][config]") {
    em::EmailConfig parsed;
    REQUIRE(em::parse_config(Config(Json::parse(R"({
        "smtp_url": "smtps://smtp.example.com:465", "username": "alerts", "password": "pw",
        "from": "tocsin <alerts@example.com>", "to": ["lead@example.com", "Ops <ops@example.com>"],
        "cc": ["<audit@example.com>"], "require_tls": true, "tls_verify": true})")),
                             parsed)
                .is_ok());
    CHECK(parsed.implicit_tls);
    CHECK(parsed.from.display == "tocsin");
    CHECK(parsed.from.address == "alerts@example.com");
    REQUIRE(parsed.to.size() == 2);
    CHECK(parsed.to[1].display == "Ops");
    CHECK(parsed.to[1].address == "ops@example.com");
    CHECK(parsed.cc.front().address == "audit@example.com");

    em::EmailConfig plain;
    REQUIRE(em::parse_config(Config(Json::parse(R"({"smtp_url": "smtp://mail:587",
        "from": "a@example.com", "to": ["b@example.com"]})")),
                             plain)
                .is_ok());
    CHECK_FALSE(plain.implicit_tls);
    CHECK(plain.require_tls);
    CHECK(plain.tls_verify);
}

TEST_CASE("email config explains what is wrong", "[email][config]") {
    const std::string rest = R"("from": "a@example.com", "to": ["b@example.com"])";
    CHECK(bad_config_message(R"({"smtp_url": "http://mail", )" + rest + "}") ==
          "smtp_url must start with smtp:// (STARTTLS) or smtps:// (TLS), e.g. "
          "smtp://mail.example.com:587");
    CHECK(bad_config_message(R"({"smtp_url": "smtp:///x", )" + rest + "}") ==
          "smtp_url has no host; use e.g. smtp://mail.example.com:587");
    CHECK(bad_config_message(R"({"smtp_url": "smtp://m", "password": "SECRET", )" + rest + "}") ==
          "password is set but username is not; set both for AUTH");
    CHECK(bad_config_message(R"({"smtp_url": "smtp://m", "from": "alerts", "to": ["b@x.org"]})") ==
          "from is not an e-mail address; use e.g. \"tocsin <alerts@example.com>\"");
    CHECK(
        bad_config_message(R"({"smtp_url": "smtp://m", "from": "a@x.org", "to": ["b@@x.org"]})") ==
        "to: 'b@@x.org' is not an e-mail address; use e.g. ops@example.com");
    CHECK(bad_config_message(R"({"smtp_url": "smtp://m", "from": "a@x.org", "to": []})") ==
          "to is empty; list at least one address");
}

TEST_CASE("email module declares its keys with the password secret", "[email][config]") {
    const tocsin_plugin& plugin = tocsin::testing::load_plugin("tocsin_notifier_email.so");
    CHECK(std::string_view(plugin.name) == "email");
    std::string names;
    for (std::size_t i = 0; i < plugin.config_key_count; ++i) {
        const auto& key = plugin.config_keys[i];
        names += std::string(key.name) + (key.required != 0 ? "!" : "") +
                 (key.secret != 0 ? "(secret)" : "") + " ";
        if (std::string_view(key.name) == "require_tls") {
            CHECK(std::string_view(key.default_json) == "true");
        }
    }
    CHECK(names ==
          "smtp_url! username password(secret) from! to! cc require_tls tls_verify ca_file "
          "subject_prefix ");
}
