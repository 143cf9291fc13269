#include "app/message.hpp"

#include "app/batch_message.hpp"
#include "app/report_message.hpp"
#include "engine/format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace tocsin::app {
namespace {

using engine::NotificationKind;

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
        return static_cast<char>(std::toupper(c));
    });
    return s;
}

std::string value_text(const engine::Notification& n, double v) {
    return engine::format_by_unit(v, n.unit_kind);
}

/// "18.0% (threshold 20.0%, target 40.0%)".
std::string measured(const engine::Notification& n) {
    std::string out = value_text(n, n.value);
    std::string extra;
    if (n.threshold) {
        extra = "threshold " + value_text(n, *n.threshold);
    }
    if (n.target) {
        extra += (extra.empty() ? "" : ", ") + ("target " + value_text(n, *n.target));
    }
    return extra.empty() ? out : out + " (" + extra + ")";
}

std::string duration_text(engine::Duration d) {
    return engine::format_duration(std::chrono::duration_cast<engine::Duration>(
        std::chrono::duration_cast<std::chrono::seconds>(d)));
}

std::string labels_text(const engine::Labels& labels) {
    std::string out;
    for (const auto& [k, v] : labels) {
        if (k == "alertname" || k == "severity") {
            continue;
        }
        out += (out.empty() ? "" : ", ") + k + "=" + v;
    }
    return out;
}

std::string title_of(const engine::Notification& n) {
    const std::string sev = upper(engine::to_string(n.severity));
    const std::string what = n.nodata ? "no data for " + n.kpi : n.kpi + " at " + measured(n);
    switch (n.kind) {
        case NotificationKind::Firing:
            return fmt::format("[{}] {}: {}", sev, n.alert, what);
        case NotificationKind::SeverityChange:
            return fmt::format("[{}] {}: now {} (was {}), {}",
                               sev,
                               n.alert,
                               engine::to_string(n.severity),
                               engine::to_string(n.previous_severity),
                               what);
        case NotificationKind::Reminder:
            return fmt::format("[{} REMINDER] {} still firing: {}", sev, n.alert, what);
        case NotificationKind::Acknowledged:
            return fmt::format("[ACK] {} acknowledged by {}", n.alert, n.ack ? n.ack->author : "?");
        case NotificationKind::Resolved: {
            const std::string lasted =
                n.ends_at ? " after " + duration_text(*n.ends_at - n.starts_at) : "";
            return fmt::format(
                "[RESOLVED] {}: {} back at {}{}", n.alert, n.kpi, value_text(n, n.value), lasted);
        }
        case NotificationKind::Digest:
            return fmt::format("[DIGEST] {}", n.alert);
        case NotificationKind::Test:
            return "[TEST] tocsin test message";
        case NotificationKind::Report:
            return fmt::format("[REPORT] {}", n.report);
        case NotificationKind::Flapping:
            return fmt::format(
                "[FLAPPING] {} is flapping ({}): {}", n.alert, engine::to_string(n.severity), what);
    }
    return n.alert;
}

std::string short_of(const engine::Notification& n, const std::string& ack_url) {
    std::string s;
    const std::string at = engine::format_rfc3339(n.starts_at).substr(11, 5) + "Z";
    switch (n.kind) {
        case NotificationKind::Resolved:
            s = fmt::format("RESOLVED {}: {} {}", n.alert, n.kpi, value_text(n, n.value));
            break;
        case NotificationKind::Acknowledged:
            s = fmt::format("ACK {} by {}", n.alert, n.ack ? n.ack->author : "?");
            break;
        case NotificationKind::Flapping:
            s = fmt::format("FLAPPING {}: {} {}; quiet until it settles",
                            n.alert,
                            n.kpi,
                            n.nodata ? "no data" : value_text(n, n.value));
            break;
        default: {
            const std::string sev = n.severity == engine::Severity::Critical ? "CRIT" : "WARN";
            const std::string value =
                n.nodata ? "no data"
                         : value_text(n, n.value) +
                               (n.threshold ? " vs " + value_text(n, *n.threshold) : "");
            s = fmt::format("{} {}: {} {} since {}", sev, n.alert, n.kpi, value, at);
        }
    }
    if (!ack_url.empty() && s.size() + 6 + ack_url.size() <= kShortLimit) {
        s += " Ack: " + ack_url;
    }
    return s.size() > kShortLimit ? s.substr(0, kShortLimit) : s;
}

}  // namespace

Message compose_message(const engine::Notification& n,
                        const std::string& ack_url,
                        const engine::TimeZone& zone) {
    if (n.kind == NotificationKind::Report) {
        return compose_report_message(n);
    }
    if (!n.members.empty()) {
        return compose_batch_message(n, zone);
    }
    Message m;
    m.title = title_of(n);
    std::string t;
    const auto line = [&t](const std::string& s) {
        if (!s.empty()) {
            t += s + "\n";
        }
    };
    if (n.kind == NotificationKind::Flapping) {
        line(n.alert +
             " is flapping: it changed state too often to be trusted; tocsin will not notify "
             "about it again until it settles");
    }
    line(n.summary);
    if (!n.nodata) {
        line(fmt::format("KPI: {} = {}", n.kpi, measured(n)));
    }
    line(fmt::format("Severity: {}{}",
                     engine::to_string(n.severity),
                     n.kind == NotificationKind::SeverityChange
                         ? fmt::format(" (was {})", engine::to_string(n.previous_severity))
                         : ""));
    if (n.kind == NotificationKind::Resolved && n.ends_at) {
        line(fmt::format("Lasted: {} ({} to {})",
                         duration_text(*n.ends_at - n.starts_at),
                         engine::format_rfc3339(n.starts_at),
                         engine::format_rfc3339(*n.ends_at)));
    } else {
        line(fmt::format("Since: {} ({} ago)",
                         engine::format_rfc3339(n.starts_at),
                         duration_text(n.at - n.starts_at)));
    }
    if (n.previous_value && !n.nodata && n.kind != NotificationKind::Acknowledged) {
        const char* direction = *n.previous_value < n.value ? "up" : "down";
        line(fmt::format("Trend: {} from {}", direction, value_text(n, *n.previous_value)));
    }
    if (const auto l = labels_text(n.labels); !l.empty()) {
        line("Labels: " + l);
    }
    line(n.description);
    if (n.kind == NotificationKind::Acknowledged && n.ack) {
        line(fmt::format(
            "Acknowledged by {}{}{}",
            n.ack->author,
            n.ack->comment.empty() ? "" : ": " + n.ack->comment,
            n.ack->until ? " (until " + engine::format_rfc3339(*n.ack->until) + ")" : ""));
    }
    if (!n.runbook.empty()) {
        line("Runbook: " + n.runbook);
    }
    if (!n.also_notified.empty()) {
        std::string told;
        for (const auto& o : n.also_notified) {
            told += (told.empty() ? "" : ", ") + o;
        }
        line("Also told: " + told);
    }
    if (!ack_url.empty()) {
        line("Acknowledge: " + ack_url);
    }
    if (!t.empty()) {
        t.pop_back();
    }
    m.text = std::move(t);
    m.short_text = short_of(n, ack_url);
    // A notifier's own `message:` templates replace the default words they name.
    if (!n.message_title.empty()) {
        m.title = n.message_title;
    }
    if (!n.message_text.empty()) {
        m.text = n.message_text;
    }
    if (!n.message_short.empty()) {
        m.short_text = n.message_short.substr(0, kShortLimit);
    }
    return m;
}

}  // namespace tocsin::app
