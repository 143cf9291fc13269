#include "app/file_watch.hpp"

#include <glob.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

namespace tocsin::app {
namespace {

/// The files a pattern matches now; a pattern without glob characters names its file even when
/// it is missing (its disappearance is a change).
std::vector<std::string> expand(const std::string& pattern) {
    if (pattern.find_first_of("*?[") == std::string::npos) {
        return {pattern};
    }
    std::vector<std::string> out;
    glob_t g{};
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
        for (std::size_t i = 0; i < g.gl_pathc; ++i) {
            out.emplace_back(g.gl_pathv[i]);
        }
    }
    globfree(&g);
    return out;
}

}  // namespace

void FileWatch::reset(const engine::LoadedConfig& loaded) {
    fixed_.clear();
    patterns_ = loaded.config.rule_files;
    fixed_.push_back(loaded.config.file);
    for (const auto& [name, module] : loaded.rules.modules) {
        fixed_.push_back(module.file);
    }
    if (!loaded.config.api.token_file.empty()) {
        fixed_.push_back(loaded.config.api.token_file);
    }
    baseline_ = stamp_all();
    last_seen_ = baseline_;
    hash_ = content_hash(baseline_);
}

bool FileWatch::poll() {
    auto now = stamp_all();
    if (now != last_seen_) {
        last_seen_ = std::move(now);
        return false;  // still moving: look again at the next poll
    }
    if (now == baseline_) {
        return false;
    }
    baseline_ = now;
    const auto hash = content_hash(now);
    if (hash == hash_) {
        return false;  // touched, not changed
    }
    hash_ = hash;
    return true;
}

std::vector<std::string> FileWatch::files() const {
    std::vector<std::string> out;
    for (const auto& [path, stamp] : last_seen_) {
        out.push_back(path);
    }
    return out;
}

FileWatch::Stamps FileWatch::stamp_all() const {
    Stamps out;
    const auto add = [&out](const std::string& path) {
        Stamp s;
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0) {
            s.size = static_cast<std::int64_t>(st.st_size);
            s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                         static_cast<std::int64_t>(st.st_mtim.tv_nsec);
        }
        out[path] = s;
    };
    for (const auto& f : fixed_) {
        add(f);
    }
    for (const auto& p : patterns_) {
        for (const auto& f : expand(p)) {
            add(f);
        }
    }
    return out;
}

/// FNV-1a 64 over every path and its contents (a missing file hashes as its path alone).
std::uint64_t FileWatch::content_hash(const Stamps& stamps) {
    std::uint64_t h = 1469598103934665603ULL;
    const auto feed = [&h](const std::string& bytes) {
        for (const unsigned char c : bytes) {
            h = (h ^ c) * 1099511628211ULL;
        }
    };
    for (const auto& [path, stamp] : stamps) {
        feed(path);
        feed(std::string(1, '\0'));
        std::ifstream in(path, std::ios::binary);
        if (in) {
            feed(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
        }
        feed(std::string(1, '\0'));
    }
    return h;
}

}  // namespace tocsin::app
