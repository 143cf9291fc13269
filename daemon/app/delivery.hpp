#pragma once

#include "app/notifier_keys.hpp"
#include "app/store_health.hpp"
#include "app/worker_pool.hpp"
#include "engine/time.hpp"
#include "plugin_host/instances.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

/// The store thread: commits engine steps to SQLite in order, and delivers the outbox.
///
/// Each notifier's `rate_limit` is a token bucket: a notification waits in the outbox for its
/// token rather than being refused by the far end. A notifier with a `fallback` hands a
/// notification over (state `rerouted`, and a new item for the fallback marked `via_fallback`)
/// when it failed permanently, after `fallback_attempts` failed attempts, or once it has waited
/// `fallback_after`; while the notifier keeps failing, each later notification is handed over
/// after its first failed attempt, and the first success ends that.
///
/// Every notification is in the outbox (committed together with the alert state that caused it)
/// before any attempt to send it. Per notifier instance the outbox is delivered strictly in order,
/// one notification at a time, so a resolve can never overtake its firing. Temporary failures
/// are retried with jittered exponential backoff (or the receiver's Retry-After); permanent
/// failures and notifications older than the give-up age become dead letters (state `failed`).
/// A crash between a successful send and its `delivered` mark resends that one notification with
/// the same id, which receivers use to drop the duplicate.
namespace tocsin::app {

struct NotifierHandle {
    std::shared_ptr<plugin_host::NotifierInstance> instance;
    engine::Duration timeout{};
    DeliveryPolicy policy;  // fallback and rate limit
};
using NotifierMap = std::map<std::string, NotifierHandle>;

class SelfMetrics;

struct DeliveryOptions {
    engine::Duration initial_backoff{std::chrono::seconds(1)};
    engine::Duration max_backoff{std::chrono::minutes(5)};
    engine::Duration give_up_after{std::chrono::hours(24)};
    engine::Duration sample_retention{std::chrono::hours(24 * 35)};
    engine::Duration outbox_retention{std::chrono::hours(24 * 7)};
    SelfMetrics* metrics = nullptr;  // counts every attempt's result when set
};

class Delivery {
public:
    /// Starts the store thread. `store` and `pool` must outlive this object.
    Delivery(store::Store& store, WorkerPool& pool, DeliveryOptions options);
    ~Delivery();
    Delivery(const Delivery&) = delete;
    Delivery& operator=(const Delivery&) = delete;

    /// Queues one engine step for commit; commits happen in submission order. A failed commit is
    /// retried (the batch is kept in memory, in order) and logged as an error until it succeeds.
    /// Answers the step's number (1, 2, ...) for committed(). Call from one thread (the loop).
    std::uint64_t submit(store::Batch batch);
    /// Whether step number `step` (from submit()) and every step before it are committed: its
    /// alert state and notifications, and its samples unless they were split off to follow in
    /// the next transaction. Polled sources wait for this before collecting again (back-pressure).
    /// Safe from any thread.
    [[nodiscard]] bool committed(std::uint64_t step) const;
    /// Swaps the notifier instances (start-up and reload). Safe from any thread.
    void set_notifiers(NotifierMap notifiers);
    /// Engine steps submitted and not yet committed; the push endpoint refuses more while the
    /// store is far behind. Safe from any thread.
    [[nodiscard]] std::size_t backlog() const;
    /// Whether the last write to the store succeeded, and since when it fails. Any thread.
    [[nodiscard]] StoreHealth store_health() const;
    /// Runs `work` on the store thread, after every step submitted before it (API reads).
    void post(std::function<void(store::Store&)> work);
    /// Runs `done` on the store thread once every step submitted before it is committed:
    /// `done(true)`; `done(false)` while commits are failing (the steps are held in memory).
    /// An API answer that promises a change (an acknowledgement) waits for this, so a crash
    /// right after the answer cannot forget what was promised.
    void when_committed(std::function<void(bool committed)> done);
    /// Puts a dead letter back in the queue (attempts reset); `done` gets "" or why not.
    void retry(const std::string& id, std::function<void(std::string)> done);
    /// Starts delivering what the outbox holds (call once the notifiers are set).
    void start();
    /// Commits what is queued, then stops the thread. Sends in flight must have finished (stop
    /// the worker pool first); their results are recorded before the thread ends.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tocsin::app
