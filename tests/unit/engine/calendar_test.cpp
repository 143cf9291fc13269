#include "engine/calendar.hpp"

#include "calendar_fixture.hpp"
#include "loader_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace tocsin::engine;
using tocsin::engine::testing::at;
using tocsin::engine::testing::make_calendar;
using tocsin::engine::testing::parse_calendar_file;
using tocsin::engine::testing::require_diag;

namespace {

/// The successive change instants from `from`, as RFC 3339 text (readable failures).
std::vector<std::string> changes(const Calendar& c, TimePoint from, int count) {
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) {
        from = c.next_change(from);
        out.push_back(from == TimePoint::max() ? "max" : format_rfc3339(from));
    }
    return out;
}

using Strings = std::vector<std::string>;

/// One calendar `c` with a `times:` item in `zone`.
Calendar window(const char* zone, const char* range) {
    return make_calendar(std::string("calendars:\n  c:\n    timezone: ") + zone +
                         "\n    include:\n      - times: [\"" + range + "\"]\n");
}

}  // namespace

TEST_CASE("the design's nights calendar holds nights, weekends and not christmas eve",
          "[calendar]") {
    const Calendar c = make_calendar(R"(calendars:
  nights:
    timezone: Europe/Berlin
    include:
      - times: ["22:00-07:00"]
      - weekdays: [sat, sun]
    exclude:
      - dates: ["2026-12-24"]
)");
    CHECK(c.name() == "nights");
    CHECK(c.contains(at("2026-01-07T22:00:00Z")));        // Wed 23:00 CET
    CHECK_FALSE(c.contains(at("2026-01-07T11:00:00Z")));  // Wed 12:00 CET
    CHECK(c.contains(at("2026-01-08T05:59:59Z")));        // Thu 06:59:59 CET
    CHECK_FALSE(c.contains(at("2026-01-08T06:00:00Z")));  // Thu 07:00 CET
    CHECK(c.contains(at("2026-01-10T11:00:00Z")));        // Sat 12:00 CET
    CHECK_FALSE(c.contains(at("2026-12-24T22:00:00Z")));  // Thu 24 Dec 23:00 CET: excluded
    // The exclusion is of the local date 24 December; the night that began then goes on.
    CHECK(c.contains(at("2026-12-25T02:00:00Z")));  // Fri 25 Dec 03:00 CET

    CHECK(changes(c, at("2026-01-07T11:00:00Z"), 2) ==
          Strings{"2026-01-07T21:00:00Z", "2026-01-08T06:00:00Z"});
    // Friday 22:00 CET runs through the weekend to Monday 07:00 CET without a break.
    CHECK(changes(c, at("2026-01-09T12:00:00Z"), 2) ==
          Strings{"2026-01-09T21:00:00Z", "2026-01-12T06:00:00Z"});
    // 23 Dec 22:00 CET in; 24 Dec 00:00 CET out (excluded); 25 Dec 00:00 CET in again.
    CHECK(changes(c, at("2026-12-23T12:00:00Z"), 3) ==
          Strings{"2026-12-23T21:00:00Z", "2026-12-23T23:00:00Z", "2026-12-24T23:00:00Z"});
}

TEST_CASE("a range crossing midnight belongs to the day it starts on", "[calendar]") {
    const Calendar c = make_calendar(R"(calendars:
  c:
    include:
      - weekdays: [fri]
        times: ["22:00-07:00"]
)");
    CHECK(c.contains(at("2026-01-09T22:00:00Z")));        // Fri 22:00
    CHECK(c.contains(at("2026-01-10T03:00:00Z")));        // Sat 03:00, from Friday
    CHECK_FALSE(c.contains(at("2026-01-10T07:00:00Z")));  // Sat 07:00
    CHECK_FALSE(c.contains(at("2026-01-10T23:00:00Z")));  // Sat 23:00
    CHECK_FALSE(c.contains(at("2026-01-09T03:00:00Z")));  // Fri 03:00, from Thursday
    CHECK_FALSE(c.contains(at("2026-01-09T21:59:59Z")));
    CHECK(changes(c, at("2026-01-05T00:00:00Z"), 3) ==
          Strings{"2026-01-09T22:00:00Z", "2026-01-10T07:00:00Z", "2026-01-16T22:00:00Z"});
}

TEST_CASE("a calendar without a time zone takes the default one", "[calendar]") {
    const Calendar c = make_calendar(R"(calendars:
  office:
    include:
      - times: ["09:00-17:00"]
)",
                                     "America/New_York");
    CHECK(c.zone().name() == "America/New_York");
    CHECK(c.contains(at("2026-01-07T14:00:00Z")));        // 09:00 EST
    CHECK_FALSE(c.contains(at("2026-01-07T13:59:59Z")));  // 08:59:59 EST
}

TEST_CASE("night windows keep local times across Europe/Berlin DST changes", "[calendar][dst]") {
    const Calendar nights = window("Europe/Berlin", "22:00-07:00");
    // Spring: Sat 28 Mar 22:00 CET -> Sun 29 Mar 07:00 CEST, 8 real hours.
    CHECK(changes(nights, at("2026-03-28T12:00:00Z"), 2) ==
          Strings{"2026-03-28T21:00:00Z", "2026-03-29T05:00:00Z"});
    // Autumn: Sat 24 Oct 22:00 CEST -> Sun 25 Oct 07:00 CET, 10 real hours.
    CHECK(changes(nights, at("2026-10-24T12:00:00Z"), 2) ==
          Strings{"2026-10-24T20:00:00Z", "2026-10-25T06:00:00Z"});
}

TEST_CASE("a window starting in the spring-forward gap starts when the gap ends",
          "[calendar][dst]") {
    // Berlin skips 02:00-03:00 CET on 29 Mar 2026 (01:00Z).
    const Calendar c = window("Europe/Berlin", "02:30-04:00");
    CHECK_FALSE(c.contains(at("2026-03-29T00:59:59Z")));  // 01:59:59 CET
    CHECK(c.contains(at("2026-03-29T01:00:00Z")));        // 03:00 CEST
    CHECK(changes(c, at("2026-03-28T12:00:00Z"), 2) ==
          Strings{"2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"});

    // A window wholly inside the gap does not happen that day.
    const Calendar skipped = window("Europe/Berlin", "02:00-02:30");
    CHECK_FALSE(skipped.contains(at("2026-03-29T01:00:00Z")));
    CHECK(changes(skipped, at("2026-03-28T12:00:00Z"), 1) ==
          Strings{"2026-03-30T00:00:00Z"});  // 02:00 CEST on Monday
}

TEST_CASE("a repeated autumn hour is in a window for both occurrences", "[calendar][dst]") {
    // Berlin repeats 02:00-03:00 on 25 Oct 2026: CEST from 00:00Z, CET from 01:00Z.
    const Calendar c = window("Europe/Berlin", "02:00-02:30");
    CHECK(c.contains(at("2026-10-25T00:15:00Z")));        // 02:15 CEST
    CHECK_FALSE(c.contains(at("2026-10-25T00:45:00Z")));  // 02:45 CEST
    CHECK(c.contains(at("2026-10-25T01:15:00Z")));        // 02:15 CET
    CHECK(changes(c, at("2026-10-24T12:00:00Z"), 4) == Strings{"2026-10-25T00:00:00Z",
                                                               "2026-10-25T00:30:00Z",
                                                               "2026-10-25T01:00:00Z",
                                                               "2026-10-25T01:30:00Z"});
    // The clock falling back from 03:00 to 02:00 re-enters 01:30-02:30 without passing an edge.
    const Calendar wide = window("Europe/Berlin", "01:30-02:30");
    CHECK(changes(wide, at("2026-10-24T12:00:00Z"), 4) == Strings{"2026-10-24T23:30:00Z",
                                                                  "2026-10-25T00:30:00Z",
                                                                  "2026-10-25T01:00:00Z",
                                                                  "2026-10-25T01:30:00Z"});
}

TEST_CASE("America/New_York DST changes in both directions", "[calendar][dst]") {
    // 8 Mar 2026: 02:00 EST -> 03:00 EDT at 07:00Z. 1 Nov 2026: 02:00 EDT -> 01:00 EST at 06:00Z.
    const Calendar nights = window("America/New_York", "22:00-07:00");
    CHECK(changes(nights, at("2026-03-07T12:00:00Z"), 2) ==
          Strings{"2026-03-08T03:00:00Z", "2026-03-08T11:00:00Z"});  // 22:00 EST, 07:00 EDT
    CHECK(changes(nights, at("2026-10-31T12:00:00Z"), 2) ==
          Strings{"2026-11-01T02:00:00Z", "2026-11-01T12:00:00Z"});  // 22:00 EDT, 07:00 EST

    const Calendar gap = window("America/New_York", "02:30-05:00");
    CHECK(changes(gap, at("2026-03-07T12:00:00Z"), 2) ==
          Strings{"2026-03-08T07:00:00Z", "2026-03-08T09:00:00Z"});  // 03:00 EDT, 05:00 EDT

    const Calendar repeated = window("America/New_York", "01:00-01:30");
    CHECK(changes(repeated, at("2026-10-31T12:00:00Z"), 4) ==
          Strings{"2026-11-01T05:00:00Z",    // 01:00 EDT
                  "2026-11-01T05:30:00Z",    // 01:30 EDT
                  "2026-11-01T06:00:00Z",    // 01:00 EST
                  "2026-11-01T06:30:00Z"});  // 01:30 EST
}

TEST_CASE("Australia/Sydney DST changes in both directions", "[calendar][dst]") {
    // 5 Apr 2026: 03:00 AEDT -> 02:00 AEST at 4 Apr 16:00Z. 4 Oct 2026: 02:00 AEST -> 03:00 AEDT
    // at 3 Oct 16:00Z.
    const Calendar nights = window("Australia/Sydney", "22:00-07:00");
    CHECK(changes(nights, at("2026-04-04T00:00:00Z"), 2) ==
          Strings{"2026-04-04T11:00:00Z", "2026-04-04T21:00:00Z"});  // 22:00 AEDT, 07:00 AEST
    CHECK(changes(nights, at("2026-10-03T00:00:00Z"), 2) ==
          Strings{"2026-10-03T12:00:00Z", "2026-10-03T20:00:00Z"});  // 22:00 AEST, 07:00 AEDT

    const Calendar repeated = window("Australia/Sydney", "02:15-02:45");
    CHECK(changes(repeated, at("2026-04-04T00:00:00Z"), 4) ==
          Strings{"2026-04-04T15:15:00Z",    // 02:15 AEDT
                  "2026-04-04T15:45:00Z",    // 02:45 AEDT
                  "2026-04-04T16:15:00Z",    // 02:15 AEST
                  "2026-04-04T16:45:00Z"});  // 02:45 AEST

    const Calendar gap = window("Australia/Sydney", "02:30-03:30");
    CHECK(changes(gap, at("2026-10-03T00:00:00Z"), 2) ==
          Strings{"2026-10-03T16:00:00Z", "2026-10-03T16:30:00Z"});  // gap end, 03:30 AEDT
}

TEST_CASE("nth weekdays pick the right day of the month", "[calendar]") {
    const Calendar c = make_calendar(R"(calendars:
  c:
    include:
      - nth: ["last fri of dec", "2nd tue", "1st mon of sep"]
)");
    CHECK(c.contains(at("2026-12-25T12:00:00Z")));        // last Friday of Dec 2026
    CHECK_FALSE(c.contains(at("2026-12-18T12:00:00Z")));  // the Friday before
    CHECK(c.contains(at("2026-01-13T12:00:00Z")));        // 2nd Tuesday of Jan 2026
    CHECK_FALSE(c.contains(at("2026-01-06T12:00:00Z")));  // 1st Tuesday
    CHECK_FALSE(c.contains(at("2026-01-20T12:00:00Z")));  // 3rd Tuesday
    CHECK(c.contains(at("2026-09-07T12:00:00Z")));        // 1st Monday of Sep 2026
    CHECK_FALSE(c.contains(at("2026-08-03T12:00:00Z")));  // 1st Monday of Aug: not listed
    CHECK(changes(c, at("2026-12-01T00:00:00Z"), 4) == Strings{"2026-12-08T00:00:00Z",
                                                               "2026-12-09T00:00:00Z",
                                                               "2026-12-25T00:00:00Z",
                                                               "2026-12-26T00:00:00Z"});
}

TEST_CASE("days of the month count from the end when negative", "[calendar]") {
    const Calendar last = make_calendar(R"(calendars:
  c:
    include:
      - days: [-1]
)");
    CHECK(last.contains(at("2026-02-28T12:00:00Z")));
    CHECK_FALSE(last.contains(at("2026-02-27T12:00:00Z")));
    CHECK(last.contains(at("2026-04-30T12:00:00Z")));
    CHECK_FALSE(last.contains(at("2026-03-30T12:00:00Z")));

    const Calendar tail = make_calendar(R"(calendars:
  c:
    include:
      - days: ["25..-1"]
        months: [apr]
)");
    CHECK(tail.contains(at("2026-04-25T00:00:00Z")));
    CHECK(tail.contains(at("2026-04-30T23:59:59Z")));
    CHECK_FALSE(tail.contains(at("2026-04-24T23:59:59Z")));
    CHECK_FALSE(tail.contains(at("2026-05-25T12:00:00Z")));
}

TEST_CASE("weekday and month ranges may wrap around", "[calendar]") {
    const Calendar c = make_calendar(R"(calendars:
  c:
    include:
      - months: [nov-feb]
        weekdays: [fri-mon]
)");
    CHECK(c.contains(at("2026-01-11T12:00:00Z")));        // Sunday in January
    CHECK_FALSE(c.contains(at("2026-01-13T12:00:00Z")));  // Tuesday
    CHECK_FALSE(c.contains(at("2026-03-01T12:00:00Z")));  // Sunday in March
    CHECK(c.contains(at("2026-11-02T12:00:00Z")));        // Monday in November
}

TEST_CASE("date ranges exclude whole local days", "[calendar]") {
    const Calendar c = make_calendar(R"(calendars:
  office:
    timezone: Europe/Berlin
    include:
      - weekdays: [mon-fri]
        times: ["09:00-17:00"]
    exclude:
      - dates: ["2026-12-24..2026-12-26"]
)");
    CHECK(c.contains(at("2026-12-23T09:00:00Z")));        // Wed 10:00 CET
    CHECK_FALSE(c.contains(at("2026-12-24T09:00:00Z")));  // Thu, excluded
    CHECK_FALSE(c.contains(at("2026-12-25T09:00:00Z")));  // Fri, excluded
    CHECK(c.contains(at("2026-12-28T09:00:00Z")));        // Mon
    CHECK(changes(c, at("2026-12-23T12:00:00Z"), 2) ==
          Strings{"2026-12-23T16:00:00Z", "2026-12-28T08:00:00Z"});
}

TEST_CASE("an empty include means always, less the excludes", "[calendar]") {
    const Calendar c = make_calendar(R"(calendars:
  weekdays_only:
    exclude:
      - weekdays: [sat, sun]
)");
    CHECK(c.contains(at("2026-01-07T12:00:00Z")));        // Wednesday
    CHECK_FALSE(c.contains(at("2026-01-10T12:00:00Z")));  // Saturday
    CHECK(changes(c, at("2026-01-07T12:00:00Z"), 2) ==
          Strings{"2026-01-10T00:00:00Z", "2026-01-12T00:00:00Z"});
}

TEST_CASE("next change jumps to far dates and stops after the last one", "[calendar]") {
    const Calendar c = make_calendar(R"(calendars:
  c:
    include:
      - dates: ["2030-06-01"]
        times: ["22:00-02:00"]
)");
    CHECK(changes(c, at("2026-01-01T00:00:00Z"), 3) ==
          Strings{"2030-06-01T22:00:00Z", "2030-06-02T02:00:00Z", "max"});
}

TEST_CASE("next change finds a 29 February two years ahead", "[calendar]") {
    const Calendar c = make_calendar(R"(calendars:
  c:
    include:
      - months: [feb]
        days: [29]
)");
    CHECK(changes(c, at("2026-03-01T00:00:00Z"), 2) ==
          Strings{"2028-02-29T00:00:00Z", "2028-03-01T00:00:00Z"});
}

TEST_CASE("a calendar that never changes asks to be checked again at the horizon", "[calendar]") {
    const Calendar c = make_calendar(R"(calendars:
  c:
    include:
      - months: [feb]
        days: [31]
)");
    const TimePoint from = at("2026-01-01T00:00:00Z");
    const TimePoint next = c.next_change(from);
    // The walk starts the local day before `from` and covers kHorizonDays days.
    const auto expected = std::chrono::sys_days{std::chrono::year{2025} / 12 / 31} +
                          std::chrono::days{Calendar::kHorizonDays};
    CHECK(next == TimePoint{expected});
    CHECK_FALSE(c.contains(next));
}

TEST_CASE("calendar mistakes are reported with position and what to write", "[calendar]") {
    const auto parsed = parse_calendar_file(R"(calendars:
  bad:
    timezone: Europe/Berln
    include:
      - weekday: [mon]
      - weekdays: [mno]
      - times: ["25:00-07:00", "09:00-09:00"]
      - dates: ["2026-02-30", "2026-12-26..2026-12-24"]
      - nth: ["2nd tues"]
      - days: [32]
      - {}
  empty: {}
  good:
    include:
      - weekdays: [mon]
)");
    CHECK(parsed.defs.size() == 1);
    CHECK(parsed.defs.front().name == "good");
    CHECK(parsed.diags.error_count() == 11);
    require_diag(parsed.diags,
                 "cal.yaml:3:15: error: calendar 'bad' > timezone: unknown time zone "
                 "'Europe/Berln' (did you mean 'Europe/Berlin'?); use an IANA name like "
                 "Europe/Berlin or UTC");
    require_diag(parsed.diags,
                 "cal.yaml:5:9: error: calendar 'bad' > include 1: unknown key 'weekday' (did "
                 "you mean 'weekdays'?); allowed: weekdays, times, dates, months, days, nth");
    require_diag(parsed.diags,
                 "cal.yaml:6:20: error: calendar 'bad' > include 2 > weekdays: 'mno' is not a "
                 "weekday (did you mean 'mon'?); use mon, tue, wed, thu, fri, sat, sun or a "
                 "range like mon-fri");
    require_diag(parsed.diags,
                 "cal.yaml:7:17: error: calendar 'bad' > include 3 > times: '25:00-07:00' is not "
                 "a time range; use HH:MM-HH:MM");
    require_diag(parsed.diags,
                 "cal.yaml:7:32: error: calendar 'bad' > include 3 > times: '09:00-09:00' is an "
                 "empty time range; use 00:00-24:00 for the whole day");
    require_diag(parsed.diags,
                 "cal.yaml:8:17: error: calendar 'bad' > include 4 > dates: '2026-02-30' is not "
                 "a date; use YYYY-MM-DD");
    require_diag(parsed.diags,
                 "cal.yaml:8:31: error: calendar 'bad' > include 4 > dates: range "
                 "'2026-12-26..2026-12-24' ends before it starts; write 2026-12-24..2026-12-26");
    require_diag(parsed.diags,
                 "cal.yaml:9:15: error: calendar 'bad' > include 5 > nth: '2nd tues' is not an "
                 "nth weekday; use e.g. '2nd tue', 'last fri' or 'last fri of dec'");
    require_diag(parsed.diags,
                 "cal.yaml:10:16: error: calendar 'bad' > include 6 > days: '32' is not a day of "
                 "the month");
    require_diag(parsed.diags,
                 "cal.yaml:11:9: error: calendar 'bad' > include 7: the item is empty and would "
                 "match all the time");
    require_diag(parsed.diags,
                 "cal.yaml:12:3: error: calendar 'empty': the calendar has no items and would be "
                 "in all the time; add include: or exclude: items");
}

TEST_CASE("text parsers accept the documented spellings", "[calendar]") {
    std::string why;
    CHECK(calendar_text::weekdays("Monday", why) == std::uint8_t{1U << 1U});
    CHECK(calendar_text::weekdays("sat-sun", why) == std::uint8_t{(1U << 6U) | 1U});
    CHECK(calendar_text::months("December", why) == std::uint16_t{1U << 11U});
    const auto day = calendar_text::times("00:00-24:00", why);
    REQUIRE(day);
    CHECK(day->end == std::chrono::hours(24));
    const auto to_midnight = calendar_text::times("22:00-00:00", why);
    REQUIRE(to_midnight);
    CHECK_FALSE(to_midnight->crosses_midnight());
    const auto nth = calendar_text::nth("first Monday of September", why);
    REQUIRE(nth);
    CHECK(nth->nth == 1);
    CHECK(nth->month == 9U);
    CHECK(calendar_text::days("1-7", why).has_value());
    CHECK(calendar_text::days("-7..-1", why).has_value());
    CHECK_FALSE(calendar_text::days("-1..5", why).has_value());
    CHECK_FALSE(calendar_text::days("0", why).has_value());
    CHECK_FALSE(calendar_text::dates("12-24", why).has_value());
    CHECK(why.find("months: [dec], days: [24]") != std::string::npos);
}
