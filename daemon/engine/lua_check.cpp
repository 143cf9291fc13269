#include "engine/lua_check.hpp"

#include "engine/time.hpp"
#include "engine/yaml_util.hpp"

#include <lua.hpp>

#include <algorithm>
#include <memory>
#include <set>

namespace tocsin::engine::lua {
namespace {

const std::vector<std::string> kContext{"value",
                                        "threshold",
                                        "target",
                                        "severity",
                                        "labels",
                                        "since",
                                        "now",
                                        "alert",
                                        "kpi_name",
                                        "unit"};
const std::vector<std::string> kHistory{
    "delta", "rate", "avg", "min", "max", "stddev", "zscore", "ago", "count"};
const std::vector<std::string> kHelpers{"delta",
                                        "rate",
                                        "avg",
                                        "min",
                                        "max",
                                        "stddev",
                                        "zscore",
                                        "ago",
                                        "count",
                                        "pct",
                                        "num",
                                        "dur",
                                        "money",
                                        "kpi",
                                        "require"};
const std::vector<std::string> kLibrary{
    "assert", "error",  "ipairs",       "next",         "pairs",   "pcall",
    "xpcall", "select", "tonumber",     "tostring",     "type",    "rawequal",
    "rawget", "rawlen", "setmetatable", "getmetatable", "unpack",  "string",
    "table",  "math",   "utf8",         "os",           "_VERSION"};
const std::set<std::string_view> kKeywords{"and",   "break", "do",       "else", "elseif", "end",
                                           "false", "for",   "function", "goto", "if",     "in",
                                           "local", "nil",   "not",      "or",   "repeat", "return",
                                           "then",  "true",  "until",    "while"};

// What a name was refused as, for the message; names from removed libraries get their own hint.
const std::set<std::string_view> kRemoved{"io",
                                          "debug",
                                          "package",
                                          "load",
                                          "loadstring",
                                          "dofile",
                                          "loadfile",
                                          "collectgarbage",
                                          "rawset",
                                          "coroutine",
                                          "print",
                                          "_G",
                                          "_ENV"};

struct Token {
    enum Kind { Name, String, Number, Symbol } kind = Symbol;
    std::string text;  // the name, the symbol, or a string's contents
    std::size_t offset = 0;
};

bool ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool ident_char(char c) {
    return ident_start(c) || (c >= '0' && c <= '9');
}

// The level of a long bracket "[==[" at `pos` (>= 0), or -1 when there is none.
int long_bracket(std::string_view s, std::size_t pos) {
    if (pos >= s.size() || s[pos] != '[') {
        return -1;
    }
    std::size_t i = pos + 1;
    int level = 0;
    while (i < s.size() && s[i] == '=') {
        ++level;
        ++i;
    }
    return i < s.size() && s[i] == '[' ? level : -1;
}

/// A best-effort tokenizer: Lua itself checks the syntax; this only needs names, literal
/// strings and the symbols around them.
std::vector<Token> tokenize(std::string_view s) {
    std::vector<Token> out;
    std::size_t i = 0;
    const auto skip_long = [&](std::size_t open, int level) {
        const std::string close = "]" + std::string(static_cast<std::size_t>(level), '=') + "]";
        const std::size_t start = open + static_cast<std::size_t>(level) + 2;
        const std::size_t end = s.find(close, start);
        const std::size_t stop = end == std::string_view::npos ? s.size() : end;
        i = end == std::string_view::npos ? s.size() : end + close.size();
        return std::string(s.substr(start, stop - start));
    };
    while (i < s.size()) {
        const char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            ++i;
        } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
            const int level = long_bracket(s, i + 2);
            if (level >= 0) {
                skip_long(i + 2, level);
            } else {
                const std::size_t nl = s.find('\n', i);
                i = nl == std::string_view::npos ? s.size() : nl;
            }
        } else if (ident_start(c)) {
            const std::size_t start = i;
            while (i < s.size() && ident_char(s[i])) {
                ++i;
            }
            out.push_back(Token{Token::Name, std::string(s.substr(start, i - start)), start});
        } else if ((c >= '0' && c <= '9') ||
                   (c == '.' && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '9')) {
            const std::size_t start = i;
            while (i < s.size() &&
                   (ident_char(s[i]) || s[i] == '.' ||
                    ((s[i] == '+' || s[i] == '-') &&
                     (s[i - 1] == 'e' || s[i - 1] == 'E' || s[i - 1] == 'p' || s[i - 1] == 'P')))) {
                ++i;
            }
            out.push_back(Token{Token::Number, std::string(s.substr(start, i - start)), start});
        } else if (c == '"' || c == '\'') {
            const std::size_t start = i;
            std::string text;
            ++i;
            while (i < s.size() && s[i] != c && s[i] != '\n') {
                if (s[i] == '\\' && i + 1 < s.size()) {
                    text += s[i + 1];
                    i += 2;
                    continue;
                }
                text += s[i++];
            }
            ++i;
            out.push_back(Token{Token::String, std::move(text), start});
        } else if (const int level = long_bracket(s, i); level >= 0) {
            const std::size_t start = i;
            std::string text = skip_long(i, level);
            out.push_back(Token{Token::String, std::move(text), start});
        } else {
            static const std::vector<std::string_view> kLong{
                "...", "..", "==", "~=", "<=", ">=", "::", "//", "<<", ">>"};
            std::size_t len = 1;
            for (const auto sym : kLong) {
                if (s.substr(i, sym.size()) == sym) {
                    len = sym.size();
                    break;
                }
            }
            out.push_back(Token{Token::Symbol, std::string(s.substr(i, len)), i});
            i += len;
        }
    }
    return out;
}

bool is_sym(const std::vector<Token>& t, std::size_t i, std::string_view sym) {
    return i < t.size() && t[i].kind == Token::Symbol && t[i].text == sym;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

/// Names the chunk declares anywhere (locals, loop variables, parameters, local functions).
/// Scope is ignored on purpose: this check is about typos of helpers and context names.
std::set<std::string> declared_names(const std::vector<Token>& t) {
    std::set<std::string> names;
    const auto name_list = [&](std::size_t i) {
        while (i < t.size() && t[i].kind == Token::Name && !kKeywords.contains(t[i].text)) {
            names.insert(t[i].text);
            ++i;
            if (is_sym(t, i, "<")) {  // an attribute: local x <const>
                i += 3;
            }
            if (!is_sym(t, i, ",")) {
                break;
            }
            ++i;
        }
    };
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i].kind != Token::Name) {
            continue;
        }
        if (t[i].text == "local" && i + 1 < t.size()) {
            if (t[i + 1].text == "function" && i + 2 < t.size()) {
                names.insert(t[i + 2].text);
            } else {
                name_list(i + 1);
            }
        } else if (t[i].text == "for") {
            name_list(i + 1);
        } else if (t[i].text == "function") {
            std::size_t j = i + 1;
            while (j < t.size() && !is_sym(t, j, "(")) {
                ++j;
            }
            name_list(j + 1);
        }
    }
    return names;
}

class Checker {
public:
    Checker(LuaCode& code, Diagnostics& diags) : code_(code), diags_(diags) {}

    void run() {
        if (!syntax_ok()) {
            return;  // names in a chunk Lua cannot read would only add noise
        }
        tokens_ = tokenize(code_.source);
        declared_ = declared_names(tokens_);
        int depth = 0;  // table constructors: `{ name = 1 }` keys are not variables
        for (std::size_t i = 0; i < tokens_.size(); ++i) {
            const Token& tok = tokens_[i];
            if (tok.kind == Token::Symbol) {
                depth += tok.text == "{" ? 1 : (tok.text == "}" ? -1 : 0);
                continue;
            }
            if (tok.kind != Token::Name || kKeywords.contains(tok.text)) {
                continue;
            }
            if (i > 0 && (is_sym(tokens_, i - 1, ".") || is_sym(tokens_, i - 1, ":") ||
                          is_sym(tokens_, i - 1, "::") || tokens_[i - 1].text == "goto")) {
                continue;  // a field, a method, or a label
            }
            const bool key = depth > 0 && is_sym(tokens_, i + 1, "=") && i > 0 &&
                             (is_sym(tokens_, i - 1, "{") || is_sym(tokens_, i - 1, ",") ||
                              is_sym(tokens_, i - 1, ";"));
            if (key || declared_.contains(tok.text)) {
                continue;
            }
            check_name(i);
        }
    }

private:
    bool syntax_ok() {
        static thread_local std::unique_ptr<lua_State, void (*)(lua_State*)> state(luaL_newstate(),
                                                                                   &lua_close);
        lua_State* L = state.get();
        const std::string text = code_.expression ? "return " + code_.source : code_.source;
        const int status = luaL_loadbufferx(L, text.data(), text.size(), "=chunk", "t");
        if (status == LUA_OK) {
            lua_pop(L, 1);
            lua_gc(L, LUA_GCSTEP, 0);
            return true;
        }
        const std::string message = lua_tostring(L, -1) != nullptr ? lua_tostring(L, -1) : "";
        lua_pop(L, 1);
        auto [line, text_only] = split_message(message, "chunk");
        std::string near;
        if (text_only.find(" near <eof>") != std::string::npos) {
            near = "<eof>";
        } else if (const auto at = text_only.find(" near '"); at != std::string::npos) {
            const auto end = text_only.find('\'', at + 7);
            if (end != std::string::npos) {
                near = text_only.substr(at + 7, end - at - 7);
            }
        }
        diags_.error(line_loc(code_, std::max(line, 1), near),
                     code_.path,
                     "Lua: " + text_only + "; fix the Lua syntax");
        return false;
    }

    std::optional<std::string> literal_arg(std::size_t call, std::size_t& arg_index) {
        arg_index = call + 2;
        if (is_sym(tokens_, call + 1, "(") && arg_index < tokens_.size() &&
            tokens_[arg_index].kind == Token::String &&
            (is_sym(tokens_, arg_index + 1, ")") || is_sym(tokens_, arg_index + 1, ","))) {
            return tokens_[arg_index].text;
        }
        return std::nullopt;
    }

    void check_name(std::size_t i) {
        const std::string& name = tokens_[i].text;
        const SourceLoc at = offset_loc(code_, tokens_[i].offset);
        const bool call = is_sym(tokens_, i + 1, "(");
        if (contains(kHelpers, name)) {
            check_helper_call(i, at);
            return;
        }
        if (contains(kContext, name) || contains(kLibrary, name)) {
            return;
        }
        if (kRemoved.contains(name)) {
            diags_.error(at,
                         code_.path,
                         "'" + name +
                             "' is not available in rule Lua (sandbox); use the helpers and the "
                             "string, table, math, utf8 and os.time/date/clock libraries");
            return;
        }
        std::vector<std::string> known = call ? kHelpers : kContext;
        if (!call) {
            known.insert(known.end(), kHelpers.begin(), kHelpers.end());
        }
        known.insert(known.end(), declared_.begin(), declared_.end());
        known.insert(known.end(), kLibrary.begin(), kLibrary.end());
        const std::string hint = yaml::did_you_mean(name, known);
        if (call) {
            diags_.error(
                at,
                code_.path,
                "unknown helper '" + name + "'" + hint + "; helpers: " + yaml::join(kHelpers));
        } else {
            diags_.error(at,
                         code_.path,
                         "unknown name '" + name + "'" + hint +
                             "; use a local, a helper or one of: " + yaml::join(kContext));
        }
    }

    void check_helper_call(std::size_t i, const SourceLoc& at) {
        const std::string& name = tokens_[i].text;
        const bool call = is_sym(tokens_, i + 1, "(");
        if (is_history_helper(name)) {
            code_.uses_history = true;
        }
        if (!call) {
            return;  // passing a helper around is allowed; it is checked when called
        }
        std::size_t arg = 0;
        const auto literal = literal_arg(i, arg);
        const SourceLoc arg_loc = literal ? offset_loc(code_, tokens_[arg].offset) : at;
        if (name == "kpi" || name == "require") {
            if (!literal) {
                diags_.error(at,
                             code_.path,
                             name + "() takes a quoted name so tocsin can check it, e.g. " + name +
                                 "(\"" + (name == "kpi" ? "cac" : "scores") + "\")");
                return;
            }
            auto& refs = name == "kpi" ? code_.kpis : code_.modules;
            refs.push_back(LuaNameRef{*literal, arg_loc});
            return;
        }
        if (!is_history_helper(name) || !literal) {
            return;
        }
        const auto window = parse_duration(*literal);
        if (!window || window->count() <= 0) {
            diags_.error(arg_loc,
                         code_.path,
                         name + "(): '" + *literal +
                             "' is not a window; write a duration such as \"1h\" or \"7d\"");
            return;
        }
        code_.windows.push_back(LuaWindowUse{name, *window, arg_loc});
    }

    LuaCode& code_;
    Diagnostics& diags_;
    std::vector<Token> tokens_;
    std::set<std::string> declared_;
};

}  // namespace

const std::vector<std::string>& context_names() {
    return kContext;
}
const std::vector<std::string>& helper_names() {
    return kHelpers;
}
const std::vector<std::string>& library_names() {
    return kLibrary;
}
bool is_history_helper(std::string_view name) {
    return std::find(kHistory.begin(), kHistory.end(), name) != kHistory.end();
}

void analyze(LuaCode& code, Diagnostics& diags) {
    code.windows.clear();
    code.kpis.clear();
    code.modules.clear();
    code.uses_history = false;
    Checker(code, diags).run();
}

SourceLoc offset_loc(const LuaCode& code, std::size_t offset) {
    const std::string& text = code.source;
    offset = std::min(offset, text.size());
    SourceLoc loc = code.loc;
    const std::size_t nl = offset == 0 ? std::string::npos : text.rfind('\n', offset - 1);
    if (nl == std::string::npos) {
        loc.col += static_cast<int>(offset);
        return loc;
    }
    loc.line +=
        static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n'));
    loc.col += static_cast<int>(offset - nl - 1);
    return loc;
}

SourceLoc line_loc(const LuaCode& code, int line, std::string_view near) {
    const std::string& text = code.source;
    std::size_t start = 0;
    for (int n = 1; n < line; ++n) {
        const std::size_t nl = text.find('\n', start);
        if (nl == std::string::npos) {
            break;
        }
        start = nl + 1;
    }
    std::size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end;
    const std::string_view row = std::string_view(text).substr(start, end - start);
    std::size_t col = row.find_first_not_of(" \t");
    if (!near.empty() && near != "<eof>") {
        if (const auto at = row.find(near); at != std::string_view::npos) {
            col = at;
        }
    } else if (near == "<eof>") {
        const std::size_t last = row.find_last_not_of(" \t");
        col = last == std::string_view::npos ? 0 : last + 1;
    }
    return offset_loc(code, start + (col == std::string_view::npos ? 0 : col));
}

std::pair<int, std::string> split_message(const std::string& message, std::string_view chunk) {
    const std::string prefix = std::string(chunk) + ":";
    if (message.rfind(prefix, 0) != 0) {
        return {0, message};
    }
    std::size_t i = prefix.size();
    int line = 0;
    while (i < message.size() && message[i] >= '0' && message[i] <= '9') {
        line = line * 10 + (message[i] - '0');
        ++i;
    }
    if (i >= message.size() || message[i] != ':') {
        return {0, message};
    }
    ++i;
    if (i < message.size() && message[i] == ' ') {
        ++i;
    }
    return {line, message.substr(i)};
}

}  // namespace tocsin::engine::lua
