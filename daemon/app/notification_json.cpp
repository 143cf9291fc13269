#include "app/notification_json.hpp"

#include "app/message.hpp"
#include "app/report_message.hpp"

#include <boost/json.hpp>

namespace tocsin::app {
namespace {

constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";  // Alertmanager's "not ended"

boost::json::object labels_object(const engine::Labels& labels) {
    boost::json::object o;
    for (const auto& [k, v] : labels) {
        o[k] = v;
    }
    return o;
}

boost::json::value optional_number(const std::optional<double>& v) {
    return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

/// The `report` object of a scheduled report (docs/notification-json.md).
boost::json::object report_object(const engine::Notification& n) {
    boost::json::array lines;
    for (const auto& line : n.report_lines) {
        lines.push_back(boost::json::object{
            {"kpi", line.kpi},
            {"labels", labels_object(line.labels)},
            {"value", optional_number(line.value)},
            {"target", optional_number(line.target)},
            {"previous", optional_number(line.previous)},
            {"unit", line.unit},
            {"status", report_status(line)},
            {"alert", line.alert},
            {"sampled_at", line.value ? engine::format_rfc3339(line.at) : ""},
        });
    }
    return boost::json::object{{"name", n.report},
                               {"title", n.report_title.empty() ? n.report : n.report_title},
                               {"scheduled_at", engine::format_rfc3339(n.starts_at)},
                               {"lines", std::move(lines)}};
}

/// A report is no alert: no `alerts`, status "report", and the lines under `report`.
std::string render_report_json(const engine::Notification& n, const std::string& external_url) {
    boost::json::object root;
    root["version"] = "1";
    root["id"] = n.id;
    root["kind"] = engine::to_string(n.kind);
    root["receiver"] = n.notifier;
    root["status"] = "report";
    root["created_at"] = engine::format_rfc3339(n.at);
    root["external_url"] = external_url;
    root["group_labels"] = boost::json::object{};
    root["common_labels"] = boost::json::object{};
    root["common_annotations"] = boost::json::object{};
    root["alerts"] = boost::json::array{};
    const auto message = compose_message(n, "");
    root["message"] = boost::json::object{
        {"title", message.title}, {"text", message.text}, {"short", message.short_text}};
    root["via_fallback"] = "";
    root["also_notified"] = boost::json::array{};
    root["truncated_alerts"] = 0;
    root["report"] = report_object(n);
    return boost::json::serialize(root);
}

}  // namespace

std::string render_notification_json(const engine::Notification& n,
                                     const std::string& external_url,
                                     const std::string& ack_url) {
    if (n.kind == engine::NotificationKind::Report) {
        return render_report_json(n, external_url);
    }
    const bool resolved = n.kind == engine::NotificationKind::Resolved;
    const char* status = resolved ? "resolved" : "firing";

    boost::json::object annotations;
    if (!n.summary.empty()) {
        annotations["summary"] = n.summary;
    }
    if (!n.description.empty()) {
        annotations["description"] = n.description;
    }
    if (!n.runbook.empty()) {
        annotations["runbook"] = n.runbook;
    }

    boost::json::object alert;
    alert["status"] = status;
    alert["name"] = n.alert;
    alert["kpi"] = n.kpi;
    alert["fingerprint"] = n.fingerprint;
    alert["severity"] = engine::to_string(n.severity);
    alert["previous_severity"] = n.kind == engine::NotificationKind::SeverityChange
                                     ? engine::to_string(n.previous_severity)
                                     : "";
    alert["nodata"] = n.nodata;
    alert["labels"] = labels_object(n.labels);
    alert["annotations"] = annotations;
    alert["value"] = n.value;
    alert["threshold"] = optional_number(n.threshold);
    alert["target"] = optional_number(n.target);
    alert["unit"] = n.unit;
    alert["starts_at"] = engine::format_rfc3339(n.starts_at);
    alert["ends_at"] = n.ends_at ? engine::format_rfc3339(*n.ends_at) : kZeroTime;
    alert["ack_url"] = ack_url;
    alert["previous_value"] = optional_number(n.previous_value);
    alert["duration_s"] = std::chrono::duration_cast<std::chrono::seconds>(
                              (n.ends_at ? *n.ends_at : n.at) - n.starts_at)
                              .count();

    boost::json::object root;
    root["version"] = "1";
    root["id"] = n.id;
    root["kind"] = engine::to_string(n.kind);
    root["receiver"] = n.notifier;
    root["status"] = status;
    root["created_at"] = engine::format_rfc3339(n.at);
    root["external_url"] = external_url;
    root["group_labels"] = boost::json::object{{"alertname", n.alert}};
    root["common_labels"] = labels_object(n.labels);
    root["common_annotations"] = annotations;
    root["alerts"] = boost::json::array{alert};
    const auto message = compose_message(n, ack_url);
    root["message"] = boost::json::object{
        {"title", message.title}, {"text", message.text}, {"short", message.short_text}};
    root["via_fallback"] = "";
    boost::json::array also;
    for (const auto& other : n.also_notified) {
        also.emplace_back(other);
    }
    root["also_notified"] = std::move(also);
    root["truncated_alerts"] = 0;
    if (n.ack) {
        root["ack"] = boost::json::object{
            {"author", n.ack->author},
            {"comment", n.ack->comment},
            {"until", n.ack->until ? engine::format_rfc3339(*n.ack->until) : ""}};
    }
    return boost::json::serialize(root);
}

std::string reroute_payload(const std::string& payload_json,
                            const std::string& id,
                            const std::string& receiver,
                            const std::string& failed_notifier,
                            const std::string& failure) {
    boost::system::error_code ec;
    auto doc = boost::json::parse(payload_json, ec);
    if (ec || !doc.is_object()) {
        return payload_json;  // written by this daemon; cannot happen short of disk corruption
    }
    auto& root = doc.as_object();
    root["id"] = id;
    root["receiver"] = receiver;
    root["via_fallback"] = failed_notifier;
    if (auto* message = root.if_contains("message"); message != nullptr && message->is_object()) {
        auto& m = message->as_object();
        const std::string note =
            "(Sent via fallback: " + failed_notifier + " failed: " + failure + ")";
        if (auto* text = m.if_contains("text"); text != nullptr && text->is_string()) {
            m["text"] = std::string(text->get_string()) + "\n\n" + note;
        }
    }
    return boost::json::serialize(root);
}

}  // namespace tocsin::app
