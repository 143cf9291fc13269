#pragma once

// Notifications as the daemon sends them (docs/notification-json.md), for the channel plugin
// tests: a firing one with every field, and variants per kind.

#include <tocsin/sdk/json.hpp>

#include <string>

namespace tocsin::testing {

/// A firing warning of ActivationRateLow with runbook, ack link and trend, no `message`.
inline sdk::Json sample_firing() {
    return sdk::Json::parse(R"json({
  "version": "1",
  "id": "5f1c2a9e3b7d4c10-1767571200000-1/ops",
  "kind": "firing",
  "receiver": "ops",
  "status": "firing",
  "created_at": "2026-01-05T06:00:00Z",
  "external_url": "http://127.0.0.1:9470",
  "via_fallback": "",
  "also_notified": [],
  "truncated_alerts": 0,
  "group_labels": {"alertname": "ActivationRateLow"},
  "common_labels": {"alertname": "ActivationRateLow", "severity": "warning", "team": "growth"},
  "common_annotations": {"summary": "Activation rate 28% is below 30% (target 40%)"},
  "alerts": [{
    "status": "firing",
    "name": "ActivationRateLow",
    "kpi": "activation_rate",
    "fingerprint": "5f1c2a9e3b7d4c10",
    "severity": "warning",
    "previous_severity": "",
    "nodata": false,
    "labels": {"alertname": "ActivationRateLow", "severity": "warning", "team": "growth"},
    "annotations": {"summary": "Activation rate 28% is below 30% (target 40%)",
                    "runbook": "https://wiki.example.com/runbooks/activation"},
    "value": 0.28,
    "previous_value": 0.31,
    "threshold": 0.30,
    "target": 0.40,
    "unit": "percent",
    "starts_at": "2026-01-05T06:00:00Z",
    "ends_at": "0001-01-01T00:00:00Z",
    "ack_url": "http://127.0.0.1:9470/api/v1/ack?token=abc.def",
    "duration_s": 0
  }]
})json");
}

/// The same alert as `kind` ("resolved" ends it after 1h 5m; "severity_change" makes it
/// critical, was warning; "acknowledged" carries an ack by alice).
inline sdk::Json sample_of_kind(const std::string& kind) {
    sdk::Json n = sample_firing();
    n.set("kind", kind);
    sdk::Json& alert = n["alerts"].as_array().front();
    if (kind == "resolved") {
        n.set("status", "resolved");
        alert.set("status", "resolved");
        alert.set("ends_at", "2026-01-05T07:05:00Z");
        alert.set("duration_s", 3900);
        alert.set("ack_url", "");
    } else if (kind == "severity_change") {
        alert.set("severity", "critical");
        alert.set("previous_severity", "warning");
        alert["labels"].set("severity", "critical");
    } else if (kind == "acknowledged") {
        n.set("ack", sdk::Json::parse(R"({"author": "alice", "comment": "looking", "until": ""})"));
    }
    return n;
}

/// A notification of `count` alerts a0, a1, ... (fingerprints fp0, fp1, ...).
inline sdk::Json sample_with_alerts(int count) {
    sdk::Json n = sample_firing();
    const sdk::Json alert = n.at("alerts").as_array().front();
    sdk::Json alerts = sdk::Json::array();
    for (int i = 0; i < count; ++i) {
        sdk::Json copy = alert;
        copy.set("name", "a" + std::to_string(i));
        copy.set("fingerprint", "fp" + std::to_string(i));
        alerts.push_back(copy);
    }
    n.set("alerts", alerts);
    return n;
}

/// A scheduled report as the daemon renders it (kind "report"), without `message`: an ok KPI with
/// a trend, a critical labelled series and a KPI without data.
inline sdk::Json sample_report() {
    return sdk::Json::parse(R"json({
  "version": "1",
  "id": "report-growth-daily-1772438400000/ops",
  "kind": "report",
  "receiver": "ops",
  "status": "report",
  "created_at": "2026-03-02T08:00:01Z",
  "external_url": "",
  "via_fallback": "",
  "also_notified": [],
  "truncated_alerts": 0,
  "group_labels": {},
  "common_labels": {},
  "common_annotations": {},
  "alerts": [],
  "report": {
    "name": "growth-daily",
    "title": "Growth KPIs",
    "scheduled_at": "2026-03-02T08:00:00Z",
    "lines": [
      {"kpi": "activation_rate", "labels": {}, "value": 0.35, "target": 0.40, "previous": 0.33,
       "unit": "percent", "status": "ok", "alert": "", "sampled_at": "2026-03-02T07:50:00Z"},
      {"kpi": "signups", "labels": {"plan": "pro"}, "value": 40, "target": null, "previous": 52,
       "unit": "", "status": "critical", "alert": "SignupsLow",
       "sampled_at": "2026-03-02T07:50:00Z"},
      {"kpi": "churn", "labels": {}, "value": null, "target": null, "previous": null,
       "unit": "percent", "status": "no data", "alert": "", "sampled_at": ""}
    ]
  }
})json");
}

}  // namespace tocsin::testing
