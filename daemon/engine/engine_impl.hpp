#pragma once

#include "engine/engine.hpp"
#include "engine/history.hpp"
#include "engine/lua_sandbox.hpp"
#include "engine/routing.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

/// The engine's private state, shared by engine.cpp (set-up, public calls, restore) and
/// engine_state.cpp (the alert state machine). Not for use outside those two files.
namespace tocsin::engine {

// The alert state machine. Decisions made here (see also docs/rule-tests.md):
// - One instance per (rule, series label set). A Slot is that pair; its Active part exists only
//   while the instance is pending or firing, so idle series cost a few bytes per rule.
// - Every slot has at most one armed instant (the earliest of its `for`, `keep_firing_for`,
//   next escalation step and nodata timers). Slots sit in one ordered set keyed by
//   (instant, creation id): next_wakeup() is O(1), re-arming O(log n), ties are deterministic.
// - Timers are processed at their own instant T: state instants (firing_since, clear_since) and a
//   Resolved's ends_at use T, so a late wakeup or a restart never shifts escalation or ids;
//   Notification::at is the `now` advance() was called with (the decision's wall time).
// - Samples older than the newest one of their series are ignored (out of order). NaN samples
//   are ignored entirely, so a source returning NaN eventually counts as stale (nodata).
// - Routing is re-evaluated at every escalation decision with the current severity, because
//   routes may match on `severity`; running a step is idempotent (only notifiers not yet told
//   get a Firing), so re-running elapsed steps after a severity change is safe.
// - AlertInstance::steps_done counts the steps (in due order) whose delay has elapsed; seq is
//   incremented once per decision that notifies anyone, before use (the first is 1).
namespace detail {

struct Series;

/// An instance that is pending or firing.
struct Active {
    AlertInstance inst;
    Labels labels;                           // alert_labels(): the identity, without severity
    std::string key;                         // instance_key()
    const CompiledPolicy* policy = nullptr;  // as routed at the last escalation decision
    bool seq_taken = false;                  // this decision already incremented inst.seq
    std::string message;                     // the Lua condition's message at the last evaluation
};

/// One rule applied to one series.
struct Slot {
    std::uint64_t id = 0;  // creation order; breaks ties in the timer set
    std::size_t rule = 0;  // index into Impl::rules_
    Series* series = nullptr;
    std::unique_ptr<Active> active;
    std::optional<TimePoint> due;  // set exactly while the slot is in the timer set
    // Flap detection (RuleDef::flapping): bit i of flap_bits is the breach state i evaluations
    // ago; flap_count how many of the 21 kept are known.
    std::uint32_t flap_bits = 0;
    std::uint8_t flap_count = 0;
    bool flapping = false;
    // The last firing that ended on this slot: a new firing in the same millisecond continues
    // its seq, so notification ids ("<fingerprint>-<firing ms>-<seq>/<notifier>") stay unique.
    TimePoint last_firing_since{};
    std::uint64_t last_seq = 0;
    bool touched = false;  // changed in the current step; upserted when it ends
};

struct Series {
    std::string kpi;
    Labels labels;
    bool sampled = false;  // false: the placeholder of a KPI without any series yet
    double value = 0;
    std::optional<double> previous;    // the last value different from `value`, for the trend
    TimePoint at{};                    // newest sample; for the placeholder, the engine's start
    std::vector<Slot> slots;           // one per rule on the KPI, sized once, so Slot* stay valid
    SeriesHistory* history = nullptr;  // in Impl::histories_, when the KPI keeps history
};

struct KpiState {
    const KpiDef* def = nullptr;
    std::vector<std::size_t> rules;
    std::size_t sampled_series = 0;
    Series* placeholder = nullptr;
    std::vector<Series*> series;  // every series of the KPI, for kpi() label matching
    bool keep_history = false;
    int chunk = -1;                       // a derived KPI's compiled Lua
    std::vector<std::string> dependents;  // derived KPIs that read this one
};

struct DueLess {
    bool operator()(const Slot* a, const Slot* b) const {
        if (*a->due != *b->due) {
            return *a->due < *b->due;
        }
        return a->id < b->id;
    }
};

/// "kpi\x1fname\x1evalue..." naming a series in Impl::series_.
[[nodiscard]] std::string series_key(const std::string& kpi, const Labels& labels);

}  // namespace detail

using detail::Active;
using detail::DueLess;
using detail::KpiState;
using detail::Series;
using detail::series_key;
using detail::Slot;

struct Engine::Impl : LuaKpiLookup, TemplateLua {
    Impl(const LoadedConfig& loaded, TimePoint start);

    // The context of one public call.
    struct Ctx {
        TimePoint now;
        StepOutput& out;
    };

    Series& series_for(KpiState& kpi, const std::string& name, const Labels& labels);
    void mark_sampled(KpiState& kpi, Series& series, Ctx& ctx);
    void drop_series(Series& series, Ctx& ctx);

    void restore_one(AlertInstance inst, Ctx& ctx);
    void drop_restored(AlertInstance inst, const RuleDef* rule, Ctx& ctx);

    void process(const Sample& sample, Ctx& ctx);
    void evaluate(Slot& slot, double value, Ctx& ctx);
    void recompute_dependents(const Sample& input, Ctx& ctx);
    void compute_derived(KpiState& kpi, const Labels& labels, TimePoint at, Ctx& ctx);
    LuaContext lua_context(const Series& series, const RuleDef* rule, Ctx& ctx) const;
    void rule_failed(const std::string& item, const LuaCode& code, LuaResult&& r, Ctx& ctx);
    void rule_works(const std::string& item, Ctx& ctx);
    void setup_lua(const LoadedConfig& loaded);
    [[nodiscard]] std::optional<double> kpi_value(const std::string& kpi,
                                                  const Labels& labels) const override;
    [[nodiscard]] std::string eval(const LuaCode& code, const TemplateContext& tc) const override;
    void on_timer(Slot& slot, TimePoint at, Ctx& ctx);
    Active& activate(Slot& slot, AlertState state, Severity severity, TimePoint at);
    void fire(Slot& slot, TimePoint at, Ctx& ctx);
    void go_nodata(Slot& slot, TimePoint at, Ctx& ctx);
    void change_severity(Slot& slot, Severity severity, TimePoint at, Ctx& ctx);
    void run_steps(Slot& slot, TimePoint at, Ctx& ctx);
    void acknowledge(Slot& slot, Ack ack, Ctx& ctx);
    /// Whether an acknowledgement holds the steps of this instance at `at`.
    [[nodiscard]] static bool ack_holds(const Active& a, TimePoint at);
    /// Tells every notifier told of the firing (and not still waiting for it) about `kind`.
    void tell_told(Slot& slot, NotificationKind kind, Severity previous, Ctx& ctx);
    void resolve(Slot& slot, TimePoint at, Ctx& ctx);
    /// The id of a silence hiding `a` at `at`, or "".
    [[nodiscard]] std::string silence_for(const Active& a, TimePoint at) const;
    /// Re-reads which silence hides every active instance at `now`; instances no longer hidden
    /// run the steps that came due meanwhile.
    void refresh_silences(Ctx& ctx);
    void remove(Slot& slot, Ctx& ctx);

    /// What became of a notification handed to send().
    enum class Sent { Now, Held, Dropped };
    Sent emit(Active& a,
              const RuleDef* rule,
              NotificationKind kind,
              const std::string& notifier,
              Severity previous,
              std::optional<TimePoint> ends_at,
              Ctx& ctx);
    [[nodiscard]] Notification make_notification(Active& a,
                                                 const RuleDef* rule,
                                                 NotificationKind kind,
                                                 const std::string& notifier,
                                                 Severity previous,
                                                 std::optional<TimePoint> ends_at,
                                                 Ctx& ctx);
    /// Records one evaluation's breach state; true when the slot's flapping state changed.
    bool track_flapping(Slot& slot, bool breached, Ctx& ctx);

    // Dispatch (engine_dispatch.cpp): quiet hours, grouping and held batches.
    Sent send(const CompiledPolicy* policy, Notification n, Ctx& ctx);
    [[nodiscard]] const QuietHours* quiet_for(const CompiledPolicy& policy,
                                              const std::string& notifier) const;
    [[nodiscard]] bool in_quiet_hours(const QuietHours& q, TimePoint at) const;
    void hold(HeldBatch::Kind kind,
              const CompiledPolicy& policy,
              Notification n,
              TimePoint flush_at,
              Labels group_labels,
              std::string key,
              Ctx& ctx);
    /// Drops news about `a` held for `notifier`; true when what was held was its firing (the
    /// notifier has not heard of the alert yet). `resolved` replaces a held firing in a digest.
    bool unhold(const Active& a, const std::string& notifier, const Notification* resolved);
    [[nodiscard]] bool holds_firing(const Active& a, const std::string& notifier) const;
    void flush(HeldBatch& batch, Ctx& ctx);
    void flush_due(Ctx& ctx);
    [[nodiscard]] std::optional<TimePoint> next_flush() const;
    void changed(const std::string& key) { batches_changed_.insert(key); }
    [[nodiscard]] std::optional<TimePoint> compute_due(const Slot& slot) const;
    void reschedule(Slot& slot);
    void touch(Slot& slot);
    void finish(Ctx& ctx);

    [[nodiscard]] const RuleDef& rule_of(const Slot& slot) const { return *rules_[slot.rule]; }

    std::vector<const RuleDef*> rules_;
    std::unordered_map<std::string, std::size_t> rule_index_;
    std::unordered_map<std::string, KpiState> kpis_;
    std::unordered_map<std::string, Series> series_;
    std::set<Slot*, DueLess> timers_;
    std::vector<Slot*> touched_;
    Router router_;
    std::uint64_t next_slot_id_ = 1;

    // Silences, and the calendars recurring ones (and quiet hours) refer to.
    std::map<std::string, Calendar> calendars_;
    std::vector<Silence> silences_;
    std::optional<TimePoint> silences_due_;  // the next instant any silence starts or ends

    std::map<std::string, HeldBatch> batches_;  // by HeldBatch::key
    std::set<std::string> batches_changed_;     // reported in finish()

    // Lua: null when no rule uses it.
    std::unique_ptr<LuaSandbox> lua_;
    std::vector<int> rule_chunks_;  // by rule index; -1 for threshold rules
    std::unordered_map<const LuaCode*, int> template_chunks_;
    std::map<std::string, const MessageTemplates*> messages_;  // notifiers with their own words
    struct KeptHistory {
        std::string kpi;
        Labels labels;
        SeriesHistory points;
    };
    std::unordered_map<std::string, KeptHistory> histories_;  // by series_key()
    std::deque<Sample> queue_;  // derived values and error flags waiting to be processed
    std::map<std::string, std::string> failing_;  // item -> "file:line:col: message"
    KpiDef error_kpi_;
    RuleDef error_rule_;
    mutable Ctx* ctx_ = nullptr;  // the public call in progress (template errors go to its out)
};

}  // namespace tocsin::engine
