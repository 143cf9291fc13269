#include "script.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace tocsin::testing {

std::string write_script(const TempDir& dir, const std::string& name, const std::string& body) {
    const std::string path = dir.write(name, "#!/bin/sh\n" + body);
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
    return path;
}

bool process_gone(pid_t pid, int limit_ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
    for (;;) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        if (!stat) {
            return true;
        }
        std::string line;
        std::getline(stat, line);
        // Field 3, after the parenthesised command name, is the state; Z = zombie (dead).
        const auto close = line.rfind(')');
        if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z') {
            return true;
        }
        if (std::chrono::steady_clock::now() >= until) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

pid_t read_pid_file(const std::string& path) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    for (;;) {
        std::ifstream in(path);
        pid_t pid = -1;
        if (in >> pid && pid > 0) {
            return pid;
        }
        if (std::chrono::steady_clock::now() >= until) {
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace tocsin::testing
