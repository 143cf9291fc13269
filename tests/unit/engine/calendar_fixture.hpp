#pragma once

#include "engine/calendar.hpp"
#include "engine/calendar_parser.hpp"
#include "engine/diagnostics.hpp"
#include "engine/time.hpp"
#include "engine/yaml_util.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

/// Shared by the calendar, cron and silence tests: instants from RFC 3339 literals and calendars
/// parsed from YAML text exactly as a rule file's `calendars:` section.
namespace tocsin::engine::testing {

inline TimePoint at(const char* rfc3339) {
    const auto t = parse_rfc3339(rfc3339);
    REQUIRE(t.has_value());
    return *t;
}

struct ParsedCalendars {
    Diagnostics diags;
    std::vector<CalendarDef> defs;
};

/// Parses `text` (a whole rule file) as "cal.yaml" and returns its `calendars:` section.
inline ParsedCalendars parse_calendar_file(const std::string& text) {
    ParsedCalendars out;
    yaml::Reader reader("cal.yaml", "/", out.diags, nullptr);
    const auto root = reader.load(text);
    REQUIRE(root.has_value());
    const auto fields = reader.fields(*root, SourceLoc{"cal.yaml", 1, 1}, "");
    REQUIRE(fields.has_value());
    for (const yaml::Field& f : *fields) {
        if (f.key == "calendars") {
            out.defs = parse_calendars(reader, f);
        }
    }
    return out;
}

/// The single calendar of `text`, bound to its zone (default `default_timezone`); fails the test
/// on any diagnostic.
inline Calendar make_calendar(const std::string& text, const char* default_timezone = "UTC") {
    auto parsed = parse_calendar_file(text);
    INFO(parsed.diags.render());
    REQUIRE_FALSE(parsed.diags.has_errors());
    REQUIRE(parsed.defs.size() == 1);
    auto calendar = Calendar::from_def(parsed.defs.front(), default_timezone);
    REQUIRE(calendar.has_value());
    return *calendar;
}

}  // namespace tocsin::engine::testing
