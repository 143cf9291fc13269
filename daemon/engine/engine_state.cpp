#include "engine/engine_impl.hpp"
#include "engine/evaluate.hpp"

#include <algorithm>

// The alert state machine: what one sample or one due timer does to one instance.
namespace tocsin::engine {

namespace {

/// The rule's own summary describes the breach ("8.2% is above 7.0%"): rendered with the value of
/// a resolve or a data gap it would say something false. Those two get a summary of their own.
const Template& resolved_summary(bool with_threshold) {
    static const auto parse = [](const char* text) {
        Diagnostics ignored;
        return Template::parse(text, SourceLoc{}, "resolved summary", ignored);
    };
    static const Template kWithThreshold =
        parse("{{ kpi }} is back at {{ value }} (alert level {{ threshold }})");
    static const Template kPlain = parse("{{ kpi }} is back at {{ value }}");
    return with_threshold ? kWithThreshold : kPlain;
}

std::string nodata_summary(const AlertInstance& inst) {
    if (inst.last_sample_at == TimePoint{}) {
        return "no data for " + inst.kpi + " since tocsin started watching it";
    }
    return "no data for " + inst.kpi + " since " + format_rfc3339(inst.last_sample_at);
}

void min_into(std::optional<TimePoint>& best, TimePoint t) {
    if (!best || t < *best) {
        best = t;
    }
}

}  // namespace

Active& Engine::Impl::activate(Slot& slot, AlertState state, Severity severity, TimePoint at) {
    const RuleDef& rule = rule_of(slot);
    auto a = std::make_unique<Active>();
    a->labels = alert_labels(rule, slot.series->labels);
    a->inst.rule = rule.alert;
    a->inst.kpi = rule.kpi;
    a->inst.series_labels = slot.series->labels;
    a->inst.fingerprint = fingerprint(a->labels);
    a->key = instance_key(a->inst.rule, a->inst.fingerprint);
    a->inst.state = state;
    a->inst.severity = severity;
    a->inst.value = slot.series->value;
    a->inst.pending_since = at;
    a->inst.last_sample_at = slot.series->at;
    a->inst.flapping = slot.flapping;
    slot.active = std::move(a);
    return *slot.active;
}

void Engine::Impl::evaluate(Slot& slot, double value, Ctx& ctx) {
    const RuleDef& rule = rule_of(slot);
    const Threshold& th = rule.threshold;
    // What the condition says: for a threshold rule from its levels, for a Lua rule from what
    // the chunk returned (nothing: ok, which also resolves an active alert).
    Severity breached = Severity::None;
    std::string message;
    const int chunk = rule_chunks_[slot.rule];
    if (chunk >= 0) {
        LuaContext lc = lua_context(*slot.series, &rule, ctx);
        if (slot.active) {
            const AlertInstance& inst = slot.active->inst;
            lc.severity = inst.severity;
            lc.since = inst.state == AlertState::Firing ? inst.firing_since : inst.pending_since;
        }
        LuaResult r = lua_->call(chunk, LuaReturn::Condition, lc);
        if (r.status == LuaResult::Status::Error) {
            rule_failed(rule.alert, *rule.lua, std::move(r), ctx);
            return;  // the alert stays as it was; TocsinRuleError says why
        }
        rule_works(rule.alert, ctx);
        if (r.status == LuaResult::Status::MissingInput) {
            return;
        }
        breached = r.severity;
        message = std::move(r.message);
    } else {
        breached = breached_severity(th, value);
    }
    const bool lua = chunk >= 0;
    if (rule.flapping) {
        track_flapping(slot, breached != Severity::None, ctx);
    }
    if (!slot.active) {
        if (breached == Severity::None) {
            return;
        }
        Active& a = activate(slot, AlertState::Pending, breached, ctx.now);
        a.inst.threshold = lua ? std::nullopt : threshold_bound(th, breached, value);
        a.message = std::move(message);
        touch(slot);
        if (rule.for_duration <= Duration::zero()) {
            fire(slot, ctx.now, ctx);
        }
        return;
    }
    Active& a = *slot.active;
    a.seq_taken = false;
    a.inst.value = value;
    a.inst.last_sample_at = slot.series->at;
    touch(slot);
    // A nodata alert ends when data comes back unbreached; hysteresis is about values, and a
    // nodata alert never had one to recover from.
    const bool was_nodata = a.inst.nodata;
    a.inst.nodata = false;
    const bool done = (was_nodata || lua) ? breached == Severity::None : recovered(th, value);
    if (done && slot.flapping && a.inst.state == AlertState::Firing) {
        return;  // a flapping alert stays firing until it settles
    }
    if (done) {
        if (a.inst.state == AlertState::Pending) {
            remove(slot, ctx);  // never notified, so nobody needs to hear it ended
        } else if (rule.keep_firing_for <= Duration::zero()) {
            resolve(slot, ctx.now, ctx);
        } else if (!a.inst.clear_since) {
            a.inst.clear_since = ctx.now;
        }
        return;
    }
    a.inst.clear_since.reset();
    a.message = std::move(message);
    const Severity severity = breached != Severity::None ? breached : least_severe_level(th);
    a.inst.threshold = lua ? std::nullopt : threshold_bound(th, severity, value);
    if (a.inst.state == AlertState::Pending) {
        a.inst.severity = severity;
    } else if (severity != a.inst.severity) {
        change_severity(slot, severity, ctx.now, ctx);
    }
}

void Engine::Impl::on_timer(Slot& slot, TimePoint at, Ctx& ctx) {
    const RuleDef& rule = rule_of(slot);
    if (slot.active) {
        Active& a = *slot.active;
        a.seq_taken = false;
        if (a.inst.state == AlertState::Pending && a.inst.pending_since + rule.for_duration <= at) {
            fire(slot, at, ctx);
        } else if (a.inst.state == AlertState::Firing && a.inst.clear_since &&
                   *a.inst.clear_since + rule.keep_firing_for <= at) {
            resolve(slot, at, ctx);
        } else if (a.inst.state == AlertState::Firing && a.inst.ack && a.inst.ack->until &&
                   *a.inst.ack->until <= at) {
            // The acknowledgement ran out: the steps that came due meanwhile run now.
            a.inst.ack.reset();
            touch(slot);
            run_steps(slot, at, ctx);
        } else if (a.inst.state == AlertState::Firing && a.policy != nullptr &&
                   a.inst.steps_done < a.policy->total_steps() &&
                   a.policy->due(a.inst.firing_since, a.inst.steps_done) <= at) {
            run_steps(slot, at, ctx);
        }
    }
    if (rule.nodata && rule.nodata->after > Duration::zero() &&
        !(slot.active && slot.active->inst.nodata) && slot.series->at + rule.nodata->after <= at) {
        go_nodata(slot, at, ctx);
    }
}

void Engine::Impl::fire(Slot& slot, TimePoint at, Ctx& ctx) {
    Active& a = *slot.active;
    a.inst.state = AlertState::Firing;
    a.inst.firing_since = at;
    a.inst.clear_since.reset();
    a.inst.notified.clear();
    a.inst.notified_severity = Severity::None;
    a.inst.steps_done = 0;
    a.inst.seq = slot.last_seq != 0 && slot.last_firing_since == at ? slot.last_seq : 0;
    touch(slot);
    run_steps(slot, at, ctx);
}

bool Engine::Impl::track_flapping(Slot& slot, bool breached, Ctx& ctx) {
    // Icinga's flap detection: 21 states give 20 transitions; a change weighs 0.8 when it is
    // the oldest and 1.2 when it is the newest, and the share is their sum over 20.
    constexpr int kKept = 21;
    slot.flap_bits = ((slot.flap_bits << 1U) | (breached ? 1U : 0U)) & ((1U << kKept) - 1U);
    if (slot.flap_count < kKept) {
        ++slot.flap_count;
    }
    double share = 0;
    for (int i = 0; i + 1 < slot.flap_count; ++i) {
        if ((((slot.flap_bits >> i) ^ (slot.flap_bits >> (i + 1))) & 1U) != 0) {
            share += 1.2 - 0.4 * i / 19.0;
        }
    }
    share /= 20.0;
    const Flapping& limits = *rule_of(slot).flapping;
    const bool was = slot.flapping;
    if (!was && share >= limits.high) {
        slot.flapping = true;
    } else if (was && share < limits.low) {
        slot.flapping = false;
    }
    if (was == slot.flapping || !slot.active) {
        return was != slot.flapping;
    }
    Active& a = *slot.active;
    a.seq_taken = false;
    a.inst.flapping = slot.flapping;
    touch(slot);
    if (slot.flapping && a.inst.state == AlertState::Firing && a.inst.silenced_by.empty()) {
        tell_told(slot, NotificationKind::Flapping, Severity::None, ctx);
    }
    return true;
}

void Engine::Impl::go_nodata(Slot& slot, TimePoint at, Ctx& ctx) {
    const Severity severity = rule_of(slot).nodata->severity;
    if (!slot.active) {
        activate(slot, AlertState::Pending, severity, at);
    }
    Active& a = *slot.active;
    a.seq_taken = false;
    a.inst.nodata = true;
    a.inst.threshold.reset();
    a.inst.clear_since.reset();
    touch(slot);
    // The nodata `after` is the delay: a stale series fires at once, without an extra `for`.
    if (a.inst.state == AlertState::Pending) {
        a.inst.severity = severity;
        fire(slot, at, ctx);
    } else if (a.inst.severity != severity) {
        change_severity(slot, severity, at, ctx);
    }
}

void Engine::Impl::change_severity(Slot& slot, Severity severity, TimePoint at, Ctx& ctx) {
    Active& a = *slot.active;
    const Severity previous = a.inst.severity;
    a.inst.severity = severity;
    touch(slot);
    if (!a.inst.flapping && a.inst.silenced_by.empty()) {
        for (const std::string& notifier : a.inst.notified) {
            if (holds_firing(a, notifier)) {
                // Not told yet: the held firing goes through quiet hours and grouping again with
                // the new severity (a bypassed one goes out at once instead of at the window's
                // end with a stale severity).
                unhold(a, notifier, nullptr);
                emit(
                    a, &rule_of(slot), NotificationKind::Firing, notifier, Severity::None, {}, ctx);
            } else {
                emit(a,
                     &rule_of(slot),
                     NotificationKind::SeverityChange,
                     notifier,
                     previous,
                     {},
                     ctx);
            }
        }
        if (!a.inst.notified.empty()) {
            a.inst.notified_severity = severity;
        }
    }
    run_steps(slot, at, ctx);
}

void Engine::Impl::run_steps(Slot& slot, TimePoint at, Ctx& ctx) {
    Active& a = *slot.active;
    Labels labels = a.labels;
    labels["severity"] = to_string(a.inst.severity);
    a.policy = router_.route(rule_of(slot), labels);
    touch(slot);
    if (a.policy == nullptr) {
        a.inst.steps_done = 0;
        return;
    }
    a.inst.silenced_by = silence_for(a, at);
    if (ack_holds(a, at)) {
        return;  // steps wait for the acknowledgement to run out (or the alert to resolve)
    }
    // Every elapsed step runs (idempotent: only notifiers not yet told get a firing), so a
    // severity change that lets a severity-filtered step apply reaches its notifiers at once. A
    // step of a later round (repeat) reminds the notifiers already told.
    const CompiledPolicy& policy = *a.policy;
    const auto told = [](const std::vector<std::string>& v, const std::string& notifier) {
        return std::find(v.begin(), v.end(), notifier) != v.end();
    };
    std::vector<std::string> reached;
    std::vector<std::string> reminded;
    const std::size_t total = policy.total_steps();
    std::uint32_t done = 0;
    for (std::size_t j = 0; j < total && policy.due(a.inst.firing_since, j) <= at; ++j) {
        ++done;
        const PolicyStep& step = policy.step(j);
        if (step.severity && a.inst.severity < *step.severity) {
            continue;
        }
        const bool new_round_step = j >= policy.steps.size() && j >= a.inst.steps_done;
        for (const std::string& notifier : step.notify) {
            if (!told(a.inst.notified, notifier)) {
                if (!told(reached, notifier)) {
                    reached.push_back(notifier);
                }
            } else if (new_round_step && !told(reminded, notifier)) {
                reminded.push_back(notifier);
            }
        }
    }
    a.inst.steps_done = done;
    if (!a.inst.silenced_by.empty()) {
        return;  // nobody new hears of it; refresh_silences() runs the steps when it ends
    }
    if (a.inst.flapping && !a.inst.notified.empty()) {
        return;  // told once that it flaps; quiet until it settles
    }
    bool any = false;
    for (const std::string& notifier : reached) {
        a.inst.notified.push_back(notifier);
        // A flapping alert's first news says that it flaps: the one message it gets.
        const NotificationKind kind =
            a.inst.flapping ? NotificationKind::Flapping : NotificationKind::Firing;
        if (emit(a, &rule_of(slot), kind, notifier, Severity::None, {}, ctx) == Sent::Dropped) {
            a.inst.notified.pop_back();  // quiet hours dropped it: this notifier was not told
        } else {
            any = true;
        }
    }
    for (const std::string& notifier : reminded) {
        if (!holds_firing(a, notifier)) {
            emit(a, &rule_of(slot), NotificationKind::Reminder, notifier, Severity::None, {}, ctx);
        }
    }
    if (any) {
        a.inst.notified_severity = a.inst.severity;
    }
}

bool Engine::Impl::ack_holds(const Active& a, TimePoint at) {
    if (!a.inst.ack || (a.policy != nullptr && a.policy->def->until == EscalateUntil::Resolved)) {
        return false;
    }
    return !a.inst.ack->until || at < *a.inst.ack->until;
}

void Engine::Impl::acknowledge(Slot& slot, Ack ack, Ctx& ctx) {
    Active& a = *slot.active;
    a.seq_taken = false;
    a.inst.ack = std::move(ack);
    touch(slot);
    tell_told(slot, NotificationKind::Acknowledged, Severity::None, ctx);
}

void Engine::Impl::tell_told(Slot& slot, NotificationKind kind, Severity previous, Ctx& ctx) {
    Active& a = *slot.active;
    for (const std::string& notifier : a.inst.notified) {
        if (!holds_firing(a, notifier)) {  // not told yet: nothing to follow up
            emit(a, &rule_of(slot), kind, notifier, previous, {}, ctx);
        }
    }
}

void Engine::Impl::resolve(Slot& slot, TimePoint at, Ctx& ctx) {
    Active& a = *slot.active;
    const bool suppress = a.policy != nullptr && a.policy->def->resolves == ResolveMode::Suppress;
    for (const std::string& notifier : a.inst.notified) {
        Notification resolved = make_notification(
            a, &rule_of(slot), NotificationKind::Resolved, notifier, Severity::None, at, ctx);
        // A firing still held (group, quiet hours) never reaches anyone: a digest lists the
        // alert as resolved instead, the others forget it.
        if (unhold(a, notifier, &resolved) || suppress) {
            continue;
        }
        send(a.policy, std::move(resolved), ctx);
    }
    remove(slot, ctx);
}

std::string Engine::Impl::silence_for(const Active& a, TimePoint at) const {
    if (silences_.empty()) {
        return {};
    }
    Labels labels = a.labels;
    labels["severity"] = to_string(a.inst.severity);
    for (const Silence& s : silences_) {
        const auto cal = calendars_.find(s.calendar);
        if (s.silences(labels, at, cal == calendars_.end() ? nullptr : &cal->second)) {
            return s.id;
        }
    }
    return {};
}

void Engine::Impl::refresh_silences(Ctx& ctx) {
    silences_due_.reset();
    for (const Silence& s : silences_) {
        const auto cal = calendars_.find(s.calendar);
        const TimePoint next =
            s.next_change(ctx.now, cal == calendars_.end() ? nullptr : &cal->second);
        if (next != TimePoint::max()) {
            min_into(silences_due_, next);
        }
    }
    for (auto& [key, series] : series_) {
        for (Slot& slot : series.slots) {
            if (!slot.active) {
                continue;
            }
            Active& a = *slot.active;
            const std::string id = silence_for(a, ctx.now);
            if (id == a.inst.silenced_by) {
                continue;
            }
            a.seq_taken = false;
            touch(slot);
            if (a.inst.state == AlertState::Firing && !id.empty()) {
                a.inst.silenced_by = id;
            } else if (a.inst.state == AlertState::Firing) {
                run_steps(slot, ctx.now, ctx);  // also sets silenced_by
                // Those told before the silence hear of a severity change it hid.
                const Severity told = a.inst.notified_severity;
                if (told != Severity::None && told != a.inst.severity && !a.inst.flapping) {
                    tell_told(slot, NotificationKind::SeverityChange, told, ctx);
                    a.inst.notified_severity = a.inst.severity;
                }
                reschedule(slot);
            } else {
                a.inst.silenced_by = id;
            }
        }
    }
}

void Engine::Impl::remove(Slot& slot, Ctx& ctx) {
    if (slot.active->inst.state == AlertState::Firing) {
        slot.last_firing_since = slot.active->inst.firing_since;
        slot.last_seq = slot.active->inst.seq;
    }
    ctx.out.removed.push_back(slot.active->key);
    slot.active.reset();
}

Engine::Impl::Sent Engine::Impl::emit(Active& a,
                                      const RuleDef* rule,
                                      NotificationKind kind,
                                      const std::string& notifier,
                                      Severity previous,
                                      std::optional<TimePoint> ends_at,
                                      Ctx& ctx) {
    return send(a.policy, make_notification(a, rule, kind, notifier, previous, ends_at, ctx), ctx);
}

Notification Engine::Impl::make_notification(Active& a,
                                             const RuleDef* rule,
                                             NotificationKind kind,
                                             const std::string& notifier,
                                             Severity previous,
                                             std::optional<TimePoint> ends_at,
                                             Ctx& ctx) {
    if (!a.seq_taken) {
        ++a.inst.seq;
        a.seq_taken = true;
    }
    Notification n;
    n.id = a.inst.fingerprint + "-" + std::to_string(to_unix_ms(a.inst.firing_since)) + "-" +
           std::to_string(a.inst.seq) + "/" + notifier;
    n.notifier = notifier;
    n.kind = kind;
    n.at = ctx.now;
    n.alert = a.inst.rule;
    n.kpi = a.inst.kpi;
    n.fingerprint = a.inst.fingerprint;
    n.labels = a.labels;
    n.labels["severity"] = to_string(a.inst.severity);
    n.severity = a.inst.severity;
    n.previous_severity = kind == NotificationKind::SeverityChange ? previous : Severity::None;
    n.nodata = a.inst.nodata;
    n.value = a.inst.value;
    n.threshold = a.inst.threshold;
    n.starts_at = a.inst.firing_since;
    n.ends_at = ends_at;
    n.flapping = a.inst.flapping;
    if (kind == NotificationKind::Acknowledged) {
        n.ack = a.inst.ack;
    }
    for (const auto& other : a.inst.notified) {
        if (other != notifier) {
            n.also_notified.push_back(other);
        }
    }
    const auto kpi_it = kpis_.find(a.inst.kpi);
    const KpiDef* kpi = kpi_it == kpis_.end() ? nullptr : kpi_it->second.def;
    if (kpi != nullptr) {
        n.target = kpi->target;
        n.unit = kpi->unit_text;
        n.unit_kind = kpi->unit;
    }
    if (rule == &error_rule_) {
        const std::string& item = n.labels["rule"];
        const auto failing = failing_.find(item);
        if (kind == NotificationKind::Resolved) {
            n.summary = "Lua of '" + item + "' runs again without errors";
        } else {
            n.summary = "Lua of '" + item + "' fails: " +
                        (failing != failing_.end() ? failing->second : std::string("see the log"));
        }
    } else if (rule != nullptr) {
        TemplateContext tc;
        tc.alert = n.alert;
        tc.kpi = n.kpi;
        tc.unit = kpi != nullptr ? kpi->unit : Unit::None;
        tc.value = n.value;
        tc.threshold = n.threshold;
        tc.target = n.target;
        tc.severity = n.severity;
        tc.since = n.starts_at;
        tc.now = ctx.now;
        tc.labels = &n.labels;
        tc.message = a.message;
        tc.lua = lua_ ? this : nullptr;
        const auto series = series_.find(series_key(a.inst.kpi, a.inst.series_labels));
        tc.series = series != series_.end() ? &series->second : nullptr;
        if (series != series_.end()) {
            n.previous_value = series->second.previous;
        }
        if (kind == NotificationKind::Resolved) {
            n.summary = resolved_summary(n.threshold.has_value()).render(tc);
        } else if (kind == NotificationKind::Flapping) {
            n.summary = n.alert +
                        " is flapping: it changed state too often in its last 20 evaluations; no "
                        "more notifications about it until it settles";
        } else if (n.nodata) {
            n.summary = nodata_summary(a.inst);
        } else if (rule->summary.empty() && !a.message.empty()) {
            n.summary = a.message;  // a Lua rule's message is its summary unless one is written
        } else if (rule->summary.empty() && rule->lua) {
            n.summary = n.kpi + " is " + n.labels["severity"] + " (" + n.alert + ")";
        } else {
            n.summary = rule->summary.render(tc);
        }
        n.description = rule->description.render(tc);
        n.runbook = rule->runbook.render(tc);
        if (const auto m = messages_.find(notifier); m != messages_.end()) {
            n.message_title = m->second->title.render(tc);
            n.message_text = m->second->text.render(tc);
            n.message_short = m->second->short_text.render(tc);
        }
    }
    return n;
}

std::optional<TimePoint> Engine::Impl::compute_due(const Slot& slot) const {
    const RuleDef& rule = rule_of(slot);
    std::optional<TimePoint> due;
    if (slot.active) {
        const AlertInstance& inst = slot.active->inst;
        const CompiledPolicy* policy = slot.active->policy;
        if (inst.state == AlertState::Pending) {
            min_into(due, inst.pending_since + rule.for_duration);
        } else if (inst.state == AlertState::Firing) {
            if (inst.clear_since) {
                min_into(due, *inst.clear_since + rule.keep_firing_for);
            }
            if (inst.ack && inst.ack->until &&
                ack_holds(*slot.active, *inst.ack->until - Duration{1})) {
                min_into(due, *inst.ack->until);  // the steps resume then
            } else if (policy != nullptr && inst.steps_done < policy->total_steps() &&
                       !ack_holds(*slot.active, policy->due(inst.firing_since, inst.steps_done))) {
                min_into(due, policy->due(inst.firing_since, inst.steps_done));
            }
        }
    }
    if (rule.nodata && rule.nodata->after > Duration::zero() &&
        !(slot.active && slot.active->inst.nodata)) {
        min_into(due, slot.series->at + rule.nodata->after);
    }
    return due;
}

void Engine::Impl::reschedule(Slot& slot) {
    const std::optional<TimePoint> due = compute_due(slot);
    if (due == slot.due) {
        return;  // the common case for a sample that changes nothing: no set traffic
    }
    if (slot.due) {
        timers_.erase(&slot);
    }
    slot.due = due;
    if (slot.due) {
        timers_.insert(&slot);
    }
}

void Engine::Impl::touch(Slot& slot) {
    if (!slot.touched) {
        slot.touched = true;
        touched_.push_back(&slot);
    }
}

void Engine::Impl::finish(Ctx& ctx) {
    // An instance removed and re-created in one step (resolved, then nodata) is only upserted:
    // a key never appears in both lists, so the order the store applies them in does not matter.
    for (Slot* slot : touched_) {
        slot->touched = false;
        if (slot->active) {
            std::erase(ctx.out.removed, slot->active->key);
            ctx.out.upserted.push_back(slot->active->inst);
        }
    }
    touched_.clear();
    for (const std::string& key : batches_changed_) {
        if (const auto it = batches_.find(key); it != batches_.end()) {
            ctx.out.held.push_back(it->second);
        } else {
            ctx.out.released.push_back(key);
        }
    }
    batches_changed_.clear();
}

}  // namespace tocsin::engine
