#pragma once

#include "engine/diagnostics.hpp"
#include "engine/model.hpp"

#include <string>
#include <string_view>
#include <vector>

/// Static checks of Lua text from rule files, run by the loader (so `tocsin check` reports them):
/// syntax (compiled by Lua itself, text only), names that are neither local, context, helper nor
/// part of the allowlisted library, and the literal arguments of `kpi()`, `require()` and the
/// history helpers. Also maps chunk lines and offsets to YAML positions, for load-time and
/// run-time messages alike.
namespace tocsin::engine::lua {

/// Names a rule's Lua sees besides its own locals, by group (for messages and docs).
[[nodiscard]] const std::vector<std::string>& context_names();  // value, labels, ...
[[nodiscard]] const std::vector<std::string>& helper_names();   // delta, pct, kpi, ...
[[nodiscard]] const std::vector<std::string>& library_names();  // string, math, pairs, ...
/// delta, rate, avg, min, max, stddev, zscore, ago, count.
[[nodiscard]] bool is_history_helper(std::string_view name);

/// Checks `code.source` and fills its windows, kpis, modules and uses_history. Problems go to
/// `diags` at their YAML position under `code.path`.
void analyze(LuaCode& code, Diagnostics& diags);

/// The YAML position of byte `offset` of the chunk text.
[[nodiscard]] SourceLoc offset_loc(const LuaCode& code, std::size_t offset);
/// The YAML position of chunk line `line` (1-based): its first non-blank character, or the
/// token `near` on that line when given and found (Lua's "near 'x'" in syntax errors).
[[nodiscard]] SourceLoc line_loc(const LuaCode& code, int line, std::string_view near = {});

/// Splits a Lua message "chunk:12: attempt to ..." into the line (0 when absent) and the text.
/// `chunk` is the chunk name without the leading '='.
[[nodiscard]] std::pair<int, std::string> split_message(const std::string& message,
                                                        std::string_view chunk);

}  // namespace tocsin::engine::lua
