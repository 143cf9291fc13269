#pragma once

// Configuration of the log notifier: the declared keys and the parsed settings.

#include <tocsin/sdk/config.hpp>
#include <tocsin/sdk/status.hpp>

#include <string>

namespace tocsin::plugins::log {

/// Instance keys, as `tocsin plugins` lists them.
inline constexpr tocsin_config_key kConfigKeys[] = {
    {"path",
     TOCSIN_TYPE_STRING,
     1,
     nullptr,
     0,
     "file that gets one JSON line per notification, appended ('-' = stderr)"},
};

/// The `path` value that means standard error.
inline constexpr const char* kStderrPath = "-";

struct LogConfig {
    std::string path;
};

/// Reads validated config into `out`; bad_config when the path is empty or names a directory.
/// A relative path is relative to the daemon's working directory.
[[nodiscard]] sdk::Status parse_config(const sdk::Config& config, LogConfig& out);

}  // namespace tocsin::plugins::log
