#pragma once

#include "engine/time.hpp"

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>

/// Back-pressure for polled sources. A collection that comes due while its group's previous one
/// is still running, or while the state database has not yet written the previous one's engine
/// step, is skipped rather than queued: queued steps of a large scrape grew the daemon by
/// gigabytes and delayed every push behind them (bench/compare/README.md, "Scaling"). The next
/// collection is scheduled as usual. This class words the warning for a skip and keeps it to one
/// line a minute per source instance; the daemon counts each skip in
/// tocsin_source_collections_skipped_total.
/// Threading: not thread-safe; the daemon uses it on the loop only.
namespace tocsin::app {

/// Why a due collection did not run.
enum class SkipReason {
    StoreBehind,   // the state database has not yet written the group's previous collection
    StillRunning,  // the previous collection has not returned yet
    WorkersBusy,   // every plugin worker is busy and the worker queue is full
};

/// The `reason` label of tocsin_source_collections_skipped_total: `store_behind`,
/// `still_running` or `workers_busy`.
[[nodiscard]] const char* skip_label(SkipReason reason);

class CollectionSkips {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr Clock::duration kLogEvery = std::chrono::minutes(1);

    /// Records one skipped collection of `source` (due every `every`). Answers the warning to log
    /// now: the reason and what to change. Answers nullopt when one was logged for this source
    /// less than kLogEvery ago; the skips meanwhile are counted into the next warning.
    [[nodiscard]] std::optional<std::string> skipped(const std::string& source,
                                                     SkipReason reason,
                                                     engine::Duration every,
                                                     Clock::time_point now);

private:
    struct PerSource {
        std::optional<Clock::time_point> logged;
        std::size_t unlogged = 0;  // skips since the last warning, this one included
    };
    std::map<std::string, PerSource> sources_;
};

}  // namespace tocsin::app
