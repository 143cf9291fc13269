#include "engine/lua_sandbox.hpp"

#include "engine/format.hpp"
#include "engine/lua_check.hpp"
#include "engine/lua_sandbox_access.hpp"

#include <lua.hpp>

#include <cstdlib>
#include <cstring>

// How the sandbox is built (see the header for the rules it enforces):
// - Stack slot 1 of the main thread holds the context table, slot 2 the message handler; calls
//   run above them. The context table is the __index of every environment, and the allowlist is
//   the __index of the context table, so `value` is two raw table lookups and no call.
// - Environments and library tables carry `__metatable = false`: getmetatable() cannot reach
//   the shared tables behind them, and setmetatable() on them fails. rawset is not offered.
// - The count hook ticks every kTick instructions. Once a call is over budget it raises at every
//   tick, and the sandbox's pcall/xpcall re-raise while the call is aborting.
namespace tocsin::engine {
namespace {

constexpr int kTick = 1000;
constexpr int kCtxIndex = 1;
constexpr int kHandlerIndex = 2;
constexpr const char* kChunkPrefix = "lua#";

// The error object kpi() raises when an input has no value yet: not an error of the rule.
int missing_tag = 0;

}  // namespace

using Access = LuaSandbox::Access;

LuaSandbox* Access::of(lua_State* L) {
    return *static_cast<LuaSandbox**>(lua_getextraspace(L));
}

void* Access::alloc(void* ud, void* ptr, std::size_t osize, std::size_t nsize) {
    auto* s = static_cast<LuaSandbox*>(ud);
    const std::size_t old = ptr != nullptr ? osize : 0;
    if (nsize == 0) {
        std::free(ptr);
        s->used_ -= old;
        return nullptr;
    }
    if (s->in_call_ && nsize > old && s->used_ + (nsize - old) > s->cap_) {
        if (!s->aborting_) {
            s->aborting_ = true;
            s->abort_message_ = "memory limit of " + std::to_string(s->limits_.memory >> 20) +
                                " MiB per call exceeded";
        }
        return nullptr;
    }
    void* p = std::realloc(ptr, nsize);
    if (p != nullptr) {
        s->used_ = s->used_ - old + nsize;
    }
    return p;
}

void Access::hook(lua_State* L, lua_Debug* ar) {
    LuaSandbox* s = of(L);
    if (!s->in_call_) {
        return;
    }
    // No C++ object may be alive across luaL_error: Lua is C and unwinds with longjmp.
    if (!s->aborting_) {
        ++s->ticks_;
        const auto now = std::chrono::steady_clock::now();
        if (s->ticks_ == 1) {
            s->started_ = now;
        }
        if (s->ticks_ * kTick > s->limits_.instructions) {
            s->abort_message_ = "instruction budget of " + std::to_string(s->limits_.instructions) +
                                " per call exceeded (endless loop?)";
            s->aborting_ = true;
        } else if (now - s->started_ > s->limits_.time) {
            s->abort_message_ = "time budget of " + std::to_string(s->limits_.time.count()) +
                                "ms per call exceeded";
            s->aborting_ = true;
        }
        if (s->aborting_) {
            s->note_abort_line(L, ar);
        }
    }
    if (s->aborting_) {
        luaL_error(L, "%s", s->abort_message_.c_str());
    }
}

bool Access::aborting(lua_State* L) {
    return of(L)->aborting_;
}

void Access::raise_missing(lua_State* L) {
    lua_pushlightuserdata(L, &missing_tag);
    lua_error(L);
    std::abort();  // lua_error never returns; this tells the compiler so
}

const LuaContext& Access::ctx(lua_State* L) {
    return *of(L)->ctx_;
}

const LuaLimits& Access::limits(lua_State* L) {
    return of(L)->limits_;
}

namespace {

/// pcall that cannot swallow a budget, memory or missing-input error.
int safe_pcall(lua_State* L) {
    luaL_checkany(L, 1);
    const int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    if (status != LUA_OK) {
        if (Access::aborting(L) || status == LUA_ERRMEM || lua_touserdata(L, -1) == &missing_tag) {
            return lua_error(L);
        }
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    return lua_gettop(L);
}

/// xpcall with the same rule. The handler runs after the stack has unwound, not as Lua's
/// message handler: an error raised by the count hook leaves hooks off until the unwinding
/// ends, so a handler run inside it could loop forever unchecked.
int safe_xpcall(lua_State* L) {
    const int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 1);
    for (int i = 3; i <= n; ++i) {
        lua_pushvalue(L, i);
    }
    const int status = lua_pcall(L, n - 2, LUA_MULTRET, 0);
    const auto rethrow = [&](int st) {
        return Access::aborting(L) || st == LUA_ERRMEM || lua_touserdata(L, -1) == &missing_tag;
    };
    if (status == LUA_OK) {
        const int results = lua_gettop(L) - n;
        lua_pushboolean(L, 1);
        lua_insert(L, n + 1);
        return results + 1;  // a C function returns the values on top of its stack
    }
    if (rethrow(status)) {
        return lua_error(L);
    }
    lua_pushvalue(L, 2);
    lua_insert(L, -2);
    const int handled = lua_pcall(L, 1, 1, 0);
    if (handled != LUA_OK && rethrow(handled)) {
        return lua_error(L);
    }
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

/// Refuses pattern calls whose cost could explode. Lua's matcher backtracks in C, where the
/// count hook never runs, so the cap has to come first: subject and pattern lengths, and the
/// subject length raised to the number of repetition items (each can make the matcher retry
/// every position) must stay under about 10^8 steps.
int capped_pattern(lua_State* L) {
    std::size_t subject_len = 0;
    std::size_t pattern_len = 0;
    luaL_checklstring(L, 1, &subject_len);
    const char* pattern = luaL_checklstring(L, 2, &pattern_len);
    const LuaLimits& limits = Access::limits(L);
    const char* fn = lua_tostring(L, lua_upvalueindex(2));
    if (subject_len > limits.max_subject) {
        return luaL_error(L,
                          "string.%s: subject of %d bytes is longer than the cap of %d",
                          fn,
                          static_cast<int>(subject_len),
                          static_cast<int>(limits.max_subject));
    }
    if (pattern_len > limits.max_pattern) {
        return luaL_error(L,
                          "string.%s: pattern of %d bytes is longer than the cap of %d",
                          fn,
                          static_cast<int>(pattern_len),
                          static_cast<int>(limits.max_pattern));
    }
    int repeats = 0;
    for (std::size_t i = 0; i < pattern_len; ++i) {
        if (pattern[i] == '%') {
            ++i;
        } else if (pattern[i] == '*' || pattern[i] == '+' || pattern[i] == '-') {
            ++repeats;
        }
    }
    double steps = static_cast<double>(subject_len) + 1;
    for (int r = 0; r < repeats && steps <= 1e8; ++r) {
        steps *= static_cast<double>(subject_len) + 1;
    }
    if (steps > 1e8) {
        return luaL_error(L,
                          "string.%s: a pattern with %d repetition items on a %d-byte string is "
                          "too costly; use a shorter string or fewer '*', '+', '-' items",
                          fn,
                          repeats,
                          static_cast<int>(subject_len));
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

int capped_rep(lua_State* L) {
    std::size_t len = 0;
    luaL_checklstring(L, 1, &len);
    const lua_Integer n = luaL_checkinteger(L, 2);
    std::size_t sep = 0;
    if (lua_type(L, 3) == LUA_TSTRING) {
        lua_tolstring(L, 3, &sep);
    }
    const double total = static_cast<double>(n) * static_cast<double>(len + sep);
    if (total > static_cast<double>(Access::limits(L).max_string)) {
        return luaL_error(L,
                          "string.rep: result of %f bytes is longer than the cap of %d",
                          static_cast<lua_Number>(total),
                          static_cast<int>(Access::limits(L).max_string));
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

int refuse_write(lua_State* L) {
    const char* key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
    return luaL_error(L,
                      "assignment to global '%s' is refused (rules share no globals); declare it "
                      "local",
                      key);
}

int refuse_table_write(lua_State* L) {
    const char* key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
    return luaL_error(L, "'%s' is in a read-only table of the sandbox", key);
}

/// Turns the error into "lua#<id>:<line>: text" naming the innermost rule or module line, so
/// call() can map it to a YAML position whichever C function raised it. Plain C calls only: an
/// allocation failure here unwinds with longjmp.
int message_handler(lua_State* L) {
    if (lua_touserdata(L, 1) == &missing_tag) {
        return 1;
    }
    const char* text = lua_tostring(L, 1);
    if (text == nullptr) {
        text = "error object is not a string";
    }
    if (std::strncmp(text, kChunkPrefix, std::strlen(kChunkPrefix)) == 0) {
        lua_pushstring(L, text);  // Lua or luaL_error already named the innermost line
        return 1;
    }
    lua_Debug ar;
    for (int level = 0; lua_getstack(L, level, &ar) != 0; ++level) {
        if (lua_getinfo(L, "Sl", &ar) == 0 || ar.currentline <= 0 || ar.source[0] != '=' ||
            std::strncmp(ar.source + 1, kChunkPrefix, std::strlen(kChunkPrefix)) != 0) {
            continue;
        }
        lua_pushfstring(L, "%s:%d: %s", ar.source + 1, ar.currentline, text);
        return 1;
    }
    lua_pushstring(L, text);
    return 1;
}

/// A read-only view of `table` (at the top of the stack), replacing it there.
void make_read_only(lua_State* L) {
    lua_newtable(L);       // proxy
    lua_newtable(L);       // its metatable
    lua_pushvalue(L, -3);  // the table
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, refuse_table_write);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_remove(L, -2);
}

// Copies the listed fields of the table at `from` into the table at the top of the stack.
void copy_fields(lua_State* L, int from, std::initializer_list<const char*> names) {
    from = lua_absindex(L, from);
    for (const char* name : names) {
        lua_getfield(L, from, name);
        lua_setfield(L, -2, name);
    }
}

}  // namespace

LuaSandbox::LuaSandbox(LuaLimits limits) : limits_(limits) {
    L_ = lua_newstate(&Access::alloc, this);
    if (L_ == nullptr) {
        throw std::bad_alloc();
    }
    *static_cast<LuaSandbox**>(lua_getextraspace(L_)) = this;
    lua_gc(L_, LUA_GCGEN, 0, 0);  // many small short-lived values per call: generational fits
    open_allowlist();
    lua_sethook(L_, &Access::hook, LUA_MASKCOUNT, kTick);
}

LuaSandbox::~LuaSandbox() {
    lua_close(L_);
}

void LuaSandbox::open_allowlist() {
    lua_State* L = L_;
    lua_settop(L, 0);
    lua_newtable(L);                        // 1: the context table
    lua_pushcfunction(L, message_handler);  // 2

    luaL_requiref(L, "_G", luaopen_base, 1);
    const int base = lua_gettop(L);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
    const int str = lua_gettop(L);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 0);
    const int tab = lua_gettop(L);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 0);
    const int math = lua_gettop(L);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 0);
    const int utf8 = lua_gettop(L);
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
    const int os = lua_gettop(L);

    lua_newtable(L);  // the allowlist
    const int allow = lua_gettop(L);
    copy_fields(L,
                base,
                {"assert",
                 "error",
                 "ipairs",
                 "next",
                 "pairs",
                 "select",
                 "tonumber",
                 "tostring",
                 "type",
                 "rawequal",
                 "rawget",
                 "rawlen",
                 "setmetatable",
                 "getmetatable",
                 "_VERSION"});
    lua_pushcfunction(L, safe_pcall);
    lua_setfield(L, allow, "pcall");
    lua_pushcfunction(L, safe_xpcall);
    lua_setfield(L, allow, "xpcall");
    lua_getfield(L, tab, "unpack");
    lua_setfield(L, allow, "unpack");

    // string: everything but dump, with the pattern functions and rep capped.
    lua_newtable(L);
    copy_fields(L,
                str,
                {"byte",
                 "char",
                 "format",
                 "len",
                 "lower",
                 "upper",
                 "reverse",
                 "sub",
                 "pack",
                 "packsize",
                 "unpack"});
    for (const char* name : {"find", "match", "gmatch", "gsub"}) {
        lua_getfield(L, str, name);
        lua_pushstring(L, name);
        lua_pushcclosure(L, capped_pattern, 2);
        lua_setfield(L, -2, name);
    }
    lua_getfield(L, str, "rep");
    lua_pushcclosure(L, capped_rep, 1);
    lua_setfield(L, -2, "rep");
    // Method calls on strings ("x"):rep(3) go through the string metatable: point it at the
    // capped table too, and hide it from getmetatable.
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
    make_read_only(L);
    lua_setfield(L, allow, "string");

    lua_pushvalue(L, tab);
    make_read_only(L);
    lua_setfield(L, allow, "table");
    lua_pushvalue(L, math);
    make_read_only(L);
    lua_setfield(L, allow, "math");
    lua_pushvalue(L, utf8);
    make_read_only(L);
    lua_setfield(L, allow, "utf8");
    lua_newtable(L);
    copy_fields(L, os, {"time", "date", "clock"});
    make_read_only(L);
    lua_setfield(L, allow, "os");

    Access::register_helpers(L, allow);

    // The context table's metatable: misses go to the allowlist.
    lua_newtable(L);
    lua_pushvalue(L, allow);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, kCtxIndex);

    // Every environment's metatable: reads go to the context, writes are refused.
    lua_newtable(L);
    lua_pushvalue(L, kCtxIndex);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, refuse_write);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    env_meta_ = luaL_ref(L, LUA_REGISTRYINDEX);

    lua_newtable(L);
    modules_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);

    lua_settop(L, kHandlerIndex);
    lua_gc(L, LUA_GCCOLLECT);
}

int LuaSandbox::compile(const LuaCode& code, std::string& error) {
    lua_State* L = L_;
    const int id = static_cast<int>(chunks_.size());
    const std::string name = std::string("=") + kChunkPrefix + std::to_string(id);
    const std::string text = code.expression ? "return " + code.source : code.source;
    if (luaL_loadbufferx(L, text.data(), text.size(), name.c_str(), "t") != LUA_OK) {
        const char* msg = lua_tostring(L, -1);
        auto [line, what] = lua::split_message(msg != nullptr ? msg : "", name.substr(1));
        const SourceLoc at = lua::line_loc(code, std::max(line, 1));
        error = at.file + ":" + std::to_string(at.line) + ":" + std::to_string(at.col) + ": " +
                code.path + ": Lua: " + what;
        lua_settop(L, kHandlerIndex);
        return -1;
    }
    // Its own environment: an empty table over the shared (read-only) context and allowlist.
    lua_createtable(L, 0, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, env_meta_);
    lua_setmetatable(L, -2);
    lua_setupvalue(L, -2, 1);
    refs_.push_back(luaL_ref(L, LUA_REGISTRYINDEX));
    chunks_.push_back(&code);
    return id;
}

void LuaSandbox::set_context(const LuaContext& ctx) {
    lua_State* L = L_;
    Shadow& s = shadow_;
    const auto set_number =
        [&](std::optional<double>& seen, const std::optional<double>& v, const char* key) {
            if (s.valid && seen == v) {
                return;
            }
            seen = v;
            if (v) {
                lua_pushnumber(L, *v);
            } else {
                lua_pushnil(L);
            }
            lua_setfield(L, kCtxIndex, key);
        };
    const auto seconds = [](TimePoint t) { return static_cast<double>(to_unix_ms(t)) / 1000.0; };
    set_number(s.value, ctx.value, "value");
    set_number(s.threshold, ctx.threshold, "threshold");
    set_number(s.target, ctx.target, "target");
    if (!s.valid || s.severity != static_cast<int>(ctx.severity)) {
        s.severity = static_cast<int>(ctx.severity);
        if (ctx.severity == Severity::None) {
            lua_pushnil(L);
        } else {
            lua_pushstring(L, to_string(ctx.severity));
        }
        lua_setfield(L, kCtxIndex, "severity");
    }
    if (!s.valid || s.since != ctx.since) {
        s.since = ctx.since;
        if (ctx.since) {
            lua_pushnumber(L, seconds(*ctx.since));
        } else {
            lua_pushnil(L);
        }
        lua_setfield(L, kCtxIndex, "since");
    }
    if (!s.valid || s.now != ctx.now) {
        s.now = ctx.now;
        lua_pushnumber(L, seconds(ctx.now));
        lua_setfield(L, kCtxIndex, "now");
    }
    const auto set_text = [&](const std::string*& seen, const std::string* v, const char* key) {
        if (s.valid && seen == v) {
            return;
        }
        seen = v;
        if (v != nullptr) {
            lua_pushlstring(L, v->data(), v->size());
        } else {
            lua_pushnil(L);
        }
        lua_setfield(L, kCtxIndex, key);
    };
    set_text(s.alert, ctx.alert, "alert");
    set_text(s.kpi, ctx.kpi, "kpi_name");
    if (!s.valid || s.unit != static_cast<int>(ctx.unit)) {
        s.unit = static_cast<int>(ctx.unit);
        lua_pushstring(L, unit_name(ctx.unit));
        lua_setfield(L, kCtxIndex, "unit");
    }
    s.valid = true;
}

LuaResult LuaSandbox::call(int chunk, LuaReturn kind, const LuaContext& ctx) {
    LuaResult out;
    lua_State* L = L_;
    ctx_ = &ctx;
    set_context(ctx);
    lua_rawgeti(L, LUA_REGISTRYINDEX, refs_[static_cast<std::size_t>(chunk)]);
    in_call_ = true;
    aborting_ = false;
    abort_chunk_ = -1;
    abort_line_ = 0;
    ticks_ = 0;
    cap_ = used_ + limits_.memory;
    const int status = lua_pcall(L, 0, LUA_MULTRET, kHandlerIndex);
    in_call_ = false;
    const bool aborted = aborting_;
    aborting_ = false;
    if (status == LUA_OK) {
        read_results(kind, kHandlerIndex + 1, out);
    } else if (lua_touserdata(L, -1) == &missing_tag && !aborted) {
        out.status = LuaResult::Status::MissingInput;
    } else {
        const char* msg = lua_tostring(L, -1);
        std::string text = msg != nullptr ? msg : "error object is not a string";
        // "lua#<id>:<line>: text" names the innermost rule or module line: map it to YAML.
        const LuaCode* code = chunks_[static_cast<std::size_t>(chunk)];
        int line = 0;
        if (text.rfind(kChunkPrefix, 0) == 0) {
            const std::size_t colon = text.find(':');
            const auto id =
                static_cast<std::size_t>(std::atoi(text.c_str() + std::strlen(kChunkPrefix)));
            if (id < chunks_.size()) {
                code = chunks_[id];
            }
            auto [l, rest] = lua::split_message(text, text.substr(0, colon));
            line = l;
            text = std::move(rest);
        } else if (aborted && abort_chunk_ >= 0) {
            code = chunks_[static_cast<std::size_t>(abort_chunk_)];
            line = abort_line_;
        }
        if (aborted || status == LUA_ERRMEM) {
            // The message may come from a handler cut short by the budget: say what happened.
            text = aborted ? abort_message_ : "out of memory";
        }
        out.where = line > 0 ? lua::line_loc(*code, line) : code->loc;
        out.status = LuaResult::Status::Error;
        out.error = std::move(text);
        out.limit = aborted || status == LUA_ERRMEM;
    }
    lua_settop(L, kHandlerIndex);
    if (aborted) {
        lua_gc(L, LUA_GCCOLLECT);
    }
    ctx_ = nullptr;
    return out;
}

void LuaSandbox::note_abort_line(lua_State* L, lua_Debug* ar) {
    if (lua_getinfo(L, "Sl", ar) == 0) {
        return;
    }
    const std::string_view source = ar->source;
    const std::string prefix = std::string("=") + kChunkPrefix;
    if (source.rfind(prefix, 0) == 0 && ar->currentline > 0) {
        abort_chunk_ = std::atoi(ar->source + prefix.size());
        abort_line_ = ar->currentline;
    }
}

void LuaSandbox::fail(LuaResult& out, const std::string& message, bool limit) {
    out.status = LuaResult::Status::Error;
    out.error = message;
    out.limit = limit;
}

void LuaSandbox::read_results(LuaReturn kind, int base, LuaResult& out) {
    lua_State* L = L_;
    const int n = lua_gettop(L) - base + 1;
    const auto describe = [&](int idx) -> std::string {
        const int t = lua_type(L, idx);
        if (t == LUA_TSTRING) {
            return "'" + std::string(lua_tostring(L, idx)) + "'";
        }
        return std::string("a ") + lua_typename(L, t);
    };
    switch (kind) {
        case LuaReturn::Condition: {
            if (n == 0 || lua_isnil(L, base)) {
                return;
            }
            const char* text = lua_type(L, base) == LUA_TSTRING ? lua_tostring(L, base) : nullptr;
            const auto sev = text != nullptr ? parse_severity(text) : std::nullopt;
            if (!sev) {
                fail(out,
                     "returned " + describe(base) +
                         "; return nothing (ok), \"warning\" or \"critical\", then an optional "
                         "message",
                     false);
                return;
            }
            out.severity = *sev;
            if (n >= 2 &&
                (lua_type(L, base + 1) == LUA_TSTRING || lua_type(L, base + 1) == LUA_TNUMBER)) {
                out.message = lua_tostring(L, base + 1);
            }
            return;
        }
        case LuaReturn::Number: {
            if (n == 0 || lua_isnil(L, base)) {
                return;
            }
            if (lua_type(L, base) != LUA_TNUMBER) {
                fail(out,
                     "returned " + describe(base) + "; return a number (or nil for none)",
                     false);
                return;
            }
            out.number = lua_tonumber(L, base);
            return;
        }
        case LuaReturn::Text: {
            if (n == 0) {
                return;
            }
            switch (lua_type(L, base)) {
                case LUA_TNIL:
                    return;
                case LUA_TNUMBER:
                    out.text = format_num(lua_tonumber(L, base));
                    return;
                case LUA_TBOOLEAN:
                    out.text = lua_toboolean(L, base) != 0 ? "true" : "false";
                    return;
                case LUA_TSTRING:
                    out.text = lua_tostring(L, base);
                    return;
                default:
                    fail(out,
                         "gave " + describe(base) + "; a template needs text or a number",
                         false);
                    return;
            }
        }
    }
}

}  // namespace tocsin::engine
