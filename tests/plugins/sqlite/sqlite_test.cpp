#include "plugin_harness.hpp"
#include "sqlite_database.hpp"
#include "support/temp_dir.hpp"
#include <tocsin/sdk/json.hpp>

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

namespace sq = tocsin::plugins::sqlite;
using std::chrono::milliseconds;
using tocsin::testing::PluginInstance;
using tocsin::testing::TempDir;

namespace {

// A query that would run for minutes; only the deadline stops it in time.
constexpr const char* kSlowQuery =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) "
    "SELECT max(x) AS value FROM c";

// Runs `sql` on `path` through a separate read-write connection (the application's side).
void exec(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(
        sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) ==
        SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    const std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    INFO(message);
    REQUIRE(rc == SQLITE_OK);
}

std::string signups_db(const TempDir& dir) {
    const std::string path = dir.file("app.db");
    exec(path, R"(
        CREATE TABLE signups (plan TEXT, country TEXT, n INTEGER, ratio REAL);
        INSERT INTO signups VALUES ('free', 'de', 120, 0.25), ('pro', 'fr', 7, 0.5),
                                   ('team', NULL, 3, 1.5);
    )");
    return path;
}

auto deadline_in(milliseconds ms) {
    return std::chrono::steady_clock::now() + ms;
}

std::string params(const std::string& sql) {
    return tocsin::sdk::Json::object().set("query", sql).dump();
}

std::string config_for(const std::string& path) {
    return tocsin::sdk::Json::object().set("path", path).dump();
}

const tocsin_plugin& sqlite_plugin() {
    return tocsin::testing::load_plugin("tocsin_source_sqlite.so");
}

}  // namespace

TEST_CASE("sqlite rows become samples with the other columns as labels", "[sqlite]") {
    TempDir dir;
    sq::Database db(signups_db(dir), milliseconds(1000));
    sq::QueryResult result;
    const auto error =
        db.query("signups",
                 "SELECT plan, country, n AS value, ratio FROM signups ORDER BY plan",
                 deadline_in(milliseconds(5000)),
                 result);
    REQUIRE_FALSE(error);
    CHECK(result.warnings.empty());
    REQUIRE(result.rows.size() == 3);
    CHECK(result.rows[0].value == 120);
    CHECK(result.rows[0].labels ==
          sq::Labels{{"plan", "free"}, {"country", "de"}, {"ratio", "0.25"}});
    CHECK(result.rows[0].timestamp_ms == 0);
    CHECK(result.rows[1].value == 7);
    // A NULL column is no label at all.
    CHECK(result.rows[2].labels == sq::Labels{{"plan", "team"}, {"ratio", "1.5"}});
}

TEST_CASE("sqlite real and numeric-text values are read as numbers", "[sqlite]") {
    TempDir dir;
    sq::Database db(signups_db(dir), milliseconds(1000));
    sq::QueryResult result;
    REQUIRE_FALSE(db.query("k",
                           "SELECT 0.28 AS value UNION ALL SELECT ' 42 '",
                           deadline_in(milliseconds(5000)),
                           result));
    REQUIRE(result.rows.size() == 2);
    CHECK(result.rows[0].value == Approx(0.28));
    CHECK(result.rows[1].value == 42);
}

TEST_CASE("sqlite timestamp column sets the sample time instead of a label", "[sqlite]") {
    TempDir dir;
    sq::Database db(signups_db(dir), milliseconds(1000));
    sq::QueryResult result;
    REQUIRE_FALSE(db.query("k",
                           "SELECT 1 AS value, 1767571200 AS timestamp, 'a' AS src "
                           "UNION ALL SELECT 2, 1767571200.5, 'b' "
                           "UNION ALL SELECT 3, '2026-01-05T06:00:00Z', 'c' "
                           "UNION ALL SELECT 4, datetime(1767592800, 'unixepoch'), 'd' "
                           "UNION ALL SELECT 5, NULL, 'e'",
                           deadline_in(milliseconds(5000)),
                           result));
    REQUIRE(result.rows.size() == 5);
    CHECK(result.rows[0].timestamp_ms == 1767571200000);
    CHECK(result.rows[0].labels == sq::Labels{{"src", "a"}});
    CHECK(result.rows[1].timestamp_ms == 1767571200500);
    CHECK(result.rows[2].timestamp_ms == 1767592800000);
    CHECK(result.rows[3].timestamp_ms == 1767592800000);
    CHECK(result.rows[4].timestamp_ms == 0);  // NULL: the time of collection
}

TEST_CASE("sqlite timestamps parse as Unix seconds or ISO-8601", "[sqlite]") {
    CHECK(sq::parse_timestamp_ms("1767571200") == 1767571200000);
    CHECK(sq::parse_timestamp_ms("1767571200.25") == 1767571200250);
    CHECK(sq::parse_timestamp_ms("2026-01-05") == 1767571200000);
    CHECK(sq::parse_timestamp_ms("2026-01-05T06:00:00Z") == 1767592800000);
    CHECK(sq::parse_timestamp_ms("2026-01-05 06:00:00") == 1767592800000);
    CHECK(sq::parse_timestamp_ms("2026-01-05T06:00Z") == 1767592800000);
    CHECK(sq::parse_timestamp_ms("2026-01-05T07:00:00+01:00") == 1767592800000);
    CHECK(sq::parse_timestamp_ms("2026-01-05T01:30:00-0430") == 1767592800000);
    CHECK(sq::parse_timestamp_ms("2026-01-05T06:00:00.125Z") == 1767592800125);
    CHECK(sq::parse_timestamp_ms("2024-02-29T12:30:15Z") == 1709209815000);
    CHECK(sq::parse_timestamp_ms("1969-12-31T23:59:59Z") == -1000);
    CHECK_FALSE(sq::parse_timestamp_ms("yesterday"));
    CHECK_FALSE(sq::parse_timestamp_ms("2026-13-01"));
    CHECK_FALSE(sq::parse_timestamp_ms("2026-02-30T00:00:00Z"));
    CHECK_FALSE(sq::parse_timestamp_ms("2026-01-05T25:00:00Z"));
    CHECK_FALSE(sq::parse_timestamp_ms("2026-01-05T06:00:00Zjunk"));
    CHECK_FALSE(sq::parse_timestamp_ms(""));
}

TEST_CASE("sqlite query without a value column fails naming the KPI", "[sqlite]") {
    TempDir dir;
    sq::Database db(signups_db(dir), milliseconds(1000));
    sq::QueryResult result;
    const auto error =
        db.query("signups", "SELECT n FROM signups", deadline_in(milliseconds(5000)), result);
    REQUIRE(error);
    CHECK(*error == "query for KPI 'signups' has no 'value' column");
    CHECK(result.rows.empty());
}

TEST_CASE("sqlite rows with a NULL or non-numeric value are skipped with a warning", "[sqlite]") {
    TempDir dir;
    sq::Database db(signups_db(dir), milliseconds(1000));
    sq::QueryResult result;
    REQUIRE_FALSE(db.query("mrr",
                           "SELECT 1 AS value, NULL AS timestamp UNION ALL SELECT NULL, NULL "
                           "UNION ALL SELECT 'n/a', NULL UNION ALL SELECT 2, NULL "
                           "UNION ALL SELECT 3, 'soon'",
                           deadline_in(milliseconds(5000)),
                           result));
    REQUIRE(result.rows.size() == 2);
    CHECK(result.rows[0].value == 1);
    CHECK(result.rows[1].value == 2);
    REQUIRE(result.warnings.size() == 3);
    CHECK(result.warnings[0] == "KPI 'mrr': row 2 skipped: 'value' is NULL");
    CHECK(result.warnings[1] == "KPI 'mrr': row 3 skipped: 'value' is not a number ('n/a')");
    CHECK(result.warnings[2] ==
          "KPI 'mrr': row 5 skipped: 'timestamp' is neither Unix seconds nor ISO-8601 ('soon')");
}

TEST_CASE("sqlite opens the database read-only", "[sqlite]") {
    TempDir dir;
    const std::string path = signups_db(dir);
    sq::Database db(path, milliseconds(1000));
    sq::QueryResult result;
    const auto error = db.query("k",
                                "UPDATE signups SET n = 0 RETURNING n AS value",
                                deadline_in(milliseconds(5000)),
                                result);
    REQUIRE(error);
    CHECK(*error == "query for KPI 'k' failed: attempt to write a readonly database");

    // Nothing changed.
    sq::Database check(path, milliseconds(1000));
    sq::QueryResult sums;
    REQUIRE_FALSE(check.query(
        "k", "SELECT sum(n) AS value FROM signups", deadline_in(milliseconds(5000)), sums));
    REQUIRE(sums.rows.size() == 1);
    CHECK(sums.rows[0].value == 130);
}

TEST_CASE("sqlite missing database file fails without creating it", "[sqlite]") {
    TempDir dir;
    const std::string path = dir.file("absent.db");
    sq::Database db(path, milliseconds(1000));
    sq::QueryResult result;
    const auto error = db.query("k", "SELECT 1 AS value", deadline_in(milliseconds(5000)), result);
    REQUIRE(error);
    CHECK(*error == "cannot open database '" + path + "': unable to open database file");
    CHECK_FALSE(db.is_open());
    CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("sqlite corrupt database fails with SQLite's message", "[sqlite]") {
    TempDir dir;
    const std::string path = dir.file("corrupt.db");
    {
        std::ofstream out(path);
        out << "this is not an SQLite database, just some text that is long enough to matter\n";
    }
    sq::Database db(path, milliseconds(1000));
    sq::QueryResult result;
    const auto error = db.query(
        "k", "SELECT 1 AS value FROM sqlite_master", deadline_in(milliseconds(5000)), result);
    REQUIRE(error);
    CHECK(*error == "query for KPI 'k' failed: file is not a database");
    CHECK_FALSE(db.is_open());  // closed, so the next query reopens the (maybe repaired) file
}

TEST_CASE("sqlite SQL error fails with SQLite's message", "[sqlite]") {
    TempDir dir;
    sq::Database db(signups_db(dir), milliseconds(1000));
    sq::QueryResult result;
    const auto error =
        db.query("k", "SELECT n AS value FROM nowhere", deadline_in(milliseconds(5000)), result);
    REQUIRE(error);
    CHECK(*error == "query for KPI 'k' failed: no such table: nowhere");
}

TEST_CASE("sqlite query with two statements is refused", "[sqlite]") {
    TempDir dir;
    sq::Database db(signups_db(dir), milliseconds(1000));
    sq::QueryResult result;
    const auto error = db.query(
        "k", "SELECT 1 AS value; SELECT 2 AS value", deadline_in(milliseconds(5000)), result);
    REQUIRE(error);
    CHECK(*error == "query for KPI 'k' is invalid: it holds more than one statement");
    // A trailing semicolon is fine.
    REQUIRE_FALSE(db.query("k", "SELECT 1 AS value;", deadline_in(milliseconds(5000)), result));
}

TEST_CASE("sqlite slow query is interrupted at the deadline", "[sqlite]") {
    TempDir dir;
    sq::Database db(signups_db(dir), milliseconds(1000));
    sq::QueryResult result;
    const auto started = std::chrono::steady_clock::now();
    const auto error = db.query("slow", kSlowQuery, started + milliseconds(200), result);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    REQUIRE(error);
    CHECK_THAT(*error, Catch::StartsWith("query for KPI 'slow' timed out after "));
    CHECK(elapsed >= milliseconds(190));
    CHECK(elapsed < milliseconds(1500));
    // The connection stays usable.
    REQUIRE_FALSE(db.query("k", "SELECT 1 AS value", deadline_in(milliseconds(5000)), result));
    CHECK(result.rows.size() == 1);
}

TEST_CASE("sqlite waits for a writer's lock only up to busy_timeout", "[sqlite]") {
    TempDir dir;
    const std::string path = signups_db(dir);
    sqlite3* writer = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &writer) == SQLITE_OK);
    REQUIRE(sqlite3_exec(writer, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);

    sq::Database db(path, milliseconds(100));
    sq::QueryResult result;
    const auto started = std::chrono::steady_clock::now();
    const auto error = db.query(
        "k", "SELECT count(*) AS value FROM signups", deadline_in(milliseconds(5000)), result);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    sqlite3_exec(writer, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(writer);

    REQUIRE(error);
    CHECK(*error == "query for KPI 'k' failed: database is locked");
    CHECK(elapsed >= milliseconds(90));
    CHECK(elapsed < milliseconds(2000));
}

TEST_CASE("sqlite module emits one sample per row through the host callback", "[sqlite]") {
    TempDir dir;
    PluginInstance instance(sqlite_plugin(), config_for(signups_db(dir)));
    REQUIRE(instance.create_status() == TOCSIN_OK);
    const auto outcome = instance.collect(
        {{"signups_by_plan",
          params("SELECT plan, n AS value, 1767571200 AS timestamp FROM signups ORDER BY plan")},
         {"total", params("SELECT sum(n) AS value FROM signups")}},
        milliseconds(5000));
    INFO(outcome.error);
    REQUIRE(outcome.status == TOCSIN_OK);
    REQUIRE(outcome.samples.size() == 4);
    CHECK(outcome.samples[0].kpi == "signups_by_plan");
    CHECK(outcome.samples[0].value == 120);
    CHECK(outcome.samples[0].labels.size() == 1);
    CHECK(outcome.samples[0].label("plan") == "free");
    CHECK(outcome.samples[0].timestamp_ms == 1767571200000);
    CHECK(outcome.samples[2].label("plan") == "team");
    CHECK(outcome.samples[3].kpi == "total");
    CHECK(outcome.samples[3].value == 130);
    CHECK(outcome.samples[3].labels.empty());
    CHECK(outcome.samples[3].timestamp_ms == 0);
}

TEST_CASE("sqlite module logs skipped rows as warnings naming the KPI", "[sqlite]") {
    TempDir dir;
    PluginInstance instance(sqlite_plugin(), config_for(signups_db(dir)));
    const auto outcome = instance.collect(
        {{"mrr", params("SELECT NULL AS value UNION ALL SELECT 5")}}, milliseconds(5000));
    REQUIRE(outcome.status == TOCSIN_OK);
    REQUIRE(outcome.samples.size() == 1);
    CHECK(instance.count_logs(TOCSIN_LOG_WARNING, "KPI 'mrr': row 1 skipped: 'value' is NULL") ==
          1);
}

TEST_CASE("sqlite module reports a missing value column as failed", "[sqlite]") {
    TempDir dir;
    PluginInstance instance(sqlite_plugin(), config_for(signups_db(dir)));
    const auto outcome =
        instance.collect({{"x", params("SELECT n FROM signups")}}, milliseconds(5000));
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK(outcome.error == "query for KPI 'x' has no 'value' column");
}

TEST_CASE("sqlite module keeps collecting other KPIs when one fails", "[sqlite]") {
    TempDir dir;
    PluginInstance instance(sqlite_plugin(), config_for(signups_db(dir)));
    const auto outcome = instance.collect(
        {{"bad", params("SELECT n AS value FROM nowhere")}, {"good", params("SELECT 1 AS value")}},
        milliseconds(5000));
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK(outcome.error == "query for KPI 'bad' failed: no such table: nowhere");
    REQUIRE(outcome.samples.size() == 1);
    CHECK(outcome.samples[0].kpi == "good");
}

TEST_CASE("sqlite module fails on a missing file and reopens once it exists", "[sqlite]") {
    TempDir dir;
    const std::string path = dir.file("later.db");
    PluginInstance instance(sqlite_plugin(), config_for(path));
    REQUIRE(instance.create_status() == TOCSIN_OK);
    const std::vector<std::pair<std::string, std::string>> kpis = {
        {"k", params("SELECT 42 AS value")}, {"k2", params("SELECT 43 AS value")}};

    const auto missing = instance.collect(kpis, milliseconds(5000));
    CHECK(missing.status == TOCSIN_FAILED);
    // Both KPIs hit the same open error; it is reported once.
    CHECK(missing.error == "cannot open database '" + path + "': unable to open database file");
    CHECK_FALSE(std::filesystem::exists(path));

    exec(path, "CREATE TABLE t (x INTEGER)");
    const auto present = instance.collect(kpis, milliseconds(5000));
    INFO(present.error);
    REQUIRE(present.status == TOCSIN_OK);
    REQUIRE(present.samples.size() == 2);
    CHECK(present.samples[0].value == 42);
}

TEST_CASE("sqlite module interrupts a slow query at the deadline", "[sqlite]") {
    TempDir dir;
    PluginInstance instance(sqlite_plugin(), config_for(signups_db(dir)));
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = instance.collect({{"slow", params(kSlowQuery)}}, milliseconds(300));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK_THAT(outcome.error, Catch::StartsWith("query for KPI 'slow' timed out after "));
    CHECK(elapsed >= milliseconds(250));
    CHECK(elapsed < milliseconds(1500));
}
