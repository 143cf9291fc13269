#pragma once

#include "engine/matcher.hpp"
#include "engine/model.hpp"

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

class Router {
public:
    explicit Router(const LoadedConfig& loaded);

    /// The policy for an alert of `rule` whose labels (including `severity`) are `labels`:
    /// the rule's own `policy:`, else the first route whose matchers all hold, else
    /// `default_policy`, else nullptr (no notifications). A name that does not resolve to a
    /// policy (the loader reports those) also gives nullptr rather than falling through, so a
    /// typo is never silently rerouted.
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
    };

    [[nodiscard]] const CompiledPolicy* find(const std::string& name) const;

    std::unordered_map<std::string, CompiledPolicy> policies_;
    std::vector<CompiledRoute> routes_;
    std::string default_policy_;
};

}  // namespace tocsin::engine
