#include "engine/format.hpp"
#include "engine/lua_sandbox_access.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>

// The helpers a rule's Lua calls: history statistics computed in C++ over the series' kept
// samples, formatting, kpi() and require(). Lua is C and unwinds with longjmp, so no function
// here keeps a C++ object with a destructor alive across a call that can raise.
namespace tocsin::engine {
namespace {

using Access = LuaSandbox::Access;

constexpr std::size_t kText = 96;

void copy_text(char (&buf)[kText], const std::string& s) {
    std::snprintf(buf, kText, "%s", s.c_str());
}

/// A window argument: a duration string ("7d") or a number of seconds, no longer than the
/// history the KPI keeps.
Duration window_arg(lua_State* L, int idx, const char* fn) {
    Duration d{0};
    bool ok = false;
    if (lua_type(L, idx) == LUA_TNUMBER) {
        d = Duration{std::llround(lua_tonumber(L, idx) * 1000)};
        ok = true;
    } else if (lua_type(L, idx) == LUA_TSTRING) {
        std::size_t len = 0;
        const char* text = lua_tolstring(L, idx, &len);
        if (const auto parsed = parse_duration(std::string_view(text, len))) {
            d = *parsed;
            ok = true;
        }
    }
    if (!ok || d <= Duration::zero()) {
        luaL_error(L, "%s(): needs a window such as \"1h\" or \"7d\" (or seconds)", fn);
    }
    const LuaContext& ctx = Access::ctx(L);
    if (d > ctx.history_keep) {
        char want[kText];
        char keep[kText];
        copy_text(want, format_duration(d));
        copy_text(keep, format_duration(ctx.history_keep));
        luaL_error(L,
                   "%s(): window %s is longer than the history kept for kpi '%s' (%s); set "
                   "history: on the KPI",
                   fn,
                   want,
                   ctx.kpi != nullptr ? ctx.kpi->c_str() : "?",
                   keep);
    }
    return d;
}

const SeriesHistory& history_of(lua_State* L, const char* fn) {
    const LuaContext& ctx = Access::ctx(L);
    if (ctx.history == nullptr || ctx.history->empty()) {
        luaL_error(L, "%s(): no history is kept for this series", fn);
    }
    return *ctx.history;
}

int h_delta(lua_State* L) {
    const Duration w = window_arg(L, 1, "delta");
    const SeriesHistory& h = history_of(L, "delta");
    double seconds = 0;
    lua_pushnumber(L, h.delta(w, h.newest().at, seconds));
    return 1;
}

int h_rate(lua_State* L) {
    const Duration w = window_arg(L, 1, "rate");
    const SeriesHistory& h = history_of(L, "rate");
    double seconds = 0;
    const double change = h.delta(w, h.newest().at, seconds);
    lua_pushnumber(L, seconds > 0 ? change / seconds : 0.0);
    return 1;
}

WindowStats stats_arg(lua_State* L, const char* fn) {
    const Duration w = window_arg(L, 1, fn);
    const SeriesHistory& h = history_of(L, fn);
    const TimePoint to = h.newest().at;
    return h.stats(to - w, to);
}

int h_avg(lua_State* L) {
    lua_pushnumber(L, stats_arg(L, "avg").mean);
    return 1;
}

int h_min(lua_State* L) {
    lua_pushnumber(L, stats_arg(L, "min").min);
    return 1;
}

int h_max(lua_State* L) {
    lua_pushnumber(L, stats_arg(L, "max").max);
    return 1;
}

int h_stddev(lua_State* L) {
    lua_pushnumber(L, stats_arg(L, "stddev").stddev);
    return 1;
}

int h_count(lua_State* L) {
    lua_pushinteger(L, static_cast<lua_Integer>(stats_arg(L, "count").count));
    return 1;
}

/// zscore(window): the newest value against the samples before it in the window.
/// zscore(window, every): against the values at every `every` back (same hour of previous
/// weeks: zscore("28d", "7d")). 0 when there are fewer than two to compare with or they agree.
int h_zscore(lua_State* L) {
    const Duration w = window_arg(L, 1, "zscore");
    const SeriesHistory& h = history_of(L, "zscore");
    const SeriesHistory::Point last = h.newest();
    double mean = 0;
    double m2 = 0;
    std::size_t n = 0;
    if (lua_isnoneornil(L, 2)) {
        const WindowStats s = h.stats(last.at - w, last.at, true);
        n = s.count;
        mean = s.mean;
        m2 = s.stddev * s.stddev * static_cast<double>(s.count);
    } else {
        const Duration every = window_arg(L, 2, "zscore");
        for (Duration back = every; back <= w; back += every) {
            const auto p = h.at_or_before(last.at - back);
            if (!p || last.at - p->at >= back + every) {
                continue;  // no sample in that period
            }
            ++n;
            const double d = p->value - mean;
            mean += d / static_cast<double>(n);
            m2 += d * (p->value - mean);
        }
    }
    const double sd = n > 1 ? std::sqrt(m2 / static_cast<double>(n)) : 0.0;
    lua_pushnumber(L, sd > 0 ? (last.value - mean) / sd : 0.0);
    return 1;
}

int h_ago(lua_State* L) {
    const Duration d = window_arg(L, 1, "ago");
    const SeriesHistory& h = history_of(L, "ago");
    const auto p = h.at_or_before(h.newest().at - d);
    if (p) {
        lua_pushnumber(L, p->value);
    } else {
        lua_pushnil(L);
    }
    return 1;
}

template <std::string (*Format)(double)>
int h_format(lua_State* L) {
    if (lua_isnoneornil(L, 1)) {
        lua_pushliteral(L, "");
        return 1;
    }
    const double v = luaL_checknumber(L, 1);
    char buf[kText];
    copy_text(buf, Format(v));
    lua_pushstring(L, buf);
    return 1;
}

int h_kpi(lua_State* L) {
    const char* name = luaL_checkstring(L, 1);
    const LuaContext& ctx = Access::ctx(L);
    std::optional<double> v;
    if (ctx.kpis != nullptr) {
        if (lua_istable(L, 2)) {
            Labels labels;
            lua_pushnil(L);
            while (lua_next(L, 2) != 0) {
                if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
                    labels[lua_tostring(L, -2)] = lua_tostring(L, -1);
                }
                lua_pop(L, 1);
            }
            v = ctx.kpis->kpi_value(name, labels);
        } else {
            static const Labels kNone;
            v = ctx.kpis->kpi_value(name, ctx.labels != nullptr ? *ctx.labels : kNone);
        }
    }
    if (!v) {
        Access::raise_missing(L);
    }
    lua_pushnumber(L, *v);
    return 1;
}

// `labels`: one userdata whose metamethods read the labels of the series being evaluated.
int labels_index(lua_State* L) {
    const Labels* labels = Access::ctx(L).labels;
    if (labels != nullptr && lua_type(L, 2) == LUA_TSTRING) {
        const auto it = labels->find(lua_tostring(L, 2));
        if (it != labels->end()) {
            lua_pushlstring(L, it->second.data(), it->second.size());
            return 1;
        }
    }
    lua_pushnil(L);
    return 1;
}

int labels_next(lua_State* L) {
    const Labels* labels = Access::ctx(L).labels;
    if (labels == nullptr) {
        return 0;
    }
    auto it = labels->begin();
    if (lua_type(L, 2) == LUA_TSTRING) {
        it = labels->upper_bound(lua_tostring(L, 2));
    }
    if (it == labels->end()) {
        return 0;
    }
    lua_pushlstring(L, it->first.data(), it->first.size());
    lua_pushlstring(L, it->second.data(), it->second.size());
    return 2;
}

int labels_pairs(lua_State* L) {
    lua_pushcfunction(L, labels_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

int labels_write(lua_State* L) {
    return luaL_error(L, "labels are read-only; copy them into a local table to change them");
}

int refuse_module_write(lua_State* L) {
    return luaL_error(L, "modules are read-only once loaded (rules share them)");
}

/// Replaces the table at `idx` with a read-only proxy, nested tables included (to `depth`).
void freeze(lua_State* L, int idx, int depth) {
    idx = lua_absindex(L, idx);
    if (depth > 0) {
        lua_pushnil(L);
        while (lua_next(L, idx) != 0) {
            if (lua_istable(L, -1)) {
                freeze(L, -1, depth - 1);
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                lua_rawset(L, idx);  // replacing an existing key keeps lua_next valid
            } else {
                lua_pop(L, 1);
            }
        }
    }
    lua_newtable(L);
    lua_newtable(L);
    lua_pushvalue(L, idx);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, refuse_module_write);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_replace(L, idx);
}

}  // namespace

void LuaSandbox::Access::register_helpers(lua_State* L, int allow) {
    const luaL_Reg helpers[] = {{"delta", h_delta},
                                {"rate", h_rate},
                                {"avg", h_avg},
                                {"min", h_min},
                                {"max", h_max},
                                {"stddev", h_stddev},
                                {"zscore", h_zscore},
                                {"count", h_count},
                                {"ago", h_ago},
                                {"pct", h_format<format_pct>},
                                {"num", h_format<format_num>},
                                {"dur", h_format<format_dur>},
                                {"money", h_format<format_money>},
                                {"kpi", h_kpi},
                                {"require", &Access::require},
                                {nullptr, nullptr}};
    lua_pushvalue(L, allow);
    luaL_setfuncs(L, helpers, 0);
    lua_newuserdatauv(L, 0, 0);
    lua_newtable(L);
    lua_pushcfunction(L, labels_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, labels_write);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, labels_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "labels");
    lua_pop(L, 1);
}

int LuaSandbox::Access::require(lua_State* L) {
    const char* name = luaL_checkstring(L, 1);
    LuaSandbox* s = of(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->modules_ref_);
    const int cache = lua_gettop(L);
    if (lua_getfield(L, cache, name) != LUA_TNIL) {
        if (lua_isboolean(L, -1) && lua_toboolean(L, -1) == 0) {
            return luaL_error(L, "require('%s'): modules require each other in a cycle", name);
        }
        return 1;
    }
    lua_pop(L, 1);
    const LuaModule* module = nullptr;
    if (s->modules_ != nullptr) {
        const auto it = s->modules_->find(name);
        module = it == s->modules_->end() ? nullptr : &it->second;
    }
    if (module == nullptr) {
        return luaL_error(
            L, "require('%s'): no such module; put %s.lua next to the rule files", name, name);
    }
    const int id = static_cast<int>(s->chunks_.size());
    char chunk_name[kText];
    std::snprintf(chunk_name, sizeof chunk_name, "=lua#%d", id);
    s->chunks_.push_back(&module->code);
    s->refs_.push_back(LUA_NOREF);
    if (luaL_loadbufferx(L, module->source.data(), module->source.size(), chunk_name, "t") !=
        LUA_OK) {
        return lua_error(L);
    }
    lua_pushboolean(L, 0);
    lua_setfield(L, cache, name);  // loading: a require cycle is an error, not a hang
    lua_createtable(L, 0, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->env_meta_);
    lua_setmetatable(L, -2);
    lua_setupvalue(L, -2, 1);
    if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
        lua_pushnil(L);
        lua_setfield(L, cache, name);  // a later call may try again
        return lua_error(L);
    }
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    } else if (lua_istable(L, -1)) {
        freeze(L, -1, 8);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, cache, name);
    return 1;
}

}  // namespace tocsin::engine
