#include "store/store.hpp"
#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace tocsin::store {
namespace {

using test::at_ms;
using test::failure;
using test::key_of;
using test::ok;
using test::open_store;
using test::TempDir;

engine::AlertInstance full_instance() {
    engine::AlertInstance inst;
    inst.rule = "HighErrorRate";
    inst.kpi = "error_rate";
    inst.series_labels = {{"service", "api \"edge\""}, {"region", "eu-west/1"}, {"ünï", "cödé\n"}};
    inst.fingerprint = "0123456789abcdef";
    inst.state = engine::AlertState::Firing;
    inst.severity = engine::Severity::Critical;
    inst.notified_severity = engine::Severity::Warning;
    inst.nodata = true;
    inst.value = 12.345678901234567;
    inst.threshold = -0.25;
    inst.pending_since = at_ms(1'767'000'000'001);
    inst.firing_since = at_ms(1'767'000'060'002);
    inst.clear_since = at_ms(1'767'000'120'003);
    inst.last_sample_at = at_ms(1'767'000'180'004);
    inst.notified = {"ops-slack", "oncall-pager"};
    inst.steps_done = 4'000'000'000U;
    inst.seq = std::numeric_limits<std::uint64_t>::max();
    return inst;
}

engine::AlertInstance bare_instance() {
    engine::AlertInstance inst;
    inst.rule = "OrdersLow";
    inst.kpi = "orders";
    inst.fingerprint = "fedcba9876543210";
    inst.state = engine::AlertState::Pending;
    inst.pending_since = at_ms(-5);  // before 1970 still round-trips
    return inst;
}

void require_same(const engine::AlertInstance& got, const engine::AlertInstance& want) {
    CHECK(got.rule == want.rule);
    CHECK(got.kpi == want.kpi);
    CHECK(got.series_labels == want.series_labels);
    CHECK(got.fingerprint == want.fingerprint);
    CHECK(got.state == want.state);
    CHECK(got.severity == want.severity);
    CHECK(got.notified_severity == want.notified_severity);
    CHECK(got.nodata == want.nodata);
    CHECK(got.value == want.value);  // exact: REAL is the same IEEE double
    CHECK(got.threshold == want.threshold);
    CHECK(got.pending_since == want.pending_since);
    CHECK(got.firing_since == want.firing_since);
    CHECK(got.clear_since == want.clear_since);
    CHECK(got.last_sample_at == want.last_sample_at);
    CHECK(got.notified == want.notified);
    CHECK(got.steps_done == want.steps_done);
    CHECK(got.seq == want.seq);
}

engine::Sample sample(std::string kpi, engine::Labels labels, double value, std::int64_t ms) {
    return engine::Sample{std::move(kpi), std::move(labels), value, at_ms(ms)};
}

TEST_CASE("commit round-trips every alert instance field exactly", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    Batch batch;
    batch.upserted = {full_instance(), bare_instance()};
    ok(store->commit(batch));

    const auto loaded = ok(store->load_instances());
    REQUIRE(loaded.size() == 2);
    require_same(loaded[0], full_instance());  // ordered by rule: HighErrorRate, OrdersLow
    require_same(loaded[1], bare_instance());
}

TEST_CASE("an upsert replaces the stored instance", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    Batch first;
    first.upserted = {full_instance()};
    ok(store->commit(first));

    auto changed = full_instance();
    changed.state = engine::AlertState::Pending;
    changed.threshold.reset();
    changed.clear_since.reset();
    changed.notified.clear();
    changed.seq = 7;
    Batch second;
    second.upserted = {changed};
    ok(store->commit(second));

    const auto loaded = ok(store->load_instances());
    REQUIRE(loaded.size() == 1);
    require_same(loaded[0], changed);
}

TEST_CASE("a NaN value survives as NaN", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    auto inst = bare_instance();
    inst.value = std::numeric_limits<double>::quiet_NaN();
    Batch batch;
    batch.upserted = {inst};
    batch.samples = {sample("orders", {}, std::numeric_limits<double>::quiet_NaN(), 10)};
    ok(store->commit(batch));
    CHECK(std::isnan(ok(store->load_instances()).at(0).value));
    CHECK(std::isnan(ok(store->latest_samples()).at(0).value));
}

TEST_CASE("removed instances are deleted and unknown keys are ignored", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    Batch batch;
    batch.upserted = {full_instance(), bare_instance()};
    ok(store->commit(batch));

    Batch removal;
    removal.removed = {key_of("HighErrorRate", "0123456789abcdef"),
                       key_of("Gone", "0000000000000000")};
    ok(store->commit(removal));

    const auto loaded = ok(store->load_instances());
    REQUIRE(loaded.size() == 1);
    CHECK(loaded[0].rule == "OrdersLow");
}

TEST_CASE("an instance both upserted and removed in one batch ends up removed", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    Batch batch;
    batch.upserted = {bare_instance()};
    batch.removed = {key_of("OrdersLow", "fedcba9876543210")};
    ok(store->commit(batch));
    CHECK(ok(store->load_instances()).empty());
}

TEST_CASE("a batch that fails part way leaves nothing committed", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    Batch before;
    before.upserted = {bare_instance()};
    before.samples = {sample("orders", {}, 1, 100)};
    ok(store->commit(before));

    Batch bad;
    bad.samples = {sample("orders", {}, 2, 200),
                   sample("error_rate", {{"service", "api"}}, 0.5, 200)};
    bad.upserted = {full_instance()};
    bad.removed = {key_of("OrdersLow", "fedcba9876543210")};
    bad.outbox = {test::make_item("ok-item", 200)};

    std::string expected;
    SECTION("a constraint fails") {
        bad.outbox.push_back(test::make_item("bad-item", 200, "exploded"));  // CHECK (kind IN ...)
        expected = "CHECK constraint failed";
    }
    SECTION("a removed key is malformed") {
        bad.removed.push_back("no separator here");
        expected = "no \\x1f separator";
    }
    const auto message = failure(store->commit(bad));
    CHECK_THAT(message, Catch::Contains(expected));
    CHECK_THAT(message, Catch::Contains("store '" + store->path() + "'"));

    const auto instances = ok(store->load_instances());
    REQUIRE(instances.size() == 1);
    require_same(instances[0], bare_instance());
    const auto latest = ok(store->latest_samples());
    REQUIRE(latest.size() == 1);
    CHECK(latest[0].value == 1);
    CHECK(ok(store->list_outbox(std::nullopt, 0)).empty());

    // The connection is usable afterwards.
    Batch after;
    after.samples = {sample("orders", {}, 3, 300)};
    ok(store->commit(after));
    CHECK(ok(store->latest_samples()).at(0).value == 3);
}

TEST_CASE("committed state survives closing and reopening", "[store]") {
    TempDir dir;
    {
        auto store = open_store(dir);
        Batch batch;
        batch.upserted = {full_instance()};
        batch.samples = {sample("error_rate", {{"service", "api"}}, 0.5, 1000)};
        batch.outbox = {test::make_item("n1", 1000)};
        ok(store->commit(batch));
        ok(store->set_meta("engine_started", "yes"));
    }
    auto store = open_store(dir);
    const auto instances = ok(store->load_instances());
    REQUIRE(instances.size() == 1);
    require_same(instances[0], full_instance());
    CHECK(ok(store->latest_samples()).size() == 1);
    CHECK(ok(store->list_outbox(std::nullopt, 0)).size() == 1);
    CHECK(ok(store->get_meta("engine_started")) == "yes");
}

TEST_CASE("latest samples are the newest per series", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    Batch batch;
    batch.samples = {
        sample("orders", {}, 5, 3000),
        sample("orders", {}, 4, 1000),  // older, written later
        sample("error_rate", {{"service", "web"}}, 0.2, 2000),
        sample("error_rate", {{"service", "api"}}, 0.1, 1000),
        sample("error_rate", {{"service", "api"}}, 0.3, 2500),
    };
    ok(store->commit(batch));
    Batch later;
    later.samples = {sample("orders", {}, 6, 4000)};
    ok(store->commit(later));

    const auto latest = ok(store->latest_samples());
    REQUIRE(latest.size() == 3);
    CHECK(latest[0].kpi == "error_rate");
    CHECK(latest[0].labels == engine::Labels{{"service", "api"}});
    CHECK(latest[0].value == 0.3);
    CHECK(latest[0].at == at_ms(2500));
    CHECK(latest[1].labels == engine::Labels{{"service", "web"}});
    CHECK(latest[1].value == 0.2);
    CHECK(latest[2].kpi == "orders");
    CHECK(latest[2].labels.empty());
    CHECK(latest[2].value == 6);
    CHECK(latest[2].at == at_ms(4000));
}

TEST_CASE("history returns one series within the range, inclusive, oldest first", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    const engine::Labels api{{"service", "api"}, {"region", "eu"}};
    Batch batch;
    for (int i = 0; i < 10; ++i) {
        batch.samples.push_back(sample("error_rate", api, i * 1.5, 1000 + i * 1000));
        batch.samples.push_back(sample("error_rate", {{"service", "web"}}, 100, 1000 + i * 1000));
    }
    ok(store->commit(batch));

    // Label order of the query does not matter: the map is canonical.
    const auto points = ok(store->history("error_rate", api, at_ms(3000), at_ms(6000)));
    REQUIRE(points.size() == 4);
    CHECK(points[0].at == at_ms(3000));
    CHECK(points[0].value == 3.0);
    CHECK(points[3].at == at_ms(6000));
    CHECK(points[3].value == 7.5);

    CHECK(ok(store->history("error_rate", api, at_ms(20000), at_ms(30000))).empty());
    CHECK(ok(store->history("error_rate", {{"service", "db"}}, at_ms(0), at_ms(20000))).empty());
    CHECK(ok(store->history("orders", api, at_ms(0), at_ms(20000))).empty());
    CHECK(ok(store->history("error_rate", api, at_ms(0), at_ms(20000))).size() == 10);
}

TEST_CASE("prune deletes old samples and old delivered notifications only", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    Batch batch;
    batch.samples = {
        sample("orders", {}, 1, 1000),
        sample("orders", {}, 2, 2000),
        sample("orders", {}, 3, 3000),
        sample("gone", {}, 9, 500),  // its series disappears entirely
    };
    batch.outbox = {
        test::make_item("delivered-old", 100),
        test::make_item("delivered-new", 200),
        test::make_item("failed-old", 300),
        test::make_item("pending-old", 400),
    };
    ok(store->commit(batch));
    ok(store->mark_delivered("delivered-old", at_ms(1000), "200 OK"));
    ok(store->mark_delivered("delivered-new", at_ms(5000), "200 OK"));
    ok(store->mark_failed("failed-old", at_ms(1000), "410 Gone"));

    CHECK(ok(store->prune(at_ms(2500), at_ms(2000))) == 4);  // 3 samples + 1 delivered item

    const auto latest = ok(store->latest_samples());
    REQUIRE(latest.size() == 1);
    CHECK(latest[0].kpi == "orders");
    CHECK(ok(store->history("orders", {}, at_ms(0), at_ms(10000))).size() == 1);
    const auto left = ok(store->list_outbox(std::nullopt, 0));
    REQUIRE(left.size() == 3);
    CHECK(left[0].id == "pending-old");
    CHECK(left[1].id == "failed-old");
    CHECK(left[2].id == "delivered-new");

    CHECK(ok(store->prune(at_ms(2500), at_ms(2000))) == 0);

    // A pruned series comes back when its KPI reports again.
    Batch again;
    again.samples = {sample("gone", {}, 10, 6000)};
    ok(store->commit(again));
    CHECK(ok(store->latest_samples()).size() == 2);
}

TEST_CASE("a series another process pruned comes back when its KPI reports again", "[store]") {
    TempDir dir;
    auto daemon = open_store(dir);
    Batch first;
    first.samples = {sample("gone", {{"region", "eu"}}, 1, 1000)};
    ok(daemon->commit(first));  // the daemon now knows the series' id

    auto cli = open_store(dir);  // e.g. a prune run from the command line
    CHECK(ok(cli->prune(at_ms(2000), at_ms(0))) == 1);
    REQUIRE(ok(cli->latest_samples()).empty());

    Batch again;
    again.samples = {sample("gone", {{"region", "eu"}}, 2, 3000)};
    ok(daemon->commit(again));
    const auto latest = ok(cli->latest_samples());
    REQUIRE(latest.size() == 1);
    CHECK(latest[0].value == 2);
    CHECK(ok(daemon->history("gone", {{"region", "eu"}}, at_ms(0), at_ms(5000))).size() == 1);
}

TEST_CASE("an empty batch commits", "[store]") {
    TempDir dir;
    auto store = open_store(dir);
    ok(store->commit(Batch{}));
    CHECK(ok(store->load_instances()).empty());
}

TEST_CASE("meta values commit with the outbox items of their batch", "[store][report]") {
    TempDir dir;
    auto store = open_store(dir);
    Batch run;
    run.outbox = {test::make_item("report-daily-100/slack", 100, "report")};
    run.meta = {{"report:daily", R"({"scheduled_ms":100})"}};
    ok(store->commit(run));
    CHECK(ok(store->get_meta("report:daily")) ==
          std::optional<std::string>(R"({"scheduled_ms":100})"));

    // A run committed again (a crash between commit and the in-memory update) adds no second
    // notification, and a later run's record replaces the earlier one.
    run.meta = {{"report:daily", R"({"scheduled_ms":200})"}};
    ok(store->commit(run));
    CHECK(ok(store->list_outbox(std::nullopt, 0)).size() == 1);
    CHECK(ok(store->get_meta("report:daily")) ==
          std::optional<std::string>(R"({"scheduled_ms":200})"));

    // A batch that fails keeps neither the notifications nor the record.
    Batch bad;
    bad.outbox = {test::make_item("report-daily-300/slack", 300, "exploded")};
    bad.meta = {{"report:daily", R"({"scheduled_ms":300})"}};
    CHECK_THAT(failure(store->commit(bad)), Catch::Contains("CHECK constraint failed"));
    CHECK(ok(store->get_meta("report:daily")) ==
          std::optional<std::string>(R"({"scheduled_ms":200})"));
    CHECK(ok(store->list_outbox(std::nullopt, 0)).size() == 1);
}

}  // namespace
}  // namespace tocsin::store
