#pragma once

#include "api/router.hpp"
#include "app/store_health.hpp"
#include "engine/engine.hpp"
#include "engine/silence.hpp"
#include "engine/time.hpp"
#include "store/store.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

/// The daemon's HTTP API (DESIGN.md §7): the routes and their handlers. The handlers run on the
/// daemon's loop and reach the daemon through ApiBackend; store reads go to the store thread.
namespace tocsin::app {

struct CheckedConfig;
class AckLinks;
class SelfMetrics;
class RuleActivity;

/// Health of one source instance, as the collection loop sees it.
struct SourceHealth {
    std::string name;
    std::string plugin;
    bool up = true;                                  // last collection succeeded (or none yet)
    std::optional<engine::TimePoint> last_ok;        // last successful collection
    std::string last_error;                          // "" when up
    int failures = 0;                                // consecutive failed collections
    std::optional<engine::TimePoint> failing_since;  // first failure of the current outage
};

struct ReloadOutcome {
    bool ok = false;
    std::string diagnostics_json;  // engine::Diagnostics::render_json(), "[]" when none
    std::size_t errors = 0;
};

struct PushOutcome {
    std::size_t accepted = 0;
    std::vector<std::string> rejected;  // one reason per refused sample ("sample 3: ...")
};

/// What ending a silence found: the store's answer and the silence as it is now (nullopt when
/// unknown), or `error` when the store failed.
struct SilenceEnded {
    store::SilenceEnd outcome = store::SilenceEnd::Unknown;
    std::optional<engine::Silence> silence;
    std::string error;
};

/// What the handlers need from the daemon. Every call happens on the daemon's loop thread.
class ApiBackend {
public:
    virtual ~ApiBackend() = default;

    [[nodiscard]] virtual const engine::Engine& engine() const = 0;
    [[nodiscard]] virtual const CheckedConfig& config() const = 0;
    [[nodiscard]] virtual std::vector<SourceHealth> sources() const = 0;
    [[nodiscard]] virtual engine::TimePoint started_at() const = 0;
    [[nodiscard]] virtual std::string config_hash() const = 0;
    /// The result of the last reload attempt; nullopt before the first one.
    [[nodiscard]] virtual std::optional<std::pair<engine::TimePoint, ReloadOutcome>> last_reload()
        const = 0;

    virtual ReloadOutcome reload() = 0;
    /// Engine steps waiting for the store; pushes are refused (429) while it is too large.
    [[nodiscard]] virtual std::size_t store_backlog() const = 0;
    /// Whether the store can be written now (status, healthz). Any thread.
    [[nodiscard]] virtual StoreHealth store_health() const = 0;
    /// The state database's file.
    [[nodiscard]] virtual std::string store_path() const = 0;
    /// Hands pushed samples to the engine (KPIs of `push` sources only).
    virtual PushOutcome push(std::vector<engine::Sample> samples,
                             std::vector<std::string> rejected) = 0;
    /// Runs `work` on the store thread (the only thread that may touch the store).
    virtual void on_store(std::function<void(store::Store&)> work) = 0;
    /// Runs `done` on the store thread once every engine step made so far is committed
    /// (true), or with false while the state database refuses writes.
    virtual void when_committed(std::function<void(bool committed)> done) = 0;
    /// Acknowledges the firing alert `id` (its fingerprint); with `starts_at`, only that firing
    /// episode. The instance as it is now, or nullopt when no such alert is firing.
    virtual std::optional<engine::AlertInstance> acknowledge(
        const std::string& id, engine::Ack ack, std::optional<engine::TimePoint> starts_at) = 0;
    /// The signer of acknowledge links.
    [[nodiscard]] virtual const AckLinks& ack_links() const = 0;
    /// Keeps a new (checked) silence: the store first, then the engine honours it. `done` runs on
    /// the loop thread with "" or the store's error (then the engine is left as it was).
    virtual void add_silence(engine::Silence silence,
                             std::function<void(std::string error)> done) = 0;
    /// Ends silence `id` now: the store first (the row stays for audit), then the engine. `done`
    /// runs on the loop thread.
    virtual void end_silence(const std::string& id, std::function<void(SilenceEnded)> done) = 0;
    /// Puts a dead letter back in the queue; `done` gets "" or an error, on the store thread.
    virtual void retry_notification(const std::string& id,
                                    std::function<void(std::string error)> done) = 0;

    // For operating tocsin (ops_routes.hpp).
    /// tocsin's own metrics (thread-safe; they outlive the store thread).
    [[nodiscard]] virtual SelfMetrics& metrics() = 0;
    /// When rules last ran and their last Lua errors.
    [[nodiscard]] virtual const RuleActivity& rule_activity() const = 0;
    /// The last refused reload since start; nullopt when none was refused.
    [[nodiscard]] virtual std::optional<std::pair<engine::TimePoint, ReloadOutcome>>
    last_refused_reload() const = 0;
};

/// The router with every endpoint; `backend` must outlive it.
[[nodiscard]] std::shared_ptr<api::Router> make_api_router(ApiBackend& backend);

}  // namespace tocsin::app
