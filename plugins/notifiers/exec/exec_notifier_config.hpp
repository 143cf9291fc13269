#pragma once

// Configuration of the exec notifier: the declared keys (the host validates them) and the
// parsed settings with the checks the host cannot do.

#include <tocsin/sdk/config.hpp>
#include <tocsin/sdk/status.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace tocsin::plugins::exec_notifier {

/// Instance keys, as `tocsin plugins` lists them.
inline constexpr tocsin_config_key kConfigKeys[] = {
    {"command",
     TOCSIN_TYPE_STRING_LIST,
     1,
     nullptr,
     0,
     "program and arguments (no shell); gets the Alertmanager webhook JSON on stdin"},
    {"timeout",
     TOCSIN_TYPE_DURATION,
     0,
     "30000",
     0,
     "kill the program's process group after this long and retry later"},
    {"max_alerts",
     TOCSIN_TYPE_INT,
     0,
     "0",
     0,
     "pass at most this many alerts (the rest are counted in truncatedAlerts); 0 = all"},
};

struct ExecConfig {
    std::vector<std::string> command;
    std::chrono::milliseconds timeout{30000};
    std::int64_t max_alerts = 0;
};

/// Reads validated config into `out`; bad_config when the command is empty or the timeout or
/// max_alerts is out of range.
[[nodiscard]] sdk::Status parse_config(const sdk::Config& config, ExecConfig& out);

}  // namespace tocsin::plugins::exec_notifier
