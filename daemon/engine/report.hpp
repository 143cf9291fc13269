#pragma once

#include "engine/alert.hpp"
#include "engine/cron.hpp"
#include "engine/model.hpp"
#include "engine/time.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Scheduled KPI reports (`reports:`, DESIGN.md §5): when one is due, and what it says. Pure: the
/// app passes in the engine's latest samples and alert instances, the time, and what the previous
/// run sent; it sends the notifications and keeps the run (see ReportRun) in the store.
namespace tocsin::engine {

/// A run whose scheduled instant passed while the daemon was down is sent at start-up only if it
/// is less than this late; an older one is skipped (a "daily" report at 3 pm helps nobody).
inline constexpr Duration kReportCatchUp{std::chrono::hours(1)};

/// One value a report sent, kept for the trend shown by the next one.
struct ReportValue {
    std::string kpi;
    Labels labels;
    double value = 0;
};

/// What the store keeps of a report's last run, as JSON in `meta` under report_meta_key().
struct ReportRun {
    TimePoint scheduled{};  // the scheduled instant the run was for
    TimePoint sent_at{};    // when it was built
    std::vector<ReportValue> values;
};

/// "report:<name>".
[[nodiscard]] std::string report_meta_key(const std::string& name);
/// {"scheduled_ms":..,"sent_at_ms":..,"values":[{"kpi":..,"labels":{..},"value":..}]}.
[[nodiscard]] std::string encode_report_run(const ReportRun& run);
/// nullopt when `json` is not what encode_report_run() writes (the caller starts afresh).
[[nodiscard]] std::optional<ReportRun> decode_report_run(std::string_view json);

/// The report's schedule in its zone: its own `timezone`, else `default_timezone` (tocsin.yaml),
/// else UTC when neither names a known zone (the loader has reported a bad name already).
[[nodiscard]] CronSchedule report_schedule(const ReportDef& def, std::string_view default_timezone);

/// What a report has to do at `now`.
struct ReportPlan {
    /// The latest scheduled instant after the last run that is at most `now` and less than
    /// kReportCatchUp ago: send the report for it now. Instants missed before it are not sent.
    std::optional<TimePoint> due_now;
    /// The first instant after the last run that is too late to send (for the log); nullopt when
    /// none was skipped.
    std::optional<TimePoint> skipped;
    /// The next scheduled instant after `now` (TimePoint::max() when there is none).
    TimePoint next{};
};

/// Decides from the last run's scheduled instant (nullopt: the report never ran; its first run is
/// then the next instant after `now`). Called at start-up, after a reload and whenever a report's
/// timer fires; feeding it the instant it returned in `due_now` never gives that instant again.
[[nodiscard]] ReportPlan plan_report(const CronSchedule& schedule,
                                     std::optional<TimePoint> last_run,
                                     TimePoint now);

/// One line per series of each KPI in `def.kpis` (in that order; series sorted by labels), and a
/// line without a value for a KPI that has no series yet. Status comes from the firing instances
/// on the series (the most severe; `stale` when a nodata alert fires), the trend from `previous`.
[[nodiscard]] std::vector<ReportLine> build_report_lines(
    const ReportDef& def,
    const RuleSet& rules,
    const std::vector<Sample>& latest,
    const std::vector<AlertInstance>& instances,
    const std::vector<ReportValue>& previous);

/// "report-<name>-<scheduled ms>/<notifier>": the same for a given scheduled instant whoever
/// builds it, so the outbox drops a second copy after a crash and restart.
[[nodiscard]] std::string report_id(const std::string& name,
                                    TimePoint scheduled,
                                    const std::string& notifier);

/// One Notification of kind Report per notifier in `def.notify`, carrying `lines`.
[[nodiscard]] std::vector<Notification> build_report(const ReportDef& def,
                                                     const std::vector<ReportLine>& lines,
                                                     TimePoint scheduled,
                                                     TimePoint now);

/// The values the lines show, to keep for the next run's trend (lines without data are left out,
/// so the next report compares with the last value that was seen).
[[nodiscard]] std::vector<ReportValue> report_values(const std::vector<ReportLine>& lines,
                                                     const std::vector<ReportValue>& previous);

}  // namespace tocsin::engine
