#pragma once

// Configuration of the file source: the declared keys (the host validates them) and the parsed
// settings with the cross-field checks the host cannot do.

#include <tocsin/sdk/config.hpp>
#include <tocsin/sdk/status.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace tocsin::plugins::file {

/// Instance keys, as `tocsin plugins` lists them.
inline constexpr tocsin_config_key kConfigKeys[] = {
    {"path",
     TOCSIN_TYPE_STRING,
     1,
     nullptr,
     0,
     "the CSV or JSON file; re-read whenever its inode, size or mtime changes"},
    {"format",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     0,
     "csv or json; by default taken from the file name's .csv or .json ending"},
    {"delimiter", TOCSIN_TYPE_STRING, 0, "\",\"", 0, "csv: the field separator, one character"},
    {"max_age",
     TOCSIN_TYPE_DURATION,
     0,
     nullptr,
     0,
     "fail the collect when the file was last modified longer ago than this (a stuck writer)"},
    {"max_size", TOCSIN_TYPE_INT, 0, "16777216", 0, "bytes; a bigger file fails the collect"},
};

/// Per-KPI keys.
inline constexpr tocsin_config_key kKpiKeys[] = {
    {"column",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     0,
     "csv: the value column; default 'value' when the file has a 'kpi' column, else the KPI's "
     "name"},
    {"labels",
     TOCSIN_TYPE_STRING_LIST,
     0,
     nullptr,
     0,
     "csv: the columns that become labels; default every other column when the file has a "
     "'kpi' column, else none"},
};

enum class Format { Csv, Json };

struct FileConfig {
    std::string path;
    Format format = Format::Csv;
    char delimiter = ',';
    std::optional<std::chrono::milliseconds> max_age;
    std::size_t max_size = 16 * 1024 * 1024;
};

/// Reads validated instance config into `out`; bad_config when a value makes no sense.
[[nodiscard]] sdk::Status parse_config(const sdk::Config& config, FileConfig& out);

}  // namespace tocsin::plugins::file
