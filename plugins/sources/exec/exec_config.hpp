#pragma once

// Configuration of the exec source: the declared keys (the host validates them) and the parsed
// settings with the cross-field checks the host cannot do.

#include "subprocess.hpp"
#include <tocsin/sdk/config.hpp>
#include <tocsin/sdk/status.hpp>

#include <cstddef>
#include <string>

namespace tocsin::plugins::exec {

/// Instance keys, as `tocsin plugins` lists them. The run's time limit is the source's `timeout`
/// (a host key): the collect deadline.
inline constexpr tocsin_config_key kConfigKeys[] = {
    {"command",
     TOCSIN_TYPE_STRING_LIST,
     1,
     nullptr,
     0,
     "program and arguments, run without a shell once per collect, e.g. [/usr/lib/nagios/"
     "plugins/check_disk, -w, 20%]"},
    {"format",
     TOCSIN_TYPE_STRING,
     1,
     nullptr,
     0,
     "how to read the output: nagios (exit code and perfdata), json (an array of samples) or "
     "prometheus (text exposition)"},
    {"env",
     TOCSIN_TYPE_STRING_MAP,
     0,
     nullptr,
     0,
     "environment variables added to the daemon's for the program"},
    {"cwd", TOCSIN_TYPE_STRING, 0, nullptr, 0, "working directory of the program"},
    {"max_output",
     TOCSIN_TYPE_INT,
     0,
     "1048576",
     0,
     "bytes of stdout read at most; more fails the collect"},
};

/// Per-KPI keys.
inline constexpr tocsin_config_key kKpiKeys[] = {
    {"perfdata",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     0,
     "nagios: the perfdata label whose number is the KPI's value"},
    {"perfdata_field",
     TOCSIN_TYPE_STRING,
     0,
     "\"value\"",
     0,
     "nagios: which number of the perfdata item: value, warn, crit, min or max"},
    {"status",
     TOCSIN_TYPE_BOOL,
     0,
     "false",
     0,
     "nagios: the KPI's value is the exit code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)"},
    {"match",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     0,
     "prometheus: series selector such as job_duration_seconds{job=\"backup\"}; default the "
     "KPI's name"},
};

enum class Format { Nagios, Json, Prometheus };

struct ExecConfig {
    local::Command command;
    Format format = Format::Nagios;
    std::size_t max_output = 1024 * 1024;
};

/// Reads validated instance config into `out`; bad_config when a value makes no sense.
[[nodiscard]] sdk::Status parse_config(const sdk::Config& config, ExecConfig& out);

}  // namespace tocsin::plugins::exec
