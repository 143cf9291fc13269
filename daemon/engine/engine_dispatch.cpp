#include "engine/engine_impl.hpp"

#include <algorithm>
#include <cstdio>

// Dispatch: what happens to a notification between the state machine's decision and the outbox.
// Decisions (see also docs/rule-authors.md, "Quiet hours" and "Grouping"):
// - Quiet hours come first: a policy's (or a step's) calendar is in and the alert's severity is
//   not in `bypass`. `drop` discards news (the notifier has not been told), `defer` and `digest`
//   hold it in one batch per policy and notifier that goes out when the window ends.
// - Otherwise a policy with `group_by`/`group_wait` holds firings and resolves in one batch per
//   notifier, group label values and kind, sent `group_wait` after the first one joined.
// - A held firing counts as told (AlertInstance::notified), so state stays consistent across
//   restarts; when the alert resolves before the batch goes out, the firing is taken back out
//   (a digest lists it as resolved instead), so nobody hears of an alert that came and went.
// - A batch keeps the latest news per alert. One member, unless a digest, goes out as itself;
//   more go out as one notification listing them all (Notification::members).
namespace tocsin::engine {

namespace {

bool same_alert(const Notification& a, const Notification& b) {
    return a.fingerprint == b.fingerprint && a.alert == b.alert;
}

/// FNV-1a 64 of `text` as 16 hex digits: a short, stable id part for batch notifications.
std::string short_hash(const std::string& text) {
    std::uint64_t h = 14695981039346656037ULL;
    for (const unsigned char c : text) {
        h = (h ^ c) * 1099511628211ULL;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

}  // namespace

const QuietHours* Engine::Impl::quiet_for(const CompiledPolicy& policy,
                                          const std::string& notifier) const {
    // The first step (in due order) that names the notifier decides; its own quiet_hours win.
    for (const PolicyStep* step : policy.steps) {
        if (std::find(step->notify.begin(), step->notify.end(), notifier) != step->notify.end()) {
            if (step->quiet_hours) {
                return step->quiet_hours->off ? nullptr : &*step->quiet_hours;
            }
            break;
        }
    }
    return policy.def->quiet_hours ? &*policy.def->quiet_hours : nullptr;
}

bool Engine::Impl::in_quiet_hours(const QuietHours& q, TimePoint at) const {
    const auto cal = calendars_.find(q.calendar);
    return cal != calendars_.end() && cal->second.contains(at);
}

Engine::Impl::Sent Engine::Impl::send(const CompiledPolicy* policy, Notification n, Ctx& ctx) {
    if (policy == nullptr) {
        ctx.out.notifications.push_back(std::move(n));
        return Sent::Now;
    }
    const TimePoint at = ctx.now;
    const QuietHours* quiet = quiet_for(*policy, n.notifier);
    if (quiet != nullptr && !quiet->bypassed(n.severity) && in_quiet_hours(*quiet, at)) {
        const auto cal = calendars_.find(quiet->calendar);
        const TimePoint window_end = cal->second.next_change(at);
        const HeldBatch::Kind kind = quiet->outcome == QuietOutcome::Digest
                                         ? HeldBatch::Kind::Digest
                                         : HeldBatch::Kind::Defer;
        if (n.kind == NotificationKind::Resolved) {
            switch (quiet->resolves.value_or(policy->def->resolves)) {
                case ResolveMode::Send:
                    break;  // on to grouping below: good news goes out at once
                case ResolveMode::Suppress:
                    return Sent::Dropped;
                case ResolveMode::Digest: {
                    std::string key =
                        std::string(to_string(kind)) + "/" + policy->def->name + "/" + n.notifier;
                    hold(kind, *policy, std::move(n), window_end, {}, std::move(key), ctx);
                    return Sent::Held;
                }
            }
        } else if (quiet->outcome == QuietOutcome::Drop) {
            return Sent::Dropped;
        } else {
            std::string key =
                std::string(to_string(kind)) + "/" + policy->def->name + "/" + n.notifier;
            hold(kind, *policy, std::move(n), window_end, {}, std::move(key), ctx);
            return Sent::Held;
        }
    }
    const bool groupable =
        n.kind == NotificationKind::Firing || n.kind == NotificationKind::Resolved;
    if (policy->def->grouped && groupable) {
        Labels group_labels;
        std::string key =
            std::string("group/") + policy->def->name + "/" + n.notifier + "/" + to_string(n.kind);
        for (const std::string& name : policy->def->group_by) {
            const auto it = n.labels.find(name);
            const std::string value = it == n.labels.end() ? std::string() : it->second;
            group_labels[name] = value;
            key.append(1, '\x1f').append(value);
        }
        hold(HeldBatch::Kind::Group,
             *policy,
             std::move(n),
             at + policy->def->group_wait,
             std::move(group_labels),
             std::move(key),
             ctx);
        return Sent::Held;
    }
    ctx.out.notifications.push_back(std::move(n));
    return Sent::Now;
}

void Engine::Impl::hold(HeldBatch::Kind kind,
                        const CompiledPolicy& policy,
                        Notification n,
                        TimePoint flush_at,
                        Labels group_labels,
                        std::string key,
                        Ctx& ctx) {
    if (const auto old = batches_.find(key);
        old != batches_.end() && old->second.flush_at <= ctx.now) {
        flush(old->second, ctx);  // an earlier window's batch, not yet sent: it goes first
    }
    auto [it, inserted] = batches_.try_emplace(key);
    HeldBatch& b = it->second;
    if (inserted) {
        b.key = key;
        b.kind = kind;
        b.policy = policy.def->name;
        b.notifier = n.notifier;
        b.opened = ctx.now;
        b.flush_at = flush_at;
        b.group_labels = std::move(group_labels);
    }
    const auto same = std::find_if(b.members.begin(), b.members.end(), [&](const Notification& m) {
        return same_alert(m, n);
    });
    if (same == b.members.end()) {
        b.members.push_back(std::move(n));
    } else if (same->kind == NotificationKind::Firing && n.kind != NotificationKind::Resolved) {
        // The notifier has not heard of the alert yet: it stays a firing, with the latest state.
        const std::string id = same->id;
        *same = std::move(n);
        same->kind = NotificationKind::Firing;
        same->id = id;
    } else {
        *same = std::move(n);
    }
    changed(key);
}

bool Engine::Impl::holds_firing(const Active& a, const std::string& notifier) const {
    for (const auto& [key, b] : batches_) {
        if (b.notifier != notifier) {
            continue;
        }
        for (const Notification& m : b.members) {
            if (m.kind == NotificationKind::Firing && m.fingerprint == a.inst.fingerprint &&
                m.alert == a.inst.rule) {
                return true;
            }
        }
    }
    return false;
}

bool Engine::Impl::unhold(const Active& a,
                          const std::string& notifier,
                          const Notification* resolved) {
    bool firing = false;
    for (auto it = batches_.begin(); it != batches_.end();) {
        HeldBatch& b = it->second;
        const auto member =
            std::find_if(b.members.begin(), b.members.end(), [&](const Notification& m) {
                return m.fingerprint == a.inst.fingerprint && m.alert == a.inst.rule;
            });
        if (b.notifier != notifier || member == b.members.end()) {
            ++it;
            continue;
        }
        const bool was_firing = member->kind == NotificationKind::Firing;
        firing = firing || was_firing;
        changed(b.key);
        if (was_firing && b.kind == HeldBatch::Kind::Digest && resolved != nullptr) {
            *member = *resolved;  // the digest says it fired and resolved in the window
            ++it;
            continue;
        }
        b.members.erase(member);
        it = b.members.empty() ? batches_.erase(it) : std::next(it);
    }
    return firing;
}

void Engine::Impl::flush(HeldBatch& b, Ctx& ctx) {
    const std::string key = b.key;
    changed(key);
    if (b.members.empty()) {
        batches_.erase(key);
        return;
    }
    Notification n;
    if (b.members.size() == 1 && b.kind != HeldBatch::Kind::Digest) {
        n = std::move(b.members.front());
    } else {
        n = b.members.front();
        n.members = std::move(b.members);
        n.members.front().members.clear();
        n.group_labels = b.group_labels;
        n.id = "batch-" + short_hash(key) + "-" + std::to_string(to_unix_ms(b.flush_at)) + "/" +
               b.notifier;
        const bool all_resolved =
            std::all_of(n.members.begin(), n.members.end(), [](const Notification& m) {
                return m.kind == NotificationKind::Resolved;
            });
        if (b.kind == HeldBatch::Kind::Digest) {
            n.kind = NotificationKind::Digest;
        } else {
            n.kind = all_resolved ? NotificationKind::Resolved : NotificationKind::Firing;
        }
        n.summary = std::to_string(n.members.size()) + " alerts" +
                    (b.kind == HeldBatch::Kind::Group ? "" : " during quiet hours");
        n.also_notified.clear();
    }
    n.at = ctx.now;
    ctx.out.notifications.push_back(std::move(n));
    batches_.erase(key);
}

void Engine::Impl::flush_due(Ctx& ctx) {
    std::vector<std::string> due;
    for (const auto& [key, b] : batches_) {
        if (b.flush_at <= ctx.now) {
            due.push_back(key);
        }
    }
    // Oldest first, so the outbox order follows the order batches were due in.
    std::sort(due.begin(), due.end(), [&](const std::string& x, const std::string& y) {
        const HeldBatch& a = batches_.at(x);
        const HeldBatch& b = batches_.at(y);
        return std::tie(a.flush_at, a.key) < std::tie(b.flush_at, b.key);
    });
    for (const std::string& key : due) {
        flush(batches_.at(key), ctx);
    }
}

std::optional<TimePoint> Engine::Impl::next_flush() const {
    std::optional<TimePoint> best;
    for (const auto& [key, b] : batches_) {
        if (!best || b.flush_at < *best) {
            best = b.flush_at;
        }
    }
    return best;
}

void Engine::restore_held(std::vector<HeldBatch> batches) {
    for (HeldBatch& b : batches) {
        auto [it, inserted] = impl_->batches_.try_emplace(b.key, b);
        if (inserted) {
            continue;
        }
        // restore() already held news under this key (the resolve of a dropped rule): the stored
        // batch comes first, with its own due time, and keeps what restore() added.
        std::vector<Notification> added = std::move(it->second.members);
        it->second = std::move(b);
        for (Notification& n : added) {
            const bool known = std::any_of(it->second.members.begin(),
                                           it->second.members.end(),
                                           [&](const Notification& m) { return same_alert(m, n); });
            if (!known) {
                it->second.members.push_back(std::move(n));
            }
        }
        impl_->changed(it->first);
    }
}

std::vector<HeldBatch> Engine::held() const {
    std::vector<HeldBatch> out;
    for (const auto& [key, b] : impl_->batches_) {
        out.push_back(b);
    }
    return out;
}

}  // namespace tocsin::engine
