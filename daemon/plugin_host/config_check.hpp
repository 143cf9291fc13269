#pragma once

#include "engine/diagnostics.hpp"
#include "engine/model.hpp"
#include "plugin_host/registry.hpp"

#include <optional>
#include <string>
#include <string_view>

/// Checking plugin settings from tocsin.yaml and rule files against the keys a plugin declares,
/// before any instance is created (so `tocsin check` reports them with positions). Unknown keys
/// get a "did you mean" and the list of allowed keys; missing required keys are reported at the
/// instance (or KPI); wrong types at the value. Secret values (a key declared secret, or any value
/// from ${env:...}/${file:...}) are never quoted in messages.
namespace tocsin::plugin_host {

/// Validates one `sources:`/`notifiers:` item against `info`'s config keys. `kind_word` is
/// "source" or "notifier" and starts the item path ("notifier 'ops' > timeout"). Returns the JSON
/// object to hand to the plugin's create(): every set key converted to its type, defaults filled
/// in, durations as integer milliseconds, in declaration order. Returns nullopt when any error
/// was added to `diags`. The host's own keys (`timeout`, and `fallback`/`rate_limit` for
/// notifiers) are left to the app and never passed to the plugin.
[[nodiscard]] std::optional<std::string> check_instance_config(
    const engine::PluginInstanceConfig& instance,
    const PluginInfo& info,
    std::string_view kind_word,
    engine::Diagnostics& diags);

/// Validates a KPI's plugin parameters (`query:`, ...) against `info`'s per-KPI keys; the
/// result is the params JSON for collect(). Returns nullopt when any error was added to `diags`.
[[nodiscard]] std::optional<std::string> check_kpi_params(const engine::KpiDef& kpi,
                                                          const PluginInfo& info,
                                                          engine::Diagnostics& diags);

/// The instance's config as JSON for display (API, `tocsin check`, logs): `plugin`, `timeout`,
/// `every` (when set) and every setting as written, typed where the plugin declares the key,
/// with every secret key and every value from ${env:...}/${file:...} replaced by "<redacted>".
[[nodiscard]] std::string redacted_config(const engine::PluginInstanceConfig& instance,
                                          const PluginInfo& info);

/// What replaces a secret in redacted_config().
inline constexpr std::string_view kRedacted = "<redacted>";

}  // namespace tocsin::plugin_host
