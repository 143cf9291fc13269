#include "app/message.hpp"
#include "app/notification_json.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace tocsin::app {
namespace {

using engine::Notification;
using engine::NotificationKind;

constexpr std::int64_t kSentMs = 1767592800000;  // 2026-01-05T06:00:00Z

Notification member(int i, NotificationKind kind = NotificationKind::Firing) {
    Notification n;
    const std::string source = "db" + std::to_string(i);
    n.fingerprint = "00000000000000" + std::string(i < 10 ? "0" : "") + std::to_string(i);
    n.id = n.fingerprint + "-1767592000000-1/ops";
    n.notifier = "ops";
    n.kind = kind;
    n.at = engine::from_unix_ms(kSentMs - 1000);
    n.alert = "SourceDown";
    n.kpi = "tocsin_source_up";
    n.labels = {{"alertname", "SourceDown"},
                {"severity", "critical"},
                {"source", source},
                {"team", "growth"}};
    n.severity = engine::Severity::Critical;
    n.value = 0;
    n.threshold = 1;
    n.summary = "source " + source + " is down";
    n.runbook = "https://wiki.example.com/source-down";
    n.starts_at = engine::from_unix_ms(kSentMs - 60'000);
    if (kind == NotificationKind::Resolved) {
        n.value = 1;
        n.ends_at = engine::from_unix_ms(kSentMs - 2000);
    }
    return n;
}

/// A batch as the engine sends it: top-level fields copied from the first member.
Notification batch_of(std::vector<Notification> members, NotificationKind kind) {
    Notification n = members.front();
    n.members = std::move(members);
    n.kind = kind;
    n.id = "batch-0123456789abcdef-" + std::to_string(kSentMs) + "/ops";
    n.at = engine::from_unix_ms(kSentMs);
    n.summary = std::to_string(n.members.size()) + " alerts";
    n.group_labels = {{"alertname", "SourceDown"}, {"team", "growth"}};
    return n;
}

Notification fifty_firing() {
    std::vector<Notification> members;
    for (int i = 0; i < 50; ++i) {
        members.push_back(member(i));
    }
    return batch_of(std::move(members), NotificationKind::Firing);
}

std::string str(const boost::json::value& v) {
    return std::string(v.as_string());
}

std::size_t count_lines_starting(const std::string& text, const std::string& prefix) {
    std::size_t n = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const auto end = text.find('\n', pos);
        if (text.compare(pos, prefix.size(), prefix) == 0) {
            ++n;
        }
        if (end == std::string::npos) {
            break;
        }
        pos = end + 1;
    }
    return n;
}

}  // namespace

TEST_CASE("a batch renders one alert entry per member with group and common labels",
          "[app][batch]") {
    auto n = fifty_firing();
    n.members[3].kind = NotificationKind::SeverityChange;
    n.members[3].previous_severity = engine::Severity::Warning;
    RenderOptions options;
    options.external_url = "http://127.0.0.1:9470";
    options.ack_url = [](const Notification& one) { return "http://ack/" + one.fingerprint; };
    const auto root = boost::json::parse(render_notification_json(n, options)).as_object();

    CHECK(str(root.at("kind")) == "firing");
    CHECK(str(root.at("status")) == "firing");
    CHECK(str(root.at("id")) == "batch-0123456789abcdef-1767592800000/ops");
    const auto& alerts = root.at("alerts").as_array();
    REQUIRE(alerts.size() == 50);
    CHECK(str(alerts[0].at("labels").at("source")) == "db0");
    CHECK(str(alerts[49].at("labels").at("source")) == "db49");
    CHECK(str(alerts[7].at("ack_url")) == "http://ack/" + n.members[7].fingerprint);
    CHECK(str(alerts[3].at("previous_severity")) == "warning");
    CHECK(str(alerts[3].at("kind")) == "severity_change");
    CHECK(alerts[0].at("duration_s").as_int64() == 60);  // counted to the sending, not the joining
    CHECK(root.at("group_labels").as_object() ==
          boost::json::object{{"alertname", "SourceDown"}, {"team", "growth"}});
    // `source` differs per member, so it is not common; the runbook is shared, the summary not.
    CHECK(root.at("common_labels").as_object() == boost::json::object{{"alertname", "SourceDown"},
                                                                      {"severity", "critical"},
                                                                      {"team", "growth"}});
    CHECK(root.at("common_annotations").as_object() ==
          boost::json::object{{"runbook", "https://wiki.example.com/source-down"}});
}

TEST_CASE("a firing batch says how many alerts and lists each on one line", "[app][batch]") {
    const auto m = compose_message(fifty_firing(), "");
    CHECK(m.title == "[FIRING] 50 alerts: SourceDown (team=growth)");
    CHECK(count_lines_starting(m.text, "- SourceDown source=db") == 50);
    CHECK_THAT(m.text,
               Catch::Contains("- SourceDown source=db7: 0 (threshold 1), critical, firing"));
    CHECK_THAT(m.text, Catch::Contains("Grouped by: team=growth"));
    CHECK_THAT(m.text, Catch::Contains("Runbook: https://wiki.example.com/source-down"));
    CHECK(m.short_text.size() <= kShortLimit);
    CHECK_THAT(m.short_text, Catch::StartsWith("50 alerts firing: SourceDown db0, SourceDown db1"));
    CHECK_THAT(m.short_text, Catch::Matches(".* and [0-9]+ more$"));
    // The count in "and N more" matches the items shown.
    const auto shown =
        static_cast<int>(std::count(m.short_text.begin(), m.short_text.end(), ',')) + 1;
    CHECK_THAT(m.short_text, Catch::EndsWith(" and " + std::to_string(50 - shown) + " more"));
}

TEST_CASE("a resolved batch is resolved for every member", "[app][batch]") {
    std::vector<Notification> members;
    for (int i = 0; i < 3; ++i) {
        members.push_back(member(i, NotificationKind::Resolved));
    }
    const auto n = batch_of(std::move(members), NotificationKind::Resolved);
    const auto root = boost::json::parse(render_notification_json(n, RenderOptions{})).as_object();
    CHECK(str(root.at("status")) == "resolved");
    for (const auto& a : root.at("alerts").as_array()) {
        CHECK(str(a.at("status")) == "resolved");
        CHECK(str(a.at("ends_at")) == "2026-01-05T05:59:58Z");
    }
    const auto m = compose_message(n, "");
    CHECK(m.title == "[RESOLVED] 3 alerts: SourceDown (team=growth)");
    CHECK(m.short_text == "3 alerts resolved: SourceDown db0, SourceDown db1, SourceDown db2");
    CHECK_THAT(m.text, Catch::Contains("- SourceDown source=db1: 1, critical, resolved after 58s"));
}

TEST_CASE("a digest counts what fired and resolved during the quiet window", "[app][batch]") {
    std::vector<Notification> members = {
        member(1), member(2), member(3, NotificationKind::Resolved), member(4)};
    members[0].at = engine::from_unix_ms(kSentMs - 8 * 3600'000);  // 22:00 UTC the night before
    members[1].alert = "OrdersLow";
    auto n = batch_of(std::move(members), NotificationKind::Digest);
    n.group_labels.clear();  // quiet-hours batches are per policy and notifier, not grouped
    n.summary = "4 alerts during quiet hours";

    SECTION("in UTC") {
        const auto m = compose_message(n, "");
        CHECK(m.title == "[DIGEST] quiet hours 22:00\u201306:00: 3 fired, 1 resolved");
        CHECK_THAT(m.short_text,
                   Catch::StartsWith("Quiet hours 22:00-06:00: 3 fired, 1 resolved: SourceDown"));
        CHECK_THAT(m.text, Catch::Contains("4 alerts during quiet hours"));
        CHECK_THAT(m.text, Catch::Contains("- OrdersLow source=db2:"));
        CHECK_THAT(m.text, Catch::Contains("resolved after"));
    }
    SECTION("in the config's time zone") {
        const auto berlin = engine::TimeZone::find("Europe/Berlin");
        REQUIRE(berlin);
        const auto m = compose_message(n, "", *berlin);
        CHECK(m.title == "[DIGEST] quiet hours 23:00\u201307:00: 3 fired, 1 resolved");
        CHECK_THAT(m.text, Catch::Contains("(Europe/Berlin)"));
    }
    const auto root = boost::json::parse(render_notification_json(n, RenderOptions{})).as_object();
    CHECK(str(root.at("kind")) == "digest");
    CHECK(str(root.at("status")) == "firing");  // three alerts still fire
    CHECK(root.at("group_labels").as_object().empty());
    CHECK(root.at("alerts").as_array().size() == 4);
}

TEST_CASE("a firing batch with resolved members says both counts", "[app][batch]") {
    const auto n =
        batch_of({member(1), member(2, NotificationKind::Resolved)}, NotificationKind::Firing);
    const auto m = compose_message(n, "");
    CHECK(m.title == "[FIRING] 1 firing, 1 resolved: SourceDown (team=growth)");
    CHECK(m.short_text == "1 firing, 1 resolved: SourceDown db1, SourceDown db2");
}

TEST_CASE("a batch ignores the first member's own message templates", "[app][batch]") {
    std::vector<Notification> members = {member(1), member(2)};
    members[0].message_title = "custom title of db1";
    auto n = batch_of(std::move(members), NotificationKind::Firing);
    n.message_title = n.members.front().message_title;  // copied by the engine with the rest
    CHECK(compose_message(n, "").title == "[FIRING] 2 alerts: SourceDown (team=growth)");
}

TEST_CASE("a very long batch keeps its text bounded and says how many were left out",
          "[app][batch]") {
    std::vector<Notification> members;
    for (int i = 0; i < 150; ++i) {
        members.push_back(member(i));
    }
    const auto m = compose_message(batch_of(std::move(members), NotificationKind::Firing), "");
    CHECK(count_lines_starting(m.text, "- SourceDown") == 100);
    CHECK_THAT(m.text, Catch::Contains("- and 50 more"));
    CHECK(m.short_text.size() <= kShortLimit);
}

TEST_CASE("a flapping notification says the alert is flapping", "[app]") {
    auto n = member(1, NotificationKind::Flapping);
    n.flapping = true;
    const auto m = compose_message(n, "");
    CHECK_THAT(m.title, Catch::StartsWith("[FLAPPING] SourceDown is flapping (critical)"));
    CHECK_THAT(m.text, Catch::StartsWith("SourceDown is flapping: it changed state too often"));
    CHECK(m.short_text == "FLAPPING SourceDown: tocsin_source_up 0; quiet until it settles");
    const auto root = boost::json::parse(render_notification_json(n, RenderOptions{})).as_object();
    CHECK(str(root.at("kind")) == "flapping");
    CHECK(root.at("alerts").as_array().at(0).at("flapping").as_bool());
}

}  // namespace tocsin::app
