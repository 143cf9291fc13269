#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace tocsin::store {
namespace {

using test::at_ms;
using test::failure;
using test::ok;
using test::open_store;
using test::TempDir;

engine::Matcher matcher(const std::string& text) {
    std::string why;
    auto m = engine::parse_matcher(text, why);
    INFO(why);
    REQUIRE(m);
    return std::move(*m);
}

engine::Silence make_silence(std::string id, std::int64_t starts_ms, std::int64_t ends_ms) {
    engine::Silence s;
    s.id = std::move(id);
    s.matchers = {matcher("team=\"growth\"")};
    s.starts_at = at_ms(starts_ms);
    s.ends_at = at_ms(ends_ms);
    s.author = "ana";
    s.comment = "deploy";
    s.created_at = at_ms(starts_ms);
    return s;
}

std::vector<std::string> ids(const std::vector<engine::Silence>& silences) {
    std::vector<std::string> out;
    for (const auto& s : silences) {
        out.push_back(s.id);
    }
    return out;
}

TEST_CASE("a silence is stored with every field and its matchers read back", "[store][silence]") {
    TempDir dir;
    auto store = open_store(dir);
    auto s = make_silence("a1", 1000, 5000);
    s.matchers = {matcher(R"(team="growth")"),
                  matcher(R"(severity=~"warn|crit")"),
                  matcher(R"(env!~"dev, \"test\"")"),
                  matcher(R"(region!="eu")")};
    s.calendar = "nights";
    s.created_at = at_ms(900);
    ok(store->insert_silence(s));

    const auto got = ok(store->get_silence("a1"));
    REQUIRE(got);
    CHECK(got->id == "a1");
    REQUIRE(got->matchers.size() == 4);
    CHECK(got->matchers[0].to_string() == R"(team="growth")");
    CHECK(got->matchers[1].to_string() == R"(severity=~"warn|crit")");
    CHECK(got->matchers[2].to_string() == R"(env!~"dev, \"test\"")");
    CHECK(got->matchers[3].to_string() == R"(region!="eu")");
    CHECK(got->matches({{"team", "growth"}, {"severity", "critical"}, {"env", "prod"}}) == false);
    CHECK(got->matches({{"team", "growth"}, {"severity", "crit"}, {"env", "prod"}}));
    CHECK_FALSE(got->matches({{"team", "growth"}, {"severity", "crit"}, {"env", "dev, \"test\""}}));
    CHECK(got->starts_at == at_ms(1000));
    CHECK(got->ends_at == at_ms(5000));
    CHECK(got->author == "ana");
    CHECK(got->comment == "deploy");
    CHECK(got->created_at == at_ms(900));
    CHECK(got->calendar == "nights");
    CHECK_FALSE(ok(store->get_silence("nope")));
}

TEST_CASE("silences are listed by start, all or only those not ended", "[store][silence]") {
    TempDir dir;
    auto store = open_store(dir);
    ok(store->insert_silence(make_silence("late", 3000, 9000)));
    ok(store->insert_silence(make_silence("old", 1000, 2000)));
    ok(store->insert_silence(make_silence("now", 2000, 6000)));

    CHECK(ids(ok(store->list_silences(std::nullopt))) ==
          std::vector<std::string>{"old", "now", "late"});
    CHECK(ids(ok(store->list_silences(at_ms(2000)))) == std::vector<std::string>{"now", "late"});
    CHECK(ids(ok(store->list_silences(at_ms(6000)))) == std::vector<std::string>{"late"});
    CHECK(ok(store->list_silences(at_ms(9000))).empty());
}

TEST_CASE("a duplicate id or an end before the start is refused", "[store][silence]") {
    TempDir dir;
    auto store = open_store(dir);
    ok(store->insert_silence(make_silence("a1", 1000, 5000)));
    CHECK_THAT(failure(store->insert_silence(make_silence("a1", 1000, 5000))),
               Catch::Contains("UNIQUE"));
    CHECK_THAT(failure(store->insert_silence(make_silence("a2", 5000, 5000))),
               Catch::Contains("CHECK"));
    CHECK(ids(ok(store->list_silences(std::nullopt))) == std::vector<std::string>{"a1"});
}

TEST_CASE("ending a silence keeps it for audit and says when it had ended or is unknown",
          "[store][silence]") {
    TempDir dir;
    auto store = open_store(dir);
    ok(store->insert_silence(make_silence("active", 1000, 9000)));
    ok(store->insert_silence(make_silence("pending", 5000, 9000)));
    ok(store->insert_silence(make_silence("expired", 1000, 2000)));

    CHECK(ok(store->end_silence("active", at_ms(3000))) == SilenceEnd::Ended);
    auto active = ok(store->get_silence("active"));
    REQUIRE(active);
    CHECK(active->starts_at == at_ms(1000));
    CHECK(active->ends_at == at_ms(3000));

    // Ended before it started: the row still ends after it starts.
    CHECK(ok(store->end_silence("pending", at_ms(3000))) == SilenceEnd::Ended);
    auto pending = ok(store->get_silence("pending"));
    REQUIRE(pending);
    CHECK(pending->ends_at == at_ms(3000));
    CHECK(pending->starts_at < pending->ends_at);
    CHECK(pending->expired_at(at_ms(3000)));

    CHECK(ok(store->end_silence("expired", at_ms(3000))) == SilenceEnd::AlreadyEnded);
    CHECK(ok(store->end_silence("active", at_ms(4000))) == SilenceEnd::AlreadyEnded);
    CHECK(ok(store->get_silence("active"))->ends_at == at_ms(3000));
    CHECK(ok(store->end_silence("nope", at_ms(3000))) == SilenceEnd::Unknown);

    CHECK(ok(store->list_silences(at_ms(3000))).empty());
    CHECK(ok(store->list_silences(std::nullopt)).size() == 3);
}

TEST_CASE("silences survive reopening the database", "[store][silence]") {
    TempDir dir;
    {
        auto store = open_store(dir);
        ok(store->insert_silence(make_silence("kept", 1000, 9000)));
        CHECK(ok(store->end_silence("kept", at_ms(4000))) == SilenceEnd::Ended);
    }
    auto store = open_store(dir);
    const auto all = ok(store->list_silences(std::nullopt));
    REQUIRE(all.size() == 1);
    CHECK(all[0].ends_at == at_ms(4000));
    CHECK(all[0].matchers[0].to_string() == R"(team="growth")");
}

TEST_CASE("unreadable matchers in the database are reported, not guessed", "[store][silence]") {
    TempDir dir;
    {
        auto store = open_store(dir);
        ok(store->insert_silence(make_silence("bad", 1000, 9000)));
    }
    {
        auto db = ok(Database::open(test::db_file(dir)));
        ok(db->exec("UPDATE silences SET matchers = 'team=~\"(\"'"));
    }
    auto store = open_store(dir);
    CHECK_THAT(failure(store->list_silences(std::nullopt)),
               Catch::Contains("silence 'bad' has unreadable matchers"));
}

}  // namespace
}  // namespace tocsin::store
