#include "support/write_lock.hpp"

#include <sqlite3.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace tocsin::testing {

WriteLock::WriteLock(const std::string& path, Mode mode) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        sqlite3_close(db_);
        throw std::runtime_error("open " + path);
    }
    // Retried every millisecond rather than through SQLite's busy handler, whose growing sleeps
    // (up to 100 ms) keep missing the gaps of a daemon that commits ten times a second.
    const char* begin = mode == Mode::Exclusive ? "BEGIN EXCLUSIVE" : "BEGIN IMMEDIATE";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int rc = sqlite3_exec(db_, begin, nullptr, nullptr, nullptr);
    while (rc == SQLITE_BUSY && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        rc = sqlite3_exec(db_, begin, nullptr, nullptr, nullptr);
    }
    if (rc != SQLITE_OK) {
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
