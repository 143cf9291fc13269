#include "alertmanager_payload.hpp"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

namespace tocsin::plugins::common {
namespace {

std::string text_of(const sdk::Json& object, std::string_view key) {
    const sdk::Json* value = object.find(key);
    if (value == nullptr || value->is_null()) {
        return {};
    }
    return value->is_string() ? value->as_string() : value->dump();
}

// A label or annotation map with every value as a string (Alertmanager's types).
sdk::Json string_map(const sdk::Json& object, std::string_view key) {
    sdk::Json out = sdk::Json::object();
    const sdk::Json* map = object.find(key);
    if (map == nullptr || !map->is_object()) {
        return out;
    }
    for (const auto& [name, value] : map->as_object()) {
        if (!value.is_null()) {
            out.set(name, value.is_string() ? value.as_string() : value.dump());
        }
    }
    return out;
}

std::string escape_label_value(std::string_view value) {
    std::string out;
    for (const char c : value) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out;
}

sdk::Json render_alert(const sdk::Json& alert, const std::string& external_url) {
    const std::string status = text_of(alert, "status");
    sdk::Json labels = string_map(alert, "labels");
    // Receivers route on these two; make sure they are there even if the host left them out.
    if (!labels.contains("alertname")) {
        labels.set("alertname", text_of(alert, "name"));
    }
    if (!labels.contains("severity") && !text_of(alert, "severity").empty()) {
        labels.set("severity", text_of(alert, "severity"));
    }
    std::string ends_at = text_of(alert, "ends_at");
    if (status != "resolved" || ends_at.empty()) {
        ends_at = kZeroTime;
    }
    const std::string fingerprint = text_of(alert, "fingerprint");
    std::string generator_url;
    if (!external_url.empty()) {
        generator_url = external_url + "/api/v1/alerts?fingerprint=" + fingerprint;
    }

    sdk::Json out = sdk::Json::object();
    out.set("status", status);
    out.set("labels", std::move(labels));
    out.set("annotations", string_map(alert, "annotations"));
    out.set("startsAt", text_of(alert, "starts_at"));
    out.set("endsAt", ends_at);
    out.set("generatorURL", generator_url);
    out.set("fingerprint", fingerprint);
    return out;
}

}  // namespace

std::string group_key(const sdk::Json& group_labels) {
    std::vector<std::pair<std::string, std::string>> labels;
    if (group_labels.is_object()) {
        for (const auto& [name, value] : group_labels.as_object()) {
            labels.emplace_back(name, value.is_string() ? value.as_string() : value.dump());
        }
    }
    std::sort(labels.begin(), labels.end());
    std::string key = "{}:{";
    for (std::size_t i = 0; i < labels.size(); ++i) {
        key += (i == 0 ? "" : ", ") + labels[i].first + "=\"" +
               escape_label_value(labels[i].second) + "\"";
    }
    return key + "}";
}

sdk::Json render_payload(const sdk::Json& notification, std::int64_t max_alerts) {
    // Alertmanager's format has no place for a KPI report (no alerts, lines of values), so a
    // report goes out as tocsin's own notification JSON, which says `"kind": "report"`.
    if (notification.is_object() && text_of(notification, "kind") == "report") {
        return notification;
    }
    const std::string external_url = text_of(notification, "external_url");
    const sdk::Json group_labels = string_map(notification, "group_labels");

    sdk::Json alerts = sdk::Json::array();
    std::int64_t total = 0;
    if (const sdk::Json* list = notification.find("alerts"); list != nullptr && list->is_array()) {
        for (const auto& alert : list->as_array()) {
            if (!alert.is_object()) {
                continue;
            }
            ++total;
            if (max_alerts <= 0 || total <= max_alerts) {
                alerts.push_back(render_alert(alert, external_url));
            }
        }
    }
    const std::int64_t truncated = max_alerts > 0 && total > max_alerts ? total - max_alerts : 0;

    sdk::Json out = sdk::Json::object();
    out.set("version", "4");
    out.set("groupKey", group_key(group_labels));
    out.set("truncatedAlerts", truncated);
    out.set("status", text_of(notification, "status"));
    out.set("receiver", text_of(notification, "receiver"));
    out.set("groupLabels", group_labels);
    out.set("commonLabels", string_map(notification, "common_labels"));
    out.set("commonAnnotations", string_map(notification, "common_annotations"));
    out.set("externalURL", external_url);
    out.set("alerts", std::move(alerts));
    return out;
}

}  // namespace tocsin::plugins::common
