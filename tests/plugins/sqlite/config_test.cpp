#include "plugin_harness.hpp"
#include "sqlite_config.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace sq = tocsin::plugins::sqlite;
using tocsin::sdk::Config;
using tocsin::sdk::Json;

namespace {

Config config_of(std::string_view json) {
    return Config(Json::parse(json));
}

const tocsin_config_key* find_key(const tocsin_config_key* keys,
                                  std::size_t count,
                                  std::string_view name) {
    for (std::size_t i = 0; i < count; ++i) {
        if (name == keys[i].name) {
            return &keys[i];
        }
    }
    return nullptr;
}

}  // namespace

TEST_CASE("sqlite config takes path and defaults busy_timeout to 5s", "[sqlite][config]") {
    sq::SqliteConfig parsed;
    REQUIRE(sq::parse_config(config_of(R"({"path": "/var/lib/app/app.db"})"), parsed).is_ok());
    CHECK(parsed.path == "/var/lib/app/app.db");
    CHECK(parsed.busy_timeout == std::chrono::seconds(5));
}

TEST_CASE("sqlite config reads busy_timeout as milliseconds", "[sqlite][config]") {
    sq::SqliteConfig parsed;
    REQUIRE(
        sq::parse_config(config_of(R"({"path": "a.db", "busy_timeout": 250})"), parsed).is_ok());
    CHECK(parsed.busy_timeout == std::chrono::milliseconds(250));
}

TEST_CASE("sqlite config rejects an empty path", "[sqlite][config]") {
    sq::SqliteConfig parsed;
    const auto status = sq::parse_config(config_of(R"({"path": "  "})"), parsed);
    CHECK(status.code == TOCSIN_BAD_CONFIG);
    CHECK(status.message == "path is empty; give the database file to read");
}

TEST_CASE("sqlite config rejects a negative busy_timeout", "[sqlite][config]") {
    sq::SqliteConfig parsed;
    const auto status =
        sq::parse_config(config_of(R"({"path": "a.db", "busy_timeout": -1})"), parsed);
    CHECK(status.code == TOCSIN_BAD_CONFIG);
    CHECK(status.message == "busy_timeout is negative; use e.g. 5s");
}

TEST_CASE("sqlite KPI without a query fails naming the KPI", "[sqlite][config]") {
    std::string sql;
    const auto status = sq::parse_query("signups", config_of("{}"), sql);
    CHECK(status.code == TOCSIN_FAILED);
    CHECK(status.message == "KPI 'signups' has no query; set query to a SELECT");
    REQUIRE(
        sq::parse_query("signups", config_of(R"({"query": "SELECT 1 AS value"})"), sql).is_ok());
    CHECK(sql == "SELECT 1 AS value");
}

TEST_CASE("sqlite module declares its keys through the entry struct", "[sqlite][config]") {
    const tocsin_plugin& plugin = tocsin::testing::load_plugin("tocsin_source_sqlite.so");
    CHECK(plugin.struct_size == sizeof(tocsin_plugin));
    CHECK(plugin.abi_major == TOCSIN_ABI_MAJOR);
    CHECK(std::string_view(plugin.name) == "sqlite");
    CHECK(plugin.kind == TOCSIN_KIND_SOURCE);
    CHECK(plugin.collect != nullptr);
    CHECK(plugin.send == nullptr);

    REQUIRE(plugin.config_key_count == 2);
    const auto* path = find_key(plugin.config_keys, plugin.config_key_count, "path");
    REQUIRE(path != nullptr);
    CHECK(path->type == TOCSIN_TYPE_STRING);
    CHECK(path->required != 0);
    const auto* busy = find_key(plugin.config_keys, plugin.config_key_count, "busy_timeout");
    REQUIRE(busy != nullptr);
    CHECK(busy->type == TOCSIN_TYPE_DURATION);
    CHECK(busy->required == 0);
    CHECK(std::string_view(busy->default_json) == "5000");

    REQUIRE(plugin.kpi_key_count == 1);
    CHECK(std::string_view(plugin.kpi_keys[0].name) == "query");
    CHECK(plugin.kpi_keys[0].required != 0);
}

TEST_CASE("sqlite module refuses an empty path at create", "[sqlite][config]") {
    const tocsin_plugin& plugin = tocsin::testing::load_plugin("tocsin_source_sqlite.so");
    tocsin::testing::PluginInstance instance(plugin, R"({"path": ""})");
    CHECK(instance.create_status() == TOCSIN_BAD_CONFIG);
    CHECK(instance.last_error() == "path is empty; give the database file to read");
}

TEST_CASE("sqlite module create does no I/O", "[sqlite][config]") {
    // `tocsin check` creates instances: a missing file must not fail (or be created) here.
    tocsin::testing::TempDir dir;
    const tocsin_plugin& plugin = tocsin::testing::load_plugin("tocsin_source_sqlite.so");
    const std::string path = dir.file("missing.db");
    tocsin::testing::PluginInstance instance(plugin, R"({"path": ")" + path + R"("})");
    CHECK(instance.create_status() == TOCSIN_OK);
    CHECK_FALSE(std::filesystem::exists(path));
}
