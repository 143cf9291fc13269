#include "exposition.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace tocsin::exposition {
namespace {

constexpr std::string_view kTypes[] = {"counter", "gauge", "histogram", "summary", "untyped"};

bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_name_char(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
        if (x != b[i]) {
            return false;
        }
    }
    return true;
}

// A short, printable quote of the input for messages.
std::string quoted(std::string_view text) {
    constexpr std::size_t kMaxShown = 40;
    std::string out = "'";
    out += text.substr(0, kMaxShown);
    if (text.size() > kMaxShown) {
        out += "...";
    }
    out += "'";
    return out;
}

// A cursor over one line (without its newline).
class LineReader {
public:
    explicit LineReader(std::string_view line) : line_(line) {}

    void skip_blanks() {
        while (pos_ < line_.size() && is_blank(line_[pos_])) {
            ++pos_;
        }
    }
    [[nodiscard]] bool at_end() const { return pos_ >= line_.size(); }
    [[nodiscard]] char peek() const { return at_end() ? '\0' : line_[pos_]; }
    void advance() { ++pos_; }
    [[nodiscard]] std::size_t column() const { return pos_ + 1; }

    // Reads [a-zA-Z_:][a-zA-Z0-9_:]* (metric) or [a-zA-Z_][a-zA-Z0-9_]* (label).
    std::string_view name(bool allow_colon) {
        const std::size_t start = pos_;
        auto ok = [allow_colon](char c, bool first) {
            return (first ? is_name_start(c) : is_name_char(c)) || (allow_colon && c == ':');
        };
        while (pos_ < line_.size() && ok(line_[pos_], pos_ == start)) {
            ++pos_;
        }
        return line_.substr(start, pos_ - start);
    }

    // Reads a whitespace-delimited token.
    std::string_view token() {
        const std::size_t start = pos_;
        while (pos_ < line_.size() && !is_blank(line_[pos_])) {
            ++pos_;
        }
        return line_.substr(start, pos_ - start);
    }

    std::string_view rest() const { return line_.substr(std::min(pos_, line_.size())); }

    // Reads a double-quoted label value with \\, \" and \n escapes; false with `error` set when
    // the value is unterminated or has another escape.
    bool quoted_value(std::string& out, std::string& error) {
        if (peek() != '"') {
            error = "expected '\"' to start a label value";
            return false;
        }
        ++pos_;
        out.clear();
        while (pos_ < line_.size()) {
            const char c = line_[pos_++];
            if (c == '"') {
                return true;
            }
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (pos_ >= line_.size()) {
                break;
            }
            const char e = line_[pos_++];
            switch (e) {
                case '\\':
                    out.push_back('\\');
                    break;
                case '"':
                    out.push_back('"');
                    break;
                case 'n':
                    out.push_back('\n');
                    break;
                default:
                    error = std::string("invalid escape '\\") + e +
                            "' in a label value; only \\\\, \\\" and \\n are allowed";
                    return false;
            }
        }
        error = "unterminated label value; close it with '\"'";
        return false;
    }

private:
    std::string_view line_;
    std::size_t pos_ = 0;
};

// HELP text escapes: \\ and \n (anything else stays as written).
std::string unescape_help(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == '\\' || text[i + 1] == 'n')) {
            out.push_back(text[i + 1] == 'n' ? '\n' : '\\');
            ++i;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

class Parser {
public:
    explicit Parser(Exposition& out) : out_(out) {}

    std::optional<std::string> comment(std::string_view line) {
        LineReader r(line.substr(1));
        r.skip_blanks();
        const std::string_view keyword = r.token();
        if (keyword != "HELP" && keyword != "TYPE") {
            return std::nullopt;  // an ordinary comment
        }
        r.skip_blanks();
        const std::string_view name = r.name(true);
        if (name.empty()) {
            return "# " + std::string(keyword) + " needs a metric name";
        }
        if (!r.at_end() && !is_blank(r.peek())) {
            return "invalid metric name in # " + std::string(keyword) + " " +
                   quoted(std::string(name) + std::string(r.rest()));
        }
        r.skip_blanks();
        Family& family = family_for(name);
        if (keyword == "HELP") {
            family.help = unescape_help(r.rest());
            return std::nullopt;
        }
        const std::string_view type = r.token();
        r.skip_blanks();
        bool known = false;
        for (const auto candidate : kTypes) {
            known = known || type == candidate;
        }
        if (!known || !r.at_end()) {
            return "unknown metric type " + quoted(std::string(type) + std::string(r.rest())) +
                   "; use counter, gauge, histogram, summary or untyped";
        }
        if (!family.type.empty()) {
            return "second # TYPE line for metric '" + std::string(name) + "'";
        }
        family.type = std::string(type);
        return std::nullopt;
    }

    std::optional<std::string> sample(std::string_view line) {
        LineReader r(line);
        Series series;
        const std::string_view name = r.name(true);
        if (name.empty()) {
            return "expected a metric name, found " + quoted(line);
        }
        series.name = std::string(name);
        if (!r.at_end() && r.peek() != '{' && !is_blank(r.peek())) {
            return "invalid character " + quoted(std::string(1, r.peek())) +
                   " after metric name '" + series.name + "'";
        }
        r.skip_blanks();
        if (r.peek() == '{') {
            r.advance();
            if (auto error = labels(r, series.labels)) {
                return error;
            }
            r.skip_blanks();
        }
        const std::string_view value_text = r.token();
        if (value_text.empty()) {
            return "metric '" + series.name + "' has no value";
        }
        const auto value = parse_value(value_text);
        if (!value) {
            return "value " + quoted(value_text) + " of metric '" + series.name +
                   "' is not a number; use e.g. 1.5, 2e3, NaN, +Inf or -Inf";
        }
        series.value = *value;
        r.skip_blanks();
        if (!r.at_end()) {
            const std::string_view ts_text = r.token();
            std::int64_t ts = 0;
            const auto [end, ec] =
                std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), ts);
            if (ec != std::errc() || end != ts_text.data() + ts_text.size()) {
                return "timestamp " + quoted(ts_text) + " of metric '" + series.name +
                       "' is not an integer number of milliseconds";
            }
            series.timestamp_ms = ts;
            r.skip_blanks();
            if (!r.at_end()) {
                return "unexpected " + quoted(r.rest()) + " after the timestamp of metric '" +
                       series.name + "'";
            }
        }
        out_.series.push_back(std::move(series));
        return std::nullopt;
    }

private:
    std::optional<std::string> labels(LineReader& r, Labels& labels) {
        std::string error;
        for (;;) {
            r.skip_blanks();
            if (r.peek() == '}') {
                r.advance();
                return std::nullopt;
            }
            const std::string_view label = r.name(false);
            if (label.empty()) {
                if (r.at_end()) {
                    return std::string("unterminated label set; close it with '}'");
                }
                return "expected a label name at column " + std::to_string(r.column()) +
                       ", found " + quoted(r.rest());
            }
            r.skip_blanks();
            if (r.peek() != '=') {
                return "expected '=' after label '" + std::string(label) + "'";
            }
            r.advance();
            r.skip_blanks();
            std::string value;
            if (!r.quoted_value(value, error)) {
                return "label '" + std::string(label) + "': " + error;
            }
            for (const auto& [existing, unused] : labels) {
                if (existing == label) {
                    return "label '" + std::string(label) + "' appears twice";
                }
            }
            labels.emplace_back(std::string(label), std::move(value));
            r.skip_blanks();
            if (r.peek() == ',') {
                r.advance();
            } else if (r.peek() != '}') {
                return "expected ',' or '}' after the value of label '" + std::string(label) + "'";
            }
        }
    }

    Family& family_for(std::string_view name) {
        if (index_.empty()) {
            // Families already in `out` (parse appends) keep their metadata.
            for (std::size_t i = 0; i < out_.families.size(); ++i) {
                index_.emplace(out_.families[i].name, i);
            }
        }
        const auto [it, added] = index_.emplace(std::string(name), out_.families.size());
        if (added) {
            out_.families.push_back(Family{std::string(name), {}, {}});
        }
        return out_.families[it->second];
    }

    Exposition& out_;
    std::unordered_map<std::string, std::size_t> index_;  // family name -> position in out_
};

}  // namespace

const Family* Exposition::family(std::string_view name) const {
    for (const auto& f : families) {
        if (f.name == name) {
            return &f;
        }
    }
    return nullptr;
}

std::string ParseError::to_string() const {
    return "line " + std::to_string(line) + ": " + message;
}

std::optional<double> parse_value(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    std::string_view body = text;
    bool negative = false;
    if (body.front() == '+' || body.front() == '-') {
        negative = body.front() == '-';
        body.remove_prefix(1);
    }
    if (iequals(body, "inf")) {
        return negative ? -std::numeric_limits<double>::infinity()
                        : std::numeric_limits<double>::infinity();
    }
    if (iequals(body, "nan")) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    // from_chars would also take "infinity" and "nan(...)"; only digits may start a number here.
    if (body.empty() || !((body.front() >= '0' && body.front() <= '9') || body.front() == '.')) {
        return std::nullopt;
    }
    double value = 0;
    const auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
    if (end != body.data() + body.size()) {
        return std::nullopt;
    }
    if (ec == std::errc::result_out_of_range) {
        // Like Go's ParseFloat: too large is infinite, too small is zero.
        value = std::fabs(value) > 1 ? std::numeric_limits<double>::infinity() : 0.0;
    } else if (ec != std::errc()) {
        return std::nullopt;
    }
    return negative ? -value : value;
}

bool is_metric_name(std::string_view name) {
    if (name.empty()) {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (!(c == ':' || (i == 0 ? is_name_start(c) : is_name_char(c)))) {
            return false;
        }
    }
    return true;
}

bool is_label_name(std::string_view name) {
    if (name.empty()) {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (!(i == 0 ? is_name_start(name[i]) : is_name_char(name[i]))) {
            return false;
        }
    }
    return true;
}

std::optional<ParseError> parse(std::string_view text, Exposition& out) {
    Parser parser(out);
    std::size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const std::size_t newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        while (!line.empty() && is_blank(line.front())) {
            line.remove_prefix(1);
        }
        while (!line.empty() && is_blank(line.back())) {
            line.remove_suffix(1);
        }
        if (line.empty()) {
            continue;
        }
        auto error = line.front() == '#' ? parser.comment(line) : parser.sample(line);
        if (error) {
            return ParseError{line_number, std::move(*error)};
        }
    }
    return std::nullopt;
}

}  // namespace tocsin::exposition
