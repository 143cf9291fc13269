#include "engine/template.hpp"

#include "engine/alert.hpp"
#include "engine/format.hpp"
#include "engine/lua_check.hpp"
#include "engine/model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace tocsin::engine {
namespace {

constexpr std::array<const char*, 8> kNames{
    "value", "threshold", "target", "severity", "kpi", "alert", "since", "unit"};
constexpr std::array<const char*, 3> kHelpers{"pct", "num", "dur"};
constexpr const char* kAllowedNames =
    "value, threshold, target, severity, kpi, alert, since, unit, labels.<name>";

bool is_numeric_name(const std::string& name) {
    return name == "value" || name == "threshold" || name == "target";
}

bool is_ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_ident_char(char c) {
    return is_ident_start(c) || (c >= '0' && c <= '9');
}
bool is_space(char c) {
    return c == ' ' || c == '\t';
}

std::optional<double> numeric(const std::string& name, const TemplateContext& ctx) {
    if (name == "value") {
        return ctx.value;
    }
    if (name == "threshold") {
        return ctx.threshold;
    }
    return ctx.target;
}

// Turns an offset into `text` into a file position, given where the text starts.
SourceLoc position(const std::string& text, std::size_t offset, const SourceLoc& start) {
    SourceLoc loc = start;
    const std::size_t last_newline = text.rfind('\n', offset == 0 ? 0 : offset - 1);
    if (offset == 0 || last_newline == std::string::npos) {
        loc.col = start.col + static_cast<int>(offset);
        return loc;
    }
    int lines = 0;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++lines;
        }
    }
    loc.line = start.line + lines;
    loc.col = start.col + static_cast<int>(offset - last_newline - 1);
    return loc;
}

std::vector<std::string> to_vector(const auto& names) {
    return std::vector<std::string>(names.begin(), names.end());
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
    const std::string best = closest_match(word, candidates);
    return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

/// Parses one `{{ ... }}` body; `body_start` is the offset of the body in the whole text.
class ExprParser {
public:
    ExprParser(const std::string& text,
               std::size_t body_start,
               std::size_t body_end,
               const SourceLoc& loc,
               const std::string& path,
               Diagnostics& diags)
        : text_(text), pos_(body_start), end_(body_end), loc_(loc), path_(path), diags_(diags) {}

    std::optional<Template::Part> parse(std::size_t open_offset) {
        skip_space();
        if (pos_ == end_) {
            fail(open_offset, "empty expression; write a name such as {{ value }}");
            return std::nullopt;
        }
        const std::size_t first_start = pos_;
        auto first = ident();
        if (!first) {
            return syntax_error();
        }
        skip_space();
        Template::Part part;
        part.is_expr = true;
        if (pos_ < end_ && text_[pos_] == '(') {
            if (first->find('.') != std::string::npos || !is_helper(*first)) {
                fail(first_start,
                     "unknown helper '" + *first + "'" + did_you_mean(*first, to_vector(kHelpers)) +
                         "; allowed: pct, num, dur");
                return std::nullopt;
            }
            ++pos_;
            skip_space();
            const std::size_t arg_start = pos_;
            auto arg = ident();
            if (!arg) {
                return syntax_error();
            }
            skip_space();
            if (pos_ >= end_ || text_[pos_] != ')') {
                return syntax_error();
            }
            ++pos_;
            skip_space();
            if (pos_ != end_) {
                return syntax_error();
            }
            if (!check_name(*arg, arg_start)) {
                return std::nullopt;
            }
            if (!is_numeric_name(*arg)) {
                fail(arg_start, *first + "() takes value, threshold or target, not '" + *arg + "'");
                return std::nullopt;
            }
            part.helper = *first;
            part.text = *arg;
            return part;
        }
        if (pos_ != end_) {
            return syntax_error();
        }
        if (!check_name(*first, first_start)) {
            return std::nullopt;
        }
        part.text = *first;
        return part;
    }

private:
    static bool is_helper(const std::string& name) {
        for (const char* h : kHelpers) {
            if (name == h) {
                return true;
            }
        }
        return false;
    }

    bool check_name(const std::string& name, std::size_t at) {
        if (name.rfind("labels", 0) == 0 && (name.size() == 6 || name[6] == '.')) {
            if (name.size() <= 7) {
                fail(at, "'labels' needs a label name; write e.g. labels.team");
                return false;
            }
            if (name.find('.', 7) != std::string::npos) {
                fail(at, "label names have no dots; write e.g. labels.team");
                return false;
            }
            return true;
        }
        for (const char* n : kNames) {
            if (name == n) {
                return true;
            }
        }
        fail(at,
             "unknown name '" + name + "'" + did_you_mean(name, to_vector(kNames)) +
                 "; allowed: " + kAllowedNames);
        return false;
    }

    std::optional<std::string> ident() {
        if (pos_ >= end_ || !is_ident_start(text_[pos_])) {
            return std::nullopt;
        }
        const std::size_t start = pos_;
        while (pos_ < end_ && (is_ident_char(text_[pos_]) || text_[pos_] == '.')) {
            ++pos_;
        }
        return text_.substr(start, pos_ - start);
    }

    std::optional<Template::Part> syntax_error() {
        fail(pos_,
             "cannot read this expression; write a name, labels.<name> or a helper call like "
             "pct(value)");
        return std::nullopt;
    }

    void skip_space() {
        while (pos_ < end_ && is_space(text_[pos_])) {
            ++pos_;
        }
    }

    void fail(std::size_t offset, std::string message) {
        diags_.error(position(text_, offset, loc_), path_, std::move(message));
    }

    const std::string& text_;
    std::size_t pos_;
    std::size_t end_;
    const SourceLoc& loc_;
    const std::string& path_;
    Diagnostics& diags_;
};

/// Whether `body` has the old fixed form's shape (a name, or a helper applied to a name): those
/// keep the old parser's messages when they are wrong.
bool looks_simple(std::string_view body) {
    return std::all_of(body.begin(), body.end(), [](char c) {
        return is_ident_char(c) || c == '.' || c == '(' || c == ')' || is_space(c);
    });
}

/// Whether every name in a simple-looking body belongs to the old fixed form: then the old
/// parser's message (e.g. "pct() takes value, threshold or target") is the one to show.
bool only_old_names(const std::string& body) {
    std::size_t i = 0;
    while (i < body.size()) {
        if (!is_ident_start(body[i])) {
            ++i;
            continue;
        }
        const std::size_t start = i;
        while (i < body.size() && (is_ident_char(body[i]) || body[i] == '.')) {
            ++i;
        }
        const std::string name = body.substr(start, i - start);
        const bool old = name.rfind("labels", 0) == 0 ||
                         std::find(kNames.begin(), kNames.end(), name) != kNames.end() ||
                         std::find(kHelpers.begin(), kHelpers.end(), name) != kHelpers.end();
        if (!old) {
            return false;
        }
    }
    return true;
}

std::optional<Template::Part> parse_expression(const std::string& text,
                                               std::size_t open,
                                               std::size_t close,
                                               const SourceLoc& loc,
                                               const std::string& path,
                                               Diagnostics& diags) {
    const std::string body = text.substr(open + 2, close - open - 2);
    Diagnostics old_diags;
    ExprParser parser(text, open + 2, close, loc, path, old_diags);
    if (auto part = parser.parse(open)) {
        return part;
    }
    const auto first = body.find_first_not_of(" \t");
    const bool blank = first == std::string::npos;
    const bool bare_labels =
        !blank && body.substr(first, body.find_last_not_of(" \t") - first + 1) == "labels";
    auto code = std::make_shared<LuaCode>();
    code->source = body;
    code->loc = position(text, open + 2, loc);
    code->path = path;
    code->expression = true;
    if (blank || bare_labels) {
        diags.append(old_diags);
        return std::nullopt;
    }
    if (looks_simple(body) && only_old_names(body)) {
        diags.append(old_diags);
        return std::nullopt;
    }
    if (looks_simple(body)) {
        Diagnostics lua_diags;
        lua::analyze(*code, lua_diags);
        if (lua_diags.has_errors()) {
            diags.append(old_diags);
            return std::nullopt;
        }
    } else {
        const int before = diags.error_count();
        lua::analyze(*code, diags);
        if (diags.error_count() > before) {
            return std::nullopt;
        }
    }
    Template::Part part;
    part.is_expr = true;
    part.lua = std::move(code);
    return part;
}

}  // namespace

const std::string& Template::source() const {
    static const std::string kNone;
    return data_ ? data_->source : kNone;
}

bool Template::has_lua() const {
    return !empty() && std::any_of(data_->parts.begin(), data_->parts.end(), [](const Part& p) {
        return p.lua != nullptr;
    });
}

std::vector<const LuaCode*> Template::lua_parts() const {
    std::vector<const LuaCode*> out;
    if (empty()) {
        return out;
    }
    for (const Part& p : data_->parts) {
        if (p.lua) {
            out.push_back(p.lua.get());
        }
    }
    return out;
}

Template Template::parse(const std::string& text,
                         const SourceLoc& loc,
                         const std::string& path,
                         Diagnostics& diags) {
    Data t;
    t.source = text;
    std::string literal;
    bool ok = true;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t open = text.find("{{", pos);
        const std::size_t stray = text.find("}}", pos);
        if (stray != std::string::npos && (open == std::string::npos || stray < open)) {
            diags.error(position(text, stray, loc),
                        path,
                        "'}}' without '{{'; remove it or start an expression with '{{'");
            ok = false;
            pos = stray + 2;
            continue;
        }
        if (open == std::string::npos) {
            literal += text.substr(pos);
            break;
        }
        literal += text.substr(pos, open - pos);
        const std::size_t close = text.find("}}", open + 2);
        if (close == std::string::npos) {
            diags.error(position(text, open, loc),
                        path,
                        "'{{' is not closed; end the expression with '}}'");
            ok = false;
            break;
        }
        if (auto part = parse_expression(text, open, close, loc, path, diags)) {
            if (!literal.empty()) {
                t.parts.push_back(Part{false, std::move(literal), "", nullptr});
                literal.clear();
            }
            t.parts.push_back(std::move(*part));
        } else {
            ok = false;
        }
        pos = close + 2;
    }
    if (!literal.empty()) {
        t.parts.push_back(Part{false, std::move(literal), "", nullptr});
    }
    if (!ok) {
        // A broken template is never rendered: the load fails as a whole.
        t.parts.clear();
    }
    Template out;
    if (!t.source.empty()) {
        out.data_ = std::make_shared<const Data>(std::move(t));
    }
    return out;
}

std::string Template::render(const TemplateContext& ctx) const {
    std::string out;
    if (empty()) {
        return out;
    }
    for (const Part& part : data_->parts) {
        if (!part.is_expr) {
            out += part.text;
            continue;
        }
        if (part.lua) {
            out +=
                ctx.lua != nullptr ? ctx.lua->eval(*part.lua, ctx) : "{{" + part.lua->source + "}}";
            continue;
        }
        const std::string& name = part.text;
        if (is_numeric_name(name)) {
            const auto v = numeric(name, ctx);
            if (!v) {
                continue;
            }
            if (part.helper == "pct") {
                out += format_pct(*v);
            } else if (part.helper == "num") {
                out += format_num(*v);
            } else if (part.helper == "dur") {
                out += format_dur(*v);
            } else {
                out += format_by_unit(*v, ctx.unit);
            }
        } else if (name == "severity") {
            out += to_string(ctx.severity);
        } else if (name == "kpi") {
            out += ctx.kpi;
        } else if (name == "alert") {
            out += ctx.alert;
        } else if (name == "since") {
            out += format_rfc3339(ctx.since);
        } else if (name == "unit") {
            out += unit_name(ctx.unit);
        } else if (name.rfind("labels.", 0) == 0 && ctx.labels != nullptr) {
            const auto it = ctx.labels->find(name.substr(7));
            if (it != ctx.labels->end()) {
                out += it->second;
            }
        }
    }
    return out;
}

}  // namespace tocsin::engine
