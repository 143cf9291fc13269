#pragma once

#include <iosfwd>
#include <string>

/// `tocsin plugins --check LIB.so --config FILE`: tries one plugin module alone, without a daemon.
/// Loads the module through the plugin host (the same checks as the daemon: ABI, permissions,
/// key table), validates the instance config in FILE against the keys it declares, reporting
/// mistakes as `file:line:col: error: ...`, then creates one instance and runs ONE collect
/// (sources: the samples as a table) or ONE send (notifiers: the answer).
///
/// FILE is YAML: the instance's keys as they would appear under `sources:`/`notifiers:` in
/// tocsin.yaml (`plugin:` optional, `timeout:` bounds the call), plus
///   - sources: `kpis:`, a map of KPI name -> that KPI's plugin keys (`query:`, `path:`, ...);
///   - notifiers: optionally `notification:`, the notification JSON (written as YAML or JSON);
///     without it a built-in test notification is sent.
namespace tocsin::app {

/// Returns the exit status: 0 when the module loaded, the config passed and the collect or send
/// succeeded; 1 otherwise. Results go to `out`, problems to `err`.
int command_plugin_check(const std::string& module_path,
                         const std::string& config_path,
                         std::ostream& out,
                         std::ostream& err);

}  // namespace tocsin::app
