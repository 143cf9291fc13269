#pragma once

#include <text_values.hpp>

// The pure half of the postgres source: reading values and timestamps from the text form libpq
// hands out. No libpq here, so tests feed it strings directly.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tocsin::plugins::postgres {

using Labels = std::vector<std::pair<std::string, std::string>>;

/// One result row turned into a sample: the `value` column, every other non-NULL column as a
/// label, and the `timestamp` column (if any) as Unix milliseconds (0 = the time of collection).
struct QueryRow {
    double value = 0;
    Labels labels;
    std::int64_t timestamp_ms = 0;
};

/// A value column's text as a finite number: integers, decimals, floats and booleans ("t"/"f",
/// as PostgreSQL writes them when `is_bool`). Nothing for anything else (NaN and Infinity too).
[[nodiscard]] std::optional<double> parse_value(std::string_view text, bool is_bool);

/// A timestamp column's text: ISO-8601 as PostgreSQL writes it with DateStyle ISO
/// ("2026-01-05 06:00:00.5+00", "2026-01-05 07:00:00+01:00", "2026-01-05"; no offset means UTC)
/// or Unix seconds ("1767571200.25"). Unix milliseconds, or nothing.
using values::parse_timestamp_ms;

}  // namespace tocsin::plugins::postgres
