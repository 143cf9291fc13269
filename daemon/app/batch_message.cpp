#include "app/batch_message.hpp"

#include "engine/format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <vector>

namespace tocsin::app {
namespace {

using engine::Notification;
using engine::NotificationKind;

// Enough for any e-mail or chat message; the JSON `alerts` list still has every member, and the
// channels show them as they can.
constexpr std::size_t kMaxTextLines = 100;

bool is_label_for_people(const std::string& key) {
    return key != "alertname" && key != "severity";
}

/// "team=growth, region=eu" without alertname and severity; "" when nothing is left.
std::string labels_text(const engine::Labels& labels) {
    std::string out;
    for (const auto& [k, v] : labels) {
        if (is_label_for_people(k)) {
            out += (out.empty() ? "" : ", ") + k + "=" + v;
        }
    }
    return out;
}

/// The labels of `m` that not every member shares: what tells this alert apart from the others.
engine::Labels own_labels(const Notification& m, const engine::Labels& common) {
    engine::Labels out;
    for (const auto& [k, v] : m.labels) {
        if (is_label_for_people(k) && common.count(k) == 0) {
            out.emplace(k, v);
        }
    }
    return out;
}

/// A short name for an alert in a list: "SourceDown db1" (its own label values, no keys).
std::string short_item(const Notification& m, const engine::Labels& common) {
    std::string out = m.alert;
    std::string values;
    for (const auto& [k, v] : own_labels(m, common)) {
        values += (values.empty() ? "" : "/") + v;
    }
    return values.empty() ? out : out + " " + values;
}

std::string value_text(const Notification& m, double v) {
    return engine::format_by_unit(v, m.unit_kind);
}

std::string status_text(const Notification& m) {
    switch (m.kind) {
        case NotificationKind::Resolved:
            return m.ends_at
                       ? "resolved after " + engine::format_duration(
                                                 std::chrono::duration_cast<std::chrono::seconds>(
                                                     *m.ends_at - m.starts_at))
                       : "resolved";
        case NotificationKind::SeverityChange:
            return fmt::format("now {} (was {})",
                               engine::to_string(m.severity),
                               engine::to_string(m.previous_severity));
        case NotificationKind::Reminder:
            return "still firing";
        case NotificationKind::Acknowledged:
            return "acknowledged" + (m.ack ? " by " + m.ack->author : std::string());
        case NotificationKind::Flapping:
            return "flapping";
        default:
            return m.flapping ? "firing, flapping" : "firing";
    }
}

/// "- SourceDown source=db1: 0 (threshold 1), critical, firing".
std::string alert_line(const Notification& m, const engine::Labels& common) {
    std::string value;
    if (m.nodata) {
        value = "no data";
    } else {
        value = value_text(m, m.value);
        if (m.kind != NotificationKind::Resolved && m.threshold) {
            value += " (threshold " + value_text(m, *m.threshold) + ")";
        }
    }
    const std::string own = labels_text(own_labels(m, common));
    return fmt::format("- {}{}: {}, {}, {}",
                       m.alert,
                       own.empty() ? "" : " " + own,
                       value,
                       engine::to_string(m.severity),
                       status_text(m));
}

/// Distinct alert names in the order they joined: "SourceDown" or "A, B, C and 2 more".
std::string names_text(const Notification& batch, std::size_t max_names) {
    std::vector<std::string> names;
    for (const auto& m : batch.members) {
        if (std::find(names.begin(), names.end(), m.alert) == names.end()) {
            names.push_back(m.alert);
        }
    }
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < max_names; ++i) {
        out += (i == 0 ? "" : ", ") + names[i];
    }
    if (names.size() > max_names) {
        out += fmt::format(" and {} more", names.size() - max_names);
    }
    return out;
}

std::string clock_text(engine::TimePoint t, const engine::TimeZone& zone) {
    const auto local = zone.to_local(t);
    const auto day = std::chrono::floor<std::chrono::days>(local);
    const std::chrono::hh_mm_ss hms(std::chrono::floor<std::chrono::minutes>(local - day));
    return fmt::format("{:02}:{:02}", hms.hours().count(), hms.minutes().count());
}

struct Counts {
    std::size_t firing = 0;
    std::size_t resolved = 0;
};

Counts count(const Notification& batch) {
    Counts c;
    for (const auto& m : batch.members) {
        (m.kind == NotificationKind::Resolved ? c.resolved : c.firing) += 1;
    }
    return c;
}

/// Where a digest's window started: the earliest news it holds.
engine::TimePoint held_since(const Notification& batch) {
    engine::TimePoint since = batch.at;
    for (const auto& m : batch.members) {
        since = std::min(since, m.at);
    }
    return since;
}

/// "A, B, C and 47 more" with as many items as fit in `room` characters.
std::string fitted_items(const Notification& batch,
                         const engine::Labels& common,
                         std::size_t room) {
    const std::size_t total = batch.members.size();
    std::string out;
    std::size_t shown = 0;
    for (const auto& m : batch.members) {
        const std::string item = (shown == 0 ? "" : ", ") + short_item(m, common);
        const std::size_t left = total - shown - 1;
        const std::string tail = left == 0 ? "" : fmt::format(" and {} more", left);
        if (out.size() + item.size() + tail.size() > room) {
            break;
        }
        out += item;
        ++shown;
    }
    if (shown < total) {
        out += fmt::format("{}{} more", shown == 0 ? "" : " and ", total - shown);
    }
    return out;
}

}  // namespace

engine::Labels common_labels(const Notification& batch) {
    if (batch.members.empty()) {
        return batch.labels;
    }
    engine::Labels common = batch.members.front().labels;
    for (const auto& m : batch.members) {
        std::erase_if(common, [&](const auto& kv) {
            const auto it = m.labels.find(kv.first);
            return it == m.labels.end() || it->second != kv.second;
        });
    }
    return common;
}

Message compose_batch_message(const Notification& batch, const engine::TimeZone& zone) {
    const engine::Labels common = common_labels(batch);
    const Counts c = count(batch);
    const std::size_t n = batch.members.size();
    const std::string group = labels_text(batch.group_labels);
    const std::string group_suffix = group.empty() ? "" : " (" + group + ")";
    const std::string window =
        clock_text(held_since(batch), zone) + "\u2013" + clock_text(batch.at, zone);

    Message msg;
    std::string short_head;
    if (batch.kind == NotificationKind::Digest) {
        const std::string tally = fmt::format("{} fired, {} resolved", c.firing, c.resolved);
        msg.title = fmt::format("[DIGEST] quiet hours {}: {}", window, tally);
        // SMS: a plain hyphen, since an en dash would switch the whole text to UCS-2.
        short_head = fmt::format("Quiet hours {}-{}: {}: ",
                                 clock_text(held_since(batch), zone),
                                 clock_text(batch.at, zone),
                                 tally);
    } else if (c.firing == 0) {
        msg.title =
            fmt::format("[RESOLVED] {} alerts: {}{}", n, names_text(batch, 3), group_suffix);
        short_head = fmt::format("{} alerts resolved: ", n);
    } else if (c.resolved == 0) {
        msg.title = fmt::format("[FIRING] {} alerts: {}{}", n, names_text(batch, 3), group_suffix);
        short_head = fmt::format("{} alerts firing: ", n);
    } else {
        msg.title = fmt::format("[FIRING] {} firing, {} resolved: {}{}",
                                c.firing,
                                c.resolved,
                                names_text(batch, 3),
                                group_suffix);
        short_head = fmt::format("{} firing, {} resolved: ", c.firing, c.resolved);
    }
    msg.short_text =
        short_head +
        fitted_items(batch, common, kShortLimit - std::min(kShortLimit, short_head.size()));
    if (msg.short_text.size() > kShortLimit) {
        msg.short_text.resize(kShortLimit);  // only when even the head does not fit
    }

    std::string t;
    const auto line = [&t](const std::string& s) {
        if (!s.empty()) {
            t += s + "\n";
        }
    };
    line(batch.summary);
    if (!group.empty()) {
        line("Grouped by: " + group);
    }
    if (const std::string shared = labels_text(common); !shared.empty() && shared != group) {
        line("Common labels: " + shared);
    }
    if (batch.kind == NotificationKind::Digest) {
        line(fmt::format("Held: {} to {} ({})",
                         engine::format_rfc3339(held_since(batch)),
                         engine::format_rfc3339(batch.at),
                         zone.name()));
    }
    line(fmt::format("Alerts ({}):", n));
    std::size_t shown = 0;
    for (const auto& m : batch.members) {
        if (shown == kMaxTextLines) {
            line(fmt::format("- and {} more", n - shown));
            break;
        }
        line(alert_line(m, common));
        ++shown;
    }
    std::set<std::string> runbooks;
    for (const auto& m : batch.members) {
        if (!m.runbook.empty()) {
            runbooks.insert(m.runbook);
        }
    }
    if (runbooks.size() == 1) {
        line("Runbook: " + *runbooks.begin());
    }
    if (!t.empty()) {
        t.pop_back();
    }
    msg.text = std::move(t);
    return msg;
}

}  // namespace tocsin::app
