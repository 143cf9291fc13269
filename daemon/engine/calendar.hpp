#pragma once

#include "engine/diagnostics.hpp"
#include "engine/time.hpp"
#include "engine/timezone.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Calendars: named sets of wall-clock time in an IANA zone ("nights", "business hours"), used by
/// quiet hours and recurring silences. A CalendarDef is what the rule file says (built by
/// parse_calendars() in calendar_parser.hpp); a Calendar is a def bound to its zone and answers
/// "is this instant in?" and "when does that next change?". Pure values, no clock, no I/O; a
/// Calendar is immutable after construction and safe to share between threads.
///
/// Semantics (docs/rule-authors.md, "Calendars"):
/// - The calendar is in at a time when any `include` item matches and no `exclude` item matches.
///   An empty `include` means "always", so a calendar of only excludes is "always except".
/// - An item is a conjunction of the fields it sets (weekdays, times, dates, months, days, nth);
///   each field is a list whose entries are alternatives.
/// - Every field is read on the local wall clock. A `times` range that crosses midnight belongs
///   to the day it starts on: `weekdays: [fri], times: ["22:00-07:00"]` covers Saturday 03:00.
/// - DST: a wall-clock time skipped by a spring-forward change takes effect at the instant the
///   gap ends; a repeated (fall-back) hour is in a window for both of its occurrences; a window
///   like 22:00-07:00 is always 22:00 to 07:00 on the local clock, so 8 or 10 real hours on a
///   change night.
namespace tocsin::engine {

/// [start, end) since local midnight. `end` of 24h is the end of the day; `end < start` crosses
/// midnight and ends on the next day.
struct TimeRange {
    Duration start{0};
    Duration end{0};
    [[nodiscard]] bool crosses_midnight() const { return end < start; }
};

/// Whole local days, both ends included.
struct DateRange {
    std::chrono::year_month_day first;
    std::chrono::year_month_day last;
};

/// Days of the month, both ends included; negative counts from the end (-1 = the last day).
/// Each end is resolved against the month's length before comparing, so 25..-1 is "the 25th to
/// the last day" and 29 never matches in a 28-day February.
struct DayRange {
    int first = 1;
    int last = 1;
};

/// "2nd tue", "last fri of dec": `nth` 1..5, or -1 for the last one in the month.
struct NthWeekday {
    int nth = 1;
    std::chrono::weekday weekday;
    unsigned month = 0;  // 1..12; 0 for every month
};

/// One `include:` or `exclude:` item. Unset fields do not restrict.
struct CalendarRule {
    std::uint8_t weekdays = 0;  // bit d set: weekday d (0 = Sunday) matches; 0 = every day
    std::uint16_t months = 0;   // bit m-1 set: month m matches; 0 = every month
    std::vector<DayRange> days;
    std::vector<DateRange> dates;
    std::vector<NthWeekday> nth;
    std::vector<TimeRange> times;  // empty: the whole day
    SourceLoc loc;

    /// Whether every field except `times` holds on `day`.
    [[nodiscard]] bool matches_day(LocalDays day) const;
    /// Whether the item holds at `time_of_day` (0 <= time_of_day < 24h) on `day`, counting a
    /// midnight-crossing range from the previous day.
    [[nodiscard]] bool matches(LocalDays day, Duration time_of_day) const;
};

struct CalendarDef {
    std::string name;
    std::string timezone;  // as written; empty: the config's `timezone`, else UTC
    SourceLoc loc;         // the calendar's key
    SourceLoc timezone_loc;
    std::vector<CalendarRule> include;
    std::vector<CalendarRule> exclude;
};

class Calendar {
public:
    /// How many local days next_change() walks before giving up on finding a change (past the
    /// explicit dates of a calendar made only of dated items). Covers every yearly pattern and
    /// "Friday the 13th" (at most 14 months apart).
    static constexpr int kHorizonDays = 800;

    Calendar(CalendarDef def, TimeZone zone);

    /// Binds `def` to its own zone, or to `default_timezone` when it names none. Nullopt when the
    /// zone is unknown; the parser has reported that already, so callers just skip the calendar.
    [[nodiscard]] static std::optional<Calendar> from_def(const CalendarDef& def,
                                                          std::string_view default_timezone);

    [[nodiscard]] const CalendarDef& def() const { return def_; }
    [[nodiscard]] const std::string& name() const { return def_.name; }
    [[nodiscard]] const TimeZone& zone() const { return zone_; }

    /// Whether the calendar is in at `t`.
    [[nodiscard]] bool contains(TimePoint t) const;

    /// The first instant after `after` at which contains() differs from contains(after); the
    /// engine sets its timer there. Exact at DST changes (it tests each candidate edge: local
    /// midnights, range starts and ends, zone transitions) and cheap (days with no edge cost one
    /// check). Returns TimePoint::max() when the calendar can never change again (no items, or
    /// only dated items whose dates are all past). When nothing changes within kHorizonDays local
    /// days (items that match only on rare days such as 29 February), it returns the local
    /// midnight at the end of that walk, where contains() is unchanged: the caller simply asks
    /// again then.
    [[nodiscard]] TimePoint next_change(TimePoint after) const;

private:
    [[nodiscard]] bool contains_local(LocalDays day, Duration time_of_day) const;
    /// True when no item starts or stops during `day`, so the state is that of its midnight.
    [[nodiscard]] bool uniform_day(LocalDays day) const;
    /// For calendars of only dated items: true when no item can be active on `day`.
    [[nodiscard]] bool outside_dates(LocalDays day) const;
    /// The first local day after `day` on which a dated item starts, if any.
    [[nodiscard]] std::optional<LocalDays> next_dated_start(LocalDays day) const;
    void add_candidates(LocalDays day, std::vector<TimePoint>& out) const;

    CalendarDef def_;
    TimeZone zone_;
    std::vector<Duration> edges_;  // every distinct range start/end and 0, sorted
    bool dated_only_ = false;      // every item has `dates`
};

}  // namespace tocsin::engine
