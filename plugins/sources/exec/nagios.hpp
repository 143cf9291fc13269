#pragma once

// Nagios plugin output, as the exec source reads it: the exit code is the state (0 OK,
// 1 WARNING, 2 CRITICAL, 3 UNKNOWN) and stdout is `TEXT | perfdata` on the first line, optional
// long text on the following lines, and more perfdata after a `|` on any of them (Nagios plugin
// development guidelines, "plugin output" and "performance data").

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tocsin::plugins::exec {

/// One `'label'=value[UOM];warn;crit;min;max` item. Thresholds that are ranges (`10:20`, `@5`)
/// or absent are nothing.
struct PerfData {
    std::string label;
    double value = 0;
    std::string uom;
    std::optional<double> warn;
    std::optional<double> crit;
    std::optional<double> min;
    std::optional<double> max;
};

struct NagiosOutput {
    std::string text;  // the first line before any `|`, trimmed
    std::vector<PerfData> perfdata;
    std::vector<std::string> warnings;  // items that were skipped, and why
};

/// Splits plugin output into text and perfdata. Never fails: malformed items are skipped with a
/// warning (a value of `U` means "unknown" and is skipped too).
[[nodiscard]] NagiosOutput parse_nagios(std::string_view output);

/// Which number of a perfdata item a KPI takes (the per-KPI `perfdata_field` key).
enum class PerfField { Value, Warn, Crit, Min, Max };

/// "value", "warn", "crit", "min", "max".
[[nodiscard]] std::optional<PerfField> parse_perf_field(std::string_view name);

/// The chosen number of `item`, nothing when that field is absent.
[[nodiscard]] std::optional<double> perf_field(const PerfData& item, PerfField field);

/// "OK", "WARNING", "CRITICAL", "UNKNOWN" for exit codes 0-3.
[[nodiscard]] const char* state_name(int exit_code);

}  // namespace tocsin::plugins::exec
