#include "pagerduty_event.hpp"

#include "http_response.hpp"
#include "text_util.hpp"

namespace tocsin::plugins::pagerduty {
namespace {

using common::AlertView;
using common::NotificationView;
using sdk::Json;

std::string label(const AlertView& alert, const std::string& name) {
    for (const auto& [key, value] : alert.labels) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

std::string first_non_empty(std::initializer_list<std::string> texts) {
    for (const auto& text : texts) {
        if (!text.empty()) {
            return text;
        }
    }
    return {};
}

Json custom_details(const AlertView& alert, const NotificationView& view) {
    Json details = Json::object();
    if (!alert.summary.empty()) {
        details.set("summary", alert.summary);
    }
    if (!alert.description.empty()) {
        details.set("description", alert.description);
    }
    details.set("kpi", alert.kpi);
    details.set("severity", alert.severity);
    if (!alert.previous_severity.empty()) {
        details.set("previous_severity", alert.previous_severity);
    }
    if (alert.nodata) {
        details.set("nodata", true);
    }
    if (alert.value) {
        details.set("value", common::format_value(*alert.value, alert.unit));
    }
    if (alert.previous_value) {
        details.set("previous_value", common::format_value(*alert.previous_value, alert.unit));
    }
    if (alert.threshold) {
        details.set("threshold", common::format_value(*alert.threshold, alert.unit));
    }
    if (alert.target) {
        details.set("target", common::format_value(*alert.target, alert.unit));
    }
    details.set("starts_at", alert.starts_at);
    Json labels = Json::object();
    for (const auto& [key, value] : alert.labels) {
        labels.set(key, value);
    }
    details.set("labels", labels);
    details.set("notification_id", view.id);
    if (!view.via_fallback.empty()) {
        details.set("note", "sent via fallback because " + view.via_fallback + " failed");
    }
    if (!view.also_notified.empty()) {
        Json also = Json::array();
        for (const auto& name : view.also_notified) {
            also.push_back(name);
        }
        details.set("also_notified", also);
    }
    return details;
}

Json links_of(const AlertView& alert) {
    Json links = Json::array();
    auto add = [&](const std::string& href, const char* text) {
        if (!href.empty()) {
            Json link = Json::object();
            link.set("href", href);
            link.set("text", text);
            links.push_back(link);
        }
    };
    add(alert.runbook, "Runbook");
    if (alert.status != "resolved") {
        add(alert.ack_url, "Acknowledge in tocsin");
    }
    return links;
}

std::string summary_of(const AlertView& alert, const NotificationView& view) {
    std::string summary =
        alert.name + ": " + (alert.summary.empty() ? common::value_line(alert) : alert.summary);
    if (view.alerts.size() == 1 && view.kind != "digest" && !view.message.title.empty() &&
        view.message.title.find(alert.name) == std::string::npos) {
        // The daemon's own title says more than our line (a custom template).
        summary = view.message.title;
    }
    return common::truncate_chars(summary, kMaxSummaryChars);
}

Event make_event(const std::string& action,
                 const AlertView& alert,
                 const NotificationView& view,
                 const PagerDutyConfig& config) {
    Event event;
    event.action = action;
    event.dedup_key = alert.fingerprint.empty() ? alert.name : alert.fingerprint;
    Json body = Json::object();
    body.set("routing_key", config.routing_key);
    body.set("event_action", action);
    body.set("dedup_key", event.dedup_key);
    if (action == "trigger") {
        Json payload = Json::object();
        payload.set("summary", summary_of(alert, view));
        payload.set(
            "source",
            first_non_empty({config.source, label(alert, "instance"), alert.kpi, "tocsin"}));
        payload.set("severity", pagerduty_severity(alert.severity));
        if (!alert.starts_at.empty()) {
            payload.set("timestamp", alert.starts_at);
        }
        if (const auto component = first_non_empty({config.component, alert.kpi});
            !component.empty()) {
            payload.set("component", component);
        }
        if (const auto group = first_non_empty({config.group, label(alert, "team")});
            !group.empty()) {
            payload.set("group", group);
        }
        if (!alert.name.empty()) {
            payload.set("class", alert.name);
        }
        payload.set("custom_details", custom_details(alert, view));
        body.set("payload", payload);
        if (const Json links = links_of(alert); links.size() > 0) {
            body.set("links", links);
        }
    }
    if (!config.client.empty()) {
        body.set("client", config.client);
        if (!view.external_url.empty()) {
            body.set("client_url", view.external_url);
        }
    }
    event.body = std::move(body);
    return event;
}

}  // namespace

std::string pagerduty_severity(const std::string& severity) {
    if (severity == "critical" || severity == "error" || severity == "warning" ||
        severity == "info") {
        return severity;
    }
    return "error";
}

std::vector<Event> build_events(const NotificationView& view, const PagerDutyConfig& config) {
    std::vector<Event> events;
    if (view.kind == "test") {
        AlertView probe;
        probe.name = "TocsinTest";
        probe.fingerprint = "tocsin-test-" + (view.id.empty() ? view.receiver : view.id);
        probe.severity = "info";
        probe.summary = view.message.title;
        probe.kpi = "tocsin";
        NotificationView single = view;
        single.alerts = {probe};
        events.push_back(make_event("trigger", probe, single, config));
        events.push_back(make_event("resolve", probe, single, config));
        return events;
    }
    for (const AlertView& alert : view.alerts) {
        std::string action = "trigger";
        if (view.kind == "acknowledged") {
            action = "acknowledge";
        } else if (view.kind == "resolved" || alert.status == "resolved") {
            action = "resolve";
        }
        events.push_back(make_event(action, alert, view, config));
    }
    return events;
}

std::string describe_answer(long http_status, const std::string& body) {
    std::string out = "HTTP " + std::to_string(http_status);
    Json answer;
    if (!Json::try_parse(body, answer) || !answer.is_object()) {
        const auto quoted = common::snippet(body);
        return quoted.empty() ? out : out + " " + quoted;
    }
    const std::string status = common::text_of(answer, "status");
    std::string message = common::text_of(answer, "message");
    if (const Json* errors = answer.find("errors"); errors != nullptr && errors->is_array() &&
                                                    errors->size() > 0 &&
                                                    errors->as_array().front().is_string()) {
        message = errors->as_array().front().as_string();
    }
    if (!status.empty()) {
        out += " " + status;
    }
    if (!message.empty()) {
        out += ": " + message;
    }
    return common::truncate_bytes(out, 255);
}

}  // namespace tocsin::plugins::pagerduty
