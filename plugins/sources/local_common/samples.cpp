#include "samples.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <unordered_set>

namespace tocsin::plugins::local {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
        text.remove_suffix(1);
    }
    return text;
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

std::optional<std::int64_t> parse_time_of_day(std::string_view text,
                                              std::size_t& pos,
                                              std::int64_t& seconds_of_day,
                                              std::int64_t& millis) {
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!read_digits(text, pos, 2, hour) || pos >= text.size() || text[pos++] != ':' ||
        !read_digits(text, pos, 2, minute)) {
        return std::nullopt;
    }
    if (pos < text.size() && text[pos] == ':') {
        ++pos;
        if (!read_digits(text, pos, 2, second)) {
            return std::nullopt;
        }
        if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
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
    }
    if (hour > 23 || minute > 59 || second > 60) {
        return std::nullopt;
    }
    std::int64_t offset_minutes = 0;
    if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
        ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        const int sign = text[pos++] == '-' ? -1 : 1;
        int offset_hours = 0;
        int offset_mins = 0;
        if (!read_digits(text, pos, 2, offset_hours)) {
            return std::nullopt;
        }
        if (pos < text.size() && text[pos] == ':') {
            ++pos;
        }
        if (!read_digits(text, pos, 2, offset_mins) || offset_hours > 23 || offset_mins > 59) {
            return std::nullopt;
        }
        offset_minutes = sign * (offset_hours * 60 + offset_mins);
    }
    seconds_of_day = hour * 3600 + minute * 60 + second - offset_minutes * 60;
    return seconds_of_day;
}

std::optional<std::int64_t> parse_iso8601_ms(std::string_view text) {
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
    std::int64_t seconds_of_day = 0;
    std::int64_t millis = 0;
    if (pos < text.size()) {
        if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') {
            return std::nullopt;
        }
        ++pos;
        if (!parse_time_of_day(text, pos, seconds_of_day, millis) || pos != text.size()) {
            return std::nullopt;
        }
    }
    return (days_from_civil(year, month, day) * 86400 + seconds_of_day) * 1000 + millis;
}

std::string scalar_text(const sdk::Json& v) {
    return v.is_string() ? v.as_string() : v.dump();
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
    constexpr double kLimit = 9.2e15;  // beyond this the milliseconds no longer fit an int64
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

std::optional<std::string> read_sample(const sdk::Json& object, ParsedSample& out) {
    if (!object.is_object()) {
        return std::string("expected an object like {\"kpi\": \"name\", \"value\": 1}, found ") +
               object.type_name();
    }
    for (const auto& [key, value] : object.as_object()) {
        if (key != "kpi" && key != "value" && key != "labels" && key != "timestamp") {
            return "unknown field '" + key + "'; allowed: kpi, value, labels, timestamp";
        }
    }
    const sdk::Json* kpi = object.find("kpi");
    if (kpi == nullptr || !kpi->is_string() || kpi->as_string().empty()) {
        return std::string("'kpi' is missing or not a non-empty string");
    }
    out.kpi = kpi->as_string();
    const sdk::Json* value = object.find("value");
    if (value == nullptr) {
        return "'value' of KPI '" + out.kpi + "' is missing";
    }
    std::optional<double> number;
    if (value->is_number()) {
        number =
            std::isfinite(value->as_number()) ? std::optional(value->as_number()) : std::nullopt;
    } else if (value->is_string()) {
        number = parse_number(value->as_string());
    }
    if (!number) {
        return "'value' of KPI '" + out.kpi + "' is not a number";
    }
    out.value = *number;
    out.labels.clear();
    if (const sdk::Json* labels = object.find("labels"); labels != nullptr && !labels->is_null()) {
        if (!labels->is_object()) {
            return "'labels' of KPI '" + out.kpi + "' is not an object of strings";
        }
        for (const auto& [name, label] : labels->as_object()) {
            if (label.is_array() || label.is_object()) {
                return "label '" + name + "' of KPI '" + out.kpi + "' is not a scalar";
            }
            if (!label.is_null()) {
                out.labels.emplace_back(name, scalar_text(label));
            }
        }
    }
    out.timestamp_ms = 0;
    if (const sdk::Json* ts = object.find("timestamp"); ts != nullptr && !ts->is_null()) {
        std::optional<std::int64_t> ms;
        if (ts->is_number()) {
            ms = seconds_to_ms(ts->as_number());
        } else if (ts->is_string()) {
            ms = parse_timestamp_ms(ts->as_string());
        }
        if (!ms || *ms < 0) {
            return "'timestamp' of KPI '" + out.kpi + "' is neither Unix seconds nor ISO-8601 text";
        }
        out.timestamp_ms = *ms;
    }
    return std::nullopt;
}

std::optional<std::string> read_sample_array(std::string_view text,
                                             std::vector<ParsedSample>& out) {
    sdk::Json doc;
    std::string error;
    std::size_t offset = 0;
    if (!sdk::Json::try_parse(text, doc, &error, &offset)) {
        return "not JSON: " + error + " at byte " + std::to_string(offset);
    }
    if (!doc.is_array()) {
        return std::string("expected a JSON array of samples, found ") + doc.type_name();
    }
    std::size_t index = 0;
    for (const auto& item : doc.as_array()) {
        ++index;
        ParsedSample sample;
        if (auto why = read_sample(item, sample)) {
            return "item " + std::to_string(index) + ": " + *why;
        }
        out.push_back(std::move(sample));
    }
    return std::nullopt;
}

EmitReport emit_requested(const std::vector<ParsedSample>& samples,
                          const std::vector<sdk::KpiRequest>& kpis,
                          sdk::SampleSink& sink) {
    EmitReport report;
    std::unordered_set<std::string> wanted;
    for (const auto& k : kpis) {
        wanted.insert(k.kpi);
    }
    std::unordered_set<std::string> seen;
    for (const auto& s : samples) {
        if (wanted.count(s.kpi) == 0) {
            continue;
        }
        seen.insert(s.kpi);
        if (sink.emit(s.kpi, s.value, s.labels, s.timestamp_ms)) {
            ++report.emitted;
        } else {
            ++report.refused;
        }
    }
    for (const auto& k : kpis) {
        if (seen.count(k.kpi) == 0 &&
            std::find(report.missing.begin(), report.missing.end(), k.kpi) ==
                report.missing.end()) {
            report.missing.push_back(k.kpi);
        }
    }
    return report;
}

std::string missing_text(const std::vector<std::string>& missing, std::string_view where) {
    std::string names;
    for (const auto& m : missing) {
        names += (names.empty() ? "'" : ", '") + m + "'";
    }
    return (missing.size() == 1 ? "KPI " + names + " is" : "KPIs " + names + " are") +
           " missing from " + std::string(where);
}

}  // namespace tocsin::plugins::local
