#pragma once

// Numbers and timestamps written as text, as the row- and file-based sources read them (sqlite,
// postgres, exec, execd, file). std-only, so it links into any module.

#include <cstdint>
#include <optional>
#include <string_view>

namespace tocsin::plugins::values {

/// The whole of `text` (surrounding blanks and a leading '+' allowed) as a finite number.
[[nodiscard]] std::optional<double> parse_number(std::string_view text);

/// Unix seconds as milliseconds; nothing when not finite or beyond what an int64 holds.
[[nodiscard]] std::optional<std::int64_t> seconds_to_ms(double seconds);

/// A timestamp as Unix milliseconds: Unix seconds ("1767571200", "1767571200.25") or ISO-8601
/// as SQLite, PostgreSQL and people write it: "2026-01-05", "2026-01-05T06:00Z",
/// "2026-01-05 06:00:00.5+01:00", "...-0430", PostgreSQL's "+01" and "+05:30:00"; 'T', 't' or a
/// space between date and time, '.' or ',' before the fraction; no zone means UTC.
[[nodiscard]] std::optional<std::int64_t> parse_timestamp_ms(std::string_view text);

}  // namespace tocsin::plugins::values
