#include "store/held_codec.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

namespace tocsin::store {
namespace {

using engine::HeldBatch;
using engine::Notification;
using engine::NotificationKind;
using test::at_ms;
using test::failure;
using test::ok;
using test::open_store;
using test::TempDir;

/// A member with every field set to something other than its default.
Notification full_member(const std::string& fingerprint) {
    Notification n;
    n.id = fingerprint + "-1767000000000-3/ops";
    n.notifier = "ops";
    n.kind = NotificationKind::SeverityChange;
    n.at = at_ms(1'767'000'000'123);
    n.alert = "SourceDown";
    n.kpi = "tocsin_source_up";
    n.fingerprint = fingerprint;
    n.labels = {{"alertname", "SourceDown"}, {"severity", "critical"}, {"ünï", "cödé \"q\"\n"}};
    n.severity = engine::Severity::Critical;
    n.previous_severity = engine::Severity::Warning;
    n.nodata = true;
    n.value = 0.1 + 0.2;  // not exactly representable in few digits
    n.threshold = -0.25;
    n.target = 1e-300;
    n.unit = "percent";
    n.unit_kind = engine::Unit::Percent;
    n.summary = "summary";
    n.description = "description";
    n.runbook = "https://wiki.example.com/runbook";
    n.starts_at = at_ms(1'766'999'000'001);
    n.ends_at = at_ms(1'767'000'000'002);
    n.ack = engine::Ack{"alice", "on it", at_ms(1'766'999'500'000), at_ms(1'767'100'000'000)};
    n.also_notified = {"mail", "sms"};
    n.previous_value = std::numeric_limits<double>::infinity();
    n.message_title = "title";
    n.message_text = "text";
    n.message_short = "short";
    n.group_labels = {{"team", "growth"}};
    n.report = "weekly";
    engine::ReportLine line;
    line.kpi = "signups";
    line.labels = {{"plan", "pro"}};
    line.value = 12;
    line.at = at_ms(5);
    line.previous = 10;
    line.target = 20;
    line.unit = "count";
    line.unit_kind = engine::Unit::Count;
    line.severity = engine::Severity::Warning;
    line.stale = true;
    n.report_lines = {line};
    n.flapping = true;
    return n;
}

HeldBatch full_batch() {
    HeldBatch b;
    b.key = std::string("group/growth-oncall/ops/firing\x1f") + "growth";
    b.kind = HeldBatch::Kind::Digest;
    b.policy = "growth-oncall";
    b.notifier = "ops";
    b.opened = at_ms(1'767'000'000'000);
    b.flush_at = at_ms(1'767'000'003'000);
    b.group_labels = {{"team", "growth"}};
    b.members = {full_member("00000000000000a1"), full_member("00000000000000a2")};
    b.members[1].kind = NotificationKind::Resolved;
    b.members[1].value = std::numeric_limits<double>::quiet_NaN();
    b.members[1].ack.reset();
    b.members[1].ends_at.reset();
    b.members[1].threshold.reset();
    b.members[1].members = {full_member("00000000000000b1")};  // nesting is kept too
    return b;
}

void require_same(const Notification& got, const Notification& want) {
    CHECK(got.id == want.id);
    CHECK(got.notifier == want.notifier);
    CHECK(got.kind == want.kind);
    CHECK(got.at == want.at);
    CHECK(got.alert == want.alert);
    CHECK(got.kpi == want.kpi);
    CHECK(got.fingerprint == want.fingerprint);
    CHECK(got.labels == want.labels);
    CHECK(got.severity == want.severity);
    CHECK(got.previous_severity == want.previous_severity);
    CHECK(got.nodata == want.nodata);
    if (std::isnan(want.value)) {
        CHECK(std::isnan(got.value));
    } else {
        CHECK(got.value == want.value);  // exact: the JSON keeps every digit
    }
    CHECK(got.threshold == want.threshold);
    CHECK(got.target == want.target);
    CHECK(got.unit == want.unit);
    CHECK(got.unit_kind == want.unit_kind);
    CHECK(got.summary == want.summary);
    CHECK(got.description == want.description);
    CHECK(got.runbook == want.runbook);
    CHECK(got.starts_at == want.starts_at);
    CHECK(got.ends_at == want.ends_at);
    REQUIRE(got.ack.has_value() == want.ack.has_value());
    if (want.ack) {
        CHECK(got.ack->author == want.ack->author);
        CHECK(got.ack->comment == want.ack->comment);
        CHECK(got.ack->at == want.ack->at);
        CHECK(got.ack->until == want.ack->until);
    }
    CHECK(got.also_notified == want.also_notified);
    CHECK(got.previous_value == want.previous_value);
    CHECK(got.message_title == want.message_title);
    CHECK(got.message_text == want.message_text);
    CHECK(got.message_short == want.message_short);
    CHECK(got.group_labels == want.group_labels);
    CHECK(got.report == want.report);
    REQUIRE(got.report_lines.size() == want.report_lines.size());
    for (std::size_t i = 0; i < want.report_lines.size(); ++i) {
        const auto& g = got.report_lines[i];
        const auto& w = want.report_lines[i];
        CHECK(g.kpi == w.kpi);
        CHECK(g.labels == w.labels);
        CHECK(g.value == w.value);
        CHECK(g.at == w.at);
        CHECK(g.previous == w.previous);
        CHECK(g.target == w.target);
        CHECK(g.unit == w.unit);
        CHECK(g.unit_kind == w.unit_kind);
        CHECK(g.severity == w.severity);
        CHECK(g.stale == w.stale);
    }
    CHECK(got.flapping == want.flapping);
    REQUIRE(got.members.size() == want.members.size());
    for (std::size_t i = 0; i < want.members.size(); ++i) {
        require_same(got.members[i], want.members[i]);
    }
}

void require_same(const HeldBatch& got, const HeldBatch& want) {
    CHECK(got.key == want.key);
    CHECK(got.kind == want.kind);
    CHECK(got.policy == want.policy);
    CHECK(got.notifier == want.notifier);
    CHECK(got.opened == want.opened);
    CHECK(got.flush_at == want.flush_at);
    CHECK(got.group_labels == want.group_labels);
    REQUIRE(got.members.size() == want.members.size());
    for (std::size_t i = 0; i < want.members.size(); ++i) {
        require_same(got.members[i], want.members[i]);
    }
}

TEST_CASE("a held batch round-trips every notification field", "[store][held]") {
    TempDir dir;
    auto store = open_store(dir);
    Batch batch;
    batch.held = {full_batch()};
    ok(store->commit(batch));

    const auto rows = ok(store->load_held());
    CHECK(rows.damaged.empty());
    REQUIRE(rows.batches.size() == 1);
    require_same(rows.batches[0], full_batch());
}

TEST_CASE("held batches survive closing and reopening the store", "[store][held]") {
    TempDir dir;
    HeldBatch group;
    group.key = "group/p/ops/firing";
    group.notifier = "ops";
    group.flush_at = at_ms(2000);
    group.members = {full_member("00000000000000c1")};
    {
        auto store = open_store(dir);
        Batch batch;
        batch.held = {full_batch(), group};
        ok(store->commit(batch));
    }
    auto store = open_store(dir);
    const auto rows = ok(store->load_held());
    REQUIRE(rows.batches.size() == 2);
    require_same(rows.batches[0], full_batch());  // ordered by key: group/growth... first
    require_same(rows.batches[1], group);
}

TEST_CASE("a changed batch replaces the stored one and a released batch is deleted",
          "[store][held]") {
    TempDir dir;
    auto store = open_store(dir);
    Batch first;
    first.held = {full_batch()};
    ok(store->commit(first));

    auto grown = full_batch();
    grown.members.push_back(full_member("00000000000000a3"));
    Batch second;
    second.held = {grown};
    ok(store->commit(second));
    auto rows = ok(store->load_held());
    REQUIRE(rows.batches.size() == 1);
    CHECK(rows.batches[0].members.size() == 3);

    Batch released;
    released.released = {grown.key, "group/never/held"};  // an unknown key is not an error
    ok(store->commit(released));
    CHECK(ok(store->load_held()).batches.empty());
}

TEST_CASE("held batches commit with the outbox or not at all", "[store][held]") {
    TempDir dir;
    auto store = open_store(dir);
    Batch before;
    before.held = {full_batch()};
    ok(store->commit(before));

    // The step that sends the batch: its notification in the outbox, the batch released. If the
    // outbox write fails, the batch must still be held (not lost)...
    Batch send;
    send.outbox = {test::make_item("batch-1/ops", 100, "exploded")};  // fails the CHECK
    send.released = {full_batch().key};
    CHECK_THAT(failure(store->commit(send)), Catch::Contains("CHECK constraint failed"));
    CHECK(ok(store->load_held()).batches.size() == 1);

    // ...and once it succeeds, the batch is gone and the notification is pending (not twice).
    send.outbox = {test::make_item("batch-1/ops", 100, "firing")};
    ok(store->commit(send));
    CHECK(ok(store->load_held()).batches.empty());
    CHECK(ok(store->list_outbox(OutboxState::Pending, 0)).size() == 1);
}

TEST_CASE("a damaged held row is reported, not silently dropped", "[store][held]") {
    TempDir dir;
    HeldBatch good;
    good.key = "group/p/ops/firing";
    good.notifier = "ops";
    good.flush_at = at_ms(2000);
    good.members = {full_member("00000000000000c1")};
    {
        auto store = open_store(dir);
        Batch batch;
        batch.held = {full_batch(), good};
        ok(store->commit(batch));
    }
    std::string expected;
    {
        auto db = ok(Database::open(test::db_file(dir)));
        SECTION("not JSON") {
            ok(db->exec("UPDATE held SET body_json = '{\"key\":' WHERE key LIKE 'group/growth%'"));
            expected = "has an unreadable body_json (not JSON";
        }
        SECTION("a member's kind is unknown") {
            ok(
                db->exec("UPDATE held SET body_json = replace(body_json, '\"kind\":\"resolved\"', "
                         "'\"kind\":\"exploded\"') WHERE key LIKE 'group/growth%'"));
            expected = "members[1].kind: 'exploded' is not a notification kind";
        }
        SECTION("a nested member lacks its id") {
            ok(
                db->exec("UPDATE held SET body_json = replace(body_json, "
                         "'\"id\":\"00000000000000b1', '\"xid\":\"00000000000000b1') "
                         "WHERE key LIKE 'group/growth%'"));
            expected = "members[1].members[0].id: is missing";
        }
        SECTION("the body belongs to another key") {
            ok(db->exec("UPDATE held SET key = 'group/elsewhere' WHERE key LIKE 'group/growth%'"));
            expected = "has the body of batch 'group/growth-oncall/ops/firing";
        }
    }
    auto store = open_store(dir);
    const auto rows = ok(store->load_held());
    REQUIRE(rows.damaged.size() == 1);
    CHECK_THAT(rows.damaged[0], Catch::Contains(expected));
    REQUIRE(rows.batches.size() == 1);  // the readable batch still goes out
    CHECK(rows.batches[0].key == good.key);
}

TEST_CASE("a batch body is rejected when a required field is missing", "[store][held]") {
    std::string why;
    CHECK_FALSE(codec::parse_held_json(R"({"key":"k","kind":"group","members":[]})", why));
    CHECK(why == "notifier: is missing");
    CHECK_FALSE(
        codec::parse_held_json(R"({"key":"k","kind":"later","notifier":"n","members":[]})", why));
    CHECK(why == "kind: 'later' is not group, defer or digest");
    CHECK_FALSE(codec::parse_held_json("[]", why));
    CHECK(why == "is not an object");
    const auto minimal = codec::parse_held_json(
        R"({"key":"k","kind":"defer","notifier":"n","flush_at":5,"members":[]})", why);
    REQUIRE(minimal);
    CHECK(why.empty());
    CHECK(minimal->kind == HeldBatch::Kind::Defer);
    CHECK(minimal->flush_at == at_ms(5));
}

}  // namespace
}  // namespace tocsin::store
