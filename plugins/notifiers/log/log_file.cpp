#include "log_file.hpp"

#include "log_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tocsin::plugins::log {
namespace {

constexpr mode_t kFileMode = 0640;  // notifications may name customers: not world-readable

std::string describe_errno(int error) {
    return std::strerror(
        error);  // NOLINT(concurrency-mt-unsafe): glibc's is thread-safe for known errnos
}

}  // namespace

std::string render_line(const sdk::Json& notification) {
    return notification.dump() + "\n";
}

AppendFile::AppendFile(std::string path)
    : path_(std::move(path)), to_stderr_(path_ == kStderrPath) {}

AppendFile::~AppendFile() {
    close_file();
}

void AppendFile::close_file() {
    if (fd_ >= 0 && !to_stderr_) {
        ::close(fd_);
    }
    fd_ = -1;
}

std::optional<std::string> AppendFile::ensure_open() {
    if (to_stderr_) {
        fd_ = STDERR_FILENO;
        return std::nullopt;
    }
    if (fd_ >= 0) {
        struct stat current {};
        // Moved away or deleted (logrotate): `path` no longer names the file we hold open.
        if (::stat(path_.c_str(), &current) != 0 || current.st_dev != device_ ||
            current.st_ino != inode_) {
            close_file();
        }
    }
    if (fd_ >= 0) {
        return std::nullopt;
    }
    const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, kFileMode);
    if (fd < 0) {
        return "cannot open '" + path_ + "': " + describe_errno(errno);
    }
    struct stat opened {};
    if (::fstat(fd, &opened) != 0) {
        const int error = errno;
        ::close(fd);
        return "cannot open '" + path_ + "': " + describe_errno(error);
    }
    fd_ = fd;
    device_ = opened.st_dev;
    inode_ = opened.st_ino;
    ++open_count_;
    return std::nullopt;
}

std::optional<std::string> AppendFile::append(std::string_view line) {
    if (auto error = ensure_open()) {
        return error;
    }
    while (!line.empty()) {
        const auto written = ::write(fd_, line.data(), line.size());
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            const int error = written < 0 ? errno : EIO;
            close_file();
            return "cannot write to '" + path_ + "': " + describe_errno(error);
        }
        line.remove_prefix(static_cast<std::size_t>(written));
    }
    return std::nullopt;
}

}  // namespace tocsin::plugins::log
