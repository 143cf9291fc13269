#include "notification.hpp"

#include "text_util.hpp"

#include <array>
#include <cmath>
#include <cstdio>

namespace tocsin::plugins::common {
namespace {

std::optional<double> number_of(const sdk::Json& object, std::string_view key) {
    const sdk::Json* value = object.find(key);
    if (value == nullptr || !value->is_number()) {
        return std::nullopt;
    }
    return value->as_number();
}

std::string annotation(const sdk::Json& alert, std::string_view key) {
    const sdk::Json* annotations = alert.find("annotations");
    return annotations != nullptr ? text_of(*annotations, key) : std::string();
}

AlertView read_alert(const sdk::Json& alert) {
    AlertView out;
    out.status = text_of(alert, "status");
    out.name = text_of(alert, "name");
    out.kpi = text_of(alert, "kpi");
    out.fingerprint = text_of(alert, "fingerprint");
    out.severity = text_of(alert, "severity");
    out.previous_severity = text_of(alert, "previous_severity");
    if (const sdk::Json* nodata = alert.find("nodata"); nodata != nullptr && nodata->is_bool()) {
        out.nodata = nodata->as_bool();
    }
    if (const sdk::Json* labels = alert.find("labels"); labels != nullptr && labels->is_object()) {
        for (const auto& [name, value] : labels->as_object()) {
            if (!value.is_null()) {
                out.labels.emplace_back(name, value.is_string() ? value.as_string() : value.dump());
            }
        }
    }
    if (out.name.empty()) {
        for (const auto& [name, value] : out.labels) {
            if (name == "alertname") {
                out.name = value;
            }
        }
    }
    out.summary = annotation(alert, "summary");
    out.description = annotation(alert, "description");
    out.runbook = annotation(alert, "runbook");
    if (out.runbook.empty()) {
        out.runbook = annotation(alert, "runbook_url");
    }
    out.value = number_of(alert, "value");
    out.previous_value = number_of(alert, "previous_value");
    out.threshold = number_of(alert, "threshold");
    out.target = number_of(alert, "target");
    out.unit = text_of(alert, "unit");
    out.starts_at = text_of(alert, "starts_at");
    out.ends_at = text_of(alert, "ends_at");
    out.ack_url = text_of(alert, "ack_url");
    if (const auto seconds = number_of(alert, "duration_s"); seconds && *seconds >= 0) {
        out.duration_s = static_cast<std::int64_t>(*seconds);
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> labels_of(const sdk::Json& object) {
    std::vector<std::pair<std::string, std::string>> out;
    if (const sdk::Json* labels = object.find("labels"); labels != nullptr && labels->is_object()) {
        for (const auto& [name, value] : labels->as_object()) {
            if (!value.is_null()) {
                out.emplace_back(name, value.is_string() ? value.as_string() : value.dump());
            }
        }
    }
    return out;
}

ReportView read_report(const sdk::Json& report) {
    ReportView out;
    out.name = text_of(report, "name");
    out.title = text_of(report, "title");
    out.scheduled_at = text_of(report, "scheduled_at");
    if (const sdk::Json* lines = report.find("lines"); lines != nullptr && lines->is_array()) {
        for (const auto& line : lines->as_array()) {
            if (!line.is_object()) {
                continue;
            }
            ReportLineView l;
            l.kpi = text_of(line, "kpi");
            l.labels = labels_of(line);
            l.value = number_of(line, "value");
            l.target = number_of(line, "target");
            l.previous = number_of(line, "previous");
            l.unit = text_of(line, "unit");
            l.status = text_of(line, "status");
            l.alert = text_of(line, "alert");
            out.lines.push_back(std::move(l));
        }
    }
    return out;
}

int severity_rank(const std::string& severity) {
    if (severity == "critical") {
        return 4;
    }
    if (severity == "error") {
        return 3;
    }
    if (severity == "warning") {
        return 2;
    }
    return severity == "info" ? 1 : 0;
}

std::string more_suffix(const NotificationView& view) {
    const auto others = static_cast<std::int64_t>(view.alerts.size()) - 1 + view.truncated_alerts;
    return others > 0 ? " (+" + std::to_string(others) + " more)" : "";
}

std::string first_name(const NotificationView& view) {
    return view.alerts.empty() ? std::string("alert") : view.alerts.front().name;
}

std::string what_of(const AlertView& alert) {
    return alert.summary.empty() ? value_line(alert) : alert.summary;
}

}  // namespace

std::string text_of(const sdk::Json& object, std::string_view key) {
    const sdk::Json* value = object.find(key);
    if (value == nullptr || value->is_null() || value->is_array() || value->is_object()) {
        return {};
    }
    return value->is_string() ? value->as_string() : value->dump();
}

std::string format_value(double value, const std::string& unit) {
    if (!std::isfinite(value)) {
        return "n/a";
    }
    std::array<char, 64> buffer{};
    if (unit == "percent") {
        const double pct = value * 100;
        const bool whole = std::fabs(pct - std::round(pct)) < 0.05;
        std::snprintf(buffer.data(), buffer.size(), whole ? "%.0f%%" : "%.1f%%", pct);
        return buffer.data();
    }
    if (std::fabs(value) >= 1000 || std::fabs(value - std::round(value)) < 1e-9) {
        std::snprintf(buffer.data(), buffer.size(), "%.0f", value);
    } else {
        std::snprintf(buffer.data(), buffer.size(), "%.4g", value);
    }
    std::string out = buffer.data();
    return unit.empty() ? out : out + " " + unit;
}

std::string format_duration(std::int64_t seconds) {
    if (seconds < 60) {
        return std::to_string(seconds < 0 ? 0 : seconds) + "s";
    }
    if (seconds < 3600) {
        return std::to_string(seconds / 60) + "m";
    }
    if (seconds < 86400) {
        const auto minutes = (seconds % 3600) / 60;
        return std::to_string(seconds / 3600) + "h" +
               (minutes != 0 ? " " + std::to_string(minutes) + "m" : "");
    }
    const auto hours = (seconds % 86400) / 3600;
    return std::to_string(seconds / 86400) + "d" +
           (hours != 0 ? " " + std::to_string(hours) + "h" : "");
}

std::string value_line(const AlertView& alert) {
    const std::string subject = alert.kpi.empty() ? alert.name : alert.kpi;
    if (alert.nodata) {
        return subject + " has no recent data";
    }
    if (!alert.value) {
        return subject;
    }
    std::string out = subject + " " + format_value(*alert.value, alert.unit);
    std::string facts;
    if (alert.threshold) {
        facts += "threshold " + format_value(*alert.threshold, alert.unit);
    }
    if (alert.target) {
        facts +=
            (facts.empty() ? "" : ", ") + ("target " + format_value(*alert.target, alert.unit));
    }
    if (alert.previous_value) {
        const char* trend = *alert.previous_value < *alert.value   ? "up from "
                            : *alert.previous_value > *alert.value ? "down from "
                                                                   : "unchanged from ";
        facts +=
            (facts.empty() ? "" : "; ") + (trend + format_value(*alert.previous_value, alert.unit));
    }
    return facts.empty() ? out : out + " (" + facts + ")";
}

std::string series_name(const ReportLineView& line) {
    if (line.labels.empty()) {
        return line.kpi;
    }
    std::string labels;
    for (const auto& [name, value] : line.labels) {
        labels += (labels.empty() ? "" : ", ") + name + "=" + value;
    }
    return line.kpi + "{" + labels + "}";
}

std::string report_line_facts(const ReportLineView& line) {
    std::string out = line.value ? format_value(*line.value, line.unit) : "no data";
    if (line.target) {
        out += " (target " + format_value(*line.target, line.unit) + ")";
    }
    if (!line.status.empty() && !(line.status == "no data" && !line.value)) {
        out += ", " + line.status;
    }
    if (!line.alert.empty() && line.status != "ok") {
        out += " (" + line.alert + ")";
    }
    if (line.value && line.previous) {
        const char* trend = *line.previous < *line.value   ? "up from "
                            : *line.previous > *line.value ? "down from "
                                                           : "unchanged from ";
        out += ", " + (trend + format_value(*line.previous, line.unit));
    }
    return out;
}

std::vector<std::string> context_lines(const NotificationView& view) {
    std::vector<std::string> lines;
    if (view.truncated_alerts > 0) {
        lines.push_back(std::to_string(view.truncated_alerts) + " more alert" +
                        (view.truncated_alerts == 1 ? " is" : "s are") + " not shown");
    }
    if (!view.via_fallback.empty()) {
        lines.push_back("Sent via fallback because " + view.via_fallback + " failed");
    }
    if (!view.also_notified.empty()) {
        std::string names;
        for (const auto& name : view.also_notified) {
            names += (names.empty() ? "" : ", ") + name;
        }
        lines.push_back("Also notified: " + names);
    }
    return lines;
}

std::string headline_severity(const NotificationView& view) {
    if (view.kind == "resolved") {
        return "resolved";
    }
    std::string best;
    for (const auto& alert : view.alerts) {
        if (severity_rank(alert.severity) > severity_rank(best)) {
            best = alert.severity;
        }
    }
    return best;
}

MessageView build_message(const NotificationView& view) {
    MessageView out;
    const std::string severity = upper(headline_severity(view));
    const std::string name = first_name(view) + more_suffix(view);
    const std::string tag = severity.empty() ? "" : "[" + severity + "] ";
    if (view.kind == "test") {
        out.title = "Test notification from tocsin";
        out.text = "This is a test message for notifier '" + view.receiver +
                   "'. If you can read it, delivery works.";
        out.short_text = "tocsin test message for " + view.receiver + ": delivery works";
        return out;
    }
    if (view.kind == "report") {
        out.title = view.report.title.empty() ? "KPI report" : view.report.title;
        std::string text;
        std::string short_text = out.title + ":";
        for (const auto& l : view.report.lines) {
            text += series_name(l) + ": " + report_line_facts(l) + "\n";
            short_text += " " + series_name(l) + " " +
                          (l.value ? format_value(*l.value, l.unit) : "no data") + " " + l.status +
                          ";";
        }
        if (!text.empty()) {
            text.pop_back();
        }
        if (short_text.back() == ';') {
            short_text.pop_back();
        }
        out.text = text;
        out.short_text = short_text;
        return out;
    }
    if (view.kind == "digest") {
        const auto count = static_cast<std::int64_t>(view.alerts.size()) + view.truncated_alerts;
        out.title = "Digest: " + std::to_string(count) + " alert" + (count == 1 ? "" : "s");
    } else if (view.kind == "resolved") {
        out.title = "[RESOLVED] " + name;
    } else if (view.kind == "acknowledged") {
        out.title =
            "[ACKNOWLEDGED] " + name + (view.ack.author.empty() ? "" : " by " + view.ack.author);
    } else if (view.kind == "reminder") {
        out.title = tag + "Still firing: " + name;
    } else if (view.kind == "severity_change" && !view.alerts.empty() &&
               !view.alerts.front().previous_severity.empty()) {
        out.title = tag + name + " (was " + view.alerts.front().previous_severity + ")";
    } else {
        out.title = tag + name;
    }

    std::string text;
    auto line = [&](const std::string& l) { text += l + "\n"; };
    if (view.kind == "acknowledged") {
        line("Acknowledged" + (view.ack.author.empty() ? "" : " by " + view.ack.author) +
             (view.ack.comment.empty() ? "" : ": " + view.ack.comment) +
             (view.ack.until.empty() ? "" : " (until " + view.ack.until + ")"));
    }
    for (const auto& alert : view.alerts) {
        const std::string alert_tag =
            alert.status == "resolved"
                ? "[RESOLVED] "
                : (alert.severity.empty() ? "" : "[" + upper(alert.severity) + "] ");
        line(alert_tag + alert.name + ": " + what_of(alert));
        if (!alert.summary.empty()) {
            line("  " + value_line(alert));
        }
        if (alert.status == "resolved" && alert.duration_s) {
            line("  lasted " + format_duration(*alert.duration_s));
        } else if (!alert.starts_at.empty()) {
            line("  since " + alert.starts_at);
        }
        if (!alert.runbook.empty()) {
            line("  runbook: " + alert.runbook);
        }
        if (alert.status != "resolved" && !alert.ack_url.empty()) {
            line("  acknowledge: " + alert.ack_url);
        }
    }
    for (const auto& extra : context_lines(view)) {
        line(extra);
    }
    if (!text.empty()) {
        text.pop_back();
    }
    out.text = text;

    std::string short_text = out.title;
    if (!view.alerts.empty()) {
        const auto& alert = view.alerts.front();
        short_text += ": " + what_of(alert);
        if (alert.status == "resolved" && alert.duration_s) {
            short_text += " (lasted " + format_duration(*alert.duration_s) + ")";
        }
    }
    out.short_text = short_text;
    return out;
}

NotificationView read_notification(const sdk::Json& notification) {
    NotificationView view;
    if (!notification.is_object()) {
        view.kind = "firing";
        view.message = build_message(view);
        return view;
    }
    view.id = text_of(notification, "id");
    view.status = text_of(notification, "status");
    view.receiver = text_of(notification, "receiver");
    view.created_at = text_of(notification, "created_at");
    view.external_url = text_of(notification, "external_url");
    view.via_fallback = text_of(notification, "via_fallback");
    if (const auto* also = notification.find("also_notified");
        also != nullptr && also->is_array()) {
        for (const auto& name : also->as_array()) {
            if (name.is_string() && !name.as_string().empty()) {
                view.also_notified.push_back(name.as_string());
            }
        }
    }
    if (const auto truncated = number_of(notification, "truncated_alerts");
        truncated && *truncated > 0) {
        view.truncated_alerts = static_cast<std::int64_t>(*truncated);
    }
    if (const auto* ack = notification.find("ack"); ack != nullptr && ack->is_object()) {
        view.ack =
            AckView{text_of(*ack, "author"), text_of(*ack, "comment"), text_of(*ack, "until")};
    }
    if (const auto* alerts = notification.find("alerts"); alerts != nullptr && alerts->is_array()) {
        for (const auto& alert : alerts->as_array()) {
            if (alert.is_object()) {
                view.alerts.push_back(read_alert(alert));
            }
        }
    }
    if (const auto* report = notification.find("report");
        report != nullptr && report->is_object()) {
        view.report = read_report(*report);
    }
    view.kind = text_of(notification, "kind");
    if (view.kind.empty()) {
        const bool changed = !view.alerts.empty() && !view.alerts.front().previous_severity.empty();
        view.kind = view.status == "resolved" ? "resolved" : changed ? "severity_change" : "firing";
    }
    if (view.status.empty()) {
        view.status = view.kind == "resolved" ? "resolved" : "firing";
    }

    const MessageView built = build_message(view);
    const sdk::Json* message = notification.find("message");
    const sdk::Json empty = sdk::Json::object();
    const sdk::Json& given = message != nullptr && message->is_object() ? *message : empty;
    view.message.title = text_of(given, "title");
    view.message.text = text_of(given, "text");
    view.message.short_text = text_of(given, "short");
    if (view.message.title.empty()) {
        view.message.title = built.title;
    }
    if (view.message.text.empty()) {
        view.message.text = built.text;
    } else {
        // The daemon's template may leave these out; a recipient must still learn them.
        for (const auto& extra : context_lines(view)) {
            if (view.message.text.find(extra) == std::string::npos) {
                view.message.text += "\n" + extra;
            }
        }
    }
    if (view.message.short_text.empty()) {
        view.message.short_text = built.short_text;
    }
    return view;
}

}  // namespace tocsin::plugins::common
