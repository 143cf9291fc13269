#pragma once

#include "engine/alert.hpp"
#include "engine/model.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

/// `tocsin simulate -c FILE --series DATA --from T --to T`: replays recorded KPI values through a
/// configuration on a virtual clock and lists every notification it would have sent, with the
/// escalation steps, quiet hours, grouping and repeats of its policies. Pure: no plugins, no I/O.
namespace tocsin::engine {

/// Reads recorded values, one per line: `time,kpi,value[,labels]`, where time is RFC 3339 (or
/// Unix milliseconds) and labels are `name=value` pairs separated by `;`
/// (`2026-01-05T06:00:00Z,job_failures,12,job=invoices;team=ops`). Blank lines, lines starting
/// with `#` and a header line starting with `time,` are skipped. Nullopt with "line N: ..." in
/// `why` on the first bad line.
[[nodiscard]] std::optional<std::vector<Sample>> parse_series_csv(const std::string& text,
                                                                  std::string& why);

/// Every notification the configuration would have sent for `samples` between `from` and `to`
/// (samples outside are ignored), in the order they were decided.
[[nodiscard]] std::vector<Notification> simulate(std::shared_ptr<const LoadedConfig> loaded,
                                                 std::vector<Sample> samples,
                                                 TimePoint from,
                                                 TimePoint to);

/// The timeline as text: one line per notification (time, kind, severity, alert, notifier,
/// labels, summary) and, for a batch, one indented line per alert it lists.
[[nodiscard]] std::string format_timeline(const std::vector<Notification>& sent);

}  // namespace tocsin::engine
