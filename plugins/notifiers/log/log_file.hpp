#pragma once

// The file side of the log notifier: rendering one notification as one line, and appending lines
// to a file that logrotate may move away at any time. No plugin ABI here, so tests drive it
// directly on real files.

#include <tocsin/sdk/json.hpp>

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace tocsin::plugins::log {

/// The notification as compact JSON plus '\n'. Compact JSON escapes control characters, so the
/// result is exactly one line whatever the strings hold.
[[nodiscard]] std::string render_line(const sdk::Json& notification);

/// Appends lines to `path` (opened O_APPEND, created 0640 if missing), or to stderr for "-".
/// Before each write it checks whether `path` still names the open file; when logrotate moved or
/// deleted it, the file is reopened, so lines go to the new file. Threading: one caller at a time.
class AppendFile {
public:
    /// Does no I/O; the file is opened by the first append().
    explicit AppendFile(std::string path);
    ~AppendFile();
    AppendFile(const AppendFile&) = delete;
    AppendFile& operator=(const AppendFile&) = delete;
    AppendFile(AppendFile&&) = delete;
    AppendFile& operator=(AppendFile&&) = delete;

    /// Writes `line` with one write(2) per chunk, so it is in the kernel (visible to readers)
    /// when this returns; no fsync. Returns "cannot open/write '<path>': <reason>" on failure, and
    /// closes the file so the next call starts afresh.
    [[nodiscard]] std::optional<std::string> append(std::string_view line);

    /// How often the file was (re)opened; lets tests see rotation handling.
    [[nodiscard]] int open_count() const { return open_count_; }

private:
    std::optional<std::string> ensure_open();
    void close_file();

    std::string path_;
    bool to_stderr_;
    int fd_ = -1;
    dev_t device_ = 0;
    ino_t inode_ = 0;
    int open_count_ = 0;
};

}  // namespace tocsin::plugins::log
