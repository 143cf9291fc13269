#pragma once

#include "engine/model.hpp"
#include "engine/yaml_util.hpp"

#include <optional>
#include <string>
#include <vector>

/// Internals of the rule loader, shared by load_rule_files() and load_config().
namespace tocsin::engine::detail {

/// Parses one item of a `rules:` list (`index` is 1-based, for the item path of a nameless rule).
/// Returns nullopt when the rule has no usable name; every other problem is reported and the rule
/// is still returned, so later checks (duplicates, KPI references) see it.
std::optional<RuleDef> parse_rule(yaml::Reader& reader,
                                  const yaml::Node& item,
                                  const SourceLoc& loc,
                                  int index);

/// Loads every file into `set`, reporting each problem, and checks names across files (duplicates,
/// rule -> KPI). Keeps whatever could be read, so callers can cross-check even after errors.
void load_rules_into(const std::vector<std::string>& paths, Diagnostics& diags, RuleSet& set);

/// Reads a `lua:` value and runs the static Lua checks on it (syntax, names, literal arguments).
std::optional<LuaCode> parse_lua(yaml::Reader& reader,
                                 const yaml::Field& f,
                                 const std::string& path);

/// A number as messages show it: "0.3", "1e+06", "12".
std::string show_number(double v);

}  // namespace tocsin::engine::detail
