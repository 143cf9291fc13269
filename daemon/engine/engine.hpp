#pragma once

#include "engine/alert.hpp"
#include "engine/model.hpp"
#include "engine/silence.hpp"
#include "engine/time.hpp"

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

/// The rule engine: pure logic on an injected clock. No threads, no I/O. The daemon drives it from
/// its loop with real time; `tocsin test` and `tocsin simulate` drive it with virtual time.
namespace tocsin::engine {

/// A Lua chunk that failed or hit a sandbox limit during a step; the app logs it. The failing
/// rule or derived KPI also gets a `TocsinRuleError` alert (label `rule`) until it works again.
struct RuleError {
    std::string item;     // the rule's alert name or the derived KPI's name
    std::string path;     // "rule 'X' > lua"
    SourceLoc where;      // YAML (or module) position of the Lua line
    std::string message;  // "attempt to compare nil with number"
    bool limit = false;   // an instruction, time or memory budget was hit
};

/// The effects of one engine step. The caller persists `upserted`/`removed` and writes
/// `notifications` to the outbox in one transaction before delivering anything.
struct StepOutput {
    std::vector<Notification> notifications;
    std::vector<AlertInstance> upserted;  // instances created or changed in this step
    std::vector<std::string> removed;     // instance keys (see instance_key()) no longer active
    std::vector<Sample> derived;          // values of derived (lua:) KPIs computed in this step
    std::vector<RuleError> rule_errors;   // Lua failures of this step, for the log
    std::vector<HeldBatch> held;          // batches created or changed; persist them
    std::vector<std::string> released;    // keys of batches sent or emptied; forget them

    [[nodiscard]] bool empty() const {
        return notifications.empty() && upserted.empty() && removed.empty() && derived.empty() &&
               rule_errors.empty() && held.empty() && released.empty();
    }
    void append(StepOutput&& other);
};

/// "<rule>\x1f<fingerprint>": how the store and the engine name an instance.
[[nodiscard]] std::string instance_key(const std::string& rule, const std::string& fingerprint);

class Engine {
public:
    /// `loaded` must outlive nothing: the engine keeps the shared pointer. `start` is the time the
    /// engine starts watching (nodata timers of never-seen KPIs count from it).
    Engine(std::shared_ptr<const LoadedConfig> loaded, TimePoint start);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    /// Restores instances persisted earlier (restart) or carried from the previous engine
    /// (reload). Instances whose rule no longer exists, or whose KPI changed, are dropped and
    /// listed in the returned `removed`; if they were firing and notified, their resolve is sent.
    StepOutput restore(std::vector<AlertInstance> instances, TimePoint now);

    /// Restores batches held back earlier (restart) or by the previous engine (reload). Call
    /// after restore(); batches due at or before `now` go out at the next advance().
    void restore_held(std::vector<HeldBatch> batches);

    /// Every batch currently held, to carry into a new engine on reload.
    [[nodiscard]] std::vector<HeldBatch> held() const;

    /// New samples; each is evaluated against every rule on its KPI. Samples of unknown KPIs are
    /// ignored. `now` is the time of arrival (samples may carry an older `at`).
    StepOutput ingest(const std::vector<Sample>& samples, TimePoint now);

    /// Acknowledges the firing instance whose fingerprint is `id`: everyone already told hears of
    /// it (kind Acknowledged), and further steps wait until `ack.until` (if set) unless the
    /// policy escalates `until: resolved`. Acknowledging again replaces the acknowledgement.
    /// nullopt when no firing instance has that id.
    std::optional<StepOutput> acknowledge(const std::string& id, Ack ack, TimePoint now);

    /// Replaces the silences the engine honours (pass every silence that has not ended; the store
    /// keeps the others for audit). An alert hidden by an active silence tells nobody new: no
    /// firing, reminder or severity change goes out, and AlertInstance::silenced_by names the
    /// silence. Its resolve still reaches everyone told of the firing. When the silence ends, the
    /// steps due meanwhile run at once. Recurring silences use the rule files' calendars.
    StepOutput set_silences(std::vector<Silence> silences, TimePoint now);

    /// Runs every timer due at or before `now` (`for`, `keep_firing_for`, nodata, step delays).
    StepOutput advance(TimePoint now);

    /// The earliest instant at which advance() has something to do, or nullopt.
    [[nodiscard]] std::optional<TimePoint> next_wakeup() const;

    /// All instances currently pending or firing.
    [[nodiscard]] std::vector<AlertInstance> instances() const;

    /// Latest value of every known series (for the API and the store).
    [[nodiscard]] std::vector<Sample> latest() const;

    /// How far back the history helpers look, per KPI that keeps history (see keeps_history()).
    /// The daemon reads that much from the store at start-up and passes it to preload().
    [[nodiscard]] std::vector<std::pair<std::string, Duration>> history_needs() const;

    /// Seeds the in-memory history with stored samples (any order) without evaluating anything.
    /// Samples of KPIs that keep no history are ignored. Call before the first ingest.
    void preload(const std::vector<Sample>& samples);

    /// Every sample held in memory for the history helpers, to carry into a new engine on reload.
    [[nodiscard]] std::vector<Sample> history() const;

    /// Bytes held by the Lua sandbox (0 without Lua); for benchmarks and status.
    [[nodiscard]] std::size_t lua_memory() const;

    [[nodiscard]] const LoadedConfig& loaded() const { return *loaded_; }

private:
    struct Impl;
    std::shared_ptr<const LoadedConfig> loaded_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tocsin::engine
