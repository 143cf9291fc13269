#include "engine/format.hpp"

#include "engine/time.hpp"

#include <cmath>
#include <cstdio>
#include <optional>

namespace tocsin::engine {
namespace {

std::string trim_negative_zero(std::string s) {
    if (s.size() > 1 && s[0] == '-' && s.find_first_not_of("-0.%") == std::string::npos) {
        s.erase(0, 1);
    }
    return s;
}

std::optional<std::string> non_finite(double v) {
    if (std::isnan(v)) {
        return "NaN";
    }
    if (std::isinf(v)) {
        return v > 0 ? "+Inf" : "-Inf";
    }
    return std::nullopt;
}

}  // namespace

std::string format_num(double v) {
    if (auto s = non_finite(v)) {
        return *s;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    std::string s = buf;
    while (!s.empty() && s.back() == '0') {
        s.pop_back();
    }
    if (!s.empty() && s.back() == '.') {
        s.pop_back();
    }
    return trim_negative_zero(s);
}

std::string format_pct(double v) {
    if (auto s = non_finite(v)) {
        return *s;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f%%", v * 100);
    return trim_negative_zero(buf);
}

std::string format_dur(double seconds) {
    if (auto s = non_finite(seconds)) {
        return *s;
    }
    return format_duration(Duration{std::llround(seconds * 1000)});
}

std::string format_money(double v) {
    if (auto s = non_finite(v)) {
        return *s;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", std::fabs(v));
    const std::string plain = buf;
    const std::size_t dot = plain.find('.');
    const std::string whole = plain.substr(0, dot);
    std::string grouped;
    for (std::size_t i = 0; i < whole.size(); ++i) {
        if (i > 0 && (whole.size() - i) % 3 == 0) {
            grouped += ',';
        }
        grouped += whole[i];
    }
    std::string out = (v < 0 && plain != "0.00") ? "-" : "";
    return out + grouped + plain.substr(dot);
}

std::string format_by_unit(double v, Unit unit) {
    switch (unit) {
        case Unit::Percent:
            return format_pct(v);
        case Unit::Money:
            return format_money(v);
        case Unit::Seconds:
            return format_dur(v);
        case Unit::None:
        case Unit::Ratio:
        case Unit::Count:
            break;
    }
    return format_num(v);
}

const char* unit_name(Unit unit) {
    switch (unit) {
        case Unit::None:
            return "";
        case Unit::Percent:
            return "percent";
        case Unit::Ratio:
            return "ratio";
        case Unit::Money:
            return "money";
        case Unit::Count:
            return "count";
        case Unit::Seconds:
            return "seconds";
    }
    return "";
}

}  // namespace tocsin::engine
