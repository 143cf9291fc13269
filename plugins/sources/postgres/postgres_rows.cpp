#include "postgres_rows.hpp"

#include <charconv>
#include <cmath>

namespace tocsin::plugins::postgres {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

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

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(int year, int month, int day) {
    year -= month <= 2 ? 1 : 0;
    const int era = (year >= 0 ? year : year - 399) / 400;
    const int yoe = year - era * 400;
    const int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

std::optional<std::int64_t> parse_iso(std::string_view text) {
    std::size_t pos = 0;
    int year = 0;
    int month = 0;
    int day = 0;
    if (!read_digits(text, pos, 4, year) || pos >= text.size() || text[pos++] != '-' ||
        !read_digits(text, pos, 2, month) || pos >= text.size() || text[pos++] != '-' ||
        !read_digits(text, pos, 2, day)) {
        return std::nullopt;
    }
    static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1 || day > kDaysIn[month - 1]) {
        return std::nullopt;
    }
    int hour = 0;
    int minute = 0;
    int second = 0;
    std::int64_t millis = 0;
    std::int64_t offset_seconds = 0;
    if (pos < text.size()) {
        if (text[pos] != ' ' && text[pos] != 'T') {
            return std::nullopt;
        }
        ++pos;
        if (!read_digits(text, pos, 2, hour) || pos >= text.size() || text[pos++] != ':' ||
            !read_digits(text, pos, 2, minute) || pos >= text.size() || text[pos++] != ':' ||
            !read_digits(text, pos, 2, second)) {
            return std::nullopt;
        }
        if (pos < text.size() && text[pos] == '.') {
            ++pos;
            std::int64_t scale = 100;
            const std::size_t first = pos;
            while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
                millis += (text[pos] - '0') * scale;
                scale /= 10;
                ++pos;
            }
            if (pos == first) {
                return std::nullopt;
            }
        }
        if (hour > 24 || minute > 59 || second > 60) {
            return std::nullopt;
        }
        if (pos < text.size() && text[pos] == 'Z') {
            ++pos;
        } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
            // PostgreSQL writes +HH, +HH:MM or +HH:MM:SS.
            const int sign = text[pos++] == '-' ? -1 : 1;
            int part = 0;
            if (!read_digits(text, pos, 2, part)) {
                return std::nullopt;
            }
            offset_seconds = part * 3600;
            for (int scale : {60, 1}) {
                if (pos < text.size() && text[pos] == ':') {
                    ++pos;
                    if (!read_digits(text, pos, 2, part)) {
                        return std::nullopt;
                    }
                    offset_seconds += part * scale;
                }
            }
            offset_seconds *= sign;
        }
        if (pos != text.size()) {
            return std::nullopt;
        }
    }
    const std::int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 +
                                 minute * 60 + second - offset_seconds;
    return seconds * 1000 + millis;
}

}  // namespace

std::optional<double> parse_value(std::string_view text, bool is_bool) {
    if (is_bool) {
        if (text == "t") {
            return 1.0;
        }
        if (text == "f") {
            return 0.0;
        }
        return std::nullopt;
    }
    return parse_number(text);
}

std::optional<std::int64_t> parse_timestamp_ms(std::string_view text) {
    text = trim(text);
    // "2026-01-05" is a date, not the number 2026 followed by junk: try ISO-8601 first.
    if (auto iso = parse_iso(text)) {
        return iso;
    }
    const auto seconds = parse_number(text);
    // Beyond about 292 million years the milliseconds no longer fit an int64.
    if (!seconds || std::fabs(*seconds) > 9.2e15) {
        return std::nullopt;
    }
    return std::llround(*seconds * 1000.0);
}

}  // namespace tocsin::plugins::postgres
