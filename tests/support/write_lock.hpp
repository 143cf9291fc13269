#pragma once

#include <string>

struct sqlite3;

namespace tocsin::testing {

/// Holds a write transaction open on the SQLite database at `path` from another connection,
/// as a slow disk, a backup or a sqlite3 shell would, from construction until release() or
/// destruction: the daemon's commits wait meanwhile. Throws std::runtime_error when the file
/// cannot be opened or the lock cannot be taken within 10 s.
class WriteLock {
public:
    enum class Mode { Immediate, Exclusive };  // BEGIN IMMEDIATE or BEGIN EXCLUSIVE

    explicit WriteLock(const std::string& path, Mode mode = Mode::Immediate);
    ~WriteLock();
    WriteLock(const WriteLock&) = delete;
    WriteLock& operator=(const WriteLock&) = delete;
    void release();

private:
    sqlite3* db_ = nullptr;
};

}  // namespace tocsin::testing
