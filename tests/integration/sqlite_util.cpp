#include "sqlite_util.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace tocsin::testing {
namespace {

struct Db {
    explicit Db(const std::string& path, int flags) {
        if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
            const std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
            sqlite3_close(db);
            db = nullptr;
            throw std::runtime_error("open " + path + ": " + msg);
        }
        sqlite3_busy_timeout(db, 5000);
    }
    ~Db() { sqlite3_close(db); }
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    sqlite3* db = nullptr;
};

}  // namespace

void sql_exec(const std::string& path, const std::string& sql) {
    Db d(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    char* err = nullptr;
    if (sqlite3_exec(d.db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        const std::string msg = err ? err : "?";
        sqlite3_free(err);
        throw std::runtime_error("sql: " + msg + " in: " + sql);
    }
}

std::vector<std::string> sql_column(const std::string& path, const std::string& sql) {
    Db d(path, SQLITE_OPEN_READONLY);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(d.db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
        throw std::runtime_error(std::string("prepare: ") + sqlite3_errmsg(d.db) + " in: " + sql);
    }
    std::vector<std::string> out;
    int rc = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const auto* text = sqlite3_column_text(stmt, 0);
        out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        throw std::runtime_error(std::string("step: ") + sqlite3_errmsg(d.db));
    }
    return out;
}

std::optional<std::string> sql_value(const std::string& path, const std::string& sql) {
    try {
        auto rows = sql_column(path, sql);
        if (rows.empty()) {
            return std::nullopt;
        }
        return rows.front();
    } catch (const std::runtime_error&) {
        return std::nullopt;  // not created yet, or busy: the caller polls
    }
}

}  // namespace tocsin::testing
