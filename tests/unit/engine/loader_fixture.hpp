#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>

#include "engine/diagnostics.hpp"
#include "engine/loader.hpp"

/// Shared by the config and rule loader tests: a temp folder that cleans up after itself, and
/// checks on rendered diagnostics.
namespace tocsin::engine::testing {

class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() /
                ("tocsin-loader-" + std::to_string(rd()) + "-" + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

    /// Writes `text` to `name` (folders are created) and returns the full path.
    std::string write(const std::string& name, const std::string& text) const {
        const auto file = path_ / name;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << text;
        return file.string();
    }

private:
    std::filesystem::path path_;
};

/// An environment for `${env:...}` that holds only what the test puts in it.
inline EnvLookup fake_env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        const auto it = vars.find(name);
        if (it == vars.end()) {
            return std::nullopt;
        }
        return it->second;
    };
}

/// Checks that the rendered diagnostics hold `expected` (e.g. "/tmp/x/a.yaml:3:10: error: rule
/// 'X' > for: ...") at the start of a line, and prints them all when not.
inline void require_diag(const Diagnostics& diags, const std::string& expected) {
    const std::string rendered = diags.render();
    INFO("diagnostics:\n" << rendered);
    const bool found = rendered.rfind(expected, 0) == 0 || rendered.find("\n" + expected) != std::string::npos;
    CHECK(found);
}

}  // namespace tocsin::engine::testing
