#include "engine/routing.hpp"

#include <algorithm>

namespace tocsin::engine {

Router::Router(const LoadedConfig& loaded) : default_policy_(loaded.config.default_policy) {
    for (const PolicyDef& policy : loaded.rules.policies) {
        CompiledPolicy compiled{&policy, {}};
        for (const PolicyStep& step : policy.steps) {
            compiled.steps.push_back(&step);
        }
        std::stable_sort(
            compiled.steps.begin(),
            compiled.steps.end(),
            [](const PolicyStep* a, const PolicyStep* b) { return a->after < b->after; });
        policies_.emplace(policy.name, std::move(compiled));
    }
    for (const Route& route : loaded.config.routes) {
        CompiledRoute compiled;
        compiled.policy = route.policy;
        compiled.continue_matching = route.continue_matching;
        for (const LabelMatcher& m : route.match) {
            // An invalid pattern (the loader rejects those) never holds (=~) or always holds (!~).
            compiled.match.push_back(Matcher::compile(m));
        }
        routes_.push_back(std::move(compiled));
    }
}

const CompiledPolicy* Router::find(const std::string& name) const {
    const auto it = policies_.find(name);
    return it == policies_.end() ? nullptr : &it->second;
}

const CompiledPolicy* Router::route(const RuleDef& rule, const Labels& labels) const {
    if (!rule.policy.empty()) {
        return find(rule.policy);
    }
    std::vector<const CompiledPolicy*> matched;
    for (const CompiledRoute& route : routes_) {
        const bool all = std::all_of(route.match.begin(), route.match.end(), [&](const Matcher& m) {
            return matches(m, labels);
        });
        if (!all) {
            continue;
        }
        const CompiledPolicy* policy = find(route.policy);
        if (policy == nullptr) {
            return nullptr;  // a typo is never silently rerouted
        }
        if (std::find(matched.begin(), matched.end(), policy) == matched.end()) {
            matched.push_back(policy);
        }
        if (!route.continue_matching) {
            break;
        }
    }
    if (matched.size() == 1) {
        return matched.front();
    }
    if (matched.size() > 1) {
        return merge(matched);
    }
    if (!default_policy_.empty()) {
        return find(default_policy_);
    }
    return nullptr;
}

const CompiledPolicy* Router::merge(const std::vector<const CompiledPolicy*>& parts) const {
    std::string key;
    for (const CompiledPolicy* p : parts) {
        key += (key.empty() ? "" : "+") + p->def->name;
    }
    auto& slot = merged_[key];
    if (slot) {
        return &slot->compiled;
    }
    slot = std::make_unique<Merged>();
    Merged& m = *slot;
    m.def = *parts.front()->def;
    m.def.name = key;
    m.def.steps.clear();
    m.def.quiet_hours.reset();
    for (const CompiledPolicy* p : parts) {
        for (const PolicyStep& step : p->def->steps) {
            PolicyStep copy = step;
            if (!copy.quiet_hours && p->def->quiet_hours) {
                copy.quiet_hours = p->def->quiet_hours;
            }
            m.def.steps.push_back(std::move(copy));
        }
    }
    m.compiled.def = &m.def;
    for (const PolicyStep& step : m.def.steps) {
        m.compiled.steps.push_back(&step);
    }
    std::stable_sort(m.compiled.steps.begin(),
                     m.compiled.steps.end(),
                     [](const PolicyStep* a, const PolicyStep* b) { return a->after < b->after; });
    return &m.compiled;
}

}  // namespace tocsin::engine
