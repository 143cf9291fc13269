#include "engine/time.hpp"

#include <catch2/catch.hpp>

using namespace tocsin::engine;
using namespace std::chrono_literals;

TEST_CASE("durations parse every unit and sums", "[time]") {
    CHECK(parse_duration("500ms") == Duration{500});
    CHECK(parse_duration("30s") == Duration{30s});
    CHECK(parse_duration("5m") == Duration{5min});
    CHECK(parse_duration("6h") == Duration{6h});
    CHECK(parse_duration("2d") == Duration{48h});
    CHECK(parse_duration("1w") == Duration{168h});
    CHECK(parse_duration("1h30m") == Duration{90min});
    CHECK(parse_duration("1m30s250ms") == Duration{90250});
    CHECK(parse_duration("0") == Duration{0});
    CHECK(parse_duration("0s") == Duration{0});
}

TEST_CASE("durations reject bad text", "[time]") {
    for (const char* bad : {"",
                            "soon",
                            "-5m",
                            "5",
                            "5 m",
                            "m",
                            "1.5h",
                            "5mm",
                            "30 seconds",
                            "1h-2m",
                            "99999999999999999999s",
                            "9999999999999999w"}) {
        INFO(bad);
        CHECK_FALSE(parse_duration(bad).has_value());
    }
}

TEST_CASE("durations format in the shortest exact form and round-trip", "[time]") {
    CHECK(format_duration(Duration{0}) == "0s");
    CHECK(format_duration(Duration{90000}) == "1m30s");
    CHECK(format_duration(Duration{500}) == "500ms");
    CHECK(format_duration(Duration{5400000}) == "1h30m");
    CHECK(format_duration(Duration{35 * 24h}) == "35d");
    CHECK(format_duration(-Duration{90s}) == "-1m30s");
    for (const std::int64_t ms :
         {1LL, 999LL, 1000LL, 61001LL, 3600000LL, 86400001LL, 123456789LL}) {
        INFO(ms);
        const std::string text = format_duration(Duration{ms});
        CHECK(parse_duration(text) == Duration{ms});
    }
}

TEST_CASE("rfc3339 formats utc with milliseconds only when present", "[time]") {
    CHECK(format_rfc3339(from_unix_ms(0)) == "1970-01-01T00:00:00Z");
    CHECK(format_rfc3339(from_unix_ms(1767607200000)) == "2026-01-05T10:00:00Z");
    CHECK(format_rfc3339(from_unix_ms(1767607200250)) == "2026-01-05T10:00:00.250Z");
}

TEST_CASE("rfc3339 refuses instants whose utc year has no four digits", "[time]") {
    // Found by tests/fuzz/duration_fuzz: the offset carried the instant into year 10000, which
    // format_rfc3339() wrote as '10000-01-01T05:29:59Z' and parse_rfc3339() then refused.
    for (const char* bad :
         {"9999-12-31T23:59:59-05:30", "9999-12-31T23:59:60Z", "0000-01-01T00:00:00+00:01"}) {
        INFO(bad);
        CHECK_FALSE(parse_rfc3339(bad).has_value());
    }
    for (const char* edge :
         {"9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59+05:30", "0000-01-01T00:00:00Z"}) {
        INFO(edge);
        const auto t = parse_rfc3339(edge);
        REQUIRE(t.has_value());
        CHECK(parse_rfc3339(format_rfc3339(*t)) == t);
    }
}

TEST_CASE("rfc3339 parses zones, fractions and bare dates", "[time]") {
    CHECK(parse_rfc3339("2026-01-05T10:00:00Z") == from_unix_ms(1767607200000));
    CHECK(parse_rfc3339("2026-01-05T10:00:00.250+01:00") == from_unix_ms(1767607200250 - 3600000));
    CHECK(parse_rfc3339("2026-01-05t10:00:00.25-00:30") == from_unix_ms(1767607200250 + 1800000));
    CHECK(parse_rfc3339("2026-01-05 10:00:00z") == from_unix_ms(1767607200000));
    CHECK(parse_rfc3339("2026-01-05") == from_unix_ms(1767571200000));
    CHECK(parse_rfc3339("2024-02-29").has_value());
    for (const char* bad : {"",
                            "2026-1-5",
                            "2026-02-30",
                            "2025-02-29",
                            "2026-01-05T10:00:00",
                            "2026-01-05T25:00:00Z",
                            "2026-01-05T10:00Z",
                            "2026-01-05T10:00:00.Z",
                            "2026-01-05T10:00:00Zjunk",
                            "2026-01-05T10:00:00+0100",
                            "yesterday"}) {
        INFO(bad);
        CHECK_FALSE(parse_rfc3339(bad).has_value());
    }
}

TEST_CASE("rfc3339 round-trips", "[time]") {
    for (const std::int64_t ms : {0LL, 1LL, 951782400000LL, 1767607200250LL, 4102444799999LL}) {
        INFO(ms);
        CHECK(parse_rfc3339(format_rfc3339(from_unix_ms(ms))) == from_unix_ms(ms));
    }
}

TEST_CASE("manual clock moves only when told", "[time]") {
    ManualClock clock(from_unix_ms(1000));
    CHECK(clock.now() == from_unix_ms(1000));
    clock.advance(5s);
    CHECK(clock.now() == from_unix_ms(6000));
    clock.set(from_unix_ms(42));
    CHECK(clock.now() == from_unix_ms(42));
}
