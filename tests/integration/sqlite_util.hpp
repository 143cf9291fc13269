#pragma once

#include "support/write_lock.hpp"  // WriteLock, used with these helpers

#include <optional>
#include <string>
#include <vector>

struct sqlite3;

/// Direct SQLite access for the integration tests: the "app database" a source reads, and
/// read-only looks into the daemon's state DB to know when a step was committed.
namespace tocsin::testing {

/// Counts the samples in a state database (the packed log and the compacted blocks; see
/// docs/operators.md), for sql_value(). Store::sample_count() does the same in-process.
inline constexpr const char* kSampleCountSql =
    "SELECT (SELECT coalesce(sum(count), 0) FROM sample_blocks) + "
    "(SELECT coalesce(sum(count), 0) FROM sample_log)";

/// Runs `sql` (any number of statements) on the database at `path`, creating it if needed.
void sql_exec(const std::string& path, const std::string& sql);
/// The first column of every row of `sql` as text (NULL -> "").
std::vector<std::string> sql_column(const std::string& path, const std::string& sql);
/// The single value of `sql`, or nullopt when no row (or the file cannot be opened yet).
std::optional<std::string> sql_value(const std::string& path, const std::string& sql);

}  // namespace tocsin::testing
