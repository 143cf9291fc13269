#include "log_config.hpp"
#include "plugin_harness.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace lg = tocsin::plugins::log;
using tocsin::sdk::Config;
using tocsin::sdk::Json;

namespace {

tocsin::sdk::Status parse(std::string_view json, lg::LogConfig& out) {
    return lg::parse_config(Config(Json::parse(json)), out);
}

}  // namespace

TEST_CASE("log config takes a file path or '-' for stderr", "[log][config]") {
    lg::LogConfig parsed;
    REQUIRE(parse(R"({"path": "/var/log/tocsin/notifications.jsonl"})", parsed).is_ok());
    CHECK(parsed.path == "/var/log/tocsin/notifications.jsonl");
    REQUIRE(parse(R"({"path": "-"})", parsed).is_ok());
    CHECK(parsed.path == lg::kStderrPath);
}

TEST_CASE("log config rejects an empty path", "[log][config]") {
    lg::LogConfig parsed;
    const auto status = parse(R"({"path": ""})", parsed);
    CHECK(status.code == TOCSIN_BAD_CONFIG);
    CHECK(status.message == "path is empty; give a file name, or '-' for stderr");
}

TEST_CASE("log config rejects a directory path", "[log][config]") {
    lg::LogConfig parsed;
    const auto status = parse(R"({"path": "/var/log/"})", parsed);
    CHECK(status.code == TOCSIN_BAD_CONFIG);
    CHECK(status.message ==
          "path '/var/log/' names a directory; give a file name, or '-' for stderr");
}

TEST_CASE("log module declares its one required key", "[log][config]") {
    const tocsin_plugin& plugin = tocsin::testing::load_plugin("tocsin_notifier_log.so");
    CHECK(std::string_view(plugin.name) == "log");
    CHECK(plugin.kind == TOCSIN_KIND_NOTIFIER);
    CHECK(plugin.abi_major == TOCSIN_ABI_MAJOR);
    CHECK(plugin.send != nullptr);
    REQUIRE(plugin.config_key_count == 1);
    CHECK(std::string_view(plugin.config_keys[0].name) == "path");
    CHECK(plugin.config_keys[0].type == TOCSIN_TYPE_STRING);
    CHECK(plugin.config_keys[0].required != 0);
}

TEST_CASE("log module refuses an empty path at create", "[log][config]") {
    const tocsin_plugin& plugin = tocsin::testing::load_plugin("tocsin_notifier_log.so");
    tocsin::testing::PluginInstance instance(plugin, R"({"path": ""})");
    CHECK(instance.create_status() == TOCSIN_BAD_CONFIG);
    CHECK(instance.last_error() == "path is empty; give a file name, or '-' for stderr");
}
