#include "store/sqlite.hpp"

#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace tocsin::store {
namespace {

using test::db_file;
using test::failure;
using test::ok;
using test::TempDir;

TEST_CASE("the same statement can be used while it is already borrowed", "[store]") {
    TempDir dir;
    auto db = ok(Database::open(db_file(dir)));
    ok(db->exec("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3);"));

    const char* sql = "SELECT n FROM t WHERE n >= ?1 ORDER BY n";
    auto outer = ok(db->prepare(sql));
    outer.bind(1, std::int64_t{2});
    REQUIRE(ok(outer.step()));
    {
        auto inner = ok(db->prepare(sql));  // cached one is busy: a private statement
        inner.bind(1, std::int64_t{1});
        REQUIRE(ok(inner.step()));
        CHECK(inner.column_int(0) == 1);
    }
    CHECK(outer.column_int(0) == 2);
    REQUIRE(ok(outer.step()));
    CHECK(outer.column_int(0) == 3);
    CHECK_FALSE(ok(outer.step()));
}

TEST_CASE("sqlite errors keep SQLite's message and name the file", "[store]") {
    TempDir dir;
    auto db = ok(Database::open(db_file(dir)));
    const auto message = failure(db->prepare("SELECT * FROM missing_table"));
    CHECK_THAT(message, Catch::Contains("store '" + db_file(dir) + "'"));
    CHECK_THAT(message, Catch::Contains("no such table: missing_table"));

    CHECK_THAT(failure(db->exec("CREATE TABLE t (")), Catch::Contains("incomplete input"));

    auto stmt = ok(db->prepare("SELECT ?1"));
    stmt.bind(5, std::int64_t{1});  // out of range: reported by step()
    CHECK_THAT(failure(stmt.step()), Catch::Contains("binding parameter 5"));
}

TEST_CASE("a failed transaction is rolled back", "[store]") {
    TempDir dir;
    auto db = ok(Database::open(db_file(dir)));
    ok(db->exec("CREATE TABLE t (n INTEGER NOT NULL)"));
    const auto message = failure(db->transaction([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(db->exec("INSERT INTO t VALUES (1)"));
        return db->exec("INSERT INTO t VALUES (NULL)");
    }));
    CHECK_THAT(message, Catch::Contains("NOT NULL constraint failed"));
    auto count = ok(db->prepare("SELECT count(*) FROM t"));
    REQUIRE(ok(count.step()));
    CHECK(count.column_int(0) == 0);
}

}  // namespace
}  // namespace tocsin::store
