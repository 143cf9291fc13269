#pragma once

#include "engine/model.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

/// Watching the configuration's files without inotify: a poll of sizes and modification times,
/// then a hash of the contents when those moved (`reload: {watch: true}` in tocsin.yaml).
namespace tocsin::app {

class FileWatch {
public:
    /// Takes the files `loaded` was read from, as they are now, as the baseline: tocsin.yaml,
    /// every file its rule_files patterns match (patterns are expanded again at each poll, so a
    /// new file shows up), the Lua modules and the API token file.
    void reset(const engine::LoadedConfig& loaded);

    /// True when the files changed since the baseline and have held still since the previous
    /// poll (an editor that writes in several steps is not caught half way): a file appeared,
    /// went away or has other contents. The change becomes the new baseline, so a refused reload
    /// is not retried until the files change again. Touching a file is not a change.
    [[nodiscard]] bool poll();

    /// The paths watched at the last poll or reset, sorted.
    [[nodiscard]] std::vector<std::string> files() const;

private:
    struct Stamp {
        std::int64_t size = -1;  // -1: missing
        std::int64_t mtime_ns = 0;
        bool operator==(const Stamp&) const = default;
    };
    using Stamps = std::map<std::string, Stamp>;

    [[nodiscard]] Stamps stamp_all() const;
    [[nodiscard]] static std::uint64_t content_hash(const Stamps& stamps);

    std::vector<std::string> fixed_;     // files named directly
    std::vector<std::string> patterns_;  // rule_files patterns (globs)
    Stamps baseline_;
    Stamps last_seen_;
    std::uint64_t hash_ = 0;
};

}  // namespace tocsin::app
