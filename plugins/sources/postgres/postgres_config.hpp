#pragma once

// Configuration of the postgres source: the declared keys (the host validates them) and the
// parsed settings with the cross-field checks the host cannot do.

#include <tocsin/sdk/config.hpp>
#include <tocsin/sdk/status.hpp>

#include <chrono>
#include <string>

namespace tocsin::plugins::postgres {

/// Instance keys, as `tocsin plugins` lists them.
inline constexpr tocsin_config_key kConfigKeys[] = {
    {"dsn",
     TOCSIN_TYPE_STRING,
     1,
     nullptr,
     1,
     "libpq connection string, e.g. 'host=db dbname=app user=tocsin password=...' or "
     "postgresql://tocsin:...@db/app"},
    {"statement_timeout",
     TOCSIN_TYPE_DURATION,
     0,
     "10000",
     0,
     "longest a KPI query may run on the server (never past the collect deadline)"},
};

/// Per-KPI keys.
inline constexpr tocsin_config_key kKpiKeys[] = {
    {"query",
     TOCSIN_TYPE_STRING,
     1,
     nullptr,
     0,
     "one SELECT, run read-only; its 'value' column is the value, a 'timestamp' column "
     "(timestamptz, ISO-8601 text or Unix seconds) the time, every other column a label"},
};

inline constexpr std::chrono::milliseconds kDefaultStatementTimeout{10000};

struct PostgresConfig {
    std::string dsn;
    std::chrono::milliseconds statement_timeout = kDefaultStatementTimeout;
};

/// Reads validated instance config into `out`; bad_config when the DSN is empty or the timeout
/// is not positive. No I/O: the connection opens at the first collect.
[[nodiscard]] sdk::Status parse_config(const sdk::Config& config, PostgresConfig& out);

/// The SQL of one KPI request; failed when it is missing or empty.
[[nodiscard]] sdk::Status parse_query(const std::string& kpi,
                                      const sdk::Config& params,
                                      std::string& sql);

}  // namespace tocsin::plugins::postgres
