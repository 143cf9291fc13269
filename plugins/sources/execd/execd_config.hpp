#pragma once

// Configuration of the execd source: the declared keys (the host validates them) and the parsed
// settings with the cross-field checks the host cannot do.

#include "subprocess.hpp"
#include <tocsin/sdk/config.hpp>
#include <tocsin/sdk/status.hpp>

#include <chrono>

namespace tocsin::plugins::execd {

/// Instance keys, as `tocsin plugins` lists them. How long one collect may take is the source's
/// `timeout` (a host key): the collect deadline, also sent to the program.
inline constexpr tocsin_config_key kConfigKeys[] = {
    {"command",
     TOCSIN_TYPE_STRING_LIST,
     1,
     nullptr,
     0,
     "program and arguments, run without a shell and kept running; speaks JSON lines on "
     "stdin/stdout (docs/plugin-authors.md)"},
    {"env",
     TOCSIN_TYPE_STRING_MAP,
     0,
     nullptr,
     0,
     "environment variables added to the daemon's for the program"},
    {"cwd", TOCSIN_TYPE_STRING, 0, nullptr, 0, "working directory of the program"},
    {"restart_delay",
     TOCSIN_TYPE_DURATION,
     0,
     "1000",
     0,
     "wait before restarting the program after it died; doubles on each death"},
    {"max_restart_delay", TOCSIN_TYPE_DURATION, 0, "60000", 0, "the longest wait between restarts"},
};

/// Per-KPI keys.
inline constexpr tocsin_config_key kKpiKeys[] = {
    {"query",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     0,
     "free text handed to the program with the KPI in each collect request"},
};

struct ExecdConfig {
    local::Command command;
    std::chrono::milliseconds restart_delay{1000};
    std::chrono::milliseconds max_restart_delay{60000};
};

/// Reads validated instance config into `out`; bad_config when a value makes no sense.
[[nodiscard]] sdk::Status parse_config(const sdk::Config& config, ExecdConfig& out);

}  // namespace tocsin::plugins::execd
