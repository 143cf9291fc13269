#include "engine/time.hpp"

#include <date/date.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <limits>

namespace tocsin::engine {
namespace {

struct UnitDef {
    std::string_view suffix;
    std::int64_t ms;
};

// Longest suffix first where one is a prefix of another ("ms" before "m").
constexpr std::array<UnitDef, 6> kParseUnits{{
    {"ms", 1},
    {"s", 1'000},
    {"m", 60'000},
    {"h", 3'600'000},
    {"d", 86'400'000},
    {"w", 604'800'000},
}};

// Weeks are left out on purpose: "14d" reads better than "2w" in messages.
constexpr std::array<UnitDef, 5> kFormatUnits{{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Reads exactly `width` digits at `pos`.
std::optional<int> read_digits(std::string_view text, std::size_t& pos, std::size_t width) {
    if (pos + width > text.size()) {
        return std::nullopt;
    }
    int value = 0;
    for (std::size_t i = 0; i < width; ++i) {
        const char c = text[pos + i];
        if (!is_digit(c)) {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    pos += width;
    return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
    if (pos < text.size() && text[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    if (text == "0") {
        return Duration{0};
    }
    std::int64_t total = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (!is_digit(text[pos])) {
            return std::nullopt;
        }
        std::int64_t number = 0;
        while (pos < text.size() && is_digit(text[pos])) {
            if (number > (std::numeric_limits<std::int64_t>::max() - 9) / 10) {
                return std::nullopt;
            }
            number = number * 10 + (text[pos] - '0');
            ++pos;
        }
        const UnitDef* unit = nullptr;
        for (const auto& u : kParseUnits) {
            if (text.substr(pos, u.suffix.size()) == u.suffix) {
                unit = &u;
                break;
            }
        }
        if (unit == nullptr) {
            return std::nullopt;
        }
        pos += unit->suffix.size();
        if (number > (std::numeric_limits<std::int64_t>::max() - total) / unit->ms) {
            return std::nullopt;
        }
        total += number * unit->ms;
    }
    return Duration{total};
}

std::string format_duration(Duration d) {
    std::int64_t ms = d.count();
    if (ms == 0) {
        return "0s";
    }
    std::string out;
    if (ms < 0) {
        out += '-';
        // Minimum value cannot be negated; it is far beyond any duration a user writes.
        ms = ms == std::numeric_limits<std::int64_t>::min()
                 ? std::numeric_limits<std::int64_t>::max()
                 : -ms;
    }
    for (const auto& u : kFormatUnits) {
        if (ms >= u.ms) {
            out += std::to_string(ms / u.ms);
            out += u.suffix;
            ms %= u.ms;
        }
    }
    return out;
}

std::string format_rfc3339(TimePoint t) {
    const auto day = date::floor<date::days>(t);
    const date::year_month_day ymd{day};
    const date::hh_mm_ss<Duration> hms{t - day};
    char buf[40];
    const auto ms = hms.subseconds().count();
    const int year = static_cast<int>(ymd.year());
    const unsigned month = static_cast<unsigned>(ymd.month());
    const unsigned dom = static_cast<unsigned>(ymd.day());
    const auto hours = hms.hours().count();
    const auto minutes = hms.minutes().count();
    const auto seconds = hms.seconds().count();
    if (ms != 0) {
        std::snprintf(buf,
                      sizeof buf,
                      "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                      year,
                      month,
                      dom,
                      static_cast<int>(hours),
                      static_cast<int>(minutes),
                      static_cast<int>(seconds),
                      static_cast<int>(ms));
    } else {
        std::snprintf(buf,
                      sizeof buf,
                      "%04d-%02u-%02uT%02d:%02d:%02dZ",
                      year,
                      month,
                      dom,
                      static_cast<int>(hours),
                      static_cast<int>(minutes),
                      static_cast<int>(seconds));
    }
    return buf;
}

std::optional<TimePoint> parse_rfc3339(std::string_view text) {
    std::size_t pos = 0;
    const auto year = read_digits(text, pos, 4);
    if (!year || !expect(text, pos, '-')) {
        return std::nullopt;
    }
    const auto month = read_digits(text, pos, 2);
    if (!month || !expect(text, pos, '-')) {
        return std::nullopt;
    }
    const auto dom = read_digits(text, pos, 2);
    if (!dom) {
        return std::nullopt;
    }
    const date::year_month_day ymd{date::year{*year},
                                   date::month{static_cast<unsigned>(*month)},
                                   date::day{static_cast<unsigned>(*dom)}};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    const TimePoint midnight{date::sys_days{ymd}};
    if (pos == text.size()) {
        return midnight;
    }
    if (!(expect(text, pos, 'T') || expect(text, pos, 't') || expect(text, pos, ' '))) {
        return std::nullopt;
    }
    const auto hour = read_digits(text, pos, 2);
    if (!hour || !expect(text, pos, ':')) {
        return std::nullopt;
    }
    const auto minute = read_digits(text, pos, 2);
    if (!minute || !expect(text, pos, ':')) {
        return std::nullopt;
    }
    const auto second = read_digits(text, pos, 2);
    // 60 is allowed for leap seconds by RFC 3339; it is folded into the next minute.
    if (!second || *hour > 23 || *minute > 59 || *second > 60) {
        return std::nullopt;
    }
    std::int64_t millis = 0;
    if (expect(text, pos, '.')) {
        int digits = 0;
        std::int64_t scale = 100;
        while (pos < text.size() && is_digit(text[pos])) {
            millis += (text[pos] - '0') * scale;  // digits past milliseconds are dropped
            scale /= 10;
            ++pos;
            ++digits;
        }
        if (digits == 0) {
            return std::nullopt;
        }
    }
    std::int64_t offset_minutes = 0;
    if (expect(text, pos, 'Z') || expect(text, pos, 'z')) {
        // UTC
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        const int sign = text[pos] == '-' ? -1 : 1;
        ++pos;
        const auto off_h = read_digits(text, pos, 2);
        if (!off_h || !expect(text, pos, ':')) {
            return std::nullopt;
        }
        const auto off_m = read_digits(text, pos, 2);
        if (!off_m || *off_h > 23 || *off_m > 59) {
            return std::nullopt;
        }
        offset_minutes = sign * (*off_h * 60 + *off_m);
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) {
        return std::nullopt;
    }
    const Duration time_of_day = std::chrono::hours{*hour} + std::chrono::minutes{*minute} +
                                 std::chrono::seconds{*second} + Duration{millis};
    const TimePoint t = midnight + time_of_day - std::chrono::minutes{offset_minutes};
    // An offset or a leap second can carry the instant past year 9999 or before year 0 in UTC,
    // which format_rfc3339() (four-digit years) could not write back.
    static const TimePoint kFirst{date::sys_days{date::year{0} / 1 / 1}};
    static const TimePoint kEnd{date::sys_days{date::year{10000} / 1 / 1}};
    if (t < kFirst || t >= kEnd) {
        return std::nullopt;
    }
    return t;
}

}  // namespace tocsin::engine
