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
    for (const CompiledRoute& route : routes_) {
        const bool all = std::all_of(route.match.begin(), route.match.end(), [&](const Matcher& m) {
            return matches(m, labels);
        });
        if (all) {
            return find(route.policy);
        }
    }
    if (!default_policy_.empty()) {
        return find(default_policy_);
    }
    return nullptr;
}

}  // namespace tocsin::engine
