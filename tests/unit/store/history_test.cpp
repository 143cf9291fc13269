// KPI history across the sample log, its compaction into blocks, retention and migration.
#include "store/schema.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace tocsin::store {
namespace {

using test::at_ms;
using test::db_file;
using test::failure;
using test::ok;
using test::open_store;
using test::TempDir;

engine::Sample sample(std::string kpi, engine::Labels labels, double value, std::int64_t ms) {
    return engine::Sample{std::move(kpi), std::move(labels), value, at_ms(ms)};
}

void commit_samples(Store& store, std::vector<engine::Sample> samples) {
    Batch batch;
    batch.samples = std::move(samples);
    ok(store.commit(batch));
}

std::int64_t query_int(const TempDir& dir, const char* sql) {
    auto db = ok(Database::open(db_file(dir)));
    auto stmt = ok(db->prepare(sql));
    REQUIRE(ok(stmt.step()));
    return stmt.column_int(0);
}

// (ms, value) pairs, for comparing a whole history at once.
std::vector<std::pair<std::int64_t, double>> points_of(const std::vector<HistoryPoint>& points) {
    std::vector<std::pair<std::int64_t, double>> out;
    for (const auto& p : points) {
        out.emplace_back(engine::to_unix_ms(p.at), p.value);
    }
    return out;
}

using Points = std::vector<std::pair<std::int64_t, double>>;

TEST_CASE("history reads across compacted blocks and the log alike", "[store][history]") {
    TempDir dir;
    auto store = open_store(dir);
    const engine::Labels eu{{"region", "eu"}};
    commit_samples(*store, {sample("orders", eu, 1, 1000), sample("orders", {}, 100, 1000)});
    commit_samples(*store, {sample("orders", eu, 2, 2000), sample("orders", {}, 200, 2000)});
    ok(store->compact());
    commit_samples(*store, {sample("orders", eu, 3, 3000)});
    ok(store->compact());
    commit_samples(*store, {sample("orders", eu, 4, 4000), sample("orders", {}, 400, 4000)});
    commit_samples(*store, {sample("orders", eu, 5, 5000)});

    CHECK(query_int(dir, "SELECT count(*) FROM sample_blocks") == 2);
    CHECK(query_int(dir, "SELECT count(*) FROM sample_log") == 2);
    CHECK(ok(store->sample_count()) == 8);
    CHECK(points_of(ok(store->history("orders", eu, at_ms(0), at_ms(9000)))) ==
          Points{{1000, 1}, {2000, 2}, {3000, 3}, {4000, 4}, {5000, 5}});
    // Bounds are inclusive and cut through a block and the log.
    CHECK(points_of(ok(store->history("orders", eu, at_ms(2000), at_ms(4000)))) ==
          Points{{2000, 2}, {3000, 3}, {4000, 4}});
    CHECK(points_of(ok(store->history("orders", {}, at_ms(1500), at_ms(9000)))) ==
          Points{{2000, 200}, {4000, 400}});
    CHECK(ok(store->history("orders", eu, at_ms(6000), at_ms(9000))).empty());

    // The same after closing and reopening, and after compacting the rest.
    store.reset();
    store = open_store(dir);
    ok(store->compact());
    CHECK(query_int(dir, "SELECT count(*) FROM sample_log") == 0);
    CHECK(points_of(ok(store->history("orders", eu, at_ms(0), at_ms(9000)))).size() == 5);
    CHECK(ok(store->sample_count()) == 8);
}

TEST_CASE("samples at the same instant all stay, in commit order, and the last one is latest",
          "[store][history]") {
    TempDir dir;
    auto store = open_store(dir);
    // Out of order within one batch too.
    commit_samples(*store,
                   {sample("orders", {}, 1, 2000),
                    sample("orders", {}, 0, 1000),
                    sample("orders", {}, 2, 2000)});
    ok(store->compact());
    commit_samples(*store, {sample("orders", {}, 3, 2000)});
    const Points expected{{1000, 0}, {2000, 1}, {2000, 2}, {2000, 3}};
    CHECK(points_of(ok(store->history("orders", {}, at_ms(0), at_ms(5000)))) == expected);
    CHECK(ok(store->latest_samples()).at(0).value == 3);

    ok(store->compact());
    CHECK(points_of(ok(store->history("orders", {}, at_ms(0), at_ms(5000)))) == expected);
    CHECK(ok(store->latest_samples()).at(0).value == 3);

    // An older sample written later does not become the latest.
    commit_samples(*store, {sample("orders", {}, 9, 1500)});
    CHECK(ok(store->latest_samples()).at(0).value == 3);
    ok(store->compact());
    CHECK(ok(store->latest_samples()).at(0).value == 3);
    CHECK(ok(store->latest_samples()).at(0).at == at_ms(2000));
}

TEST_CASE("latest samples come from the series table and the log, across a restart",
          "[store][history]") {
    TempDir dir;
    {
        auto store = open_store(dir);
        commit_samples(*store,
                       {sample("a", {}, 1, 1000),
                        sample("b", {}, std::numeric_limits<double>::quiet_NaN(), 1000)});
        ok(store->compact());
        commit_samples(*store, {sample("a", {}, 2, 2000), sample("c", {}, -1, 500)});
    }
    auto store = open_store(dir);
    auto latest = ok(store->latest_samples());
    REQUIRE(latest.size() == 3);
    CHECK(latest[0].kpi == "a");
    CHECK(latest[0].value == 2);
    CHECK(latest[1].kpi == "b");
    CHECK(std::isnan(latest[1].value));
    CHECK(latest[2].kpi == "c");
    CHECK(latest[2].at == at_ms(500));
    ok(store->compact());
    latest = ok(store->latest_samples());
    REQUIRE(latest.size() == 3);
    CHECK(latest[0].value == 2);
    CHECK(std::isnan(latest[1].value));
    CHECK(latest[2].value == -1);
}

TEST_CASE("commits compact the log once it holds enough rows", "[store][history]") {
    TempDir dir;
    auto store = open_store(dir);
    for (int i = 0; i < 150; ++i) {
        commit_samples(*store, {sample("orders", {}, i, 1000 * i)});
    }
    CHECK(query_int(dir, "SELECT count(*) FROM sample_blocks") >= 2);
    CHECK(query_int(dir, "SELECT count(*) FROM sample_log") < 60);
    CHECK(ok(store->sample_count()) == 150);
    const auto points = ok(store->history("orders", {}, at_ms(0), at_ms(1'000'000)));
    REQUIRE(points.size() == 150);
    for (int i = 0; i < 150; ++i) {
        CHECK(points[static_cast<std::size_t>(i)].value == i);
    }
}

TEST_CASE("prune drops whole blocks and rewrites the one straddling the cut", "[store][history]") {
    TempDir dir;
    auto store = open_store(dir);
    commit_samples(*store, {sample("a", {}, 1, 1000), sample("b", {}, 1, 1500)});
    commit_samples(*store, {sample("a", {}, 2, 2000)});
    ok(store->compact());  // block [1000, 2000]
    commit_samples(*store, {sample("a", {}, 3, 3000), sample("b", {}, 3, 3000)});
    commit_samples(*store, {sample("a", {}, 4, 4000)});
    ok(store->compact());                                // block [3000, 4000]
    commit_samples(*store, {sample("a", {}, 5, 5000)});  // stays in the log until prune

    SECTION("a cut at a block's first sample keeps that block whole") {
        CHECK(ok(store->prune(at_ms(3000), at_ms(0))) == 3);
        CHECK(points_of(ok(store->history("a", {}, at_ms(0), at_ms(9000)))) ==
              Points{{3000, 3}, {4000, 4}, {5000, 5}});
        CHECK(ok(store->latest_samples()).size() == 2);
    }
    SECTION("a cut inside a block rewrites it; a series left with nothing goes") {
        CHECK(ok(store->prune(at_ms(3500), at_ms(0))) == 5);
        CHECK(points_of(ok(store->history("a", {}, at_ms(0), at_ms(9000)))) ==
              Points{{4000, 4}, {5000, 5}});
        CHECK(ok(store->history("b", {}, at_ms(0), at_ms(9000))).empty());
        const auto latest = ok(store->latest_samples());
        REQUIRE(latest.size() == 1);
        CHECK(latest[0].kpi == "a");
        CHECK(query_int(dir, "SELECT count(*) FROM series") == 1);
        CHECK(query_int(dir, "SELECT min(min_at_ms) FROM sample_blocks") == 4000);
    }
    SECTION("a cut past everything empties the history") {
        CHECK(ok(store->prune(at_ms(9000), at_ms(0))) == 7);
        CHECK(ok(store->latest_samples()).empty());
        CHECK(query_int(dir, "SELECT count(*) FROM sample_chunks") == 0);
        CHECK(query_int(dir, "SELECT count(*) FROM series") == 0);
    }
    CHECK(query_int(dir, "SELECT count(*) FROM sample_log") == 0);
    CHECK(ok(store->prune(at_ms(3000), at_ms(0))) == 0);  // nothing more to do
    // Writing goes on after a prune.
    commit_samples(*store, {sample("b", {}, 6, 6000)});
    CHECK(points_of(ok(store->history("b", {}, at_ms(5000), at_ms(9000)))) == Points{{6000, 6}});
}

TEST_CASE("a compaction that fails leaves the log and the blocks as they were",
          "[store][history]") {
    TempDir dir;
    auto store = open_store(dir);
    commit_samples(*store, {sample("orders", {}, 1, 1000)});
    ok(store->compact());
    commit_samples(*store, {sample("orders", {}, 2, 2000)});
    {
        auto db = ok(Database::open(db_file(dir)));
        ok(
            db->exec("CREATE TRIGGER refuse BEFORE INSERT ON sample_chunks "
                     "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"));
    }
    CHECK_THAT(failure(store->compact()), Catch::Contains("disk says no"));
    // Commits go on, including the ones that would compact (the failure is not the step's).
    for (int i = 3; i <= 70; ++i) {
        commit_samples(*store, {sample("orders", {}, i, 1000 * i)});
    }
    CHECK(query_int(dir, "SELECT count(*) FROM sample_blocks") == 1);
    CHECK(ok(store->sample_count()) == 70);
    CHECK(ok(store->history("orders", {}, at_ms(0), at_ms(100'000))).size() == 70);
    CHECK(ok(store->latest_samples()).at(0).value == 70);

    {
        auto db = ok(Database::open(db_file(dir)));
        ok(db->exec("DROP TRIGGER refuse"));
    }
    ok(store->compact());
    CHECK(query_int(dir, "SELECT count(*) FROM sample_log") == 0);
    CHECK(ok(store->history("orders", {}, at_ms(0), at_ms(100'000))).size() == 70);
    CHECK(ok(store->latest_samples()).at(0).value == 70);
}

TEST_CASE("a version 5 database's samples are converted into blocks", "[store][history]") {
    TempDir dir;
    {
        auto db = ok(Database::open(db_file(dir)));
        ok(schema::check_identity(*db));
        ok(schema::migrate(*db, 5));
        ok(db->exec(R"sql(
INSERT INTO series (id, kpi, labels_json) VALUES (1, 'error_rate', '{"service":"api"}');
INSERT INTO series (id, kpi, labels_json) VALUES (2, 'orders', '{}');
INSERT INTO samples VALUES (1, 3000, 7.5);
INSERT INTO samples VALUES (2, 1000, 1);
INSERT INTO samples VALUES (1, 1000, 2.5);
INSERT INTO samples VALUES (1, 3000, 8.5);
INSERT INTO samples VALUES (2, 2000, NULL);
)sql"));
    }
    auto store = open_store(dir);
    CHECK(query_int(dir, "SELECT count(*) FROM sqlite_schema WHERE name = 'samples'") == 0);
    CHECK(ok(store->sample_count()) == 5);
    CHECK(
        points_of(ok(store->history("error_rate", {{"service", "api"}}, at_ms(0), at_ms(9000)))) ==
        Points{{1000, 2.5}, {3000, 7.5}, {3000, 8.5}});
    const auto orders = ok(store->history("orders", {}, at_ms(0), at_ms(9000)));
    REQUIRE(orders.size() == 2);
    CHECK(std::isnan(orders[1].value));
    const auto latest = ok(store->latest_samples());
    REQUIRE(latest.size() == 2);
    CHECK(latest[0].value == 8.5);
    CHECK(std::isnan(latest[1].value));
    CHECK(latest[1].at == at_ms(2000));
}

}  // namespace
}  // namespace tocsin::store
