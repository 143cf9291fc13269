#pragma once

// Fixtures shared by the plugin host tests: the shared temp dir, log capture, and the test plugin
// paths.

#include "plugin_host/host_log.hpp"
#include "support/temp_dir.hpp"

#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace tocsin::plugin_host::test {

inline const std::string kPluginDir = TOCSIN_TEST_PLUGIN_DIR;
inline const std::string kBadPluginDir = std::string(TOCSIN_TEST_PLUGIN_DIR) + "/bad";
inline const std::string kDupPluginDir = std::string(TOCSIN_TEST_PLUGIN_DIR) + "/dup";

inline std::string plugin_path(const std::string& file) {
    return kPluginDir + "/" + file;
}

using tocsin::testing::TempDir;

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream
        text;  // not istreambuf_iterator: g++ 12 warns falsely about it (-Wnull-dereference)
    text << in.rdbuf();
    return text.str();
}

struct LogLine {
    tocsin_log_level level;
    std::string component;
    std::string message;
};

/// Captures the host log sink while alive; restores the stderr default afterwards.
class LogCapture {
public:
    LogCapture() {
        set_log_sink([this](tocsin_log_level level,
                            const std::string& component,
                            const std::string& message) {
            const std::lock_guard lock(mutex_);
            lines_.push_back(LogLine{level, component, message});
        });
    }
    ~LogCapture() { set_log_sink(nullptr); }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

    [[nodiscard]] std::vector<LogLine> lines() const {
        const std::lock_guard lock(mutex_);
        return lines_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<LogLine> lines_;
};

}  // namespace tocsin::plugin_host::test
