#include "app/state_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace tocsin::app {
namespace {

constexpr const char* kLockFile = "daemon.lock";

/// The pid the holder wrote, or "unknown" (it may be between open and write).
std::string holder_pid(int fd) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) {
        pid.pop_back();
    }
    return pid.empty() ? "unknown" : pid;
}

}  // namespace

Result<StateLock> StateLock::acquire(const std::string& state_dir) {
    const std::string path = state_dir + "/" + kLockFile;
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return make_error(ErrorCode::Io,
                          "cannot create the lock file: " + std::string(std::strerror(errno)),
                          "store '" + path + "'");
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        std::string message =
            err == EWOULDBLOCK
                ? "another tocsin daemon (pid " + holder_pid(fd) +
                      ") already runs on this state folder; stop it, or give this one its own "
                      "state_dir"
                : "cannot lock the state folder: " + std::string(std::strerror(err));
        ::close(fd);
        return make_error(ErrorCode::Io, std::move(message), "store '" + path + "'");
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    // The pid is only for the message above; failing to write it does not matter.
    if (::ftruncate(fd, 0) == 0) {
        (void)::pwrite(fd, pid.data(), pid.size(), 0);
    }
    return StateLock(fd);
}

StateLock::StateLock(StateLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

StateLock& StateLock::operator=(StateLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

StateLock::~StateLock() {
    if (fd_ >= 0) {
        ::close(fd_);  // releases the flock
    }
}

}  // namespace tocsin::app
