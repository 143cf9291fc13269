#include "notification.hpp"

#include "notifier_common/sample_notifications.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace cm = tocsin::plugins::common;
using tocsin::sdk::Json;

namespace {

constexpr const char* kFiring = R"json({
  "version": "1", "id": "n-1", "kind": "firing", "receiver": "ops", "status": "firing",
  "alerts": [{
    "status": "firing", "name": "ActivationRateLow", "kpi": "activation_rate",
    "fingerprint": "5f1c2a9e3b7d4c10", "severity": "warning", "previous_severity": "",
    "labels": {"alertname": "ActivationRateLow", "severity": "warning"},
    "annotations": {"summary": "Activation rate 28% is below 30% (target 40%)",
                    "runbook": "https://wiki.example.com/runbooks/activation"},
    "value": 0.28, "previous_value": 0.31, "threshold": 0.30, "target": 0.40, "unit": "percent",
    "starts_at": "2026-01-05T06:00:00Z", "ends_at": "0001-01-01T00:00:00Z",
    "ack_url": "http://127.0.0.1:9470/ack/abc"
  }]
})json";

}  // namespace

TEST_CASE("notification view formats values in their unit", "[notifier-common]") {
    CHECK(cm::format_value(0.28, "percent") == "28%");
    CHECK(cm::format_value(0.285, "percent") == "28.5%");
    CHECK(cm::format_value(1250, "EUR") == "1250 EUR");
    CHECK(cm::format_value(0.3333333, "") == "0.3333");
    CHECK(cm::format_value(42, "") == "42");
    CHECK(cm::format_duration(45) == "45s");
    CHECK(cm::format_duration(720) == "12m");
    CHECK(cm::format_duration(3900) == "1h 5m");
    CHECK(cm::format_duration(3600) == "1h");
    CHECK(cm::format_duration(2 * 86400 + 3 * 3600 + 5) == "2d 3h");
}

TEST_CASE("notification view builds a message when the daemon sent none", "[notifier-common]") {
    const auto view = cm::read_notification(Json::parse(kFiring));
    CHECK(view.kind == "firing");
    REQUIRE(view.alerts.size() == 1);
    CHECK(cm::value_line(view.alerts.front()) ==
          "activation_rate 28% (threshold 30%, target 40%; down from 31%)");
    CHECK(view.message.title == "[WARNING] ActivationRateLow");
    CHECK(view.message.text ==
          "[WARNING] ActivationRateLow: Activation rate 28% is below 30% (target 40%)\n"
          "  activation_rate 28% (threshold 30%, target 40%; down from 31%)\n"
          "  since 2026-01-05T06:00:00Z\n"
          "  runbook: https://wiki.example.com/runbooks/activation\n"
          "  acknowledge: http://127.0.0.1:9470/ack/abc");
    CHECK(view.message.short_text ==
          "[WARNING] ActivationRateLow: Activation rate 28% is below 30% (target 40%)");
}

TEST_CASE("notification view titles each kind", "[notifier-common]") {
    Json n = Json::parse(kFiring);
    SECTION("resolved says how long it lasted") {
        n.set("kind", "resolved");
        n.set("status", "resolved");
        n["alerts"].as_array().front().set("status", "resolved");
        n["alerts"].as_array().front().set("duration_s", 3900);
        const auto view = cm::read_notification(n);
        CHECK(view.message.title == "[RESOLVED] ActivationRateLow");
        CHECK(view.message.text.find("lasted 1h 5m") != std::string::npos);
        CHECK(view.message.text.find("acknowledge:") == std::string::npos);
        CHECK(cm::headline_severity(view) == "resolved");
    }
    SECTION("severity change names the old severity") {
        n.set("kind", "severity_change");
        n["alerts"].as_array().front().set("severity", "critical");
        n["alerts"].as_array().front().set("previous_severity", "warning");
        CHECK(cm::read_notification(n).message.title ==
              "[CRITICAL] ActivationRateLow (was warning)");
    }
    SECTION("kind falls back on status and previous severity") {
        n.set("kind", nullptr);
        n["alerts"].as_array().front().set("previous_severity", "warning");
        CHECK(cm::read_notification(n).kind == "severity_change");
    }
    SECTION("acknowledged names the author and comment") {
        n.set("kind", "acknowledged");
        n.set("ack", Json::parse(R"({"author": "alice", "comment": "on it", "until": ""})"));
        const auto view = cm::read_notification(n);
        CHECK(view.message.title == "[ACKNOWLEDGED] ActivationRateLow by alice");
        CHECK(view.message.text.rfind("Acknowledged by alice: on it\n", 0) == 0);
    }
    SECTION("reminder and digest") {
        n.set("kind", "reminder");
        CHECK(cm::read_notification(n).message.title ==
              "[WARNING] Still firing: ActivationRateLow");
        n.set("kind", "digest");
        n.set("truncated_alerts", 2);
        CHECK(cm::read_notification(n).message.title == "Digest: 3 alerts");
    }
}

TEST_CASE("notification view keeps the daemon's message and adds what it left out",
          "[notifier-common]") {
    Json n = Json::parse(kFiring);
    n.set("message", Json::parse(R"({"title": "T", "text": "Body", "short": "S"})"));
    n.set("via_fallback", "ops-slack");
    n.set("also_notified", Json::array({"leads-email", "oncall-sms"}));
    const auto view = cm::read_notification(n);
    CHECK(view.message.title == "T");
    CHECK(view.message.short_text == "S");
    CHECK(view.message.text ==
          "Body\nSent via fallback because ops-slack failed\n"
          "Also notified: leads-email, oncall-sms");
}

TEST_CASE("notification view reads a non-object as an empty firing", "[notifier-common]") {
    const auto view = cm::read_notification(Json::array());
    CHECK(view.kind == "firing");
    CHECK(view.alerts.empty());
    CHECK(view.message.title == "alert");
}

TEST_CASE("notification view reads a report and builds its lines", "[notifier-common][report]") {
    const auto view = cm::read_notification(tocsin::testing::sample_report());
    CHECK(view.kind == "report");
    CHECK(view.alerts.empty());
    CHECK(view.report.name == "growth-daily");
    CHECK(view.report.title == "Growth KPIs");
    REQUIRE(view.report.lines.size() == 3);
    const auto& pro = view.report.lines[1];
    CHECK(cm::series_name(pro) == "signups{plan=pro}");
    CHECK(pro.value == 40);
    CHECK_FALSE(pro.target.has_value());
    CHECK(cm::report_line_facts(pro) == "40, critical (SignupsLow), down from 52");
    CHECK(cm::report_line_facts(view.report.lines[0]) == "35% (target 40%), ok, up from 33%");
    CHECK(cm::report_line_facts(view.report.lines[2]) == "no data");
    CHECK(view.message.title == "Growth KPIs");
    CHECK(view.message.text ==
          "activation_rate: 35% (target 40%), ok, up from 33%\n"
          "signups{plan=pro}: 40, critical (SignupsLow), down from 52\n"
          "churn: no data");
    CHECK(view.message.short_text ==
          "Growth KPIs: activation_rate 35% ok; signups{plan=pro} 40 critical; churn no data no "
          "data");
    CHECK(cm::headline_severity(view).empty());
}
