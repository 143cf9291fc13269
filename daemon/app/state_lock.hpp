#pragma once

#include "engine/result.hpp"

#include <string>

/// One daemon per state folder: `run` holds an advisory lock (flock) on `<state_dir>/daemon.lock`
/// until it exits. Two daemons on one state folder would both deliver the outbox, so the second
/// is refused at start-up with the first one's pid. The kernel drops the lock when the process
/// dies, so a crash (SIGKILL, power loss) never leaves a stale lock behind. CLI commands that
/// open the store (`tocsin report`) do not take it.
namespace tocsin::app {

class StateLock {
public:
    /// Takes the lock, writing our pid into the file. Fails naming the holder's pid when another
    /// process holds it, or with the system's reason when the file cannot be created.
    static Result<StateLock> acquire(const std::string& state_dir);

    StateLock(StateLock&& other) noexcept;
    StateLock& operator=(StateLock&& other) noexcept;
    StateLock(const StateLock&) = delete;
    StateLock& operator=(const StateLock&) = delete;
    ~StateLock();

private:
    explicit StateLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

}  // namespace tocsin::app
