#pragma once

#include "engine/alert.hpp"
#include "engine/model.hpp"
#include "engine/report.hpp"
#include "engine/time.hpp"
#include "store/store.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}

/// Runs the scheduled reports (`reports:`) of the daemon's configuration on its event loop.
///
/// Each report is due at the next instant of its cron schedule after its last run. When the
/// earliest one is due, the runner reads the engine's latest samples and alert instances, builds
/// the report (engine/report.hpp) and hands one store batch to the daemon: the outbox items (ids
/// "report-<name>-<scheduled ms>/<notifier>") and the `meta` record `report:<name>` with the
/// scheduled instant and the values sent, so both survive a crash together and a report is never
/// sent twice for one instant. At start-up a run whose instant passed while the daemon was down
/// is sent once if it is less than engine::kReportCatchUp late, else skipped (logged).
///
/// Threading: every call, and every callback, runs on the loop thread.
namespace tocsin::app {

/// What a run reads from the engine at the moment it runs.
struct ReportInputs {
    std::vector<engine::Sample> latest;
    std::vector<engine::AlertInstance> instances;
};

/// The store batch of one run: the notifications rendered as outbox items, and the run record.
[[nodiscard]] store::Batch report_batch(const std::vector<engine::Notification>& notifications,
                                        const std::string& report,
                                        const engine::ReportRun& run,
                                        const std::string& external_url);

/// Reads the last run of each report from the store (start-up; before the store thread starts).
/// A record that cannot be read is logged and left out (the report then starts afresh).
[[nodiscard]] std::map<std::string, engine::ReportRun> load_report_runs(
    store::Store& store, const std::vector<engine::ReportDef>& reports);

class ReportRunner {
public:
    using Inputs = std::function<ReportInputs()>;
    using Submit = std::function<void(store::Batch)>;
    using Now = std::function<engine::TimePoint()>;

    /// `inputs`, `submit` and `now` are called on the loop thread for as long as this runner
    /// lives; `loop` must outlive it.
    ReportRunner(boost::asio::io_context& loop, Inputs inputs, Submit submit, Now now);
    ~ReportRunner();
    ReportRunner(const ReportRunner&) = delete;
    ReportRunner& operator=(const ReportRunner&) = delete;

    /// Start-up: takes the reports of `loaded` with their stored runs, sends the late runs that
    /// may still go out, and arms the timer. Reports without a stored run start now.
    void start(std::shared_ptr<const engine::LoadedConfig> loaded,
               const std::map<std::string, engine::ReportRun>& stored,
               std::string external_url);
    /// Reload: reports whose name, schedule and zone are unchanged keep their last run and trend
    /// values; new or rescheduled ones start now.
    void reload(std::shared_ptr<const engine::LoadedConfig> loaded, std::string external_url);
    /// Cancels the timer; nothing is sent after this.
    void stop();

    /// The next instant a report is due (for status and tests), or nullopt when none is.
    [[nodiscard]] std::optional<engine::TimePoint> next_due() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tocsin::app
