#include "engine/timezone.hpp"

#include "calendar_fixture.hpp"

#include <catch2/catch.hpp>

using namespace tocsin::engine;
using tocsin::engine::testing::at;

TEST_CASE("time zones are found by IANA name and unknown names are not", "[timezone]") {
    CHECK(TimeZone::find("Europe/Berlin").has_value());
    CHECK_FALSE(TimeZone::find("Europe/Berln").has_value());
    CHECK_FALSE(TimeZone::find("").has_value());
    const auto& names = TimeZone::names();
    CHECK(std::find(names.begin(), names.end(), "Australia/Sydney") != names.end());
    CHECK(TimeZone::utc().next_transition(at("2026-01-01T00:00:00Z")) == TimePoint::max());
}

TEST_CASE("local times map to instants through gaps and repeats", "[timezone]") {
    const auto berlin = TimeZone::find("Europe/Berlin");
    REQUIRE(berlin.has_value());
    using std::chrono::hours;
    using std::chrono::minutes;
    const LocalDays spring{std::chrono::local_days{std::chrono::year{2026} / 3 / 29}};
    const LocalDays autumn{std::chrono::local_days{std::chrono::year{2026} / 10 / 25}};

    const LocalMapping plain = berlin->to_sys(LocalTime{spring} + hours(1));
    CHECK(plain.kind == LocalMapping::Kind::Unique);
    CHECK(plain.first == at("2026-03-29T00:00:00Z"));  // 01:00 CET

    const LocalMapping gap = berlin->to_sys(LocalTime{spring} + hours(2) + minutes(30));
    CHECK(gap.kind == LocalMapping::Kind::Gap);
    CHECK(gap.first == at("2026-03-29T01:00:00Z"));  // the gap ends at 03:00 CEST

    const LocalMapping twice = berlin->to_sys(LocalTime{autumn} + hours(2) + minutes(30));
    CHECK(twice.kind == LocalMapping::Kind::Repeated);
    CHECK(twice.first == at("2026-10-25T00:30:00Z"));   // 02:30 CEST
    CHECK(twice.second == at("2026-10-25T01:30:00Z"));  // 02:30 CET

    CHECK(berlin->to_local(at("2026-10-25T01:30:00Z")) ==
          LocalTime{autumn} + hours(2) + minutes(30));
    CHECK(berlin->next_transition(at("2026-01-01T00:00:00Z")) == at("2026-03-29T01:00:00Z"));
    CHECK(berlin->next_transition(at("2026-03-29T01:00:00Z")) == at("2026-10-25T01:00:00Z"));
}
