#include "app/notification_json.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

namespace tocsin::app {
namespace {

engine::Notification sample_notification(engine::NotificationKind kind) {
    engine::Notification n;
    n.id = "5f1c2a9e3b7d4c10-1767571200000-1/growth-hook";
    n.notifier = "growth-hook";
    n.kind = kind;
    n.at = engine::from_unix_ms(1767592800000);  // 2026-01-05T06:00:00Z
    n.alert = "ActivationRateLow";
    n.kpi = "activation_rate";
    n.fingerprint = "5f1c2a9e3b7d4c10";
    n.labels = {{"alertname", "ActivationRateLow"}, {"severity", "critical"}, {"team", "growth"}};
    n.severity = engine::Severity::Critical;
    n.previous_severity = engine::Severity::Warning;
    n.value = 0.18;
    n.threshold = 0.20;
    n.unit = "percent";
    n.summary = "Activation rate 18.0% is below 20.0%";
    n.runbook = "https://wiki.example.com/activation";
    n.starts_at = engine::from_unix_ms(1767571200000);  // 2026-01-05T00:00:00Z
    return n;
}

std::string str(const boost::json::value& v) {
    return std::string(v.as_string());
}

}  // namespace

TEST_CASE("a severity change renders as a firing notification naming both severities", "[app]") {
    const auto text = render_notification_json(
        sample_notification(engine::NotificationKind::SeverityChange), "http://127.0.0.1:9470");
    const auto root = boost::json::parse(text).as_object();
    CHECK(str(root.at("version")) == "1");
    CHECK(str(root.at("id")) == "5f1c2a9e3b7d4c10-1767571200000-1/growth-hook");
    CHECK(str(root.at("kind")) == "severity_change");
    CHECK(str(root.at("status")) == "firing");
    CHECK(str(root.at("receiver")) == "growth-hook");
    CHECK(str(root.at("created_at")) == "2026-01-05T06:00:00Z");
    CHECK(str(root.at("external_url")) == "http://127.0.0.1:9470");
    const auto& alert = root.at("alerts").as_array().at(0).as_object();
    CHECK(str(alert.at("severity")) == "critical");
    CHECK(str(alert.at("previous_severity")) == "warning");
    CHECK(str(alert.at("labels").at("team")) == "growth");
    CHECK(str(alert.at("annotations").at("summary")) == "Activation rate 18.0% is below 20.0%");
    CHECK_FALSE(
        alert.at("annotations").as_object().contains("description"));  // empty ones left out
    CHECK(alert.at("threshold").as_double() == Approx(0.20));
    CHECK(alert.at("target").is_null());
    CHECK(str(alert.at("starts_at")) == "2026-01-05T00:00:00Z");
    CHECK(str(alert.at("ends_at")) == "0001-01-01T00:00:00Z");
}

TEST_CASE("a resolved notification carries its end time", "[app]") {
    auto n = sample_notification(engine::NotificationKind::Resolved);
    n.ends_at = engine::from_unix_ms(1767600000000);  // 2026-01-05T08:00:00Z
    const auto root = boost::json::parse(render_notification_json(n, "")).as_object();
    CHECK(str(root.at("status")) == "resolved");
    const auto& alert = root.at("alerts").as_array().at(0).as_object();
    CHECK(str(alert.at("status")) == "resolved");
    CHECK(str(alert.at("previous_severity")).empty());
    CHECK(str(alert.at("ends_at")) == "2026-01-05T08:00:00Z");
}

}  // namespace tocsin::app
