#include "store/sqlite.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

namespace tocsin::store {
namespace {

// SQLITE_TRANSIENT spelled without the C-style cast of the macro: SQLite copies the text.
const auto kTransient = reinterpret_cast<sqlite3_destructor_type>(static_cast<std::intptr_t>(-1));

/// What an operator can do about a failure with SQLite result code `rc` ("" when there is nothing
/// specific to say). Every store error passes through here, so a full disk, a read-only folder, a
/// lock held by another process or a damaged file reads the same at start-up and at run time.
std::string_view hint(int rc) {
    switch (rc & 0xff) {  // the primary code of an extended one
        case SQLITE_FULL:
            return "; the file system of the state folder is full: free space there";
        case SQLITE_READONLY:
            return "; the state database is read-only: make the state folder and its files "
                   "writable for the user tocsin runs as";
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return "; another process holds a lock on the state database (a second tocsin "
                   "daemon, or a sqlite3 shell inside a transaction): end it";
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            return "; the database file is damaged: stop tocsin, move the file aside (tocsin then "
                   "starts with empty state) or restore it from a backup";
        case SQLITE_CANTOPEN:
            return "; check that the state folder exists and that the user tocsin runs as may "
                   "read and write it";
        case SQLITE_IOERR:
            return "; the disk reported an I/O error: check the system log";
        default:
            return {};
    }
}

}  // namespace

// ---- Statement ----------------------------------------------------------------------------------

Statement::~Statement() {
    if (stmt_ == nullptr) {
        return;
    }
    // The return codes repeat the last step's result, which step() already reported.
    if (in_use_ == nullptr) {
        (void)sqlite3_finalize(stmt_);
        return;
    }
    (void)sqlite3_reset(stmt_);
    (void)sqlite3_clear_bindings(stmt_);
    *in_use_ = false;
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(other.in_use_),
      bind_rc_(other.bind_rc_),
      bind_index_(other.bind_index_) {}

void Statement::note_bind(int rc, int index) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
        bind_rc_ = rc;
        bind_index_ = index;
    }
}

Statement& Statement::bind(int index, std::int64_t value) {
    note_bind(sqlite3_bind_int64(stmt_, index, value), index);
    return *this;
}

Statement& Statement::bind(int index, double value) {
    if (std::isnan(value)) {
        return bind_null(index);  // SQLite would do the same; say so explicitly
    }
    note_bind(sqlite3_bind_double(stmt_, index, value), index);
    return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
    if (value.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        note_bind(SQLITE_TOOBIG, index);
        return *this;
    }
    note_bind(
        sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), kTransient),
        index);
    return *this;
}

Statement& Statement::bind(int index, std::optional<std::int64_t> value) {
    return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind(int index, std::optional<double> value) {
    return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind_null(int index) {
    note_bind(sqlite3_bind_null(stmt_, index), index);
    return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
    if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        note_bind(SQLITE_TOOBIG, index);
        return *this;
    }
    note_bind(
        sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), kTransient),
        index);
    return *this;
}

Result<bool> Statement::step() {
    if (bind_rc_ != SQLITE_OK) {
        return db_->error_text(fmt::format("binding parameter {} of '{}' failed: {}",
                                           bind_index_,
                                           sqlite3_sql(stmt_),
                                           sqlite3_errstr(bind_rc_)));
    }
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    return db_->error(fmt::format("'{}' failed", sqlite3_sql(stmt_)));
}

Result<void> Statement::run() {
    for (;;) {
        auto row = step();
        if (!row) {
            return row.error();
        }
        if (!row.value()) {
            return boost::outcome_v2::success();
        }
    }
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

double Statement::column_double(int column) const {
    if (is_null(column)) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    return sqlite3_column_double(stmt_, column);
}

std::string Statement::column_text(int column) const {
    const auto* text = sqlite3_column_text(stmt_, column);
    if (text == nullptr) {
        return {};
    }
    const int size = sqlite3_column_bytes(stmt_, column);
    return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::optional<std::int64_t> Statement::column_optional_int(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return column_int(column);
}

std::string_view Statement::column_blob(int column) const {
    // sqlite3_column_blob first, then _bytes: the order SQLite documents for a stable pointer.
    const void* data = sqlite3_column_blob(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    if (data == nullptr || size <= 0) {
        return {};
    }
    return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
}

// ---- Database -----------------------------------------------------------------------------------

Database::Database(sqlite3* db, std::string file)
    : db_(db), file_(std::move(file)), where_("store '" + file_ + "'") {}

Database::~Database() {
    for (auto& [sql, cached] : statements_) {
        (void)sqlite3_finalize(cached.stmt);  // returns the last step's error, already reported
    }
    // All statements are finalized, so close cannot be left pending; nothing useful to do if it
    // still fails in a destructor.
    (void)sqlite3_close(db_);
}

Result<std::unique_ptr<Database>> Database::open(const std::string& file) {
    sqlite3* db = nullptr;
    // NOMUTEX: the store is used from one thread at a time (see store.hpp).
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(file.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        message += hint(db != nullptr ? sqlite3_extended_errcode(db) : rc);
        (void)sqlite3_close(db);  // a handle is returned even on failure, and must be closed
        return make_error(
            ErrorCode::Store, "cannot open the database: " + message, "store '" + file + "'");
    }
    std::unique_ptr<Database> database(new Database(db, file));
    if (sqlite3_extended_result_codes(db, 1) != SQLITE_OK) {
        return database->error("enabling extended result codes failed");
    }
    return database;
}

Error Database::error(std::string_view what) const {
    return make_error(ErrorCode::Store,
                      fmt::format("{}: {}{}", what, sqlite3_errmsg(db_), hint(last_code())),
                      where_);
}

int Database::last_code() const {
    return sqlite3_extended_errcode(db_);
}

Error Database::error_text(std::string message) const {
    return make_error(ErrorCode::Store, std::move(message), where_);
}

Result<void> Database::exec(const char* sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string text = message != nullptr ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        std::string_view shown(sql);
        if (shown.size() > 60) {
            shown = shown.substr(0, 60);  // migrations are long; their start says which one
        }
        return error_text(fmt::format("'{}' failed: {}{}", shown, text, hint(rc)));
    }
    return boost::outcome_v2::success();
}

Result<Statement> Database::prepare(std::string_view sql) {
    std::string key(sql);
    auto it = statements_.find(key);
    if (it != statements_.end() && !it->second.in_use) {
        it->second.in_use = true;
        return Statement(*this, it->second.stmt, &it->second.in_use);
    }
    const bool cache = it == statements_.end();
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_,
                                      key.c_str(),
                                      static_cast<int>(key.size()) + 1,
                                      cache ? SQLITE_PREPARE_PERSISTENT : 0,
                                      &stmt,
                                      nullptr);
    if (rc != SQLITE_OK) {
        return error(fmt::format("preparing '{}' failed", sql));
    }
    if (!cache) {
        return Statement(*this, stmt, nullptr);
    }
    auto& cached = statements_.emplace(std::move(key), Cached{stmt, true}).first->second;
    return Statement(*this, stmt, &cached.in_use);
}

Result<void> Database::busy_timeout(int ms) {
    if (sqlite3_busy_timeout(db_, ms) != SQLITE_OK) {
        return error("setting the busy timeout failed");
    }
    return boost::outcome_v2::success();
}

std::int64_t Database::changes() const {
    return sqlite3_changes64(db_);
}

Error Database::rollback_after(Error cause) {
    // SQLite may already have rolled back (e.g. after SQLITE_FULL); then there is nothing to undo.
    if (sqlite3_get_autocommit(db_) == 0) {
        if (auto rolled = exec("ROLLBACK"); !rolled) {
            cause.message += "; rollback also failed: " + rolled.error().message;
        }
    }
    return cause;
}

}  // namespace tocsin::store
