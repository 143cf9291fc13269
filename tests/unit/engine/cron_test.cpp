#include "engine/cron.hpp"

#include "calendar_fixture.hpp"
#include "loader_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace tocsin::engine;
using tocsin::engine::testing::at;
using tocsin::engine::testing::require_diag;

namespace {

using Strings = std::vector<std::string>;

CronSchedule schedule(const char* text, const char* zone = "UTC") {
    std::string why;
    auto spec = parse_cron(text, why);
    INFO(why);
    REQUIRE(spec.has_value());
    const auto tz = TimeZone::find(zone);
    REQUIRE(tz.has_value());
    return CronSchedule{*spec, *tz};
}

/// The next `count` firings after `from`, as RFC 3339 text.
Strings fires(const CronSchedule& s, TimePoint from, int count) {
    Strings out;
    for (int i = 0; i < count; ++i) {
        from = s.next_fire(from);
        out.push_back(from == TimePoint::max() ? "max" : format_rfc3339(from));
    }
    return out;
}

std::string error_of(const char* text) {
    std::string why;
    const auto spec = parse_cron(text, why);
    CHECK_FALSE(spec.has_value());
    return why;
}

}  // namespace

TEST_CASE("cron fields take lists, ranges, steps and names", "[cron]") {
    // 2026-01-09 is a Friday.
    CHECK(fires(schedule("0 9 * * mon-fri"), at("2026-01-09T08:59:59Z"), 2) ==
          Strings{"2026-01-09T09:00:00Z", "2026-01-12T09:00:00Z"});
    CHECK(fires(schedule("*/15 * * * *"), at("2026-01-01T00:07:00Z"), 2) ==
          Strings{"2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z"});
    CHECK(fires(schedule("5/20 8-9 1,15 JAN *"), at("2026-01-01T00:00:00Z"), 7) ==
          Strings{"2026-01-01T08:05:00Z",
                  "2026-01-01T08:25:00Z",
                  "2026-01-01T08:45:00Z",
                  "2026-01-01T09:05:00Z",
                  "2026-01-01T09:25:00Z",
                  "2026-01-01T09:45:00Z",
                  "2026-01-15T08:05:00Z"});
    // 7 is Sunday as well as 0; 2026-01-11 is a Sunday.
    CHECK(fires(schedule("0 12 * * 7"), at("2026-01-07T00:00:00Z"), 1) ==
          Strings{"2026-01-11T12:00:00Z"});
    // The result itself is not "after" itself: feeding it back gives the next one.
    CHECK(fires(schedule("0 * * * *"), at("2026-01-01T10:00:00Z"), 1) ==
          Strings{"2026-01-01T11:00:00Z"});
}

TEST_CASE("cron shortcuts stand for the usual expressions", "[cron]") {
    CHECK(fires(schedule("@hourly"), at("2026-01-01T10:30:00Z"), 1) ==
          Strings{"2026-01-01T11:00:00Z"});
    CHECK(fires(schedule("@weekly"), at("2026-01-07T12:00:00Z"), 1) ==
          Strings{"2026-01-11T00:00:00Z"});  // the Sunday after Wednesday 7 Jan
    CHECK(fires(schedule("@monthly"), at("2026-01-15T00:00:00Z"), 1) ==
          Strings{"2026-02-01T00:00:00Z"});
    CHECK(fires(schedule("@yearly"), at("2026-03-01T00:00:00Z"), 1) ==
          Strings{"2027-01-01T00:00:00Z"});
    // @daily in Berlin: local midnight, 23:00Z in winter.
    CHECK(fires(schedule("@daily", "Europe/Berlin"), at("2026-01-07T12:00:00Z"), 1) ==
          Strings{"2026-01-07T23:00:00Z"});
}

TEST_CASE("cron day-of-month and day-of-week either match when both are restricted", "[cron]") {
    // Fridays and the 13th: Fri 2, Fri 9, Tue 13, Fri 16 January 2026.
    CHECK(fires(schedule("0 0 13 * fri"), at("2026-01-01T00:00:00Z"), 4) ==
          Strings{"2026-01-02T00:00:00Z",
                  "2026-01-09T00:00:00Z",
                  "2026-01-13T00:00:00Z",
                  "2026-01-16T00:00:00Z"});
    // A day-of-month starting with '*' makes both required: the first Friday that is the 1st,
    // 11th, 21st or 31st is 1 May 2026.
    CHECK(fires(schedule("0 0 */10 * fri"), at("2026-01-01T00:00:00Z"), 1) ==
          Strings{"2026-05-01T00:00:00Z"});
    CHECK(fires(schedule("0 0 29 2 *"), at("2026-01-01T00:00:00Z"), 1) ==
          Strings{"2028-02-29T00:00:00Z"});
}

TEST_CASE("cron times in a spring-forward gap fire once when the gap ends", "[cron][dst]") {
    // Europe/Berlin skips 02:00-03:00 on 29 Mar 2026 (01:00Z).
    CHECK(fires(schedule("30 2 * * *", "Europe/Berlin"), at("2026-03-28T00:00:00Z"), 3) ==
          Strings{"2026-03-28T01:30:00Z",    // 02:30 CET
                  "2026-03-29T01:00:00Z",    // gap: 03:00 CEST
                  "2026-03-30T00:30:00Z"});  // 02:30 CEST
    // Three skipped times and 03:00 itself all fall on the gap's end: one firing.
    CHECK(fires(schedule("0,20,40 2 * * *", "Europe/Berlin"), at("2026-03-28T12:00:00Z"), 2) ==
          Strings{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"});
    CHECK(fires(schedule("0 2,3 * * *", "Europe/Berlin"), at("2026-03-28T12:00:00Z"), 2) ==
          Strings{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"});
    // America/New_York skips 02:00-03:00 on 8 Mar 2026 (07:00Z).
    CHECK(fires(schedule("30 2 * * *", "America/New_York"), at("2026-03-07T12:00:00Z"), 2) ==
          Strings{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"});  // gap end, 02:30 EDT
    // Australia/Sydney skips 02:00-03:00 on 4 Oct 2026 (3 Oct 16:00Z).
    CHECK(fires(schedule("30 2 * * *", "Australia/Sydney"), at("2026-10-03T00:00:00Z"), 2) ==
          Strings{"2026-10-03T16:00:00Z", "2026-10-04T15:30:00Z"});  // gap end, 02:30 AEDT
}

TEST_CASE("cron times in a repeated hour fire once, at the first occurrence", "[cron][dst]") {
    // Europe/Berlin repeats 02:00-03:00 on 25 Oct 2026: CEST from 00:00Z, CET from 01:00Z.
    CHECK(fires(schedule("30 2 * * *", "Europe/Berlin"), at("2026-10-24T12:00:00Z"), 2) ==
          Strings{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"});  // 02:30 CEST, 02:30 CET
    CHECK(fires(schedule("*/30 * * * *", "Europe/Berlin"), at("2026-10-25T00:00:00Z"), 2) ==
          Strings{"2026-10-25T00:30:00Z", "2026-10-25T02:00:00Z"});  // 02:30 CEST, 03:00 CET
    // America/New_York repeats 01:00-02:00 on 1 Nov 2026: EDT from 05:00Z, EST from 06:00Z.
    CHECK(fires(schedule("30 1 * * *", "America/New_York"), at("2026-10-31T12:00:00Z"), 2) ==
          Strings{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"});  // 01:30 EDT, 01:30 EST
    // Australia/Sydney repeats 02:00-03:00 on 5 Apr 2026: AEDT from 15:00Z, AEST from 16:00Z.
    CHECK(fires(schedule("30 2 * * *", "Australia/Sydney"), at("2026-04-04T00:00:00Z"), 2) ==
          Strings{"2026-04-04T15:30:00Z", "2026-04-05T16:30:00Z"});  // 02:30 AEDT, 02:30 AEST
}

TEST_CASE("cron mistakes say what to write", "[cron]") {
    CHECK(error_of("0 25 * * *") == "cron schedule '0 25 * * *': hour 25 is out of range 0-23");
    CHECK(error_of("0 9 * * mnn") ==
          "cron schedule '0 9 * * mnn': 'mnn' is not a valid day-of-week (did you mean 'mon'?); "
          "use 0-7 or sun..sat");
    CHECK(error_of("x 9 * * *") ==
          "cron schedule 'x 9 * * *': 'x' is not a valid minute; use 0-59");
    CHECK(error_of("0 9 * *").find("is not a cron schedule; write 5 fields") != std::string::npos);
    CHECK(error_of("@dayly") ==
          "unknown shortcut '@dayly' (did you mean '@daily'?); use @hourly, @daily, @weekly, "
          "@monthly or @yearly");
    CHECK(error_of("0 0 30 2 *").find("never fires") != std::string::npos);
    CHECK(error_of("*/0 * * * *").find("step '0'") != std::string::npos);
    CHECK(error_of("0 0 * * fri-mon").find("goes backwards") != std::string::npos);
    CHECK(error_of("0 0 * * 1-2-3").find("not a valid day-of-week range") != std::string::npos);
    CHECK(error_of("0 0 ,1 * *").find("not a valid day-of-month field") != std::string::npos);
}

TEST_CASE("a cron schedule in a rule file is reported at its value", "[cron]") {
    Diagnostics diags;
    yaml::Reader reader("reports.yaml", "/", diags, nullptr);
    const auto root = reader.load("reports:\n  daily:\n    schedule: \"0 24 * * *\"\n");
    REQUIRE(root.has_value());
    const yaml::Field field{"schedule",
                            SourceLoc{"reports.yaml", 3, 5},
                            (*root)["reports"]["daily"]["schedule"],
                            reader.loc((*root)["reports"]["daily"]["schedule"])};
    CHECK_FALSE(parse_cron(reader, field, "report 'daily' > schedule").has_value());
    require_diag(diags,
                 "reports.yaml:3:15: error: report 'daily' > schedule: cron schedule "
                 "'0 24 * * *': hour 24 is out of range 0-23");
}
