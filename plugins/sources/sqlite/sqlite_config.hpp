#pragma once

// Configuration of the sqlite source: the declared keys (the host validates them) and the parsed
// settings with the cross-field checks the host cannot do.

#include <tocsin/sdk/config.hpp>
#include <tocsin/sdk/status.hpp>

#include <chrono>
#include <string>

namespace tocsin::plugins::sqlite {

/// Instance keys, as `tocsin plugins` lists them.
inline constexpr tocsin_config_key kConfigKeys[] = {
    {"path",
     TOCSIN_TYPE_STRING,
     1,
     nullptr,
     0,
     "database file, opened read-only and never created"},
    {"busy_timeout",
     TOCSIN_TYPE_DURATION,
     0,
     "5000",
     0,
     "how long a query waits for a writer's lock (never past the collect deadline)"},
};

/// Per-KPI keys.
inline constexpr tocsin_config_key kKpiKeys[] = {
    {"query",
     TOCSIN_TYPE_STRING,
     1,
     nullptr,
     0,
     "one SELECT; its 'value' column is the value, a 'timestamp' column (Unix seconds or "
     "ISO-8601) the time, every other column a label"},
};

inline constexpr std::chrono::milliseconds kDefaultBusyTimeout{5000};

struct SqliteConfig {
    std::string path;
    std::chrono::milliseconds busy_timeout = kDefaultBusyTimeout;
};

/// Reads validated instance config into `out`; bad_config when a value makes no sense.
[[nodiscard]] sdk::Status parse_config(const sdk::Config& config, SqliteConfig& out);

/// The SQL of one KPI request; failed when it is missing or empty.
[[nodiscard]] sdk::Status parse_query(const std::string& kpi,
                                      const sdk::Config& params,
                                      std::string& sql);

}  // namespace tocsin::plugins::sqlite
