#include "store/store.hpp"
#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace tocsin::store {
namespace {

using test::at_ms;
using test::failure;
using test::make_item;
using test::ok;
using test::open_store;
using test::TempDir;

void add(Store& store, std::vector<OutboxItem> items) {
    Batch batch;
    batch.outbox = std::move(items);
    ok(store.commit(batch));
}

OutboxItem only(Store& store, OutboxState state) {
    auto items = ok(store.list_outbox(state, 0));
    REQUIRE(items.size() == 1);
    return items[0];
}

TEST_CASE("an outbox item is stored with every field", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    auto item = make_item("fp-1000-1/ops", 1000, "severity_change");
    item.payload_json = R"({"status":"firing","labels":{"a":"b"}})";
    item.last_detail = "queued";
    item.next_attempt_at = at_ms(1500);
    add(*store, {item});

    const auto got = only(*store, OutboxState::Pending);
    CHECK(got.id == item.id);
    CHECK(got.notifier == "ops");
    CHECK(got.alert == "HighErrorRate");
    CHECK(got.fingerprint == "00112233aabbccdd");
    CHECK(got.kind == "severity_change");
    CHECK(got.payload_json == item.payload_json);
    CHECK(got.created_at == at_ms(1000));
    CHECK(got.state == OutboxState::Pending);
    CHECK(got.attempts == 0);
    CHECK(got.next_attempt_at == at_ms(1500));
    CHECK_FALSE(got.delivered_at.has_value());
    CHECK(got.last_detail == "queued");
}

TEST_CASE("a notification goes pending, retried, then delivered", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    add(*store, {make_item("n1", 1000)});

    ok(store->mark_retry("n1", at_ms(31000), "HTTP 503"));
    auto item = only(*store, OutboxState::Pending);
    CHECK(item.attempts == 1);
    CHECK(item.next_attempt_at == at_ms(31000));
    CHECK(item.last_detail == "HTTP 503");
    CHECK(ok(store->due_outbox(at_ms(30999), 10)).empty());
    CHECK(ok(store->due_outbox(at_ms(31000), 10)).size() == 1);

    ok(store->mark_retry("n1", at_ms(91000), "timeout"));
    CHECK(only(*store, OutboxState::Pending).attempts == 2);

    ok(store->mark_delivered("n1", at_ms(91500), "HTTP 200"));
    item = only(*store, OutboxState::Delivered);
    CHECK(item.attempts == 3);
    CHECK(item.delivered_at == at_ms(91500));
    CHECK(item.last_detail == "HTTP 200");
    CHECK(ok(store->list_outbox(OutboxState::Pending, 0)).empty());
    CHECK(ok(store->due_outbox(at_ms(1'000'000), 10)).empty());
    CHECK(ok(store->next_outbox_due()) == std::nullopt);

    // Reporting the delivery again is harmless; retrying a delivered item is refused.
    ok(store->mark_delivered("n1", at_ms(99999), "again"));
    CHECK(only(*store, OutboxState::Delivered).delivered_at == at_ms(91500));
    const auto message = failure(store->mark_retry("n1", at_ms(100000), "late"));
    CHECK_THAT(message, Catch::Contains("cannot retry outbox item 'n1': it is delivered"));
}

TEST_CASE("a failed notification is dead-lettered and can be requeued", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    add(*store, {make_item("n1", 1000)});
    ok(store->mark_retry("n1", at_ms(2000), "HTTP 503"));
    ok(store->mark_failed("n1", at_ms(3000), "HTTP 404: no such channel"));

    auto item = only(*store, OutboxState::Failed);
    CHECK(item.attempts == 2);
    CHECK(item.delivered_at == at_ms(3000));
    CHECK(item.last_detail == "HTTP 404: no such channel");
    CHECK(ok(store->due_outbox(at_ms(1'000'000), 10)).empty());
    CHECK(ok(store->next_outbox_due()) == std::nullopt);

    ok(store->requeue("n1", at_ms(50000)));
    item = only(*store, OutboxState::Pending);
    CHECK(item.attempts == 0);
    CHECK(item.next_attempt_at == at_ms(50000));
    CHECK_FALSE(item.delivered_at.has_value());
    CHECK(item.last_detail == "HTTP 404: no such channel");
    CHECK(ok(store->next_outbox_due()) == at_ms(50000));

    const auto message = failure(store->requeue("n1", at_ms(60000)));
    CHECK_THAT(message, Catch::Contains("cannot requeue outbox item 'n1': it is pending"));
}

TEST_CASE("changing an unknown outbox item is an error", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    const std::string expected = "outbox item 'nope': there is no such item";
    CHECK_THAT(failure(store->mark_delivered("nope", at_ms(1), "")), Catch::Contains(expected));
    CHECK_THAT(failure(store->mark_retry("nope", at_ms(1), "")), Catch::Contains(expected));
    CHECK_THAT(failure(store->mark_failed("nope", at_ms(1), "")), Catch::Contains(expected));
    CHECK_THAT(failure(store->requeue("nope", at_ms(1))), Catch::Contains(expected));
}

TEST_CASE("due items come oldest first and only when due", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    auto late = make_item("c-late", 1000);
    late.next_attempt_at = at_ms(9000);
    add(*store, {make_item("b-second", 2000), make_item("a-third", 3000), late});
    add(*store, {make_item("z-first", 500), make_item("tie-1", 2500), make_item("tie-2", 2500)});

    CHECK(ok(store->next_outbox_due()) == at_ms(500));

    auto due = ok(store->due_outbox(at_ms(5000), 0));
    REQUIRE(due.size() == 5);
    CHECK(due[0].id == "z-first");
    CHECK(due[1].id == "b-second");
    CHECK(due[2].id == "tie-1");  // same creation time: insertion order
    CHECK(due[3].id == "tie-2");
    CHECK(due[4].id == "a-third");

    due = ok(store->due_outbox(at_ms(5000), 2));
    REQUIRE(due.size() == 2);
    CHECK(due[1].id == "b-second");

    CHECK(ok(store->due_outbox(at_ms(9000), 0)).size() == 6);
    CHECK(ok(store->due_outbox(at_ms(499), 0)).empty());

    for (const auto& item : ok(store->due_outbox(at_ms(5000), 0))) {
        ok(store->mark_delivered(item.id, at_ms(5000), "ok"));
    }
    CHECK(ok(store->next_outbox_due()) == at_ms(9000));
}

TEST_CASE("a replayed notification id is ignored", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    add(*store, {make_item("n1", 1000)});
    ok(store->mark_delivered("n1", at_ms(1100), "HTTP 200"));

    auto replay = make_item("n1", 2000);
    replay.payload_json = R"({"replayed":true})";
    Batch batch;
    batch.outbox = {replay, make_item("n2", 2000)};
    batch.samples = {engine::Sample{"orders", {}, 1, at_ms(2000)}};
    ok(store->commit(batch));

    const auto all = ok(store->list_outbox(std::nullopt, 0));
    REQUIRE(all.size() == 2);
    const auto n1 = only(*store, OutboxState::Delivered);
    CHECK(n1.id == "n1");
    CHECK(n1.payload_json == R"({"status":"firing"})");
    CHECK(n1.created_at == at_ms(1000));
    CHECK(ok(store->due_outbox(at_ms(10000), 0)).size() == 1);  // only n2
    CHECK(ok(store->latest_samples()).size() == 1);             // the rest of the batch landed
}

TEST_CASE("listing filters by state, newest first, with a limit", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    add(*store,
        {make_item("a", 1000), make_item("b", 2000), make_item("c", 3000), make_item("d", 4000)});
    ok(store->mark_delivered("b", at_ms(5000), "ok"));
    ok(store->mark_failed("c", at_ms(5000), "bad"));

    auto all = ok(store->list_outbox(std::nullopt, 0));
    REQUIRE(all.size() == 4);
    CHECK(all[0].id == "d");
    CHECK(all[3].id == "a");
    CHECK(ok(store->list_outbox(std::nullopt, 3)).size() == 3);

    auto pending = ok(store->list_outbox(OutboxState::Pending, 0));
    REQUIRE(pending.size() == 2);
    CHECK(pending[0].id == "d");
    CHECK(pending[1].id == "a");
    CHECK(only(*store, OutboxState::Delivered).id == "b");
    CHECK(only(*store, OutboxState::Failed).id == "c");
}

TEST_CASE("outbox states have stable names", "[store]") {
    CHECK(std::string(to_string(OutboxState::Pending)) == "pending");
    CHECK(std::string(to_string(OutboxState::Delivered)) == "delivered");
    CHECK(std::string(to_string(OutboxState::Failed)) == "failed");
    CHECK(parse_outbox_state("failed") == OutboxState::Failed);
    CHECK(parse_outbox_state("Failed") == std::nullopt);
}

}  // namespace
}  // namespace tocsin::store
