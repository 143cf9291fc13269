#include "engine/cron.hpp"

#include "engine/yaml_util.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <vector>

namespace tocsin::engine {
namespace {

using Days = std::chrono::days;

const std::vector<std::string> kShortcuts{
    "@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"};

const std::array<std::string_view, 12> kMonthNames{
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
const std::array<std::string_view, 7> kWeekdayNames{
    "sun", "mon", "tue", "wed", "thu", "fri", "sat"};

/// The shape of one of the five fields.
struct FieldShape {
    std::string_view name;
    int min;
    int max;
    int name_base;  // the value of the first name (months count from 1)
    const std::string_view* names;
    std::size_t name_count;
};

const FieldShape kMinute{"minute", 0, 59, 0, nullptr, 0};
const FieldShape kHour{"hour", 0, 23, 0, nullptr, 0};
const FieldShape kDay{"day-of-month", 1, 31, 0, nullptr, 0};
const FieldShape kMonth{"month", 1, 12, 1, kMonthNames.data(), kMonthNames.size()};
// 7 is Sunday as well as 0.
const FieldShape kWeekday{"day-of-week", 0, 7, 0, kWeekdayNames.data(), kWeekdayNames.size()};

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return out;
}

std::optional<int> to_int(std::string_view s) {
    int v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        const auto at = text.find(sep, start);
        out.push_back(text.substr(start, at == std::string_view::npos ? at : at - start));
        if (at == std::string_view::npos) {
            return out;
        }
        start = at + 1;
    }
}

/// One value of a field: a number in range or, where the field has them, a name.
std::optional<int> field_value(std::string_view text, const FieldShape& shape, std::string& why) {
    if (auto n = to_int(text)) {
        if (*n < shape.min || *n > shape.max) {
            why = std::string(shape.name) + " " + std::string(text) + " is out of range " +
                  std::to_string(shape.min) + "-" + std::to_string(shape.max);
            return std::nullopt;
        }
        return n;
    }
    const std::string word = lower(text);
    for (std::size_t i = 0; i < shape.name_count; ++i) {
        if (word == shape.names[i]) {
            return static_cast<int>(i) + shape.name_base;
        }
    }
    why = "'" + std::string(text) + "' is not a valid " + std::string(shape.name);
    if (shape.name_count > 0) {
        const std::vector<std::string> names(shape.names, shape.names + shape.name_count);
        why += yaml::did_you_mean(word, names) + "; use " + std::to_string(shape.min) + "-" +
               std::to_string(shape.max) + " or " + names.front() + ".." + names.back();
    } else {
        why += "; use " + std::to_string(shape.min) + "-" + std::to_string(shape.max);
    }
    return std::nullopt;
}

/// Sets the bits of one field; `why` says what is wrong otherwise.
template <std::size_t N>
bool parse_field(std::string_view text,
                 const FieldShape& shape,
                 std::bitset<N>& bits,
                 std::string& why) {
    for (const std::string_view item : split(text, ',')) {
        const auto parts = split(item, '/');
        if (item.empty() || parts.size() > 2) {
            why = "'" + std::string(text) + "' is not a valid " + std::string(shape.name) +
                  " field (use e.g. *, 5, 1-5, 1,15 or */10)";
            return false;
        }
        int step = 1;
        if (parts.size() == 2) {
            const auto s = to_int(parts[1]);
            if (!s || *s < 1) {
                why = "step '" + std::string(parts[1]) + "' in the " + std::string(shape.name) +
                      " field must be a whole number of at least 1";
                return false;
            }
            step = *s;
        }
        int first = shape.min;
        int last = shape.max;
        if (parts[0] != "*") {
            const auto range = split(parts[0], '-');
            if (range.size() > 2) {
                why = "'" + std::string(item) + "' is not a valid " + std::string(shape.name) +
                      " range (use e.g. 1-5)";
                return false;
            }
            const auto a = field_value(range[0], shape, why);
            if (!a) {
                return false;
            }
            first = *a;
            if (range.size() == 2) {
                const auto b = field_value(range[1], shape, why);
                if (!b) {
                    return false;
                }
                last = *b;
            } else if (parts.size() == 1) {
                last = first;
            }
            if (first > last) {
                why = "range '" + std::string(parts[0]) + "' in the " + std::string(shape.name) +
                      " field goes backwards; write the smaller value first or use a list";
                return false;
            }
        } else if (shape.max == 7) {
            last = 6;  // `*` in day-of-week: Sunday once, as 0
        }
        for (int v = first; v <= last; v += step) {
            bits.set(static_cast<std::size_t>(shape.max == 7 && v == 7 ? 0 : v));
        }
    }
    return true;
}

std::optional<std::string> expand_shortcut(const std::string& text, std::string& why) {
    const std::string word = lower(text);
    if (word == "@hourly") {
        return "0 * * * *";
    }
    if (word == "@daily" || word == "@midnight") {
        return "0 0 * * *";
    }
    if (word == "@weekly") {
        return "0 0 * * 0";
    }
    if (word == "@monthly") {
        return "0 0 1 * *";
    }
    if (word == "@yearly" || word == "@annually") {
        return "0 0 1 1 *";
    }
    why = "unknown shortcut '" + text + "'" + yaml::did_you_mean(word, kShortcuts) +
          "; use @hourly, @daily, @weekly, @monthly or @yearly";
    return std::nullopt;
}

}  // namespace

bool CronSpec::matches_day(LocalDays day) const {
    const std::chrono::year_month_day ymd{std::chrono::sys_days{day.time_since_epoch()}};
    if (!months.test(static_cast<unsigned>(ymd.month()))) {
        return false;
    }
    const bool dom = days.test(static_cast<unsigned>(ymd.day()));
    const bool dow = weekdays.test(std::chrono::weekday{day}.c_encoding());
    if (days_star || weekdays_star) {
        return dom && dow;
    }
    return dom || dow;
}

std::optional<CronSpec> parse_cron(std::string_view input, std::string& why) {
    std::string text(input);
    text.erase(0, text.find_first_not_of(" \t"));
    text.erase(text.find_last_not_of(" \t") + 1);
    CronSpec spec;
    spec.text = text;
    std::string expanded = text;
    if (!text.empty() && text.front() == '@') {
        auto e = expand_shortcut(text, why);
        if (!e) {
            return std::nullopt;
        }
        expanded = *e;
    }
    std::replace(expanded.begin(), expanded.end(), '\t', ' ');
    std::vector<std::string_view> fields;
    for (const std::string_view part : split(expanded, ' ')) {
        if (!part.empty()) {
            fields.push_back(part);
        }
    }
    if (fields.size() != 5) {
        why = "'" + text + "' is not a cron schedule; write 5 fields (minute hour day-of-month " +
              "month day-of-week, e.g. '0 9 * * mon-fri') or one of @hourly, @daily, @weekly, " +
              "@monthly, @yearly";
        return std::nullopt;
    }
    std::string problem;
    const bool ok = parse_field(fields[0], kMinute, spec.minutes, problem) &&
                    parse_field(fields[1], kHour, spec.hours, problem) &&
                    parse_field(fields[2], kDay, spec.days, problem) &&
                    parse_field(fields[3], kMonth, spec.months, problem) &&
                    parse_field(fields[4], kWeekday, spec.weekdays, problem);
    if (!ok) {
        why = "cron schedule '" + text + "': " + problem;
        return std::nullopt;
    }
    spec.days_star = fields[2].front() == '*';
    spec.weekdays_star = fields[4].front() == '*';
    // Refuse what can never fire (30 February) rather than waiting forever; 28 years hold every
    // combination of leap year and weekday.
    const LocalDays start{
        std::chrono::sys_days{std::chrono::year{2000} / 1 / 1}.time_since_epoch()};
    bool fires = false;
    for (int i = 0; i < CronSchedule::kSearchDays && !fires; ++i) {
        fires = spec.matches_day(start + Days{i});
    }
    if (!fires) {
        why = "cron schedule '" + text +
              "' never fires: no date has that day of the month in those months; check the "
              "day-of-month and month fields";
        return std::nullopt;
    }
    return spec;
}

std::optional<CronSpec> parse_cron(yaml::Reader& reader,
                                   const yaml::Field& field,
                                   const std::string& path) {
    const auto text = reader.literal(field, path);
    if (!text) {
        return std::nullopt;
    }
    std::string why;
    auto spec = parse_cron(*text, why);
    if (!spec) {
        reader.error(field.loc, path, why);
    }
    return spec;
}

TimePoint CronSchedule::next_fire(TimePoint after) const {
    const LocalTime now = zone_.to_local(after);
    // A day early: a transition at midnight can put the end of the previous local day after
    // `after` on the real time line.
    LocalDays day = std::chrono::floor<Days>(now) - Days{1};
    // Offsets never change by this much, so earlier local times are surely before `after`.
    const LocalTime surely_past = now - std::chrono::hours(3);
    for (int i = 0; i < kSearchDays; ++i, day += Days{1}) {
        if (!spec_.matches_day(day)) {
            continue;
        }
        for (int h = 0; h < 24; ++h) {
            const LocalTime hour_start = LocalTime{day} + std::chrono::hours(h);
            if (!spec_.hours.test(static_cast<std::size_t>(h)) ||
                hour_start + std::chrono::hours(1) < surely_past) {
                continue;
            }
            for (int m = 0; m < 60; ++m) {
                if (!spec_.minutes.test(static_cast<std::size_t>(m))) {
                    continue;
                }
                // Gap: the instant the gap ends; repeated hour: its first occurrence only.
                const TimePoint t = zone_.to_sys(hour_start + std::chrono::minutes(m)).first;
                if (t > after) {
                    return t;
                }
            }
        }
    }
    return TimePoint::max();
}

}  // namespace tocsin::engine
