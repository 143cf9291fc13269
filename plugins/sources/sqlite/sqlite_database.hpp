#pragma once

#include <text_values.hpp>

// The SQLite side of the sqlite source: one read-only connection, a statement cache and the
// conversion of result rows into samples. It knows nothing of the plugin ABI, so tests drive it
// directly against real database files.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace tocsin::plugins::sqlite {

using Labels = std::vector<std::pair<std::string, std::string>>;
using Deadline = std::chrono::steady_clock::time_point;

/// One result row turned into a sample: the `value` column, every other column as a label, and
/// the `timestamp` column (if any) as Unix milliseconds (0 = the time of collection).
struct QueryRow {
    double value = 0;
    Labels labels;
    std::int64_t timestamp_ms = 0;
};

/// What one query produced: its samples and one warning per skipped row (bounded).
struct QueryResult {
    std::vector<QueryRow> rows;
    std::vector<std::string> warnings;
};

/// A read-only connection to one database file, opened on first use and closed after any SQLite
/// failure so that the next query reopens it (the file may have been replaced or repaired).
/// Threading: one caller at a time (the host never overlaps calls on one instance).
class Database {
public:
    /// Does no I/O; the file is opened by the first query().
    Database(std::string path, std::chrono::milliseconds busy_timeout);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    Database(Database&&) = delete;
    Database& operator=(Database&&) = delete;

    /// Runs `sql` for KPI `kpi`, appending its rows to `out`. Returns an error sentence (SQLite's
    /// own text for SQLite failures, "query for KPI 'x' timed out after ..." when the deadline
    /// passed, "query for KPI 'x' has no 'value' column") or nothing on success.
    [[nodiscard]] std::optional<std::string> query(const std::string& kpi,
                                                   const std::string& sql,
                                                   Deadline deadline,
                                                   QueryResult& out);

    [[nodiscard]] bool is_open() const { return db_ != nullptr; }
    /// Finalizes cached statements and closes the connection; the next query reopens it.
    void close();

    /// Rows beyond this many are an error: a KPI query should aggregate, not dump a table.
    static constexpr std::size_t kMaxRows = 10000;

private:
    std::optional<std::string> open();
    sqlite3_stmt* prepare(const std::string& sql, std::string& error);
    static int on_progress(void* self);

    std::string path_;
    std::chrono::milliseconds busy_timeout_;
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> statements_;  // keyed by SQL text
    Deadline deadline_{};
};

/// Timestamps in text columns: Unix seconds or ISO-8601 (as SQLite's datetime() writes them; no
/// zone means UTC), see text_values.hpp.
using values::parse_timestamp_ms;

}  // namespace tocsin::plugins::sqlite
