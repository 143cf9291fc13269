#include "text_values.hpp"

#include <charconv>
#include <cmath>

namespace tocsin::plugins::values {
namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_blank(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_blank(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

/// Reads exactly `width` digits at `pos`.
bool read_digits(std::string_view text, std::size_t& pos, std::size_t width, int& out) {
    if (pos + width > text.size()) {
        return false;
    }
    int value = 0;
    for (std::size_t i = 0; i < width; ++i) {
        const char c = text[pos + i];
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + (c - '0');
    }
    pos += width;
    out = value;
    return true;
}

bool take(std::string_view text, std::size_t& pos, char c) {
    if (pos < text.size() && text[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(int year, int month, int day) {
    year -= month <= 2 ? 1 : 0;
    const int era = (year >= 0 ? year : year - 399) / 400;
    const int yoe = year - era * 400;
    const int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

bool leap(int year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/// "Z", "+HH", "+HHMM", "+HH:MM", "+HH:MM:SS" at `pos`, as seconds east of UTC; 0 when absent.
std::optional<std::int64_t> read_offset(std::string_view text, std::size_t& pos) {
    if (take(text, pos, 'Z') || take(text, pos, 'z') || pos == text.size()) {
        return 0;
    }
    if (text[pos] != '+' && text[pos] != '-') {
        return std::nullopt;
    }
    const int sign = text[pos++] == '-' ? -1 : 1;
    int hours = 0;
    if (!read_digits(text, pos, 2, hours) || hours > 23) {
        return std::nullopt;
    }
    std::int64_t seconds = hours * 3600;
    int part = 0;
    if (take(text, pos, ':')) {
        if (!read_digits(text, pos, 2, part) || part > 59) {
            return std::nullopt;
        }
        seconds += part * 60;
        if (take(text, pos, ':')) {
            if (!read_digits(text, pos, 2, part) || part > 59) {
                return std::nullopt;
            }
            seconds += part;
        }
    } else if (pos < text.size()) {
        if (!read_digits(text, pos, 2, part) || part > 59) {
            return std::nullopt;
        }
        seconds += part * 60;
    }
    return sign * seconds;
}

std::optional<std::int64_t> parse_iso8601_ms(std::string_view text) {
    std::size_t pos = 0;
    int year = 0;
    int month = 0;
    int day = 0;
    if (!read_digits(text, pos, 4, year) || !take(text, pos, '-') ||
        !read_digits(text, pos, 2, month) || !take(text, pos, '-') ||
        !read_digits(text, pos, 2, day)) {
        return std::nullopt;
    }
    static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1 || day > kDaysIn[month - 1] ||
        (month == 2 && day == 29 && !leap(year))) {
        return std::nullopt;
    }
    int hour = 0;
    int minute = 0;
    int second = 0;
    std::int64_t millis = 0;
    std::int64_t offset = 0;
    if (pos < text.size()) {
        if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') {
            return std::nullopt;
        }
        ++pos;
        if (!read_digits(text, pos, 2, hour) || !take(text, pos, ':') ||
            !read_digits(text, pos, 2, minute)) {
            return std::nullopt;
        }
        if (take(text, pos, ':')) {
            if (!read_digits(text, pos, 2, second)) {
                return std::nullopt;
            }
            if (take(text, pos, '.') || take(text, pos, ',')) {
                std::int64_t scale = 100;
                const std::size_t first = pos;
                for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
                    millis += (text[pos] - '0') * scale;
                    scale /= 10;
                }
                if (pos == first) {
                    return std::nullopt;
                }
            }
        }
        // 24:00:00 is the end of the day (PostgreSQL writes it); 60 is a leap second.
        const bool end_of_day = hour == 24 && minute == 0 && second == 0 && millis == 0;
        if ((hour > 23 && !end_of_day) || minute > 59 || second > 60) {
            return std::nullopt;
        }
        const auto zone = read_offset(text, pos);
        if (!zone || pos != text.size()) {
            return std::nullopt;
        }
        offset = *zone;
    }
    const std::int64_t seconds =
        days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
    return seconds * 1000 + millis;
}

}  // namespace

std::optional<double> parse_number(std::string_view text) {
    text = trim(text);
    if (!text.empty() && text.front() == '+') {
        text.remove_prefix(1);
    }
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
        !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

std::optional<std::int64_t> seconds_to_ms(double seconds) {
    // Beyond about 292 million years the milliseconds no longer fit an int64.
    constexpr double kLimit = 9.2e15;
    if (!std::isfinite(seconds) || std::fabs(seconds) > kLimit) {
        return std::nullopt;
    }
    return std::llround(seconds * 1000.0);
}

std::optional<std::int64_t> parse_timestamp_ms(std::string_view text) {
    text = trim(text);
    // "2026-01-05" is a date, not the number 2026 followed by junk: try ISO-8601 first.
    if (auto iso = parse_iso8601_ms(text)) {
        return iso;
    }
    if (auto seconds = parse_number(text)) {
        return seconds_to_ms(*seconds);
    }
    return std::nullopt;
}

}  // namespace tocsin::plugins::values
