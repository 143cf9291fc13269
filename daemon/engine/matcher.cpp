#include "engine/matcher.hpp"

#include "engine/yaml_util.hpp"

#include <algorithm>
#include <cctype>

namespace tocsin::engine {
namespace {

constexpr const char* kExample = "write e.g. team=\"growth\" or severity=~\"warn|crit\"";

bool is_name_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

bool is_label_name(std::string_view s) {
    return !s.empty() && is_name_start(s.front()) && std::all_of(s.begin(), s.end(), is_name_char);
}

bool is_regex_op(MatchOp op) {
    return op == MatchOp::Regex || op == MatchOp::NotRegex;
}

void skip_space(std::string_view text, std::size_t& i) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) {
        ++i;
    }
}

/// A quoted value starting at text[i] == '"'; advances `i` past the closing quote.
std::optional<std::string> quoted(std::string_view text, std::size_t& i, std::string& why) {
    std::string out;
    for (++i; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') {
            ++i;
            return out;
        }
        if (c == '\\' && i + 1 < text.size()) {
            const char next = text[++i];
            out += next == 'n' ? '\n' : next;
            continue;
        }
        out += c;
    }
    why = "the value in '" + std::string(text) + "' has no closing quote; " + kExample;
    return std::nullopt;
}

std::string quote(const std::string& value) {
    std::string out = "\"";
    for (const char c : value) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out + "\"";
}

/// Splits at commas outside double quotes.
std::vector<std::string_view> split_list(std::string_view text) {
    std::vector<std::string_view> out;
    bool in_quotes = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (in_quotes && text[i] == '\\') {
            ++i;
        } else if (text[i] == '"') {
            in_quotes = !in_quotes;
        } else if (!in_quotes && text[i] == ',') {
            out.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    out.push_back(text.substr(start));
    return out;
}

}  // namespace

std::string_view to_string(MatchOp op) {
    switch (op) {
        case MatchOp::Equal:
            return "=";
        case MatchOp::NotEqual:
            return "!=";
        case MatchOp::Regex:
            return "=~";
        case MatchOp::NotRegex:
            return "!~";
    }
    return "=";
}

std::optional<Matcher> Matcher::make(std::string name,
                                     MatchOp op,
                                     std::string value,
                                     std::string& why) {
    Matcher m{std::move(name), op, std::move(value), std::nullopt};
    if (is_regex_op(op)) {
        std::string problem;
        m.regex = exposition::Regex::compile(m.value, problem);
        if (!m.regex) {
            why = "'" + m.value + "' is not a valid regular expression: " + problem;
            return std::nullopt;
        }
    }
    return m;
}

Matcher Matcher::compile(const LabelMatcher& lm) {
    std::string why;
    if (auto m = make(lm.name, lm.op, lm.value, why)) {
        return std::move(*m);
    }
    // The loader rejects invalid patterns; should one get through, the matcher never holds
    // (=~) or always holds (!~) instead of crashing.
    return Matcher{lm.name, lm.op, lm.value, std::nullopt};
}

bool Matcher::matches(const Labels& labels) const {
    const auto it = labels.find(name);
    static const std::string kEmpty;
    const std::string& actual = it == labels.end() ? kEmpty : it->second;
    switch (op) {
        case MatchOp::Equal:
            return actual == value;
        case MatchOp::NotEqual:
            return actual != value;
        case MatchOp::Regex:
            // Anchored at both ends, as Alertmanager does. A match that gave up holds for
            // neither operator.
            return regex && regex->match(actual) == exposition::RegexMatch::Match;
        case MatchOp::NotRegex:
            return !regex || regex->match(actual) == exposition::RegexMatch::NoMatch;
    }
    return false;
}

std::string Matcher::to_string() const {
    return name + std::string(engine::to_string(op)) + quote(value);
}

bool matches_all(const std::vector<Matcher>& matchers, const Labels& labels) {
    return std::all_of(
        matchers.begin(), matchers.end(), [&](const Matcher& m) { return m.matches(labels); });
}

std::optional<Matcher> parse_matcher(std::string_view text, std::string& why) {
    std::size_t i = 0;
    skip_space(text, i);
    const std::size_t name_start = i;
    while (i < text.size() && is_name_char(text[i])) {
        ++i;
    }
    const std::string name(text.substr(name_start, i - name_start));
    skip_space(text, i);
    MatchOp op = MatchOp::Equal;
    const std::string_view rest = text.substr(i);
    if (rest.rfind("!=", 0) == 0) {
        op = MatchOp::NotEqual;
        i += 2;
    } else if (rest.rfind("!~", 0) == 0) {
        op = MatchOp::NotRegex;
        i += 2;
    } else if (rest.rfind("=~", 0) == 0) {
        op = MatchOp::Regex;
        i += 2;
    } else if (rest.rfind('=', 0) == 0) {
        i += 1;
    } else {
        why = "'" + std::string(text) + "' is not a label matcher (operators: =, !=, =~, !~); " +
              kExample;
        return std::nullopt;
    }
    if (!is_label_name(name)) {
        why = "'" + name + "' is not a label name (letters, digits and _, not starting with a " +
              "digit); " + kExample;
        return std::nullopt;
    }
    skip_space(text, i);
    std::string value;
    if (i < text.size() && text[i] == '"') {
        auto v = quoted(text, i, why);
        if (!v) {
            return std::nullopt;
        }
        value = std::move(*v);
        skip_space(text, i);
        if (i != text.size()) {
            why = "unexpected text after the quoted value in '" + std::string(text) + "'; " +
                  kExample;
            return std::nullopt;
        }
    } else {
        std::string_view bare = text.substr(i);
        while (!bare.empty() && std::isspace(static_cast<unsigned char>(bare.back()))) {
            bare.remove_suffix(1);
        }
        value = bare;
    }
    return Matcher::make(name, op, std::move(value), why);
}

std::optional<std::vector<Matcher>> parse_matcher_list(std::string_view text, std::string& why) {
    std::size_t i = 0;
    skip_space(text, i);
    text.remove_prefix(i);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
    }
    if (!text.empty() && text.front() == '{') {
        if (text.back() != '}') {
            why = "'" + std::string(text) + "' has no closing '}'; " + kExample;
            return std::nullopt;
        }
        text = text.substr(1, text.size() - 2);
    }
    std::vector<Matcher> out;
    if (text.find_first_not_of(" \t") == std::string_view::npos) {
        return out;
    }
    for (const std::string_view item : split_list(text)) {
        auto m = parse_matcher(item, why);
        if (!m) {
            return std::nullopt;
        }
        out.push_back(std::move(*m));
    }
    return out;
}

std::optional<std::vector<Matcher>> matchers_from_map(const Labels& map,
                                                      MatchOp op,
                                                      std::string& why) {
    std::vector<Matcher> out;
    for (const auto& [name, value] : map) {
        if (!is_label_name(name)) {
            why = "'" + name + "' is not a label name (letters, digits and _, not starting with " +
                  "a digit)";
            return std::nullopt;
        }
        auto m = Matcher::make(name, op, value, why);
        if (!m) {
            return std::nullopt;
        }
        out.push_back(std::move(*m));
    }
    return out;
}

std::optional<std::vector<Matcher>> parse_matchers(yaml::Reader& reader,
                                                   const yaml::Field& field,
                                                   const std::string& path) {
    const int errors_before = reader.diags().error_count();
    std::vector<Matcher> out;
    if (field.node.IsMap()) {
        const auto fields = reader.fields(field.node, field.loc, path);
        for (const yaml::Field& f : fields.value_or(std::vector<yaml::Field>{})) {
            const std::string key_path = yaml::join_path(path, f.key);
            const auto value = reader.literal(f, key_path);
            if (!value) {
                continue;
            }
            std::string why;
            if (!is_label_name(f.key)) {
                reader.error(f.key_loc,
                             key_path,
                             "'" + f.key +
                                 "' is not a label name (letters, digits and _, not starting "
                                 "with a digit)");
            } else if (auto m = Matcher::make(f.key, MatchOp::Equal, *value, why)) {
                out.push_back(std::move(*m));
            }
        }
    } else if (const auto items = reader.string_list(field, path)) {
        for (const auto& [text, loc] : *items) {
            std::string why;
            if (auto m = parse_matcher(text, why)) {
                out.push_back(std::move(*m));
            } else {
                reader.error(loc, path, why);
            }
        }
    }
    if (reader.diags().error_count() != errors_before) {
        return std::nullopt;
    }
    return out;
}

}  // namespace tocsin::engine
