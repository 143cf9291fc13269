#include "app/report_message.hpp"

#include "engine/format.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>

namespace tocsin::app {
namespace {

/// A mark per status, so a reader sees the bad lines before reading them.
const char* status_mark(const std::string& status) {
    if (status == "critical") {
        return "\U0001F534";  // red circle
    }
    if (status == "warning") {
        return "\U0001F7E0";  // orange circle
    }
    if (status == "stale") {
        return "\u23F3";  // hourglass
    }
    if (status == "no data") {
        return "\u2754";  // white question mark
    }
    return "\u2705";  // check mark
}

/// A difference in the KPI's unit. A change of a ratio shown as a percentage is in percentage
/// points; "+2.0%" would read as a relative change.
std::string change_text(double delta, engine::Unit unit) {
    const char* sign = delta < 0 ? "-" : "+";
    std::string magnitude = engine::format_by_unit(std::fabs(delta), unit);
    if (unit == engine::Unit::Percent && !magnitude.empty() && magnitude.back() == '%') {
        magnitude.pop_back();
        magnitude += " pp";
    }
    return sign + magnitude;
}

std::string value_of(const engine::ReportLine& line) {
    return line.value ? engine::format_by_unit(*line.value, line.unit_kind) : "no data";
}

/// "3 ok", "1 critical, 2 ok": the statuses in order of urgency.
std::string counts(const std::vector<engine::ReportLine>& lines) {
    static const char* const kOrder[] = {"critical", "warning", "stale", "no data", "ok"};
    std::map<std::string, int> by_status;
    for (const auto& line : lines) {
        by_status[report_status(line)] += 1;
    }
    std::string out;
    for (const char* status : kOrder) {
        if (const auto it = by_status.find(status); it != by_status.end()) {
            out += (out.empty() ? "" : ", ") + std::to_string(it->second) + " " + status;
        }
    }
    return out.empty() ? "nothing to report" : out;
}

}  // namespace

std::string report_status(const engine::ReportLine& line) {
    if (line.stale) {
        return "stale";  // the value shown is old, whatever it says
    }
    if (line.severity == engine::Severity::Critical) {
        return "critical";
    }
    if (line.severity == engine::Severity::Warning) {
        return "warning";
    }
    return line.value ? "ok" : "no data";
}

std::string report_trend(const engine::ReportLine& line) {
    if (!line.value || !line.previous) {
        return "";
    }
    const double delta = *line.value - *line.previous;
    const std::string was = engine::format_by_unit(*line.previous, line.unit_kind);
    if (delta == 0) {
        return "\u2192 unchanged since the last report";
    }
    return fmt::format("{} {} since the last report ({})",
                       delta > 0 ? "\u2191" : "\u2193",
                       change_text(delta, line.unit_kind),
                       was);
}

std::string report_series_name(const engine::ReportLine& line) {
    if (line.labels.empty()) {
        return line.kpi;
    }
    std::string labels;
    for (const auto& [k, v] : line.labels) {
        labels += (labels.empty() ? "" : ", ") + k + "=" + v;
    }
    return line.kpi + "{" + labels + "}";
}

Message compose_report_message(const engine::Notification& n) {
    Message m;
    const std::string& title = n.report_title.empty() ? n.report : n.report_title;
    m.title = fmt::format("{}: {}", title, counts(n.report_lines));
    std::string text = fmt::format("{} (report '{}', scheduled for {})\n",
                                   title,
                                   n.report,
                                   engine::format_rfc3339(n.starts_at));
    std::string short_text = title + ":";
    for (const auto& line : n.report_lines) {
        const std::string status = report_status(line);
        std::string entry =
            fmt::format("{} {}: {}", status_mark(status), report_series_name(line), value_of(line));
        if (line.target) {
            entry += " (target " + engine::format_by_unit(*line.target, line.unit_kind) + ")";
        }
        if (line.value) {
            entry += ", " + status;  // "no data" was said already
        }
        if (!line.alert.empty() && status != "ok") {
            entry += " (" + line.alert + ")";
        }
        if (const auto trend = report_trend(line); !trend.empty()) {
            entry += ", " + trend;
        }
        text += entry + "\n";
        short_text += fmt::format(" {} {} {};", report_series_name(line), value_of(line), status);
    }
    if (n.report_lines.empty()) {
        text += "No KPIs to report.\n";
    }
    text.pop_back();
    if (short_text.back() == ';') {
        short_text.pop_back();
    }
    m.text = std::move(text);
    m.short_text = short_text.size() > kShortLimit ? short_text.substr(0, kShortLimit) : short_text;
    return m;
}

}  // namespace tocsin::app
