#pragma once

#include "engine/result.hpp"

#include <boost/outcome/try.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

struct sqlite3;
struct sqlite3_stmt;

/// A thin RAII layer over the SQLite C API for the store: one connection with a cache of prepared
/// statements, and errors that keep SQLite's own message. Same threading rule as Store: one thread
/// at a time.
namespace tocsin::store {

class Database;

/// A prepared statement borrowed from its Database's cache (or owned, when the cached one is
/// already borrowed). Binding errors are remembered and reported by the next step(); the
/// destructor resets the statement and clears its bindings so a finished query never holds a read
/// transaction open.
class Statement {
public:
    Statement(Database& db, sqlite3_stmt* stmt, bool* in_use)
        : db_(&db), stmt_(stmt), in_use_(in_use) {}
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Parameters are 1-based, as in SQLite.
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, double value);  // NaN is stored as NULL
    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, const std::string& value) {
        return bind(index, std::string_view(value));
    }
    Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, std::optional<std::int64_t> value);
    Statement& bind(int index, std::optional<double> value);
    Statement& bind_null(int index);
    /// Binds bytes as a BLOB (copied by SQLite).
    Statement& bind_blob(int index, std::string_view bytes);

    /// Runs to the next row: true with a row, false when done.
    Result<bool> step();
    /// Runs a statement that returns no rows, to completion.
    Result<void> run();

    // Columns are 0-based, as in SQLite.
    [[nodiscard]] bool is_null(int column) const;
    [[nodiscard]] std::int64_t column_int(int column) const;
    [[nodiscard]] double column_double(int column) const;  // NULL reads as NaN
    [[nodiscard]] std::string column_text(int column) const;
    [[nodiscard]] std::optional<std::int64_t> column_optional_int(int column) const;
    /// The bytes of a BLOB (or text) column; valid until the next step() or reset.
    [[nodiscard]] std::string_view column_blob(int column) const;

private:
    void note_bind(int rc, int index);

    Database* db_;
    sqlite3_stmt* stmt_;
    bool* in_use_;  // the cache entry's flag; nullptr: this statement is owned and finalized here
    int bind_rc_ = 0;
    int bind_index_ = 0;
};

class Database {
public:
    /// Opens or creates `file` read-write for use from one thread at a time.
    static Result<std::unique_ptr<Database>> open(const std::string& file);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    [[nodiscard]] const std::string& file() const { return file_; }
    /// "store '<file>'": the `where` of every error.
    [[nodiscard]] const std::string& where() const { return where_; }
    /// An Error saying `what` failed, with SQLite's current message for this connection.
    [[nodiscard]] Error error(std::string_view what) const;
    /// The extended result code of the last failed SQLite call on this connection.
    [[nodiscard]] int last_code() const;
    /// An Error with our own message (no SQLite call failed).
    [[nodiscard]] Error error_text(std::string message) const;

    /// Runs one or more SQL statements without results (DDL, PRAGMA, BEGIN/COMMIT).
    Result<void> exec(const char* sql);
    /// The cached prepared statement for `sql`, prepared on first use. If that one is still
    /// borrowed (a nested use of the same SQL), a private statement is prepared instead.
    Result<Statement> prepare(std::string_view sql);
    /// Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back on failure (or exception).
    template <class F>
    Result<void> transaction(F&& body);
    /// Runs `body` inside a deferred BEGIN ... COMMIT, so several reads see one snapshot of the
    /// file while other processes write; rolls back on failure (or exception).
    template <class F>
    Result<void> read_transaction(F&& body);
    /// How long a statement waits for another connection's lock before failing with "busy".
    Result<void> busy_timeout(int ms);
    /// Rows changed by the last INSERT/UPDATE/DELETE.
    [[nodiscard]] std::int64_t changes() const;
    [[nodiscard]] sqlite3* handle() const { return db_; }

private:
    struct Cached {
        sqlite3_stmt* stmt = nullptr;
        bool in_use = false;
    };

    Database(sqlite3* db, std::string file);
    Error rollback_after(Error cause);
    template <class F>
    Result<void> run_transaction(const char* begin, F&& body);

    sqlite3* db_;
    std::string file_;
    std::string where_;
    std::unordered_map<std::string, Cached> statements_;  // node-based: &in_use stays valid
};

template <class F>
Result<void> Database::transaction(F&& body) {
    return run_transaction("BEGIN IMMEDIATE", std::forward<F>(body));
}

template <class F>
Result<void> Database::read_transaction(F&& body) {
    return run_transaction("BEGIN", std::forward<F>(body));
}

template <class F>
Result<void> Database::run_transaction(const char* begin, F&& body) {
    if (auto begun = exec(begin); !begun) {
        return begun.error();
    }
    Result<void> result = boost::outcome_v2::success();
    try {
        result = body();
    } catch (...) {
        // A bug threw; leave the connection usable for whoever catches it.
        (void)exec("ROLLBACK");
        throw;
    }
    if (!result) {
        return rollback_after(result.error());
    }
    if (auto committed = exec("COMMIT"); !committed) {
        return rollback_after(committed.error());
    }
    return boost::outcome_v2::success();
}

}  // namespace tocsin::store
