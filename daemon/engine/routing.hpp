#pragma once

#include "engine/matcher.hpp"
#include "engine/model.hpp"

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

/// Routing: which escalation policy an alert follows. Built once per engine from the loaded
/// config, so regular expressions are compiled once and policy steps are sorted once.
namespace tocsin::engine {

/// A policy with its steps in the order they become due (stable by `after`, so steps written
/// with the same delay keep their file order).
struct CompiledPolicy {
    const PolicyDef* def = nullptr;
    std::vector<const PolicyStep*> steps;

    /// Steps over all rounds (`repeat` + 1 of them).
    [[nodiscard]] std::size_t total_steps() const { return steps.size() * (def->repeat + 1); }
    /// Step `j` over all rounds (steps[j % size]).
    [[nodiscard]] const PolicyStep& step(std::size_t j) const { return *steps[j % steps.size()]; }
    /// When step `j` (over all rounds) is due for an alert firing since `since`.
    [[nodiscard]] TimePoint due(TimePoint since, std::size_t j) const {
        const auto round = static_cast<Duration::rep>(j / steps.size());
        return since + def->round() * round + step(j).after;
    }
};

/// `tocsin check` warnings (route_check.cpp): routes that can never match (after a route that
/// matches everything, or with matchers that contradict each other), and rules whose alerts no
/// route can reach when there is no default_policy.
void check_routes(const Config& config, const RuleSet& rules, Diagnostics& diags);

class Router {
public:
    explicit Router(const LoadedConfig& loaded);

    /// The policy for an alert of `rule` whose labels (including `severity`) are `labels`:
    /// the rule's own `policy:`, else the first route whose matchers all hold, else
    /// `default_policy`, else nullptr (no notifications). A name that does not resolve to a
    /// policy (the loader reports those) also gives nullptr rather than falling through, so a
    /// typo is never silently rerouted.
    /// With `continue: true` on a matching route, later matching routes add their policies: the
    /// alert then follows one merged policy with the steps of all of them (each step keeping its
    /// own policy's quiet hours), and the first policy's repeat, until, resolves and grouping.
    [[nodiscard]] const CompiledPolicy* route(const RuleDef& rule, const Labels& labels) const;

    /// Whether one matcher holds on `labels`. A missing label has the value "" (as in
    /// Prometheus), so `team!=growth` holds for an alert without a `team` label. Regexes are
    /// anchored: they must match the whole value. (The shared engine::Matcher of matcher.hpp,
    /// which silences use too.)
    using Matcher = engine::Matcher;
    [[nodiscard]] static bool matches(const Matcher& matcher, const Labels& labels) {
        return matcher.matches(labels);
    }

private:
    struct CompiledRoute {
        std::vector<Matcher> match;
        std::string policy;
        bool continue_matching = false;
    };
    /// A policy made of several (continue: true), built on first use and kept.
    struct Merged {
        PolicyDef def;
        CompiledPolicy compiled;
    };

    [[nodiscard]] const CompiledPolicy* find(const std::string& name) const;
    [[nodiscard]] const CompiledPolicy* merge(
        const std::vector<const CompiledPolicy*>& parts) const;

    std::unordered_map<std::string, CompiledPolicy> policies_;
    std::vector<CompiledRoute> routes_;
    std::string default_policy_;
    mutable std::map<std::string, std::unique_ptr<Merged>> merged_;  // by "a+b+c"
};

}  // namespace tocsin::engine
