#include "engine/virtual_run.hpp"

#include <algorithm>

namespace tocsin::engine {

VirtualRun::VirtualRun(std::shared_ptr<const LoadedConfig> loaded, TimePoint start)
    : loaded_(std::move(loaded)), engine_(std::make_unique<Engine>(loaded_, start)) {}

void VirtualRun::run_until(TimePoint t) {
    while (const auto next = engine_->next_wakeup()) {
        if (*next > t) {
            break;
        }
        apply(engine_->advance(*next));
    }
}

void VirtualRun::ingest(const std::vector<Sample>& samples, TimePoint t) {
    stored_samples_.insert(stored_samples_.end(), samples.begin(), samples.end());
    apply(engine_->ingest(samples, t));
}

void VirtualRun::restart(TimePoint t) {
    std::vector<AlertInstance> persisted;
    persisted.reserve(store_.size());
    for (const auto& [key, inst] : store_) {
        persisted.push_back(inst);
    }
    std::vector<HeldBatch> held;
    for (const auto& [key, batch] : held_) {
        held.push_back(batch);
    }
    engine_ = std::make_unique<Engine>(loaded_, t);
    // As the daemon does at start-up: the history helpers get what the store kept.
    engine_->preload(stored_samples_);
    apply(engine_->restore(std::move(persisted), t));
    engine_->restore_held(std::move(held));
    apply(engine_->set_silences(silences_, t));
}

void VirtualRun::reload(TimePoint t) {
    auto next = std::make_unique<Engine>(loaded_, t);
    next->preload(engine_->history());
    StepOutput out = next->restore(engine_->instances(), t);
    next->restore_held(engine_->held());
    out.append(next->set_silences(silences_, t));
    engine_ = std::move(next);
    apply(std::move(out));
}

void VirtualRun::silence(const rule_test::TestEvent& e, TimePoint t) {
    Silence s;
    s.id = "test-silence-" + std::to_string(silences_.size() + 1);
    s.matchers = e.matchers;
    s.starts_at = t;
    s.ends_at = t + e.for_duration.value_or(Duration{0});
    s.author = e.author;
    s.comment = e.comment;
    s.created_at = t;
    s.calendar = e.calendar;
    silences_.push_back(std::move(s));
    apply(engine_->set_silences(silences_, t));
}

bool VirtualRun::acknowledge(const rule_test::TestEvent& e, TimePoint t) {
    for (const auto& inst : engine_->instances()) {
        if (inst.rule != e.alert || inst.state != AlertState::Firing) {
            continue;
        }
        const bool labels_match = std::all_of(e.labels.begin(), e.labels.end(), [&](const auto& l) {
            const auto it = inst.series_labels.find(l.first);
            return it != inst.series_labels.end() && it->second == l.second;
        });
        if (!labels_match) {
            continue;
        }
        Ack ack;
        ack.author = e.author;
        ack.comment = e.comment;
        if (e.for_duration) {
            ack.until = t + *e.for_duration;
        }
        if (auto out = engine_->acknowledge(inst.fingerprint, std::move(ack), t)) {
            apply(std::move(*out));
            return true;
        }
    }
    return false;
}

void VirtualRun::apply(StepOutput out) {
    for (auto& n : out.notifications) {
        sent.push_back(std::move(n));
    }
    for (auto& d : out.derived) {
        stored_samples_.push_back(std::move(d));
    }
    for (auto& i : out.upserted) {
        std::string key = instance_key(i.rule, i.fingerprint);
        store_[std::move(key)] = std::move(i);
    }
    for (const auto& key : out.removed) {
        store_.erase(key);
    }
    for (auto& b : out.held) {
        std::string key = b.key;
        held_[std::move(key)] = std::move(b);
    }
    for (const auto& key : out.released) {
        held_.erase(key);
    }
}

}  // namespace tocsin::engine
