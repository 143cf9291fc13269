#pragma once

#include <string>
#include <vector>

/// The `tocsin` sub-commands other than `run`. Each returns the process exit status and prints
/// to stdout (results) or stderr (problems).
namespace tocsin::app {

/// `tocsin check`: exit 0 when the configuration would be accepted by a reload, 1 otherwise.
int command_check(const std::string& config_path, bool json);
/// `tocsin test FILE...`: exit 0 when every case passed.
int command_test(const std::vector<std::string>& files);
/// `tocsin simulate`: the notifications `config_path` would have sent for the recorded values of
/// `series_path` (CSV, see engine/simulate.hpp) between two RFC 3339 times.
int command_simulate(const std::string& config_path,
                     const std::string& series_path,
                     const std::string& from_text,
                     const std::string& to_text);
/// `tocsin plugins`: the plugins found in the config's plugin_dirs (or `dirs` when given).
int command_plugins(const std::string& config_path, const std::vector<std::string>& dirs);
/// `tocsin notify --test NOTIFIER`: sends a test message through a configured notifier (with
/// its real keys and secrets) and prints exactly what the far end answered; exit 0 when it
/// was accepted.
int command_notify_test(const std::string& config_path, const std::string& notifier);
/// `tocsin notify --report NAME`: builds the report now from what the state database holds
/// (latest values, active alerts, the last run's values for the trend) and sends it through each
/// of its notifiers, printing each answer. A preview: the schedule and the stored last run are
/// left as they were. Exit 0 when every notifier accepted it.
int command_notify_report(const std::string& config_path, const std::string& report);

}  // namespace tocsin::app
