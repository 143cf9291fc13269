#include "app/collection_skips.hpp"

#include <fmt/format.h>

namespace tocsin::app {

const char* skip_label(SkipReason reason) {
    switch (reason) {
        case SkipReason::StoreBehind:
            return "store_behind";
        case SkipReason::StillRunning:
            return "still_running";
        case SkipReason::WorkersBusy:
            return "workers_busy";
    }
    return "store_behind";
}

std::optional<std::string> CollectionSkips::skipped(const std::string& source,
                                                    SkipReason reason,
                                                    engine::Duration every,
                                                    Clock::time_point now) {
    auto& s = sources_[source];
    s.unlogged += 1;
    if (s.logged && now - *s.logged < kLogEvery) {
        return std::nullopt;
    }
    const std::string count =
        s.logged ? fmt::format(" ({} skipped since the last warning)", s.unlogged) : std::string();
    s.logged = now;
    s.unlogged = 0;
    const std::string interval = engine::format_duration(every);
    switch (reason) {
        case SkipReason::StoreBehind:
            return fmt::format(
                "collection skipped: the state database has not yet written this source's previous "
                "collection, so it cannot keep up with one every {}{}; collect less often "
                "(every:), "
                "collect fewer series, or put state_dir on a faster disk",
                interval,
                count);
        case SkipReason::StillRunning:
            return fmt::format(
                "collection skipped: the previous one is still running after {}{}; collect less "
                "often (every:) or lower the source's timeout",
                interval,
                count);
        case SkipReason::WorkersBusy:
            return fmt::format(
                "collection skipped: every plugin worker is busy{}; collect less often (every:) or "
                "from fewer sources at once",
                count);
    }
    return std::nullopt;
}

}  // namespace tocsin::app
