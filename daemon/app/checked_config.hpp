#pragma once

#include "app/notifier_keys.hpp"
#include "engine/diagnostics.hpp"
#include "engine/loader.hpp"
#include "engine/model.hpp"
#include "plugin_host/registry.hpp"

#include <exposition.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

/// The reload path, shared by `tocsin check`, start-up and every reload: load the config and rule
/// files, find the plugins, check every plugin instance's keys and every KPI's source keys, and
/// let each plugin look at its own config (create + configure, no I/O). Either everything passes
/// and a CheckedConfig comes back, or nothing is applied and every problem is in `diags`.
namespace tocsin::app {

struct CheckedInstance {
    std::string name;
    const plugin_host::PluginInfo* plugin = nullptr;  // owned by CheckedConfig::registry
    std::string config_json;                          // validated, defaults filled; holds secrets
    std::string redacted_json;                        // for logs and the API
    engine::Duration timeout{};
    DeliveryPolicy delivery;  // notifiers: fallback and rate limit
    /// Sources: how long collections must keep failing before the source counts as down
    /// (`down_after:`, default 1m).
    engine::Duration down_after{std::chrono::minutes(1)};
};

/// The KPI and rule every configuration with sources gets: `tocsin_source_up{source}` is 0 once
/// a source's collections have failed for its `down_after`, 1 otherwise, and `TocsinSourceDown`
/// fires on 0.
inline constexpr const char* kSourceUpKpi = "tocsin_source_up";
inline constexpr const char* kSourceDownAlert = "TocsinSourceDown";

struct CheckedConfig {
    std::shared_ptr<const engine::LoadedConfig> loaded;
    std::shared_ptr<const plugin_host::Registry> registry;
    std::vector<CheckedInstance> sources;
    std::vector<CheckedInstance> notifiers;
    std::map<std::string, std::string> kpi_params_json;  // KPI name -> its source keys as JSON
    std::string api_token;          // read from api.token_file; "" when none (mutations refused)
    std::string hash;               // of the config and rule files' text, for the status API
    std::size_t builtin_rules = 0;  // TocsinSourceDown and its KPI, appended after the user's
    std::vector<std::string> push_sources;  // instances of the built-in `push` source
    /// KPIs of push sources -> their `match:` selector for Prometheus text (nullopt: by name).
    std::map<std::string, std::optional<exposition::Selector>> push_kpis;

    [[nodiscard]] const CheckedInstance* find_source(const std::string& name) const;
};

struct CheckOptions {
    /// Create and destroy each instance so its plugin can check cross-field rules. The daemon
    /// creates them for real right after, so it skips this.
    bool probe_instances = true;
    engine::EnvLookup env = engine::process_env();
};

[[nodiscard]] std::optional<CheckedConfig> check_config(const std::string& config_path,
                                                        engine::Diagnostics& diags,
                                                        const CheckOptions& options = {});

}  // namespace tocsin::app
