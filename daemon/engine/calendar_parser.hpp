#pragma once

#include "engine/calendar.hpp"
#include "engine/yaml_util.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Reading calendars from rule files (DESIGN.md §5):
///   calendars:
///     nights:
///       timezone: Europe/Berlin
///       include: [{times: ["22:00-07:00"]}, {weekdays: [sat, sun]}]
///       exclude: [{dates: ["2026-12-24..2026-12-26"]}]
/// Every problem is reported to the reader's diagnostics at the position of the value it is about
/// (item path "calendar 'nights' > include 1 > times"); nothing throws. The text parsers below
/// are also usable on their own (API and CLI input); they give nullopt and set `why` to the
/// message a diagnostic would carry.
namespace tocsin::engine {

/// Parses the value of a `calendars:` key (a map of name -> calendar). Returns the calendars that
/// had no errors, in file order. Names unique across files are the rule loader's check.
std::vector<CalendarDef> parse_calendars(yaml::Reader& reader, const yaml::Field& section);

/// One calendar; nullopt when it had any error (all of them reported).
std::optional<CalendarDef> parse_calendar(yaml::Reader& reader,
                                          const std::string& name,
                                          const yaml::Field& field);

/// An IANA zone name such as `timezone: Europe/Berlin` (calendars, reports, tocsin.yaml); reports
/// an unknown zone with "did you mean" and gives nullopt.
std::optional<std::string> parse_timezone(yaml::Reader& reader,
                                          const yaml::Field& field,
                                          const std::string& path);

/// Text parsers, one list entry each. Names are case-insensitive; ranges may wrap (fri-mon).
namespace calendar_text {
/// "mon", "monday", "mon-fri" -> bit mask as in CalendarRule::weekdays.
std::optional<std::uint8_t> weekdays(std::string_view text, std::string& why);
/// "jan", "january", "nov-feb" -> bit mask as in CalendarRule::months.
std::optional<std::uint16_t> months(std::string_view text, std::string& why);
/// "22:00-07:00", "09:00-17:30", "00:00-24:00".
std::optional<TimeRange> times(std::string_view text, std::string& why);
/// "2026-12-24" or "2026-12-24..2026-12-26".
std::optional<DateRange> dates(std::string_view text, std::string& why);
/// "15", "-1", "1-7", "1..7", "-7..-1", "25..-1".
std::optional<DayRange> days(std::string_view text, std::string& why);
/// "2nd tue", "last fri of dec", "1st mon of sep", "first monday".
std::optional<NthWeekday> nth(std::string_view text, std::string& why);
}  // namespace calendar_text

}  // namespace tocsin::engine
