#pragma once

#include "engine/diagnostics.hpp"
#include "engine/model.hpp"

#include <functional>
#include <string>
#include <vector>

/// The checks on Lua that need every rule file loaded: modules required (read from the rule
/// files' folders), kpi("...") references, cycles between derived KPIs, and history windows
/// against what each KPI keeps.
namespace tocsin::engine {

/// Every Lua chunk of the set with the KPI whose series it runs on ("" for none): derived KPIs
/// (their own KPI), rule conditions and rule templates (the rule's KPI).
void for_each_lua(const RuleSet& set,
                  const std::function<void(const LuaCode&, const std::string& kpi)>& fn);

/// Whether the engine keeps history for `kpi`: `history:` is written, or some Lua on it calls a
/// history helper.
[[nodiscard]] bool keeps_history(const RuleSet& set, const KpiDef& kpi);

/// The derived KPIs that read `kpi` through kpi("...") and must be recomputed when it changes.
[[nodiscard]] std::vector<const KpiDef*> dependents(const RuleSet& set, const std::string& kpi);

namespace detail {

/// Loads the modules the set's Lua requires into `set.modules` and reports unknown modules and
/// KPIs, cycles between derived KPIs (naming the cycle) and windows longer than the history kept.
void check_lua(RuleSet& set, Diagnostics& diags);

}  // namespace detail
}  // namespace tocsin::engine
