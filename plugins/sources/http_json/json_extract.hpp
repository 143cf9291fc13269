#pragma once

// The pure half of the http_json source: JSON Pointers (RFC 6901) and the turning of a parsed
// answer into samples for one KPI. No I/O, so tests feed it documents directly.

#include "http_json_config.hpp"
#include <tocsin/sdk/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tocsin::plugins::http_json {

using Labels = std::vector<std::pair<std::string, std::string>>;

/// Why `pointer` is not a valid JSON Pointer ("" or "/a/b", with ~0 and ~1 escapes), or nothing.
[[nodiscard]] std::optional<std::string> check_pointer(std::string_view pointer);

/// The value `pointer` names in `doc`, or nullptr when it does not exist. "" is `doc` itself;
/// array indexes are decimal without leading zeros.
[[nodiscard]] const sdk::Json* resolve(const sdk::Json& doc, std::string_view pointer);

struct Row {
    double value = 0;
    Labels labels;
};

/// What one KPI produced: rows, warnings for skipped array elements (bounded), or an error.
struct KpiResult {
    std::vector<Row> rows;
    std::vector<std::string> warnings;
    std::optional<std::string> error;
};

/// Reads KPI `kpi` from `doc` by `spec`: a number, numeric string or bool at `pointer` gives one
/// row (labels resolved against the whole document); an array gives one row per element (value
/// at value_pointer, labels relative to the element), skipping elements without a usable value
/// with a warning. A missing pointer or an unusable single value is an error.
[[nodiscard]] KpiResult extract(const std::string& kpi, const sdk::Json& doc, const KpiSpec& spec);

}  // namespace tocsin::plugins::http_json
