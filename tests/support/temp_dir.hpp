#pragma once

// The one temp-dir fixture every test suite uses: real files in a real folder, gone afterwards.

#include <filesystem>
#include <string>

namespace tocsin::testing {

/// A fresh, uniquely named directory under the system temp dir, removed with everything in it on
/// destruction. Neither copyable nor movable: exactly one owner deletes it.
class TempDir {
public:
    /// Creates the directory; throws std::system_error when the temp dir is not writable.
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    TempDir(TempDir&&) = delete;
    TempDir& operator=(TempDir&&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    /// The directory as a string, for APIs that take one.
    [[nodiscard]] std::string str() const { return path_.string(); }
    /// The full path of `name` inside the directory (the file need not exist).
    [[nodiscard]] std::string file(const std::string& name) const {
        return (path_ / name).string();
    }
    /// Writes `text` to `name` byte for byte (creating parent folders, replacing any old file)
    /// and returns the full path.
    std::string write(const std::string& name, const std::string& text) const;

private:
    std::filesystem::path path_;
};

}  // namespace tocsin::testing
