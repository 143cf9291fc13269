#include "engine/calendar_parser.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>

namespace tocsin::engine {
namespace {

using yaml::Field;
using yaml::join_path;
using yaml::Reader;

const std::vector<std::string> kCalendarKeys{"timezone", "include", "exclude"};
const std::vector<std::string> kItemKeys{"weekdays", "times", "dates", "months", "days", "nth"};
// Index = std::chrono::weekday::c_encoding() (0 = Sunday).
const std::array<std::string_view, 7> kWeekdays{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
const std::array<std::string_view, 7> kWeekdayNames{
    "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
const std::array<std::string_view, 12> kMonths{
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
const std::array<std::string_view, 12> kMonthNames{"january",
                                                   "february",
                                                   "march",
                                                   "april",
                                                   "may",
                                                   "june",
                                                   "july",
                                                   "august",
                                                   "september",
                                                   "october",
                                                   "november",
                                                   "december"};

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
        s.remove_suffix(1);
    }
    return s;
}

std::optional<int> to_int(std::string_view s) {
    s = trim(s);
    if (!s.empty() && s.front() == '+') {
        return std::nullopt;
    }
    int v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) {
        return std::nullopt;
    }
    return v;
}

template <std::size_t N>
std::vector<std::string> as_strings(const std::array<std::string_view, N>& names) {
    return {names.begin(), names.end()};
}

/// Index of a short or full name, or -1.
template <std::size_t N>
int name_index(std::string_view text,
               const std::array<std::string_view, N>& short_names,
               const std::array<std::string_view, N>& long_names) {
    const std::string word = lower(trim(text));
    for (std::size_t i = 0; i < N; ++i) {
        if (word == short_names[i] || word == long_names[i]) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

/// Splits "a-b" at the first '-' (names never contain one).
std::pair<std::string_view, std::string_view> split_dash(std::string_view text) {
    const auto dash = text.find('-');
    if (dash == std::string_view::npos) {
        return {text, {}};
    }
    return {text.substr(0, dash), text.substr(dash + 1)};
}

/// A bit mask over N names from "name" or "first-last" (wrapping past the end).
template <std::size_t N>
std::optional<unsigned> name_mask(std::string_view text,
                                  const std::array<std::string_view, N>& short_names,
                                  const std::array<std::string_view, N>& long_names,
                                  std::string_view what,
                                  std::string_view hint,
                                  std::string& why) {
    const auto [a, b] = split_dash(text);
    const bool range = text.find('-') != std::string_view::npos;
    unsigned mask = 0;
    const int first = name_index(a, short_names, long_names);
    const int last = range ? name_index(b, short_names, long_names) : first;
    if (first < 0 || last < 0) {
        const std::string bad(trim(first < 0 ? a : b));
        why = "'" + bad + "' is not a " + std::string(what) +
              yaml::did_you_mean(lower(bad), as_strings(short_names)) + "; use " +
              std::string(hint);
        return std::nullopt;
    }
    for (int i = first;; i = (i + 1) % static_cast<int>(N)) {
        mask |= 1U << static_cast<unsigned>(i);
        if (i == last) {
            break;
        }
    }
    return mask;
}

/// "HH:MM" as a duration since midnight; 24:00 only when `allow_24`.
std::optional<Duration> clock_time(std::string_view text, bool allow_24) {
    text = trim(text);
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 2 ||
        text.size() - colon - 1 != 2) {
        return std::nullopt;
    }
    const auto digits = [](std::string_view s) {
        return std::all_of(
            s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    };
    const auto h_text = text.substr(0, colon);
    const auto m_text = text.substr(colon + 1);
    if (!digits(h_text) || !digits(m_text)) {
        return std::nullopt;
    }
    const int h = *to_int(h_text);
    const int m = *to_int(m_text);
    if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24))) {
        return std::nullopt;
    }
    return std::chrono::hours(h) + std::chrono::minutes(m);
}

std::optional<std::chrono::year_month_day> calendar_date(std::string_view text) {
    text = trim(text);
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
        return std::nullopt;
    }
    const auto y = to_int(text.substr(0, 4));
    const auto m = to_int(text.substr(5, 2));
    const auto d = to_int(text.substr(8, 2));
    if (!y || !m || !d || *m < 1 || *d < 1) {
        return std::nullopt;
    }
    const std::chrono::year_month_day ymd{std::chrono::year{*y},
                                          std::chrono::month{static_cast<unsigned>(*m)},
                                          std::chrono::day{static_cast<unsigned>(*d)}};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    return ymd;
}

std::string show_date(const std::chrono::year_month_day& d) {
    char buf[16];
    std::snprintf(buf,
                  sizeof buf,
                  "%04d-%02u-%02u",
                  static_cast<int>(d.year()),
                  static_cast<unsigned>(d.month()),
                  static_cast<unsigned>(d.day()));
    return buf;
}

}  // namespace

namespace calendar_text {

std::optional<std::uint8_t> weekdays(std::string_view text, std::string& why) {
    const auto mask = name_mask(text,
                                kWeekdays,
                                kWeekdayNames,
                                "weekday",
                                "mon, tue, wed, thu, fri, sat, sun or a range like mon-fri",
                                why);
    if (!mask) {
        return std::nullopt;
    }
    return static_cast<std::uint8_t>(*mask);
}

std::optional<std::uint16_t> months(std::string_view text, std::string& why) {
    const auto mask = name_mask(
        text, kMonths, kMonthNames, "month", "jan, feb, ..., dec or a range like nov-feb", why);
    if (!mask) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(*mask);
}

std::optional<TimeRange> times(std::string_view text, std::string& why) {
    const auto dash = text.find('-');
    std::optional<Duration> start;
    std::optional<Duration> end;
    if (dash != std::string_view::npos) {
        start = clock_time(text.substr(0, dash), false);
        end = clock_time(text.substr(dash + 1), true);
    }
    if (!start || !end) {
        why = "'" + std::string(trim(text)) +
              "' is not a time range; use HH:MM-HH:MM like 09:00-17:00 or 22:00-07:00 (it may "
              "cross midnight)";
        return std::nullopt;
    }
    if (*start == *end) {
        why = "'" + std::string(trim(text)) +
              "' is an empty time range; use 00:00-24:00 for the whole day";
        return std::nullopt;
    }
    // "22:00-00:00" ends at midnight the same day rather than crossing into the next.
    if (*end == Duration{0}) {
        end = std::chrono::hours(24);
    }
    return TimeRange{*start, *end};
}

std::optional<DateRange> dates(std::string_view text, std::string& why) {
    const auto dots = text.find("..");
    const auto first = calendar_date(text.substr(0, dots));
    const auto last = dots == std::string_view::npos ? first : calendar_date(text.substr(dots + 2));
    if (!first || !last) {
        const std::string shown(trim(text));
        why =
            "'" + shown + "' is not a date; use YYYY-MM-DD or a range like 2026-12-24..2026-12-26";
        if (shown.size() == 5 && shown[2] == '-') {
            why += " (for every year, use months and days: months: [dec], days: [24])";
        }
        return std::nullopt;
    }
    if (std::chrono::sys_days{*last} < std::chrono::sys_days{*first}) {
        why = "range '" + std::string(trim(text)) + "' ends before it starts; write " +
              show_date(*last) + ".." + show_date(*first);
        return std::nullopt;
    }
    return DateRange{*first, *last};
}

std::optional<DayRange> days(std::string_view text, std::string& why) {
    text = trim(text);
    std::optional<int> first;
    std::optional<int> last;
    if (const auto dots = text.find(".."); dots != std::string_view::npos) {
        first = to_int(text.substr(0, dots));
        last = to_int(text.substr(dots + 2));
    } else if (const auto dash = text.find('-'); dash != std::string_view::npos && dash > 0) {
        // "1-7": a dash after the first character separates two positive days.
        first = to_int(text.substr(0, dash));
        last = to_int(text.substr(dash + 1));
        if (first && last && (*first < 0 || *last < 0)) {
            first.reset();
        }
    } else {
        first = last = to_int(text);
    }
    const auto valid = [](const std::optional<int>& d) {
        return d && *d != 0 && *d >= -31 && *d <= 31;
    };
    if (!valid(first) || !valid(last)) {
        why = "'" + std::string(text) +
              "' is not a day of the month; use 1..31, -1 for the last day, or a range like 1-7 "
              "or -7..-1";
        return std::nullopt;
    }
    const bool same_sign = (*first > 0) == (*last > 0);
    if ((same_sign && *first > *last) || (!same_sign && *first < 0)) {
        why = "range '" + std::string(text) +
              "' ends before it starts; write the earlier day first, e.g. 25..-1";
        return std::nullopt;
    }
    return DayRange{*first, *last};
}

std::optional<NthWeekday> nth(std::string_view text, std::string& why) {
    const std::string shown(trim(text));
    const auto fail = [&]() -> std::optional<NthWeekday> {
        why = "'" + shown +
              "' is not an nth weekday; use e.g. '2nd tue', 'last fri' or 'last fri of dec'";
        return std::nullopt;
    };
    std::vector<std::string> words;
    std::string word;
    for (const char c : lower(shown)) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (!word.empty()) {
                words.push_back(std::move(word));
                word.clear();
            }
        } else {
            word += c;
        }
    }
    if (!word.empty()) {
        words.push_back(std::move(word));
    }
    if (words.size() != 2 && !(words.size() == 4 && words[2] == "of")) {
        return fail();
    }
    static const std::vector<std::pair<std::string, int>> kOrdinals{{"1st", 1},
                                                                    {"first", 1},
                                                                    {"2nd", 2},
                                                                    {"second", 2},
                                                                    {"3rd", 3},
                                                                    {"third", 3},
                                                                    {"4th", 4},
                                                                    {"fourth", 4},
                                                                    {"5th", 5},
                                                                    {"fifth", 5},
                                                                    {"last", -1}};
    const auto ord = std::find_if(
        kOrdinals.begin(), kOrdinals.end(), [&](const auto& o) { return o.first == words[0]; });
    const int wd = name_index(words[1], kWeekdays, kWeekdayNames);
    if (ord == kOrdinals.end() || wd < 0) {
        return fail();
    }
    NthWeekday out{ord->second, std::chrono::weekday{static_cast<unsigned>(wd)}, 0};
    if (words.size() == 4) {
        const int month = name_index(words[3], kMonths, kMonthNames);
        if (month < 0) {
            return fail();
        }
        out.month = static_cast<unsigned>(month + 1);
    }
    return out;
}

}  // namespace calendar_text

namespace {

/// Parses each entry of one item field with `parse` and merges it into the rule with `apply`.
template <class Parse, class Apply>
void parse_entries(Reader& r, const Field& f, const std::string& path, Parse parse, Apply apply) {
    const auto list = r.string_list(f, path);
    if (!list) {
        return;
    }
    if (list->empty()) {
        r.error(f.loc, path, "the list is empty; remove the key or give at least one entry");
        return;
    }
    for (const auto& [text, loc] : *list) {
        std::string why;
        if (auto value = parse(text, why)) {
            apply(*value);
        } else {
            r.error(loc, path, why);
        }
    }
}

std::optional<CalendarRule> parse_item(Reader& r,
                                       const yaml::Node& node,
                                       const SourceLoc& loc,
                                       const std::string& path) {
    auto fields = r.fields(node, loc, path);
    if (!fields) {
        return std::nullopt;
    }
    r.check_keys(*fields, kItemKeys, path);
    CalendarRule rule;
    rule.loc = loc;
    bool any = false;
    for (const Field& f : *fields) {
        const std::string key_path = join_path(path, f.key);
        if (f.key == "weekdays") {
            parse_entries(r, f, key_path, calendar_text::weekdays, [&](std::uint8_t m) {
                rule.weekdays |= m;
            });
        } else if (f.key == "months") {
            parse_entries(
                r, f, key_path, calendar_text::months, [&](std::uint16_t m) { rule.months |= m; });
        } else if (f.key == "times") {
            parse_entries(r, f, key_path, calendar_text::times, [&](const TimeRange& t) {
                rule.times.push_back(t);
            });
        } else if (f.key == "dates") {
            parse_entries(r, f, key_path, calendar_text::dates, [&](const DateRange& d) {
                rule.dates.push_back(d);
            });
        } else if (f.key == "days") {
            parse_entries(r, f, key_path, calendar_text::days, [&](const DayRange& d) {
                rule.days.push_back(d);
            });
        } else if (f.key == "nth") {
            parse_entries(r, f, key_path, calendar_text::nth, [&](const NthWeekday& n) {
                rule.nth.push_back(n);
            });
        } else {
            continue;
        }
        any = true;
    }
    if (!any && fields->empty()) {
        r.error(loc,
                path,
                "the item is empty and would match all the time; give at least one of " +
                    yaml::join(kItemKeys));
    }
    return rule;
}

void parse_items(Reader& r,
                 const Field& f,
                 const std::string& cal_path,
                 std::vector<CalendarRule>& out) {
    const std::string path = join_path(cal_path, f.key);
    if (f.node.IsNull()) {
        return;
    }
    if (!f.node.IsSequence()) {
        r.error(f.loc,
                path,
                "expected a list of items, got " + r.describe(f.node) +
                    "; write e.g. - weekdays: [sat, sun]");
        return;
    }
    int index = 0;
    for (const auto& item : f.node) {
        ++index;
        const std::string item_path = path + " " + std::to_string(index);
        const SourceLoc loc = item.IsNull() ? f.loc : r.loc(item);
        if (auto rule = parse_item(r, item, loc, item_path)) {
            out.push_back(std::move(*rule));
        }
    }
}

}  // namespace

std::optional<std::string> parse_timezone(Reader& reader,
                                          const Field& field,
                                          const std::string& path) {
    auto name = reader.literal(field, path);
    if (!name) {
        return std::nullopt;
    }
    if (!TimeZone::find(*name)) {
        reader.error(field.loc,
                     path,
                     "unknown time zone '" + *name + "'" +
                         yaml::did_you_mean(*name, TimeZone::names()) +
                         "; use an IANA name like Europe/Berlin or UTC");
        return std::nullopt;
    }
    return name;
}

std::optional<CalendarDef> parse_calendar(Reader& reader,
                                          const std::string& name,
                                          const Field& field) {
    const int errors_before = reader.diags().error_count();
    const std::string path = "calendar '" + name + "'";
    CalendarDef def;
    def.name = name;
    def.loc = field.key_loc;
    auto fields = reader.fields(field.node, field.loc, path);
    if (!fields) {
        return std::nullopt;
    }
    reader.check_keys(*fields, kCalendarKeys, path);
    for (const Field& f : *fields) {
        if (f.key == "timezone") {
            def.timezone_loc = f.loc;
            if (auto zone = parse_timezone(reader, f, join_path(path, f.key))) {
                def.timezone = *zone;
            }
        } else if (f.key == "include") {
            parse_items(reader, f, path, def.include);
        } else if (f.key == "exclude") {
            parse_items(reader, f, path, def.exclude);
        }
    }
    if (def.include.empty() && def.exclude.empty() &&
        reader.diags().error_count() == errors_before) {
        reader.error(field.key_loc,
                     path,
                     "the calendar has no items and would be in all the time; add include: or "
                     "exclude: items");
    }
    if (reader.diags().error_count() != errors_before) {
        return std::nullopt;
    }
    return def;
}

std::vector<CalendarDef> parse_calendars(Reader& reader, const Field& section) {
    std::vector<CalendarDef> out;
    auto calendars = reader.fields(section.node, section.loc, "calendars");
    if (!calendars) {
        return out;
    }
    for (const Field& item : *calendars) {
        if (auto def = parse_calendar(reader, item.key, item)) {
            out.push_back(std::move(*def));
        }
    }
    return out;
}

}  // namespace tocsin::engine
