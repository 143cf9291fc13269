// The postgres source against a REAL PostgreSQL server (see pg_server.hpp).

#include "pg_server.hpp"
#include "plugin_harness.hpp"
#include "postgres_database.hpp"
#include <tocsin/sdk/json.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

namespace pg = tocsin::plugins::postgres;
using std::chrono::milliseconds;
using tocsin::testing::pg_server;
using tocsin::testing::PluginInstance;

namespace {

const tocsin_plugin& postgres_plugin() {
    return tocsin::testing::load_plugin("tocsin_source_postgres.so");
}

std::string params(const std::string& sql) {
    return tocsin::sdk::Json::object().set("query", sql).dump();
}

std::string config_for(const std::string& dsn, const std::string& extra = "") {
    return R"({"dsn": ")" + dsn + "\"" + extra + "}";
}

auto deadline_in(milliseconds ms) {
    return std::chrono::steady_clock::now() + ms;
}

// The signups table, created once per server.
void ensure_schema() {
    static const bool created = [] {
        pg_server().exec(R"(
            CREATE TABLE signups (plan text, country text, n integer, ratio double precision,
                                  at timestamptz, ok boolean);
            INSERT INTO signups VALUES
              ('free', 'de', 120, 0.25, '2026-01-05 06:00:00+00', true),
              ('pro', 'fr', 7, 0.5, '2026-01-05 07:30:00+01:30', false),
              ('team', NULL, 3, 1.5, NULL, true);)");
        return true;
    }();
    static_cast<void>(created);
}

}  // namespace

TEST_CASE("postgres rows become samples with labels and timestamps", "[postgres][slow]") {
    ensure_schema();
    PluginInstance instance(postgres_plugin(), config_for(pg_server().dsn()));
    REQUIRE(instance.create_status() == TOCSIN_OK);

    SECTION("values, labels and timestamps") {
        const auto outcome = instance.collect(
            {{"by_plan",
              params(
                  "SELECT plan, country, n AS value, at AS timestamp FROM signups ORDER BY plan")},
             {"total", params("SELECT sum(n)::numeric / 2 AS value FROM signups")},
             {"ok", params("SELECT ok AS value, plan FROM signups ORDER BY plan")}},
            milliseconds(5000));
        INFO(outcome.error);
        REQUIRE(outcome.status == TOCSIN_OK);
        REQUIRE(outcome.samples.size() == 7);
        CHECK(outcome.samples[0].kpi == "by_plan");
        CHECK(outcome.samples[0].value == 120);
        CHECK(outcome.samples[0].labels.size() == 2);
        CHECK(outcome.samples[0].label("plan") == "free");
        CHECK(outcome.samples[0].label("country") == "de");
        CHECK(outcome.samples[0].timestamp_ms == 1767592800000);
        CHECK(outcome.samples[1].timestamp_ms == 1767592800000);   // 07:30+01:30
        CHECK(outcome.samples[2].label("country") == "<absent>");  // NULL: no label
        CHECK(outcome.samples[2].timestamp_ms == 0);               // NULL: time of collection
        CHECK(outcome.samples[3].kpi == "total");
        CHECK(outcome.samples[3].value == 65);
        CHECK(outcome.samples[4].value == 1);
        CHECK(outcome.samples[5].value == 0);
    }
    SECTION("bad rows are skipped with a warning") {
        const auto outcome = instance.collect(
            {{"mrr", params("SELECT * FROM (VALUES (1.0), (NULL), ('NaN'::float8)) AS t(value)")}},
            milliseconds(5000));
        REQUIRE(outcome.status == TOCSIN_OK);
        REQUIRE(outcome.samples.size() == 1);
        CHECK(instance.count_logs(TOCSIN_LOG_WARNING,
                                  "KPI 'mrr': row 2 skipped: 'value' is NULL") == 1);
        CHECK(instance.count_logs(
                  TOCSIN_LOG_WARNING,
                  "KPI 'mrr': row 3 skipped: 'value' is not a finite number ('NaN')") == 1);
    }
    SECTION("a query without a value column fails and the others still run") {
        const auto outcome = instance.collect({{"x", params("SELECT n FROM signups")},
                                               {"bad", params("SELECT n AS value FROM nowhere")},
                                               {"good", params("SELECT 1 AS value")}},
                                              milliseconds(5000));
        CHECK(outcome.status == TOCSIN_FAILED);
        CHECK(outcome.error ==
              "query for KPI 'x' has no 'value' column; query for KPI 'bad' failed: relation "
              "\"nowhere\" does not exist");
        REQUIRE(outcome.samples.size() == 1);
        CHECK(outcome.samples[0].kpi == "good");
    }
    SECTION("writes are refused: the transaction is read-only") {
        const auto outcome =
            instance.collect({{"w",
                               params("INSERT INTO signups VALUES ('x', 'y', 1000, 0, now(), true) "
                                      "RETURNING n AS value")}},
                             milliseconds(5000));
        CHECK(outcome.status == TOCSIN_FAILED);
        CHECK(outcome.error ==
              "query for KPI 'w' failed: cannot execute INSERT in a read-only "
              "transaction; the postgres source only reads");
        CHECK(pg_server().scalar("SELECT count(*) FROM signups") == "3");
    }
    SECTION("two statements in one query are refused") {
        const auto outcome = instance.collect(
            {{"two", params("SELECT 1 AS value; SELECT 2 AS value")}}, milliseconds(5000));
        CHECK(outcome.status == TOCSIN_FAILED);
        CHECK(outcome.error ==
              "query for KPI 'two' failed: cannot insert multiple commands into "
              "a prepared statement");
    }
}

TEST_CASE("postgres reuses its connection and reconnects when it breaks", "[postgres][slow]") {
    pg::Database db(pg_server().dsn(), milliseconds(5000));
    const std::vector<pg::KpiQuery> queries = {{"one", "SELECT 1 AS value"},
                                               {"two", "SELECT 2 AS value"}};
    auto result = db.run(queries, deadline_in(milliseconds(5000)));
    REQUIRE_FALSE(result.error);
    REQUIRE(result.kpis.size() == 2);
    CHECK(result.kpis[1].rows.at(0).value == 2);
    const int first = db.backend_pid();
    REQUIRE(first != 0);

    result = db.run(queries, deadline_in(milliseconds(5000)));
    REQUIRE_FALSE(result.error);
    CHECK(db.backend_pid() == first);  // reused

    SECTION("after pg_terminate_backend") {
        pg_server().exec("SELECT pg_terminate_backend(" + std::to_string(first) + ")");
    }
    SECTION("after a server restart") {
        pg_server().restart();
    }
    result = db.run(queries, deadline_in(milliseconds(5000)));
    INFO((result.error ? *result.error : std::string()));
    REQUIRE_FALSE(result.error);
    for (const auto& kpi : result.kpis) {
        INFO((kpi.error ? *kpi.error : std::string()));
        CHECK_FALSE(kpi.error);
        CHECK(kpi.rows.size() == 1);
    }
    CHECK(db.backend_pid() != first);
}

TEST_CASE("postgres slow queries stop at statement_timeout or the deadline", "[postgres][slow]") {
    SECTION("statement_timeout, and the next KPI still runs") {
        PluginInstance instance(postgres_plugin(),
                                config_for(pg_server().dsn(), R"(, "statement_timeout": 300)"));
        const auto started = std::chrono::steady_clock::now();
        const auto outcome =
            instance.collect({{"slow", params("SELECT 1 AS value FROM pg_sleep(10)")},
                              {"fast", params("SELECT 2 AS value")}},
                             milliseconds(5000));
        const auto elapsed = std::chrono::steady_clock::now() - started;
        CHECK(outcome.status == TOCSIN_RETRY);
        CHECK_THAT(outcome.error, Catch::StartsWith("query for KPI 'slow' timed out after "));
        CHECK_THAT(outcome.error, Catch::EndsWith("(statement_timeout 300ms)"));
        REQUIRE(outcome.samples.size() == 1);
        CHECK(outcome.samples[0].kpi == "fast");
        CHECK(elapsed < milliseconds(3000));
    }
    SECTION("the collect deadline, shorter than statement_timeout") {
        PluginInstance instance(postgres_plugin(), config_for(pg_server().dsn()));
        const auto started = std::chrono::steady_clock::now();
        const auto outcome =
            instance.collect({{"slow", params("SELECT 1 AS value FROM pg_sleep(10)")},
                              {"after", params("SELECT 2 AS value")}},
                             milliseconds(700));
        const auto elapsed = std::chrono::steady_clock::now() - started;
        CHECK(outcome.status == TOCSIN_RETRY);
        CHECK_THAT(outcome.error, Catch::StartsWith("query for KPI 'slow' timed out after "));
        CHECK_THAT(outcome.error, Catch::Contains("query for KPI 'after' not run"));
        CHECK(elapsed < milliseconds(2500));
        // The next collect works again.
        const auto again =
            instance.collect({{"k", params("SELECT 3 AS value")}}, milliseconds(5000));
        INFO(again.error);
        CHECK(again.status == TOCSIN_OK);
    }
}

TEST_CASE("postgres auth failure fails and a down server is retried", "[postgres][slow]") {
    SECTION("wrong password") {
        PluginInstance instance(postgres_plugin(), config_for(pg_server().dsn("wrong")));
        const auto outcome =
            instance.collect({{"k", params("SELECT 1 AS value")}}, milliseconds(5000));
        CHECK(outcome.status == TOCSIN_FAILED);
        CHECK_THAT(outcome.error, Catch::StartsWith("cannot connect: "));
        CHECK_THAT(outcome.error,
                   Catch::Contains("password authentication failed for user \"tocsin_admin\""));
        CHECK_THAT(outcome.error, !Catch::Contains("wrong"));
    }
    SECTION("nothing listening") {
        const auto port = tocsin::testing::free_port();
        PluginInstance instance(postgres_plugin(),
                                config_for("host=127.0.0.1 port=" + std::to_string(port) +
                                           " dbname=app user=x password=secret-pw"));
        const auto outcome =
            instance.collect({{"k", params("SELECT 1 AS value")}}, milliseconds(5000));
        CHECK(outcome.status == TOCSIN_RETRY);
        CHECK_THAT(outcome.error, Catch::StartsWith("cannot connect: "));
        CHECK_THAT(outcome.error, Catch::Contains("Connection refused"));
        CHECK_THAT(outcome.error, !Catch::Contains("secret-pw"));
    }
}
