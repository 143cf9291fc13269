#pragma once

#include "engine/lua_sandbox.hpp"

#include <lua.hpp>

/// The sandbox's C functions reach its state through this (lua_sandbox.cpp, lua_helpers.cpp).
/// Not for use elsewhere.
namespace tocsin::engine {

struct LuaSandbox::Access {
    static LuaSandbox* of(lua_State* L);
    static void* alloc(void* ud, void* ptr, std::size_t osize, std::size_t nsize);
    static void hook(lua_State* L, lua_Debug* ar);
    static bool aborting(lua_State* L);
    /// Raised by kpi() when an input has no value yet; the call then yields no result.
    [[noreturn]] static void raise_missing(lua_State* L);
    static const LuaContext& ctx(lua_State* L);
    static const LuaLimits& limits(lua_State* L);
    /// Adds the helpers (history, formatting, kpi, require) to the allowlist at `allow`.
    static void register_helpers(lua_State* L, int allow);
    /// require(name): loads a module once per state, as text, in its own environment, and
    /// returns a read-only view of what it returned.
    static int require(lua_State* L);
};

}  // namespace tocsin::engine
