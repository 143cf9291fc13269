#pragma once

#include "engine/model.hpp"
#include "engine/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

/// Values that flow through the engine: samples in; alert instance state and notifications out.
namespace tocsin::engine {

/// One value of one KPI series.
struct Sample {
    std::string kpi;
    Labels labels;  // the series' labels (empty for an unlabelled KPI)
    double value = 0;
    TimePoint at;
};

enum class AlertState : unsigned char { Inactive = 0, Pending = 1, Firing = 2 };
[[nodiscard]] const char* to_string(AlertState s);  // "inactive", "pending", "firing"

/// An acknowledgement: someone is on it. Further escalation steps wait until `until` (when set),
/// unless the policy escalates `until: resolved`. Cleared when the alert resolves.
struct Ack {
    std::string author;
    std::string comment;
    TimePoint at{};
    std::optional<TimePoint> until;  // escalation resumes then; nullopt: until resolved
};

/// The state of one alert instance: one rule applied to one label set of its KPI. This is what the
/// store persists and what a restart or reload restores, so every timer is kept as the instant it
/// started, never as a remaining duration.
struct AlertInstance {
    std::string rule;  // RuleDef::alert
    std::string kpi;
    Labels series_labels;     // labels of the KPI series this instance watches
    std::string fingerprint;  // 16 hex digits, stable across restarts (see fingerprint())
    AlertState state = AlertState::Inactive;
    Severity severity = Severity::None;           // current severity while pending or firing
    Severity notified_severity = Severity::None;  // last severity recipients were told
    bool nodata = false;                          // active because the KPI has gone stale
    double value = 0;                             // last value seen
    std::optional<double> threshold;  // the level currently breached (its low, or the nearer bound)
    TimePoint pending_since{};        // set while pending or firing
    TimePoint firing_since{};         // set while firing; the alert's startsAt
    std::optional<TimePoint>
        clear_since;                    // firing, condition no longer holds: keep_firing_for runs
    TimePoint last_sample_at{};         // newest sample of the series (staleness counts from here)
    std::vector<std::string> notified;  // notifier instances told of this firing
    std::uint32_t steps_done = 0;       // policy steps already run for this firing
    std::uint64_t seq = 0;              // notifications emitted for this firing; part of their ids
    std::optional<Ack> ack;             // set while acknowledged
    // Derived, not persisted: recomputed by the engine whenever silences or state change.
    std::string silenced_by;  // id of a silence hiding the alert now; "" when none
    bool flapping = false;    // changes state too often; notified once, then quiet until settled
};

/// The labels an alert shows: series labels, then the rule's labels, then `alertname`.
/// `severity` is added when rendering, and is not part of the identity.
[[nodiscard]] Labels alert_labels(const RuleDef& rule, const Labels& series_labels);
/// FNV-1a 64 of the sorted label set without `severity`, as 16 lower-case hex digits.
[[nodiscard]] std::string fingerprint(const Labels& labels);

enum class NotificationKind : unsigned char {
    Firing,
    SeverityChange,
    Reminder,
    Acknowledged,
    Resolved,
    Digest,
    Test,
    Report,
    Flapping,
};
/// "firing", "severity_change", "reminder", "acknowledged", "resolved", "digest", "test",
/// "report", "flapping".
[[nodiscard]] const char* to_string(NotificationKind k);
[[nodiscard]] std::optional<NotificationKind> parse_notification_kind(std::string_view s);

/// One KPI of a scheduled report (`reports:`): where it stands now and since the last report.
struct ReportLine {
    std::string kpi;
    Labels labels;                   // the series' labels (empty for an unlabelled KPI)
    std::optional<double> value;     // latest value; nullopt when the KPI has no data
    TimePoint at{};                  // when `value` was sampled
    std::optional<double> previous;  // the value at the previous report, for the trend
    std::optional<double> target;
    std::string unit;                    // KpiDef::unit_text
    Unit unit_kind = Unit::None;         // KpiDef::unit, for formatting values
    Severity severity = Severity::None;  // the most severe alert firing on the series
    std::string alert;                   // that alert's name; "" when none fires
    bool stale = false;                  // a nodata alert fires on it
};

/// One message to one notifier instance, decided by the engine. The app renders it to JSON, writes
/// it to the outbox and delivers it.
struct Notification {
    std::string id;  // "<fingerprint>-<firing_since ms>-<seq>/<notifier>", unique, stable
    std::string notifier;
    NotificationKind kind = NotificationKind::Firing;
    TimePoint at;       // when the engine decided it
    std::string alert;  // rule name
    std::string kpi;
    std::string fingerprint;
    Labels labels;                                // alert_labels() plus `severity`
    Severity severity = Severity::None;           // for Resolved: the last firing severity
    Severity previous_severity = Severity::None;  // for SeverityChange
    bool nodata = false;
    double value = 0;
    std::optional<double> threshold;
    std::optional<double> target;
    std::string unit;             // KpiDef::unit_text
    Unit unit_kind = Unit::None;  // KpiDef::unit, for formatting values
    std::string summary;          // rendered templates
    std::string description;
    std::string runbook;
    TimePoint starts_at;                     // firing_since
    std::optional<TimePoint> ends_at;        // set for Resolved
    std::optional<Ack> ack;                  // for Acknowledged: who, why, until when
    std::vector<std::string> also_notified;  // the other notifiers told of this firing
    std::optional<double> previous_value;    // the sample before `value`, for the trend
    // The notifier's own `message:` templates, rendered; "" keeps tocsin's default wording.
    std::string message_title;
    std::string message_text;
    std::string message_short;
    // A batch (group_by, quiet hours defer or digest): every alert it covers, each as it would
    // have been sent alone, in the order they joined. The single-alert fields above are then
    // those of members.front(). Empty for a notification about one alert.
    std::vector<Notification> members;
    Labels group_labels;  // the labels the batch was grouped by
    // A scheduled report (kind Report): its name and one line per KPI series.
    std::string report;
    std::string report_title;  // ReportDef::shown_title()
    std::vector<ReportLine> report_lines;
    bool flapping = false;  // the alert changes state too often (see RuleDef::flapping)
};

/// Notifications held back for one notifier until they go out together: a group waiting its
/// `group_wait`, or the quiet hours of a policy (`defer` or `digest`). The app persists held
/// batches with the alert instances, so a restart neither loses nor repeats them.
struct HeldBatch {
    enum class Kind : unsigned char { Group, Defer, Digest };
    std::string key;  // unique: "<kind>/<policy>/<notifier>[/<group label values>]"
    Kind kind = Kind::Group;
    std::string policy;
    std::string notifier;
    TimePoint opened{};    // when the first notification was held
    TimePoint flush_at{};  // when the batch goes out
    Labels group_labels;
    /// The latest notification per alert (rule + fingerprint), in the order alerts joined.
    std::vector<Notification> members;
};
/// "group", "defer", "digest".
[[nodiscard]] const char* to_string(HeldBatch::Kind k);

struct TemplateContext;

/// Runs the Lua expressions of templates (the engine's sandbox).
class TemplateLua {
public:
    virtual ~TemplateLua() = default;
    /// The text of `code` in `ctx`; "" when it fails (the failure is the evaluator's to report).
    [[nodiscard]] virtual std::string eval(const LuaCode& code,
                                           const TemplateContext& ctx) const = 0;
};

/// What templates can refer to; built by the engine for each render.
struct TemplateContext {
    std::string alert;
    std::string kpi;
    Unit unit = Unit::None;
    double value = 0;
    std::optional<double> threshold;
    std::optional<double> target;
    Severity severity = Severity::None;
    TimePoint since{};
    TimePoint now{};
    const Labels* labels = nullptr;
    std::string message;               // the Lua condition's message, if any
    const TemplateLua* lua = nullptr;  // null: Lua expressions render as written
    const void* series = nullptr;      // the engine's series, for history helpers (engine-private)
};

}  // namespace tocsin::engine
