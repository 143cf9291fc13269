#pragma once

// A private folder for the loader targets, whose parsers read files: created once per process
// under $TMPDIR, removed at exit. The input is written to one fixed file in it for each run.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace tocsin::fuzz {

class Sandbox {
public:
    Sandbox() {
        const char* tmp = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe): one thread
        std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/tocsin-fuzz-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            std::abort();
        }
        dir_ = pattern;
    }
    ~Sandbox() {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    Sandbox(const Sandbox&) = delete;
    Sandbox& operator=(const Sandbox&) = delete;

    /// The path of `name` in the folder.
    [[nodiscard]] std::string path(const std::string& name) const { return (dir_ / name).string(); }

    /// Writes `text` to `name` in the folder (replacing it) and returns its path.
    std::string write(const std::string& name, std::string_view text) const {
        const std::string p = path(name);
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.close();
        if (!out) {
            std::abort();
        }
        return p;
    }

private:
    std::filesystem::path dir_;
};

}  // namespace tocsin::fuzz
