#include "sqlite_database.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <text_values.hpp>

namespace tocsin::plugins::sqlite {
namespace {

using values::parse_number;
using values::seconds_to_ms;

// How many VM instructions run between deadline checks: small enough to stop a runaway query
// within about a millisecond, large enough that the clock read costs nothing measurable.
constexpr int kProgressInstructions = 1000;
// Skipped rows are reported one by one up to this many, then summed up, so a bad query cannot
// flood the log.
constexpr std::size_t kMaxRowWarnings = 5;

constexpr std::string_view kValueColumn = "value";
constexpr std::string_view kTimestampColumn = "timestamp";

std::string quoted(std::string_view text) {
    constexpr std::size_t kMaxShown = 40;
    if (text.size() > kMaxShown) {
        return "'" + std::string(text.substr(0, kMaxShown)) + "...'";
    }
    return "'" + std::string(text) + "'";
}

std::string column_text(sqlite3_stmt* stmt, int column) {
    const auto* text = sqlite3_column_text(stmt, column);
    const int length = sqlite3_column_bytes(stmt, column);
    if (text == nullptr) {
        return {};
    }
    return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(length)};
}

std::string format_elapsed(std::chrono::steady_clock::duration elapsed) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    if (ms < 1000) {
        return std::to_string(ms) + "ms";
    }
    const auto tenths = (ms + 50) / 100;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "s";
}

// Converts the current row, or says why it was skipped.
std::optional<std::string> read_row(sqlite3_stmt* stmt,
                                    int value_column,
                                    int timestamp_column,
                                    QueryRow& row) {
    switch (sqlite3_column_type(stmt, value_column)) {
        case SQLITE_INTEGER:
            row.value = static_cast<double>(sqlite3_column_int64(stmt, value_column));
            break;
        case SQLITE_FLOAT:
            row.value = sqlite3_column_double(stmt, value_column);
            break;
        case SQLITE_NULL:
            return std::string("'value' is NULL");
        default: {
            const auto text = column_text(stmt, value_column);
            const auto number = parse_number(text);
            if (!number) {
                return "'value' is not a number (" + quoted(text) + ")";
            }
            row.value = *number;
        }
    }
    if (timestamp_column >= 0) {
        std::optional<std::int64_t> ms;
        switch (sqlite3_column_type(stmt, timestamp_column)) {
            case SQLITE_NULL:
                ms = 0;  // no time given: the time of collection
                break;
            case SQLITE_INTEGER:
                ms = seconds_to_ms(
                    static_cast<double>(sqlite3_column_int64(stmt, timestamp_column)));
                break;
            case SQLITE_FLOAT:
                ms = seconds_to_ms(sqlite3_column_double(stmt, timestamp_column));
                break;
            default: {
                const auto text = column_text(stmt, timestamp_column);
                ms = parse_timestamp_ms(text);
                if (!ms) {
                    return "'timestamp' is neither Unix seconds nor ISO-8601 (" + quoted(text) +
                           ")";
                }
            }
        }
        if (!ms) {
            return std::string("'timestamp' is out of range");
        }
        row.timestamp_ms = *ms;
    }
    const int columns = sqlite3_column_count(stmt);
    for (int i = 0; i < columns; ++i) {
        if (i == value_column || i == timestamp_column ||
            sqlite3_column_type(stmt, i) == SQLITE_NULL) {
            continue;  // a NULL label is the same as no label
        }
        row.labels.emplace_back(sqlite3_column_name(stmt, i), column_text(stmt, i));
    }
    return std::nullopt;
}

}  // namespace

Database::Database(std::string path, std::chrono::milliseconds busy_timeout)
    : path_(std::move(path)), busy_timeout_(busy_timeout) {}

Database::~Database() {
    close();
}

void Database::close() {
    for (auto& [sql, stmt] : statements_) {
        sqlite3_finalize(stmt);
    }
    statements_.clear();
    if (db_ != nullptr) {
        sqlite3_close_v2(db_);
        db_ = nullptr;
    }
}

std::optional<std::string> Database::open() {
    // Read-only and never created: a missing file is an error, not an empty database.
    const int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path_.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close_v2(db);
        return "cannot open database '" + path_ + "': " + message;
    }
    sqlite3_extended_result_codes(db, 1);
    // Belt and braces on top of the read-only open: refuse writes even to ATTACHed files.
    sqlite3_exec(db, "PRAGMA query_only = 1", nullptr, nullptr, nullptr);
    sqlite3_progress_handler(db, kProgressInstructions, &Database::on_progress, this);
    db_ = db;
    return std::nullopt;
}

int Database::on_progress(void* self) {
    // Non-zero interrupts the running statement with SQLITE_INTERRUPT.
    return std::chrono::steady_clock::now() >= static_cast<Database*>(self)->deadline_ ? 1 : 0;
}

sqlite3_stmt* Database::prepare(const std::string& sql, std::string& error) {
    if (const auto it = statements_.find(sql); it != statements_.end()) {
        return it->second;
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(
        db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) {
        error = sqlite3_errmsg(db_);
        sqlite3_finalize(stmt);
        return nullptr;
    }
    if (stmt == nullptr) {
        error = "it is empty";
        return nullptr;
    }
    const std::string_view rest(tail);
    if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
        sqlite3_finalize(stmt);
        error = "it holds more than one statement";
        return nullptr;
    }
    statements_.emplace(sql, stmt);
    return stmt;
}

std::optional<std::string> Database::query(const std::string& kpi,
                                           const std::string& sql,
                                           Deadline deadline,
                                           QueryResult& out) {
    const auto started = std::chrono::steady_clock::now();
    const std::string what = "query for KPI '" + kpi + "'";
    if (started >= deadline) {
        return what + " timed out after 0ms";
    }
    if (db_ == nullptr) {
        if (auto error = open()) {
            return error;
        }
    }
    deadline_ = deadline;
    // Waiting for a writer's lock must not outlast the deadline either.
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - started);
    sqlite3_busy_timeout(db_, static_cast<int>(std::min(busy_timeout_, left).count()));

    std::string prepare_error;
    sqlite3_stmt* stmt = prepare(sql, prepare_error);
    if (stmt == nullptr) {
        const bool sqlite_failed =
            prepare_error != "it is empty" && prepare_error != "it holds more than one statement";
        if (sqlite_failed) {
            close();
            return what + " failed: " + prepare_error;
        }
        return what + " is invalid: " + prepare_error;
    }

    int value_column = -1;
    int timestamp_column = -1;
    for (int i = 0, n = sqlite3_column_count(stmt); i < n; ++i) {
        const std::string_view name = sqlite3_column_name(stmt, i);
        if (name == kValueColumn && value_column < 0) {
            value_column = i;
        } else if (name == kTimestampColumn && timestamp_column < 0) {
            timestamp_column = i;
        }
    }
    if (value_column < 0) {
        return what + " has no 'value' column";
    }

    std::size_t row_number = 0;
    std::size_t skipped = 0;
    std::vector<QueryRow> rows;
    for (;;) {
        const int rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) {
            break;
        }
        if (rc != SQLITE_ROW) {
            std::string message = sqlite3_errmsg(db_);
            sqlite3_reset(stmt);
            if ((rc & 0xff) == SQLITE_INTERRUPT) {
                return what + " timed out after " +
                       format_elapsed(std::chrono::steady_clock::now() - started);
            }
            close();
            return what + " failed: " + message;
        }
        ++row_number;
        if (rows.size() >= kMaxRows) {
            sqlite3_reset(stmt);
            return what + " returned more than " + std::to_string(kMaxRows) +
                   " rows; aggregate or add a LIMIT";
        }
        QueryRow row;
        if (auto why = read_row(stmt, value_column, timestamp_column, row)) {
            if (++skipped <= kMaxRowWarnings) {
                out.warnings.push_back("KPI '" + kpi + "': row " + std::to_string(row_number) +
                                       " skipped: " + *why);
            }
            continue;
        }
        rows.push_back(std::move(row));
    }
    sqlite3_reset(stmt);
    if (skipped > kMaxRowWarnings) {
        out.warnings.push_back("KPI '" + kpi + "': " + std::to_string(skipped - kMaxRowWarnings) +
                               " more rows skipped");
    }
    std::move(rows.begin(), rows.end(), std::back_inserter(out.rows));
    return std::nullopt;
}

}  // namespace tocsin::plugins::sqlite
