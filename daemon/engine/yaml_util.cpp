#include "engine/yaml_util.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace tocsin::engine::yaml {
namespace {

constexpr const char* kReferenceHint = "write ${env:NAME} or ${file:PATH}";

bool is_block_indicator(char c) {
    return c == '|' || c == '>';
}
bool is_quote(char c) {
    return c == '"' || c == '\'';
}

// yaml-cpp gives quoted scalars the non-specific tag "!" and plain ones "?".
bool is_quoted(const yaml::Node& node) {
    return node.Tag() == "!";
}

}  // namespace

std::string join_path(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + " > " + key;
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
    const std::string best = closest_match(word, candidates);
    return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

std::string join(const std::vector<std::string>& items) {
    if (items.empty()) {
        return "none";
    }
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) {
            out += ", ";
        }
        out += item;
    }
    return out;
}

std::optional<std::string> read_text_file(const std::string& path, std::string& why) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        why = std::strerror(errno);
        return std::nullopt;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) {
        why = std::strerror(errno);
        return std::nullopt;
    }
    if (std::filesystem::is_directory(path)) {
        why = "it is a directory";
        return std::nullopt;
    }
    return buffer.str();
}

Reader::Reader(std::string file, std::string base_dir, Diagnostics& diags, const EnvLookup* env)
    : file_(file), base_dir_(std::move(base_dir)), diags_(diags), env_(env) {}

std::optional<yaml::Node> Reader::load(const std::string& text) {
    diags_.sources().add(file_, text);
    if (auto fast = parse_fast(text)) {
        return fast;
    }
    try {
        return from_yaml_cpp(YAML::Load(text));
    } catch (const YAML::ParserException& e) {
        diags_.error(
            SourceLoc{file_, e.mark.line + 1, e.mark.column + 1},
            "",
            "invalid YAML: " + e.msg + "; check the indentation, colons and brackets here");
    } catch (const YAML::Exception& e) {
        diags_.error(SourceLoc{file_, 0, 0}, "", std::string("invalid YAML: ") + e.what());
    } catch (const TooLarge&) {
        diags_.error(SourceLoc{file_, 0, 0},
                     "",
                     "invalid YAML: its aliases expand to more than 2,000,000 values or 1,000 "
                     "levels; write the values out instead of repeating aliases");
    }
    return std::nullopt;
}

SourceLoc Reader::loc(const yaml::Node& node) const {
    const yaml::Mark mark = node.Mark();
    if (mark.is_null() || mark.line < 0) {
        return SourceLoc{file_, 0, 0};
    }
    return SourceLoc{file_, mark.line + 1, mark.column + 1};
}

SourceLoc Reader::text_loc(const yaml::Node& node, const SourceLoc& fallback) const {
    SourceLoc at = loc(node);
    if (at.line == 0 || !node.IsScalar()) {
        return fallback;
    }
    const std::string* line = diags_.sources().line(file_, at.line);
    const auto index = static_cast<std::size_t>(at.col - 1);
    if (line == nullptr || index >= line->size()) {
        return at;
    }
    const char first = (*line)[index];
    if (is_quote(first) && is_quoted(node)) {
        ++at.col;
    } else if (is_block_indicator(first)) {
        // The content starts on the next non-blank line, at its indentation.
        for (int n = at.line + 1;; ++n) {
            const std::string* next = diags_.sources().line(file_, n);
            if (next == nullptr) {
                break;
            }
            const auto indent = next->find_first_not_of(' ');
            if (indent != std::string::npos) {
                return SourceLoc{file_, n, static_cast<int>(indent) + 1};
            }
        }
    }
    return at;
}

void Reader::error(const SourceLoc& loc, const std::string& path, std::string message) {
    diags_.error(loc, path, std::move(message));
}

void Reader::warning(const SourceLoc& loc, const std::string& path, std::string message) {
    diags_.warning(loc, path, std::move(message));
}

std::string Reader::describe(const yaml::Node& node) const {
    switch (node.Type()) {
        case yaml::NodeType::Map:
            return "a map";
        case yaml::NodeType::Sequence:
            return "a list";
        case yaml::NodeType::Scalar:
            return "'" + node.Scalar() + "'";
        case yaml::NodeType::Null:
        case yaml::NodeType::Undefined:
            break;
    }
    return "nothing";
}

std::optional<std::vector<Field>> Reader::fields(const yaml::Node& node,
                                                 const SourceLoc& at,
                                                 const std::string& path) {
    std::vector<Field> out;
    if (node.IsNull()) {
        return out;
    }
    if (!node.IsMap()) {
        error(at, path, "expected a map of keys, got " + describe(node));
        return std::nullopt;
    }
    std::map<std::string, SourceLoc> seen;
    for (const auto& kv : node) {
        Field f;
        f.key_loc = loc(kv.first);
        if (!kv.first.IsScalar()) {
            error(f.key_loc, path, "keys must be plain names, got " + describe(kv.first));
            continue;
        }
        f.key = kv.first.Scalar();
        f.node = kv.second;
        f.loc = f.node.IsNull() ? f.key_loc : loc(f.node);
        if (const auto it = seen.find(f.key); it != seen.end()) {
            error(f.key_loc,
                  path,
                  "duplicate key '" + f.key + "'; it is first set at line " +
                      std::to_string(it->second.line));
            continue;
        }
        seen.emplace(f.key, f.key_loc);
        out.push_back(std::move(f));
    }
    return out;
}

void Reader::check_keys(const std::vector<Field>& fields,
                        const std::vector<std::string>& allowed,
                        const std::string& path) {
    for (const Field& f : fields) {
        if (std::find(allowed.begin(), allowed.end(), f.key) != allowed.end()) {
            continue;
        }
        error(f.key_loc,
              path,
              "unknown key '" + f.key + "'" + did_you_mean(f.key, allowed) +
                  "; allowed: " + join(allowed));
    }
}

std::optional<Scalar> Reader::scalar(const yaml::Node& node,
                                     const SourceLoc& at,
                                     const std::string& path,
                                     std::string_view expected) {
    if (!node.IsScalar()) {
        error(at, path, "expected " + std::string(expected) + ", got " + describe(node));
        return std::nullopt;
    }
    return expand(node.Scalar(), node, at, path);
}

std::optional<std::string> Reader::string(const Field& f, const std::string& path) {
    auto s = scalar(f.node, f.loc, path, "a string");
    if (!s) {
        return std::nullopt;
    }
    return std::move(s->text);
}

std::optional<double> Reader::number(const yaml::Node& node,
                                     const SourceLoc& at,
                                     const std::string& path) {
    const auto s = scalar(node, at, path, "a number");
    if (!s) {
        return std::nullopt;
    }
    const std::string& text = s->text;
    double value = 0;
    const char* begin = text.data();
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(begin, end, value);
    if (text.empty() || ec != std::errc{} || ptr != end || !std::isfinite(value)) {
        error(at, path, "expected a number, got '" + s->shown + "'");
        return std::nullopt;
    }
    return value;
}

std::optional<Duration> Reader::duration(const Field& f, const std::string& path) {
    const auto s = scalar(f.node, f.loc, path, "a duration");
    if (!s) {
        return std::nullopt;
    }
    const auto d = parse_duration(s->text);
    if (!d) {
        error(f.loc, path, "'" + s->shown + "' is not a duration; use e.g. 30s or 2m");
    }
    return d;
}

std::optional<std::string> Reader::literal(const Field& f, const std::string& path) {
    if (!f.node.IsScalar()) {
        error(f.loc, path, "expected a string, got " + describe(f.node));
        return std::nullopt;
    }
    return f.node.Scalar();
}

std::optional<std::vector<std::pair<std::string, SourceLoc>>> Reader::string_list(
    const Field& f, const std::string& path) {
    auto items = string_items(f, path);
    if (!items) {
        return std::nullopt;
    }
    std::vector<std::pair<std::string, SourceLoc>> out;
    for (auto& item : *items) {
        out.emplace_back(std::move(item.text), item.loc);
    }
    return out;
}

std::optional<std::vector<Reader::ListItem>> Reader::string_items(const Field& f,
                                                                  const std::string& path) {
    std::vector<ListItem> out;
    if (f.node.IsScalar()) {
        auto s = scalar(f.node, f.loc, path, "a string");
        if (!s) {
            return std::nullopt;
        }
        out.push_back(ListItem{std::move(s->text), std::move(s->shown), f.loc});
        return out;
    }
    if (!f.node.IsSequence()) {
        error(f.loc, path, "expected a list of strings, got " + describe(f.node));
        return std::nullopt;
    }
    bool ok = true;
    for (const auto& item : f.node) {
        const SourceLoc at = item.IsNull() ? f.loc : loc(item);
        auto s = scalar(item, at, path, "a string");
        if (!s) {
            ok = false;
            continue;
        }
        out.push_back(ListItem{std::move(s->text), std::move(s->shown), at});
    }
    if (!ok) {
        return std::nullopt;
    }
    return out;
}

RawValue Reader::raw(const yaml::Node& node, const SourceLoc& at, const std::string& path) {
    RawValue v;
    v.loc = at;
    switch (node.Type()) {
        case yaml::NodeType::Scalar: {
            v.kind = RawValue::Kind::Scalar;
            v.quoted = is_quoted(node);
            if (auto s = expand(node.Scalar(), node, at, path)) {
                v.scalar = std::move(s->text);
                v.secret = s->secret;
            }
            break;
        }
        case yaml::NodeType::Sequence:
            v.kind = RawValue::Kind::List;
            for (const auto& item : node) {
                v.items.push_back(raw(item, item.IsNull() ? at : loc(item), path));
            }
            break;
        case yaml::NodeType::Map:
            v.kind = RawValue::Kind::Map;
            if (auto fs = fields(node, at, path)) {
                for (Field& f : *fs) {
                    RawEntry e;
                    e.key = f.key;
                    e.key_loc = f.key_loc;
                    e.value = raw(f.node, f.loc, join_path(path, f.key));
                    v.entries.push_back(std::move(e));
                }
            }
            break;
        case yaml::NodeType::Null:
        case yaml::NodeType::Undefined:
            break;
    }
    return v;
}

std::optional<Scalar> Reader::expand(const std::string& text,
                                     const yaml::Node& node,
                                     const SourceLoc& at,
                                     const std::string& path) {
    Scalar out;
    out.shown = text;
    if (env_ == nullptr || text.find("${") == std::string::npos) {
        out.text = text;
        return out;
    }
    const SourceLoc start = text_loc(node, at);
    const bool one_line = text.find('\n') == std::string::npos;
    const auto loc_at = [&](std::size_t offset) {
        SourceLoc l = start;
        if (one_line) {
            l.col += static_cast<int>(offset);
        }
        return l;
    };
    bool ok = true;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t open = text.find("${", pos);
        if (open == std::string::npos) {
            out.text += text.substr(pos);
            break;
        }
        if (open > 0 && text[open - 1] == '$') {
            // "$${" is the escape for a literal "${".
            out.text += text.substr(pos, open - pos - 1) + "${";
            pos = open + 2;
            continue;
        }
        out.text += text.substr(pos, open - pos);
        const std::size_t close = text.find('}', open);
        if (close == std::string::npos) {
            error(loc_at(open), path, std::string("'${' is not closed; ") + kReferenceHint);
            return std::nullopt;
        }
        const std::string ref = text.substr(open + 2, close - open - 2);
        pos = close + 1;
        if (ref.rfind("env:", 0) == 0 && ref.size() > 4) {
            const std::string name = ref.substr(4);
            if (auto value = (*env_)(name)) {
                out.text += *value;
                out.secret = true;
            } else {
                error(loc_at(open),
                      path,
                      "environment variable '" + name +
                          "' is not set; set it before starting tocsin");
                ok = false;
            }
        } else if (ref.rfind("file:", 0) == 0 && ref.size() > 5) {
            std::filesystem::path file = ref.substr(5);
            if (file.is_relative() && !base_dir_.empty()) {
                file = std::filesystem::path(base_dir_) / file;
            }
            std::string why;
            if (auto content = read_text_file(file.string(), why)) {
                while (!content->empty() && (content->back() == '\n' || content->back() == '\r')) {
                    content->pop_back();
                }
                out.text += *content;
                out.secret = true;
            } else {
                error(
                    loc_at(open), path, "cannot read secret file '" + file.string() + "': " + why);
                ok = false;
            }
        } else {
            error(loc_at(open), path, "unknown reference '${" + ref + "}'; " + kReferenceHint);
            ok = false;
        }
    }
    if (!ok) {
        return std::nullopt;
    }
    return out;
}

}  // namespace tocsin::engine::yaml
