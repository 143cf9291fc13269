#pragma once

// A typed, lenient view of the notification JSON (docs/notification-json.md) for the channel
// plugins, plus the plain-text rendering they fall back on when the daemon sent no `message`.
// Missing or mistyped fields read as empty: a partial message beats none. Pure: no I/O, no clock.

#include <tocsin/sdk/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tocsin::plugins::common {

struct AlertView {
    std::string status;  // firing | resolved
    std::string name;
    std::string kpi;
    std::string fingerprint;
    std::string severity;
    std::string previous_severity;
    bool nodata = false;
    std::vector<std::pair<std::string, std::string>> labels;
    std::string summary;
    std::string description;
    std::string runbook;
    std::optional<double> value;
    std::optional<double> previous_value;
    std::optional<double> threshold;
    std::optional<double> target;
    std::string unit;
    std::string starts_at;
    std::string ends_at;
    std::string ack_url;
    std::optional<std::int64_t> duration_s;
};

struct AckView {
    std::string author;
    std::string comment;
    std::string until;
};

/// The daemon's rendering: `title` one line, `text` a plain multi-line body, `short_text` an
/// SMS-sized line.
struct MessageView {
    std::string title;
    std::string text;
    std::string short_text;
};

/// One line of a scheduled report (kind "report"): a KPI series and where it stands.
struct ReportLineView {
    std::string kpi;
    std::vector<std::pair<std::string, std::string>> labels;
    std::optional<double> value;
    std::optional<double> target;
    std::optional<double> previous;  // at the previous report, for the trend
    std::string unit;
    std::string status;  // ok, warning, critical, stale, no data
    std::string alert;   // the most severe alert firing on the series, if any
};

/// The `report` object of a scheduled report.
struct ReportView {
    std::string name;
    std::string title;
    std::string scheduled_at;
    std::vector<ReportLineView> lines;
};

struct NotificationView {
    std::string id;
    std::string kind;  // firing, severity_change, reminder, acknowledged, resolved, digest, test,
                       // report
    std::string status;
    std::string receiver;
    std::string created_at;
    std::string external_url;
    std::string via_fallback;
    std::vector<std::string> also_notified;
    std::int64_t truncated_alerts = 0;
    AckView ack;
    std::vector<AlertView> alerts;
    ReportView report;  // kind "report" only
    /// From the daemon when it sent one, else built by build_message().
    MessageView message;
};

/// Reads a notification. `kind` falls back on the status (and previous_severity) when absent;
/// `message` parts that are missing are built from the alerts.
[[nodiscard]] NotificationView read_notification(const sdk::Json& notification);

/// Our own title/text/short for a notification without a daemon `message`.
[[nodiscard]] MessageView build_message(const NotificationView& view);

/// The severity that drives the presentation: "resolved" for resolves, else the most severe
/// alert's severity (critical > error > warning > info), "" for none.
[[nodiscard]] std::string headline_severity(const NotificationView& view);

/// A value in its unit: percent as "28%" (the value is a ratio), others as a short number
/// followed by the unit ("1.25k EUR" stays "1250 EUR").
[[nodiscard]] std::string format_value(double value, const std::string& unit);

/// "45s", "12m", "1h 5m", "2d 3h".
[[nodiscard]] std::string format_duration(std::int64_t seconds);

/// "activation_rate 28% (threshold 30%, target 40%; was 31%)": the facts of one alert.
[[nodiscard]] std::string value_line(const AlertView& alert);

/// Lines a recipient should see whatever the channel: fallback, others told, left-out alerts.
[[nodiscard]] std::vector<std::string> context_lines(const NotificationView& view);

/// "activation_rate" or "signups{plan=pro}": a report line's series.
[[nodiscard]] std::string series_name(const ReportLineView& line);

/// "35% (target 40%), ok, up from 33%": a report line's facts after its series name.
[[nodiscard]] std::string report_line_facts(const ReportLineView& line);

/// Text of a member as a string: strings as they are, numbers and bools as JSON, else "".
[[nodiscard]] std::string text_of(const sdk::Json& object, std::string_view key);

}  // namespace tocsin::plugins::common
