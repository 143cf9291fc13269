#include "app/delivery.hpp"

#include "app/log.hpp"
#include "app/notification_json.hpp"
#include "app/self_metrics.hpp"
#include "engine/engine.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace tocsin::app {
namespace asio = boost::asio;
using engine::Duration;
using engine::TimePoint;

namespace {

// A group commit holds at most this many samples (plus those of its first step), so one
// transaction stays short.
constexpr std::size_t kMaxGroupSamples = 100000;
// A step with notifications and at least this many samples commits its alert state and outbox
// first, starts sending, and commits the samples right after: a 10,000-series scrape's history
// rows took most of the time between the scrape and the webhook (bench/compare/README.md).
constexpr std::size_t kSplitSamples = 500;

TimePoint wall_now() {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

std::chrono::steady_clock::duration until(TimePoint t) {
    return std::max(Duration{0}, t - wall_now());
}

}  // namespace

struct Delivery::Impl {
    Impl(store::Store& s, WorkerPool& p, DeliveryOptions o)
        : store(s),
          pool(p),
          options(o),
          work(asio::make_work_guard(ctx)),
          commit_retry(ctx),
          pump_timer(ctx),
          prune_timer(ctx),
          rng(std::random_device{}()) {}

    store::Store& store;
    WorkerPool& pool;
    DeliveryOptions options;
    asio::io_context ctx;
    asio::executor_work_guard<asio::io_context::executor_type> work;
    std::thread thread;

    std::mutex notifiers_mutex;
    NotifierMap notifiers;

    mutable std::mutex health_mutex;
    StoreHealth health;
    std::chrono::steady_clock::time_point last_health_log{};

    // Owned by the store thread from here on.
    // Sent but not yet marked delivered because the store write failed: the mark is retried and
    // the item is not sent again meanwhile (re-reading the outbox would find it still pending).
    std::map<std::string, std::pair<TimePoint, std::string>> unrecorded;
    std::deque<store::Batch> batches;
    std::atomic<std::size_t> uncommitted{0};  // submitted steps not yet committed (any thread)
    std::uint64_t submitted = 0;              // steps submitted so far (the submitting thread)
    std::atomic<std::uint64_t> done{0};       // steps committed so far, in order (any thread)
    bool commit_failing = false;
    asio::steady_timer commit_retry;
    asio::steady_timer pump_timer;
    asio::steady_timer prune_timer;
    std::set<std::string> busy;  // notifier instances with a send in flight
    struct Bucket {
        double tokens = 0;
        TimePoint refilled{};
    };
    std::map<std::string, Bucket> buckets;  // rate limits, by notifier instance
    std::set<std::string> failing_over;     // notifiers whose last outcome was a reroute
    // The pending outbox per notifier, oldest first, as last read from the store. Send results
    // update it in place; anything else that changes the outbox (a commit with notifications, a
    // reroute, a requeue, a failed store write) marks it stale and the next pump reads it again.
    // Reading and sorting the whole queue after every send made draining N items cost O(N^2).
    std::map<std::string, std::deque<store::OutboxItem>> queues;
    bool queues_stale = true;
    bool flush_posted = false;  // a flush_batches() is queued behind the steps submitted so far
    bool started = false;
    bool stopping = false;
    std::mt19937_64 rng;

    /// Merges queued steps from the front into `group` so that one transaction (one fsync)
    /// commits them all; how many it took. A merged batch applies samples, upserts, removals and
    /// new notifications in that order, which ends where committing the steps one by one would,
    /// except when a step upserts an instance that an earlier step of the group removed: the
    /// group ends before such a step.
    std::size_t group_front(store::Batch& group) {
        std::set<std::string> removed;
        std::size_t taken = 0;
        std::size_t samples = 0;
        for (const auto& b : batches) {
            const bool revives = std::any_of(
                b.upserted.begin(), b.upserted.end(), [&](const engine::AlertInstance& i) {
                    return removed.count(engine::instance_key(i.rule, i.fingerprint)) != 0;
                });
            if (taken > 0 && (revives || samples + b.samples.size() > kMaxGroupSamples)) {
                break;
            }
            group.samples.insert(group.samples.end(), b.samples.begin(), b.samples.end());
            group.upserted.insert(group.upserted.end(), b.upserted.begin(), b.upserted.end());
            group.removed.insert(group.removed.end(), b.removed.begin(), b.removed.end());
            group.outbox.insert(group.outbox.end(), b.outbox.begin(), b.outbox.end());
            group.meta.insert(group.meta.end(), b.meta.begin(), b.meta.end());
            // Held batches merge to their net effect (the later step wins), so a key is never in
            // both lists: a batch sent and held again ends up held, one held and sent ends gone.
            for (const auto& h : b.held) {
                std::erase(group.released, h.key);
                std::erase_if(group.held,
                              [&](const engine::HeldBatch& g) { return g.key == h.key; });
                group.held.push_back(h);
            }
            for (const auto& key : b.released) {
                std::erase_if(group.held, [&](const engine::HeldBatch& g) { return g.key == key; });
                std::erase(group.released, key);
                group.released.push_back(key);
            }
            removed.insert(b.removed.begin(), b.removed.end());
            samples += b.samples.size();
            ++taken;
        }
        return taken;
    }

    /// A store write failed: the daemon is degraded until a write succeeds again. Logged at
    /// once and then every minute while it lasts, so an operator cannot miss it.
    void store_failed(const Error& error) {
        const auto now = wall_now();
        {
            std::lock_guard lock(health_mutex);
            if (health.ok) {
                health.failing_since = now;
            }
            health.ok = false;
            health.error = error.text();
            health.write_failures += 1;
        }
        if (options.metrics != nullptr) {
            options.metrics->store_up.set(0);
            options.metrics->store_write_failures.inc();
        }
    }

    void store_ok() {
        std::lock_guard lock(health_mutex);
        if (health.ok) {
            return;
        }
        health.ok = true;
        health.error.clear();
        health.failing_since.reset();
        if (options.metrics != nullptr) {
            options.metrics->store_up.set(1);
        }
    }

    /// Writes the delivered marks that failed before; true when none is left.
    bool record_unrecorded() {
        for (auto it = unrecorded.begin(); it != unrecorded.end();) {
            if (auto r = store.mark_delivered(it->first, it->second.first, it->second.second); !r) {
                store_failed(r.error());
                return false;
            }
            it = unrecorded.erase(it);
        }
        return true;
    }

    void flush_batches() {
        flush_posted = false;
        (void)record_unrecorded();  // a failure is counted; the commit below says the rest
        while (!batches.empty()) {
            store::Batch group;
            const std::size_t taken = batches.size() == 1 ? 1 : group_front(group);
            store::Batch& next = batches.size() == 1 ? batches.front() : group;
            // History can wait for the notifications; a crash in between loses only these rows.
            store::Batch history;
            if (!next.outbox.empty() && next.samples.size() >= kSplitSamples) {
                history.samples = std::move(next.samples);
                next.samples.clear();
            }
            auto r = store.commit(next);
            if (!r) {
                if (!history.samples.empty()) {
                    next.samples = std::move(history.samples);  // retried whole
                }
                store_failed(r.error());
                const auto steady = std::chrono::steady_clock::now();
                if (!commit_failing || steady - last_health_log >= std::chrono::minutes(1)) {
                    last_health_log = steady;
                    log::error(
                        "store",
                        "cannot persist alert state and notifications: {}; holding {} step(s) in "
                        "memory (nothing is sent before it is written) and retrying every second",
                        r.error().text(),
                        batches.size());
                }
                commit_failing = true;
                commit_retry.expires_after(std::chrono::seconds(1));
                commit_retry.async_wait([this](const boost::system::error_code& ec) {
                    if (!ec) {
                        flush_batches();
                    }
                });
                return;
            }
            for (std::size_t i = 0; i < taken; ++i) {
                if (!batches.front().outbox.empty()) {
                    queues_stale = true;
                }
                batches.pop_front();
            }
            uncommitted.fetch_sub(taken, std::memory_order_relaxed);
            // Split-off history counts as the group's last step, done once it is written too.
            done.fetch_add(history.samples.empty() ? taken : taken - 1, std::memory_order_release);
            if (!history.samples.empty()) {
                batches.push_front(std::move(history));
                uncommitted.fetch_add(1, std::memory_order_relaxed);
                pump();  // the notifications leave now; the samples commit on the next turn
            }
        }
        if (commit_failing) {
            log::info("store", "persisting again; all held steps written");
            commit_failing = false;
        }
        if (unrecorded.empty()) {
            store_ok();
        }
        pump();
    }

    NotifierMap snapshot_notifiers() {
        std::lock_guard lock(notifiers_mutex);
        return notifiers;
    }

    Duration backoff(int attempts, std::int64_t retry_after_ms) {
        if (retry_after_ms > 0) {
            return std::min(Duration{retry_after_ms}, Duration{std::chrono::hours(1)});
        }
        const int shift = std::min(attempts, 20);
        auto base =
            std::min(options.initial_backoff * (std::int64_t{1} << shift), options.max_backoff);
        // Jitter keeps many alerts that failed together from retrying in lock step.
        std::uniform_real_distribution<double> jitter(0.8, 1.2);
        return Duration{static_cast<std::int64_t>(static_cast<double>(base.count()) * jitter(rng))};
    }

    /// Takes a token of the notifier's rate limit; how long to wait for one (0: taken).
    Duration take_token(const std::string& notifier, const DeliveryPolicy& policy, TimePoint now) {
        if (!policy.rate_limit) {
            return Duration{0};
        }
        const auto& limit = *policy.rate_limit;
        auto [it, fresh] = buckets.try_emplace(notifier, Bucket{limit.burst, now});
        auto& b = it->second;
        if (!fresh) {
            const double elapsed_s = std::chrono::duration<double>(now - b.refilled).count();
            b.tokens = std::min(limit.burst, b.tokens + elapsed_s * limit.per_second);
            b.refilled = now;
        }
        if (b.tokens >= 1.0) {
            b.tokens -= 1.0;
            return Duration{0};
        }
        const double wait_s = (1.0 - b.tokens) / limit.per_second;
        return std::max(Duration{1},
                        Duration{static_cast<std::int64_t>(std::ceil(wait_s * 1000.0))});
    }

    /// Reads the pending outbox into `queues` when it is stale; false when the store failed.
    bool load_queues() {
        if (!queues_stale) {
            return true;
        }
        auto pending = store.list_outbox(store::OutboxState::Pending, 0);
        if (!pending) {
            log::error(
                "store", "cannot read the outbox: {}; retrying in 5s", pending.error().text());
            return false;
        }
        queues.clear();
        // list_outbox answers newest first; delivery goes oldest first.
        auto& items = pending.value();
        for (auto it = items.rbegin(); it != items.rend(); ++it) {
            if (unrecorded.count(it->id) != 0) {
                continue;  // sent already; only its mark is missing
            }
            queues[it->notifier].push_back(std::move(*it));
        }
        queues_stale = false;
        return true;
    }

    /// The cached pending item `id` of `notifier`, or nullptr (the cache was re-read meanwhile).
    std::deque<store::OutboxItem>::iterator find_queued(const std::string& notifier,
                                                        const std::string& id,
                                                        std::deque<store::OutboxItem>*& queue) {
        queue = nullptr;
        auto q = queues.find(notifier);
        if (q == queues.end()) {
            return {};
        }
        queue = &q->second;
        return std::find_if(
            queue->begin(), queue->end(), [&](const store::OutboxItem& i) { return i.id == id; });
    }

    /// Drops a finished item (delivered, failed) from the cache.
    void forget(const store::OutboxItem& item) {
        std::deque<store::OutboxItem>* queue = nullptr;
        auto it = find_queued(item.notifier, item.id, queue);
        if (queue == nullptr || it == queue->end()) {
            queues_stale = true;
            return;
        }
        queue->erase(it);
    }

    /// Sends the oldest pending notification of every idle notifier, then sleeps until the next
    /// one is due. Runs after every commit, every send result and on its timer.
    void pump() {
        if (!started || stopping) {
            return;
        }
        if (!unrecorded.empty()) {
            (void)record_unrecorded();  // on failure they stay; the items are not sent again
        }
        if (!load_queues()) {
            arm_pump(wall_now() + std::chrono::seconds(5));
            return;
        }
        const auto now = wall_now();
        const auto current = snapshot_notifiers();
        std::optional<TimePoint> next_due;
        for (auto& [name, queue] : queues) {
            // Only the head of each notifier's queue is eligible: strict order.
            if (queue.empty() || busy.count(name) != 0) {
                continue;
            }
            auto it = current.find(name);
            if (it == current.end()) {
                while (!queue.empty()) {
                    record_failure(queue.front(),
                                   "notifier '" + name + "' is no longer configured");
                    queue.pop_front();
                }
                continue;
            }
            const auto& item = queue.front();
            auto due = item.next_attempt_at;
            if (due <= now) {
                const auto wait = take_token(name, it->second.policy, now);
                if (wait.count() == 0) {
                    send(item, it->second);
                    continue;
                }
                due = now + wait;
            }
            next_due = next_due ? std::min(*next_due, due) : due;
        }
        if (next_due) {
            arm_pump(*next_due);
        }
    }

    void arm_pump(TimePoint at) {
        pump_timer.expires_after(until(at));
        pump_timer.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) {
                pump();
            }
        });
    }

    void send(store::OutboxItem item, const NotifierHandle& handle) {
        busy.insert(item.notifier);
        const auto deadline = wall_now() + handle.timeout;
        auto instance = handle.instance;
        const bool queued = pool.submit([this, item, instance, deadline]() mutable {
            auto result = instance->send(item.payload_json, engine::to_unix_ms(deadline));
            asio::post(ctx, [this, item = std::move(item), result = std::move(result)]() mutable {
                on_sent(std::move(item), result);
            });
        });
        if (!queued) {
            busy.erase(item.notifier);
            log::warning(
                "notify", "worker queue full; notification '{}' waits for the next round", item.id);
            arm_pump(wall_now() + std::chrono::seconds(1));
        }
    }

    void on_sent(store::OutboxItem item, const plugin_host::NotifierInstance::SendResult& result) {
        busy.erase(item.notifier);
        const auto now = wall_now();
        const std::string component = "notify '" + item.notifier + "'";
        count(item.notifier, result.status == TOCSIN_OK ? kNotifySent : kNotifyFailed);
        if (result.status == TOCSIN_OK) {
            if (auto r = store.mark_delivered(item.id, now, result.detail); !r) {
                store_failed(r.error());
                log::error("store",
                           "cannot record delivery of '{}': {}; not sending it again, recording "
                           "it with the next write",
                           item.id,
                           r.error().text());
                unrecorded[item.id] = {now, result.detail};
            } else {
                store_ok();
            }
            forget(item);
            if (failing_over.erase(item.notifier) != 0) {
                log::info(component, "delivering again; its fallback is no longer used");
            }
            log::info(component,
                      "delivered {} of alert '{}' ({}): {}",
                      item.kind,
                      item.alert,
                      item.id,
                      result.detail);
        } else if (should_reroute(item, result, now)) {
            count(item.notifier, kNotifyRerouted);
            reroute(item, result.detail, now);
        } else if (result.status == TOCSIN_RETRY && now - item.created_at < options.give_up_after) {
            count(item.notifier, kNotifyRetried);
            const auto wait = backoff(item.attempts, result.retry_after_ms);
            // On a store failure the backoff below still holds in memory; only a restart in
            // the meantime would retry sooner.
            if (auto r = store.mark_retry(item.id, now + wait, result.detail); !r) {
                store_failed(r.error());
                log::error("store", "cannot record retry of '{}': {}", item.id, r.error().text());
            }
            std::deque<store::OutboxItem>* queue = nullptr;
            auto queued = find_queued(item.notifier, item.id, queue);
            if (queue != nullptr && queued != queue->end()) {
                queued->attempts += 1;
                queued->next_attempt_at = now + wait;
                queued->last_detail = result.detail;
            } else {
                queues_stale = true;
            }
            log::warning(component,
                         "delivery failed: {}; retrying in {} (attempt {})",
                         result.detail,
                         engine::format_duration(std::chrono::duration_cast<Duration>(wait)),
                         item.attempts + 1);
        } else {
            record_failure(item, result.detail);
            forget(item);
        }
        pump();
    }

    bool should_reroute(const store::OutboxItem& item,
                        const plugin_host::NotifierInstance::SendResult& result,
                        TimePoint now) {
        const auto current = snapshot_notifiers();
        auto self = current.find(item.notifier);
        if (self == current.end()) {
            return false;
        }
        const auto& policy = self->second.policy;
        if (policy.fallback.empty() || current.count(policy.fallback) == 0) {
            return false;
        }
        return result.status != TOCSIN_RETRY || failing_over.count(item.notifier) != 0 ||
               item.attempts + 1 >= policy.fallback_attempts ||
               now - item.created_at >= policy.fallback_after;
    }

    void reroute(const store::OutboxItem& item, const std::string& detail, TimePoint now) {
        const auto current = snapshot_notifiers();
        const auto& fallback = current.at(item.notifier).policy.fallback;
        store::OutboxItem copy = item;
        copy.id = item.id + "~" + fallback;
        copy.notifier = fallback;
        copy.attempts = 0;
        copy.next_attempt_at = now;
        copy.last_detail.clear();
        copy.payload_json =
            reroute_payload(item.payload_json, copy.id, fallback, item.notifier, detail);
        if (auto r = store.reroute(item.id, now, detail, copy); !r) {
            store_failed(r.error());
            log::error("store",
                       "cannot hand '{}' to fallback '{}': {}; trying again in 5s",
                       item.id,
                       fallback,
                       r.error().text());
            // The item stays at the head of its queue; without a pause the failing notifier
            // would be called again at once, over and over.
            std::deque<store::OutboxItem>* queue = nullptr;
            auto queued = find_queued(item.notifier, item.id, queue);
            if (queue != nullptr && queued != queue->end()) {
                queued->next_attempt_at = now + std::chrono::seconds(5);
            }
            return;
        }
        queues_stale = true;  // one item leaves a queue, its copy joins another
        failing_over.insert(item.notifier);
        log::warning("notify '" + item.notifier + "'",
                     "delivery failed: {}; {} of alert '{}' goes to fallback '{}' ({})",
                     detail,
                     item.kind,
                     item.alert,
                     fallback,
                     copy.id);
    }

    void count(const std::string& notifier, const char* result) const {
        if (options.metrics != nullptr) {
            options.metrics->notification(notifier, result);
        }
    }

    void record_failure(const store::OutboxItem& item, const std::string& why) {
        count(item.notifier, kNotifyDead);
        if (auto r = store.mark_failed(item.id, wall_now(), why); !r) {
            store_failed(r.error());
            log::error("store", "cannot record failure of '{}': {}", item.id, r.error().text());
        }
        log::error("notify '" + item.notifier + "'",
                   "giving up on {} of alert '{}' ({}): {}; kept as a dead letter",
                   item.kind,
                   item.alert,
                   item.id,
                   why);
    }

    void prune() {
        const auto now = wall_now();
        if (auto r = store.prune(now - options.sample_retention, now - options.outbox_retention);
            !r) {
            log::warning("store",
                         "pruning old history failed: {}; trying again in an hour",
                         r.error().text());
        }
        prune_timer.expires_after(std::chrono::hours(1));
        prune_timer.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) {
                prune();
            }
        });
    }
};

Delivery::Delivery(store::Store& store, WorkerPool& pool, DeliveryOptions options)
    : impl_(std::make_unique<Impl>(store, pool, options)) {
    impl_->thread = std::thread([this] { impl_->ctx.run(); });
}

Delivery::~Delivery() {
    stop();
}

std::size_t Delivery::backlog() const {
    return impl_->uncommitted.load(std::memory_order_relaxed);
}

StoreHealth Delivery::store_health() const {
    std::lock_guard lock(impl_->health_mutex);
    return impl_->health;
}

bool Delivery::committed(std::uint64_t step) const {
    return impl_->done.load(std::memory_order_acquire) >= step;
}

std::uint64_t Delivery::submit(store::Batch batch) {
    impl_->uncommitted.fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t step = ++impl_->submitted;
    asio::post(impl_->ctx, [impl = impl_.get(), batch = std::move(batch)]() mutable {
        impl->batches.push_back(std::move(batch));
        // The flush runs after every step already queued on the thread, so steps that arrive
        // faster than SQLite syncs share one transaction instead of queueing for one each.
        if (!impl->commit_failing && !impl->flush_posted) {
            impl->flush_posted = true;
            asio::post(impl->ctx, [impl] {
                if (!impl->commit_failing) {
                    impl->flush_batches();
                }
            });
        }
    });
    return step;
}

void Delivery::set_notifiers(NotifierMap notifiers) {
    {
        std::lock_guard lock(impl_->notifiers_mutex);
        impl_->notifiers = std::move(notifiers);
    }
    asio::post(impl_->ctx, [impl = impl_.get()] { impl->pump(); });
}

void Delivery::post(std::function<void(store::Store&)> work) {
    asio::post(impl_->ctx, [impl = impl_.get(), work = std::move(work)] {
        if (!impl->commit_failing && !impl->batches.empty()) {
            impl->flush_batches();  // the work sees every step submitted before it
        }
        work(impl->store);
    });
}

void Delivery::when_committed(std::function<void(bool)> done) {
    asio::post(impl_->ctx, [impl = impl_.get(), done = std::move(done)] {
        if (!impl->commit_failing && !impl->batches.empty()) {
            impl->flush_batches();
        }
        done(!impl->commit_failing);
    });
}

void Delivery::retry(const std::string& id, std::function<void(std::string)> done) {
    asio::post(impl_->ctx, [impl = impl_.get(), id, done = std::move(done)] {
        auto r = impl->store.requeue(id, wall_now());
        if (!r) {
            done(r.error().message);
            return;
        }
        impl->queues_stale = true;
        log::info("notify", "dead letter '{}' queued again by hand", id);
        done({});
        impl->pump();
    });
}

void Delivery::start() {
    asio::post(impl_->ctx, [impl = impl_.get()] {
        impl->started = true;
        impl->prune();
        impl->pump();
    });
}

void Delivery::stop() {
    if (!impl_->thread.joinable()) {
        return;
    }
    asio::post(impl_->ctx, [impl = impl_.get()] {
        impl->stopping = true;
        impl->flush_batches();
        if (!impl->batches.empty()) {
            log::critical("store", "stopping with {} step(s) not persisted", impl->batches.size());
        }
        impl->commit_retry.cancel();
        impl->pump_timer.cancel();
        impl->prune_timer.cancel();
        impl->work.reset();
    });
    impl_->thread.join();
}

}  // namespace tocsin::app
