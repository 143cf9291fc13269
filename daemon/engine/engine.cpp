#include "engine/engine.hpp"

#include "engine/engine_impl.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace tocsin::engine {

void StepOutput::append(StepOutput&& other) {
    for (auto& n : other.notifications) {
        notifications.push_back(std::move(n));
    }
    for (auto& i : other.upserted) {
        std::erase(removed, instance_key(i.rule, i.fingerprint));
        upserted.push_back(std::move(i));
    }
    for (auto& r : other.removed) {
        std::erase_if(upserted, [&](const AlertInstance& i) {
            return instance_key(i.rule, i.fingerprint) == r;
        });
        removed.push_back(std::move(r));
    }
    for (auto& d : other.derived) {
        derived.push_back(std::move(d));
    }
    for (auto& e : other.rule_errors) {
        rule_errors.push_back(std::move(e));
    }
    for (auto& b : other.held) {
        std::erase(released, b.key);
        std::erase_if(held, [&](const HeldBatch& h) { return h.key == b.key; });
        held.push_back(std::move(b));
    }
    for (auto& r : other.released) {
        std::erase_if(held, [&](const HeldBatch& h) { return h.key == r; });
        released.push_back(std::move(r));
    }
}

std::string instance_key(const std::string& rule, const std::string& fingerprint) {
    std::string key;
    key.reserve(rule.size() + 1 + fingerprint.size());
    key.append(rule).append(1, '\x1f').append(fingerprint);
    return key;
}

namespace detail {

std::string series_key(const std::string& kpi, const Labels& labels) {
    std::string key = kpi;
    for (const auto& [name, value] : labels) {
        key.append(1, '\x1f').append(name).append(1, '\x1e').append(value);
    }
    return key;
}

}  // namespace detail

Engine::Impl::Impl(const LoadedConfig& loaded, TimePoint start) : router_(loaded) {
    for (const CalendarDef& def : loaded.rules.calendars) {
        if (auto cal = Calendar::from_def(def, loaded.config.timezone)) {
            calendars_.emplace(def.name, std::move(*cal));
        }
    }
    for (const KpiDef& kpi : loaded.rules.kpis) {
        kpis_[kpi.name].def = &kpi;
    }
    for (const RuleDef& rule : loaded.rules.rules) {
        rule_index_.emplace(rule.alert, rules_.size());
        kpis_[rule.kpi].rules.push_back(rules_.size());
        rules_.push_back(&rule);
    }
    setup_lua(loaded);
    // A KPI never seen since start gets an empty-labels placeholder series, so its nodata rules
    // can fire; the placeholder's staleness counts from `start`.
    for (auto& [name, kpi] : kpis_) {
        const bool watched = std::any_of(kpi.rules.begin(), kpi.rules.end(), [&](std::size_t i) {
            return rules_[i]->nodata.has_value();
        });
        if (watched) {
            Series& s = series_for(kpi, name, {});
            s.at = start;
            kpi.placeholder = &s;
            for (Slot& slot : s.slots) {
                reschedule(slot);
            }
        }
    }
}

Series& Engine::Impl::series_for(KpiState& kpi, const std::string& name, const Labels& labels) {
    // Most KPIs have one series or a few, all listed in `kpi.series`: comparing their labels
    // beats building and hashing a key into the map of every series (10,000 a step at 10,000
    // KPIs, each a likely cache miss). A series missing there is missing from the map too.
    constexpr std::size_t kFewSeries = 8;
    if (kpi.series.size() <= kFewSeries) {
        for (Series* s : kpi.series) {
            if (s->labels == labels) {
                return *s;
            }
        }
    }
    auto [it, inserted] = series_.try_emplace(series_key(name, labels));
    Series& s = it->second;
    if (inserted) {
        s.kpi = name;
        s.labels = labels;
        s.slots.resize(kpi.rules.size());
        for (std::size_t i = 0; i < kpi.rules.size(); ++i) {
            s.slots[i].id = next_slot_id_++;
            s.slots[i].rule = kpi.rules[i];
            s.slots[i].series = &s;
        }
        kpi.series.push_back(&s);
        if (kpi.keep_history) {
            auto& kept = histories_[it->first];
            kept.kpi = name;
            kept.labels = labels;
            s.history = &kept.points;
        }
    }
    return s;
}

void Engine::Impl::mark_sampled(KpiState& kpi, Series& series, Ctx& ctx) {
    if (series.sampled) {
        return;
    }
    series.sampled = true;
    ++kpi.sampled_series;
    // The never-seen placeholder lives only while no series of its KPI is known. A sample with
    // empty labels turns it into a real series; any other series retires it, resolving its
    // nodata alert at once (the KPI has data, just under other labels).
    if (kpi.placeholder == &series) {
        kpi.placeholder = nullptr;
    } else if (kpi.placeholder != nullptr) {
        Series* placeholder = kpi.placeholder;
        kpi.placeholder = nullptr;
        drop_series(*placeholder, ctx);
    }
}

void Engine::Impl::drop_series(Series& series, Ctx& ctx) {
    for (Slot& slot : series.slots) {
        if (slot.active) {
            slot.active->seq_taken = false;
            if (slot.active->inst.state == AlertState::Firing) {
                resolve(slot, ctx.now, ctx);
            } else {
                remove(slot, ctx);
            }
        }
        if (slot.due) {
            timers_.erase(&slot);
            slot.due.reset();
        }
    }
    // The slots die with the series: forget them before finish() would read them.
    std::erase_if(touched_, [&](const Slot* s) { return s->series == &series; });
    if (const auto kpi = kpis_.find(series.kpi); kpi != kpis_.end()) {
        std::erase(kpi->second.series, &series);
    }
    series_.erase(series_key(series.kpi, series.labels));
}

Engine::Engine(std::shared_ptr<const LoadedConfig> loaded, TimePoint start)
    : loaded_(std::move(loaded)), impl_(std::make_unique<Impl>(*loaded_, start)) {}

Engine::~Engine() = default;

StepOutput Engine::ingest(const std::vector<Sample>& samples, TimePoint now) {
    StepOutput out;
    Impl::Ctx ctx{now, out};
    impl_->ctx_ = &ctx;
    for (const Sample& sample : samples) {
        impl_->process(sample, ctx);
        // Derived values and Lua error flags that sample caused, in order.
        while (!impl_->queue_.empty()) {
            const Sample next = std::move(impl_->queue_.front());
            impl_->queue_.pop_front();
            impl_->process(next, ctx);
        }
    }
    impl_->finish(ctx);
    impl_->ctx_ = nullptr;
    return out;
}

std::optional<StepOutput> Engine::acknowledge(const std::string& id, Ack ack, TimePoint now) {
    Slot* found = nullptr;
    for (auto& [key, series] : impl_->series_) {
        for (Slot& slot : series.slots) {
            if (slot.active && slot.active->inst.fingerprint == id &&
                slot.active->inst.state == AlertState::Firing) {
                found = &slot;
            }
        }
    }
    if (found == nullptr) {
        return std::nullopt;
    }
    StepOutput out;
    Impl::Ctx ctx{now, out};
    impl_->ctx_ = &ctx;
    ack.at = now;
    impl_->acknowledge(*found, std::move(ack), ctx);
    impl_->reschedule(*found);
    impl_->finish(ctx);
    impl_->ctx_ = nullptr;
    return out;
}

StepOutput Engine::advance(TimePoint now) {
    StepOutput out;
    Impl::Ctx ctx{now, out};
    impl_->ctx_ = &ctx;
    auto& timers = impl_->timers_;
    while (!timers.empty() && *(*timers.begin())->due <= now) {
        Slot* slot = *timers.begin();
        const TimePoint at = *slot->due;
        timers.erase(timers.begin());
        slot->due.reset();
        impl_->on_timer(*slot, at, ctx);
        impl_->reschedule(*slot);
    }
    if (impl_->silences_due_ && *impl_->silences_due_ <= now) {
        std::erase_if(impl_->silences_, [&](const Silence& s) { return s.expired_at(now); });
        impl_->refresh_silences(ctx);
    }
    impl_->flush_due(ctx);
    impl_->finish(ctx);
    impl_->ctx_ = nullptr;
    return out;
}

StepOutput Engine::set_silences(std::vector<Silence> silences, TimePoint now) {
    StepOutput out;
    Impl::Ctx ctx{now, out};
    impl_->ctx_ = &ctx;
    std::erase_if(silences, [&](const Silence& s) { return s.expired_at(now); });
    impl_->silences_ = std::move(silences);
    impl_->refresh_silences(ctx);
    impl_->finish(ctx);
    impl_->ctx_ = nullptr;
    return out;
}

std::optional<TimePoint> Engine::next_wakeup() const {
    std::optional<TimePoint> due = impl_->silences_due_;
    if (const auto flush = impl_->next_flush(); flush && (!due || *flush < *due)) {
        due = flush;
    }
    if (!impl_->timers_.empty() && (!due || *(*impl_->timers_.begin())->due < *due)) {
        due = (*impl_->timers_.begin())->due;
    }
    return due;
}

std::vector<AlertInstance> Engine::instances() const {
    std::vector<AlertInstance> out;
    for (const auto& [key, series] : impl_->series_) {
        for (const Slot& slot : series.slots) {
            if (slot.active) {
                out.push_back(slot.active->inst);
            }
        }
    }
    std::sort(out.begin(), out.end(), [](const AlertInstance& a, const AlertInstance& b) {
        return std::tie(a.rule, a.fingerprint) < std::tie(b.rule, b.fingerprint);
    });
    return out;
}

std::vector<Sample> Engine::latest() const {
    std::vector<Sample> out;
    for (const auto& [key, series] : impl_->series_) {
        if (series.sampled) {
            out.push_back(Sample{series.kpi, series.labels, series.value, series.at});
        }
    }
    std::sort(out.begin(), out.end(), [](const Sample& a, const Sample& b) {
        return std::tie(a.kpi, a.labels) < std::tie(b.kpi, b.labels);
    });
    return out;
}

StepOutput Engine::restore(std::vector<AlertInstance> instances, TimePoint now) {
    StepOutput out;
    Impl::Ctx ctx{now, out};
    impl_->ctx_ = &ctx;
    for (AlertInstance& inst : instances) {
        impl_->restore_one(std::move(inst), ctx);
    }
    impl_->finish(ctx);
    impl_->ctx_ = nullptr;
    return out;
}

void Engine::Impl::restore_one(AlertInstance inst, Ctx& ctx) {
    const auto rule_it = rule_index_.find(inst.rule);
    const RuleDef* rule = rule_it == rule_index_.end() ? nullptr : rules_[rule_it->second];
    Labels labels = rule != nullptr ? alert_labels(*rule, inst.series_labels) : Labels{};
    // Identity is (rule name, KPI, alert labels): a rule whose KPI or labels changed is another
    // alert now, so the old instance ends.
    const bool keep = rule != nullptr && rule->kpi == inst.kpi &&
                      inst.state != AlertState::Inactive && fingerprint(labels) == inst.fingerprint;
    if (!keep) {
        drop_restored(std::move(inst), rule, ctx);
        return;
    }
    KpiState& kpi = kpis_[inst.kpi];
    Series& series = series_for(kpi, inst.kpi, inst.series_labels);
    if (!series.sampled) {
        // An empty-labels nodata instance is what a never-seen KPI's placeholder fires; it stays
        // a placeholder (retired when another series shows up) until a sample proves otherwise.
        const bool placeholder_like = inst.series_labels.empty() && inst.nodata;
        if (placeholder_like && kpi.sampled_series == 0) {
            kpi.placeholder = &series;
        } else {
            mark_sampled(kpi, series, ctx);
        }
        series.value = inst.value;
        series.at = inst.last_sample_at;
    } else if (inst.last_sample_at > series.at) {
        series.value = inst.value;
        series.at = inst.last_sample_at;
    }
    const auto slot_it = std::find_if(series.slots.begin(), series.slots.end(), [&](const Slot& s) {
        return s.rule == rule_it->second;
    });
    Slot& slot = *slot_it;
    auto a = std::make_unique<Active>();
    a->key = instance_key(inst.rule, inst.fingerprint);
    a->inst = std::move(inst);
    a->labels = std::move(labels);
    if (a->inst.state == AlertState::Firing) {
        Labels routed = a->labels;
        routed["severity"] = to_string(a->inst.severity);
        a->policy = router_.route(*rule, routed);
    }
    slot.active = std::move(a);
    // Timers re-arm from the stored instants: a `for` that started before a crash ends at
    // pending_since + for, and steps already run (steps_done, notified) are not repeated.
    reschedule(slot);
}

void Engine::Impl::drop_restored(AlertInstance inst, const RuleDef* rule, Ctx& ctx) {
    const std::string key = instance_key(inst.rule, inst.fingerprint);
    if (inst.state == AlertState::Firing && !inst.notified.empty()) {
        // The rule's old labels are gone; the series labels and the name are what is left.
        Active a;
        a.labels = inst.series_labels;
        a.labels["alertname"] = inst.rule;
        a.key = key;
        a.inst = std::move(inst);
        const RuleDef* render_with = rule != nullptr && rule->kpi == a.inst.kpi ? rule : nullptr;
        for (const std::string& notifier : a.inst.notified) {
            emit(
                a, render_with, NotificationKind::Resolved, notifier, Severity::None, ctx.now, ctx);
        }
    }
    ctx.out.removed.push_back(key);
}

}  // namespace tocsin::engine
