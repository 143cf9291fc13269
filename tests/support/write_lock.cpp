#include "support/write_lock.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace tocsin::testing {

WriteLock::WriteLock(const std::string& path, Mode mode) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        sqlite3_close(db_);
        throw std::runtime_error("open " + path);
    }
    sqlite3_busy_timeout(db_, 5000);
    const char* begin = mode == Mode::Exclusive ? "BEGIN EXCLUSIVE" : "BEGIN IMMEDIATE";
    if (sqlite3_exec(db_, begin, nullptr, nullptr, nullptr) != SQLITE_OK) {
        const std::string msg = sqlite3_errmsg(db_);
        sqlite3_close(db_);
        db_ = nullptr;
        throw std::runtime_error(std::string(begin) + " on " + path + ": " + msg);
    }
}

WriteLock::~WriteLock() {
    release();
}

void WriteLock::release() {
    if (db_ != nullptr) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(db_);
        db_ = nullptr;
    }
}

}  // namespace tocsin::testing
