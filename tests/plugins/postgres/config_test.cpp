#include "plugin_harness.hpp"
#include "postgres_config.hpp"
#include "postgres_rows.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace pg = tocsin::plugins::postgres;
using tocsin::sdk::Config;
using tocsin::sdk::Json;

namespace {

Config config_of(std::string_view json) {
    return Config(Json::parse(json));
}

}  // namespace

TEST_CASE("postgres config takes dsn and defaults statement_timeout to 10s", "[postgres][config]") {
    pg::PostgresConfig out;
    REQUIRE(pg::parse_config(config_of(R"({"dsn": "host=db dbname=app"})"), out).is_ok());
    CHECK(out.dsn == "host=db dbname=app");
    CHECK(out.statement_timeout == std::chrono::seconds(10));
    REQUIRE(pg::parse_config(config_of(R"({"dsn": "x", "statement_timeout": 250})"), out).is_ok());
    CHECK(out.statement_timeout == std::chrono::milliseconds(250));
}

TEST_CASE("postgres config rejects an empty dsn and a non-positive timeout", "[postgres][config]") {
    pg::PostgresConfig out;
    auto status = pg::parse_config(config_of(R"({"dsn": " "})"), out);
    CHECK(status.code == TOCSIN_BAD_CONFIG);
    CHECK(status.message ==
          "dsn is empty; give a libpq connection string such as 'host=db dbname=app user=tocsin'");
    status = pg::parse_config(config_of(R"({"dsn": "x", "statement_timeout": 0})"), out);
    CHECK(status.code == TOCSIN_BAD_CONFIG);
    CHECK(status.message == "statement_timeout must be positive; use e.g. 10s");
}

TEST_CASE("postgres KPI without a query fails naming the KPI", "[postgres][config]") {
    std::string sql;
    const auto status = pg::parse_query("signups", config_of("{}"), sql);
    CHECK(status.code == TOCSIN_FAILED);
    CHECK(status.message == "KPI 'signups' has no query; set query to a SELECT");
}

TEST_CASE("postgres module declares dsn as a secret", "[postgres][config]") {
    const tocsin_plugin& plugin = tocsin::testing::load_plugin("tocsin_source_postgres.so");
    CHECK(std::string_view(plugin.name) == "postgres");
    CHECK(plugin.kind == TOCSIN_KIND_SOURCE);
    REQUIRE(plugin.config_key_count == 2);
    CHECK(std::string_view(plugin.config_keys[0].name) == "dsn");
    CHECK(plugin.config_keys[0].secret != 0);
    CHECK(plugin.kpi_key_count == 1);
}

TEST_CASE("postgres values read numbers and booleans", "[postgres]") {
    CHECK(pg::parse_value("42", false) == 42.0);
    CHECK(pg::parse_value("-0.25", false) == -0.25);
    CHECK(pg::parse_value("1e3", false) == 1000.0);
    CHECK(pg::parse_value("t", true) == 1.0);
    CHECK(pg::parse_value("f", true) == 0.0);
    CHECK_FALSE(pg::parse_value("NaN", false));
    CHECK_FALSE(pg::parse_value("Infinity", false));
    CHECK_FALSE(pg::parse_value("t", false));
    CHECK_FALSE(pg::parse_value("", false));
}

TEST_CASE("postgres timestamps parse as PostgreSQL ISO text or Unix seconds", "[postgres]") {
    CHECK(pg::parse_timestamp_ms("2026-01-05 06:00:00+00") == 1767592800000);
    CHECK(pg::parse_timestamp_ms("2026-01-05 06:00:00.125+00") == 1767592800125);
    CHECK(pg::parse_timestamp_ms("2026-01-05 07:00:00+01") == 1767592800000);
    CHECK(pg::parse_timestamp_ms("2026-01-05 01:30:00-04:30") == 1767592800000);
    CHECK(pg::parse_timestamp_ms("2026-01-05 06:00:30+00:00:30") == 1767592800000);
    CHECK(pg::parse_timestamp_ms("2026-01-05 06:00:00") == 1767592800000);
    CHECK(pg::parse_timestamp_ms("2026-01-05T06:00:00Z") == 1767592800000);
    CHECK(pg::parse_timestamp_ms("2026-01-05") == 1767571200000);
    CHECK(pg::parse_timestamp_ms("1767571200.5") == 1767571200500);
    CHECK_FALSE(pg::parse_timestamp_ms("yesterday"));
    CHECK_FALSE(pg::parse_timestamp_ms("2026-02-30 00:00:00"));
    CHECK_FALSE(pg::parse_timestamp_ms("2026-01-05 06:00:00+0x"));
}
