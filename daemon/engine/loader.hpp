#pragma once

#include "engine/diagnostics.hpp"
#include "engine/model.hpp"

#include <functional>
#include <optional>
#include <string>

/// Loading tocsin.yaml and rule files into the model, with every problem reported at its
/// position. Does no I/O beyond reading the files named (and ${file:...} secrets).
namespace tocsin::engine {

/// Resolves `${env:NAME}`; returns nullopt when unset. Injected so tests need no real environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
[[nodiscard]] EnvLookup process_env();

/// Loads the config file, expands its `rule_files:` globs (relative to the config's folder), loads
/// every rule file, and cross-checks names (rules -> KPIs -> sources, policies -> notifiers,
/// routes -> policies). Plugin keys are NOT checked here (the plugin host does that). Returns
/// nullopt when any error was added to `diags`.
[[nodiscard]] std::optional<LoadedConfig> load_config(const std::string& config_path,
                                                      Diagnostics& diags,
                                                      const EnvLookup& env = process_env());

/// The same, but returns what could be loaded even when there were errors (as long as the config
/// file itself is a YAML map), so `tocsin check` can go on to check plugin keys and report every
/// problem in one run. Never apply its result: check `diags.has_errors()`.
[[nodiscard]] std::optional<LoadedConfig> load_config_partial(const std::string& config_path,
                                                              Diagnostics& diags,
                                                              const EnvLookup& env = process_env());

/// Loads rule files alone into one RuleSet (for `tocsin test`). Cross-checks within the rules
/// (rule -> KPI, duplicate names) but not against a config.
[[nodiscard]] std::optional<RuleSet> load_rule_files(const std::vector<std::string>& paths,
                                                     Diagnostics& diags);

/// Cross-checks rules against a config (KPI sources exist, policies and notifiers exist, routes
/// name policies). Adds errors to `diags`.
void cross_check(const Config& config, const RuleSet& rules, Diagnostics& diags);

}  // namespace tocsin::engine
