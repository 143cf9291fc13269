// Series selectors (PromQL's instant-vector selector without offsets or ranges), matched against
// parsed exposition series.

#include "exposition.hpp"

namespace tocsin::exposition {
namespace {

constexpr std::string_view kNameLabel = "__name__";

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

class SelectorReader {
public:
    explicit SelectorReader(std::string_view text) : text_(text) {}

    void skip_spaces() {
        while (pos_ < text_.size() && is_space(text_[pos_])) {
            ++pos_;
        }
    }
    [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }
    [[nodiscard]] char peek() const { return at_end() ? '\0' : text_[pos_]; }
    [[nodiscard]] std::size_t offset() const { return pos_; }
    void advance(std::size_t n = 1) { pos_ += n; }
    [[nodiscard]] bool starts_with(std::string_view s) const {
        return text_.substr(pos_).substr(0, s.size()) == s;
    }

    std::string_view name(bool allow_colon) {
        const std::size_t start = pos_;
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
            const bool digit = c >= '0' && c <= '9';
            if (!(letter || (digit && pos_ > start) || (allow_colon && c == ':'))) {
                break;
            }
            ++pos_;
        }
        return text_.substr(start, pos_ - start);
    }

    // A PromQL string: "..." or '...' with backslash escapes, or `...` taken literally.
    std::optional<std::string> string(std::string& out) {
        const char quote = peek();
        if (quote != '"' && quote != '\'' && quote != '`') {
            return at("expected a quoted label value");
        }
        ++pos_;
        out.clear();
        while (pos_ < text_.size()) {
            const char c = text_[pos_++];
            if (c == quote) {
                return std::nullopt;
            }
            if (c != '\\' || quote == '`') {
                out.push_back(c);
                continue;
            }
            if (pos_ >= text_.size()) {
                break;
            }
            const char e = text_[pos_++];
            switch (e) {
                case 'n':
                    out.push_back('\n');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                case 'r':
                    out.push_back('\r');
                    break;
                case '\\':
                case '"':
                case '\'':
                case '`':
                    out.push_back(e);
                    break;
                default:
                    // Regex escapes such as \d or \. pass through for the regex engine.
                    out.push_back('\\');
                    out.push_back(e);
            }
        }
        return at(std::string("unterminated label value; close it with ") + quote);
    }

    [[nodiscard]] std::string at(const std::string& message) const {
        return message + " at offset " + std::to_string(pos_);
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

std::optional<std::string> compile(Matcher& matcher) {
    if (matcher.op != MatchOp::Regex && matcher.op != MatchOp::NotRegex) {
        return std::nullopt;
    }
    std::string why;
    matcher.regex = Regex::compile(matcher.value, why);  // anchored, as in PromQL
    if (!matcher.regex) {
        return "label '" + matcher.label + "': invalid regex '" + matcher.value + "': " + why;
    }
    return std::nullopt;
}

}  // namespace

bool Matcher::matches(std::string_view label_value) const {
    switch (op) {
        case MatchOp::Equal:
            return label_value == value;
        case MatchOp::NotEqual:
            return label_value != value;
        case MatchOp::Regex:
            return regex && regex->match(label_value) == RegexMatch::Match;
        case MatchOp::NotRegex:
            return regex && regex->match(label_value) == RegexMatch::NoMatch;
    }
    return false;
}

std::optional<std::string> Selector::parse(std::string_view text, Selector& out) {
    out.matchers_.clear();
    out.text_ = std::string(text);
    SelectorReader r(text);
    r.skip_spaces();
    if (r.at_end()) {
        return std::string("the selector is empty; write e.g. kpi_value{kpi=\"k1\"}");
    }
    const std::string_view metric = r.name(true);
    if (!metric.empty()) {
        out.matchers_.push_back(
            Matcher{std::string(kNameLabel), MatchOp::Equal, std::string(metric), {}});
    }
    r.skip_spaces();
    if (r.peek() == '{') {
        r.advance();
        for (;;) {
            r.skip_spaces();
            if (r.peek() == '}') {
                r.advance();
                break;
            }
            const std::string_view label = r.name(false);
            if (label.empty()) {
                return r.at(r.at_end() ? "unterminated '{'; close it with '}'"
                                       : "expected a label name");
            }
            r.skip_spaces();
            Matcher matcher{std::string(label), MatchOp::Equal, {}, {}};
            if (r.starts_with("=~")) {
                matcher.op = MatchOp::Regex;
                r.advance(2);
            } else if (r.starts_with("!~")) {
                matcher.op = MatchOp::NotRegex;
                r.advance(2);
            } else if (r.starts_with("!=")) {
                matcher.op = MatchOp::NotEqual;
                r.advance(2);
            } else if (r.starts_with("=")) {
                r.advance();
            } else {
                return r.at("expected =, !=, =~ or !~ after label '" + matcher.label + "'");
            }
            r.skip_spaces();
            if (auto error = r.string(matcher.value)) {
                return error;
            }
            if (auto error = compile(matcher)) {
                return error;
            }
            out.matchers_.push_back(std::move(matcher));
            r.skip_spaces();
            if (r.peek() == ',') {
                r.advance();
            } else if (r.peek() != '}') {
                return r.at("expected ',' or '}'");
            }
        }
        r.skip_spaces();
    }
    if (!r.at_end()) {
        return r.at("unexpected '" + std::string(1, r.peek()) + "'");
    }
    if (out.matchers_.empty()) {
        return std::string("the selector matches every series; name a metric or add a matcher");
    }
    return std::nullopt;
}

bool Selector::matches(std::string_view name, const Labels& labels) const {
    for (const auto& matcher : matchers_) {
        std::string_view value;
        if (matcher.label == kNameLabel) {
            value = name;
        } else {
            for (const auto& [label, label_value] : labels) {
                if (label == matcher.label) {
                    value = label_value;
                    break;
                }
            }
        }
        if (!matcher.matches(value)) {
            return false;
        }
    }
    return true;
}

}  // namespace tocsin::exposition
