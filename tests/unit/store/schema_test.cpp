#include "store/schema.hpp"

#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace tocsin::store {
namespace {

using test::at_ms;
using test::db_file;
using test::failure;
using test::ok;
using test::open_store;
using test::TempDir;

std::string query_text(Database& db, const char* sql) {
    auto stmt = ok(db.prepare(sql));
    REQUIRE(ok(stmt.step()));
    return stmt.column_text(0);
}

std::int64_t query_int(Database& db, const char* sql) {
    auto stmt = ok(db.prepare(sql));
    REQUIRE(ok(stmt.step()));
    return stmt.column_int(0);
}

std::string file_bytes(const std::string& path) {
    std::string bytes(std::filesystem::file_size(path), '\0');
    std::ifstream in(path, std::ios::binary);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return bytes;
}

TEST_CASE("opening an empty folder creates the database at the latest schema", "[store]") {
    TempDir dir;
    const auto state_dir = (dir.path() / "var" / "lib" / "tocsin").string();
    auto store = ok(Store::open(state_dir));

    CHECK(store->path() == state_dir + "/state.db");
    CHECK(std::filesystem::exists(store->path()));
    CHECK(ok(store->get_meta("schema_version")) == std::to_string(schema::latest_version()));
    CHECK(ok(store->load_instances()).empty());
    CHECK(ok(store->list_outbox(std::nullopt, 0)).empty());

    struct stat st {};
    REQUIRE(::stat(state_dir.c_str(), &st) == 0);
    const mode_t mask = ::umask(0);
    ::umask(mask);
    CHECK((st.st_mode & 0777) == (0750 & ~mask));
}

TEST_CASE("the migrations are numbered 1, 2, ... in order", "[store]") {
    int expected = 1;
    for (const auto& migration : schema::migrations()) {
        CHECK(migration.version == expected);
        ++expected;
    }
    CHECK(schema::latest_version() == expected - 1);
    CHECK(schema::latest_version() >= 2);
}

TEST_CASE("a version 1 database is migrated and keeps its data", "[store]") {
    TempDir dir;
    {
        auto db = ok(Database::open(db_file(dir)));
        ok(schema::check_identity(*db));
        ok(schema::migrate(*db, 1));
        CHECK(ok(schema::stored_version(*db)) == 1);
        CHECK(query_int(*db, "SELECT count(*) FROM sqlite_schema WHERE name = 'outbox'") == 0);
        ok(db->exec(R"sql(
INSERT INTO alert_instances VALUES ('HighErrorRate', '0123456789abcdef', 'error_rate',
    '{"service":"api"}', 'firing', 'critical', 'warning', 0, 7.5, 5.0, 1000, 2000, NULL, 3000,
    '["ops"]', 1, 4);
INSERT INTO series (id, kpi, labels_json) VALUES (1, 'error_rate', '{"service":"api"}');
INSERT INTO samples VALUES (1, 3000, 7.5);
)sql"));
    }

    auto store = open_store(dir);
    CHECK(ok(store->get_meta("schema_version")) == std::to_string(schema::latest_version()));

    const auto instances = ok(store->load_instances());
    REQUIRE(instances.size() == 1);
    CHECK(instances[0].rule == "HighErrorRate");
    CHECK(instances[0].series_labels == engine::Labels{{"service", "api"}});
    CHECK(instances[0].state == engine::AlertState::Firing);
    CHECK(instances[0].seq == 4);
    const auto latest = ok(store->latest_samples());
    REQUIRE(latest.size() == 1);
    CHECK(latest[0].value == 7.5);

    // The table added by version 2 works.
    Batch batch;
    batch.outbox.push_back(test::make_item("n1", 5000));
    ok(store->commit(batch));
    CHECK(ok(store->list_outbox(OutboxState::Pending, 0)).size() == 1);
}

TEST_CASE("opening an up-to-date database again changes nothing", "[store]") {
    TempDir dir;
    {
        auto store = open_store(dir);
        ok(store->set_meta("owner", "test"));
    }
    auto store = open_store(dir);
    CHECK(ok(store->get_meta("owner")) == "test");
    CHECK(ok(store->get_meta("schema_version")) == std::to_string(schema::latest_version()));
    CHECK(ok(store->get_meta("missing")) == std::nullopt);
}

TEST_CASE("a database from a newer tocsin is refused naming both versions", "[store]") {
    TempDir dir;
    {
        auto store = open_store(dir);
        ok(store->set_meta("schema_version", "99"));
    }
    const auto message = failure(Store::open(dir.str()));
    CHECK_THAT(message, Catch::Contains("store '" + db_file(dir) + "'"));
    CHECK_THAT(message, Catch::Contains("schema version 99"));
    CHECK_THAT(message, Catch::Contains("version " + std::to_string(schema::latest_version())));
}

TEST_CASE("a file that is not SQLite is refused and left untouched", "[store]") {
    TempDir dir;
    std::string junk;
    for (int i = 0; i < 200; ++i) {
        junk += "this is not a database, just some text\n";
    }
    {
        std::ofstream out(db_file(dir), std::ios::binary);
        out << junk;
    }
    const auto message = failure(Store::open(dir.str()));
    CHECK_THAT(message, Catch::Contains("store '" + db_file(dir) + "'"));
    CHECK_THAT(message, Catch::Contains("not a tocsin state database"));
    CHECK_THAT(message, Catch::Contains("file is not a database"));  // SQLite's own words
    CHECK(file_bytes(db_file(dir)) == junk);
}

TEST_CASE("an SQLite database of another program is refused", "[store]") {
    TempDir dir;
    {
        auto db = ok(Database::open(db_file(dir)));
        ok(db->exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('alice');"));
    }
    const auto message = failure(Store::open(dir.str()));
    CHECK_THAT(message, Catch::Contains("not a tocsin state database"));
    CHECK_THAT(message, Catch::Contains("empty folder"));

    auto db = ok(Database::open(db_file(dir)));
    CHECK(query_int(*db, "SELECT count(*) FROM sqlite_schema") == 1);  // nothing was added
}

TEST_CASE("the database runs in WAL mode", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    Batch batch;
    batch.samples.push_back(engine::Sample{"orders", {}, 3, at_ms(1000)});
    ok(store->commit(batch));

    auto db = ok(Database::open(db_file(dir)));
    CHECK(query_text(*db, "PRAGMA journal_mode") == "wal");
    CHECK(query_int(*db, "PRAGMA application_id") == schema::kApplicationId);
    CHECK(std::filesystem::exists(db_file(dir) + "-wal"));
}

TEST_CASE("a state folder that cannot be created is reported", "[store]") {
    TempDir dir;
    const auto blocker = dir.path() / "file";
    std::ofstream(blocker) << "x";
    const auto message = failure(Store::open((blocker / "state").string()));
    CHECK_THAT(message, Catch::Contains("cannot create"));
    CHECK_THAT(message, Catch::Contains((blocker / "state").string()));
}

}  // namespace
}  // namespace tocsin::store
