#include "engine/matcher.hpp"
#include "engine/routing.hpp"

#include <algorithm>
#include <array>
#include <optional>

// `tocsin check` warnings about routing (DESIGN.md §3): routes that can never match, and rules
// whose alerts no policy reaches. Only what is known from the files counts: a label a rule does
// not set itself may come from its KPI's series, so a matcher on it might hold.
namespace tocsin::engine {
namespace {

constexpr std::array<const char*, 2> kSeverities{"warning", "critical"};

std::string route_name(std::size_t i) {
    return "route #" + std::to_string(i + 1);
}

/// Why the matchers of one route can never hold together, or "".
std::string contradiction(const std::vector<Matcher>& match) {
    for (const Matcher& a : match) {
        if (a.op != MatchOp::Equal) {
            continue;
        }
        for (const Matcher& b : match) {
            if (&a == &b || a.name != b.name) {
                continue;
            }
            const Labels probe{{a.name, a.value}};
            if (!b.matches(probe)) {
                return a.to_string() + " and " + b.to_string() + " cannot both hold";
            }
        }
    }
    return {};
}

/// Whether a route might match some alert of `rule`: false only when a matcher tests a label the
/// rule sets itself (its `labels`, `alertname`, `severity`) and no value it can have passes.
bool might_match(const std::vector<Matcher>& match, const RuleDef& rule) {
    Labels fixed = rule.labels;
    fixed["alertname"] = rule.alert;
    return std::all_of(match.begin(), match.end(), [&](const Matcher& m) {
        if (m.name == "severity") {
            return std::any_of(kSeverities.begin(), kSeverities.end(), [&](const char* s) {
                Labels probe = fixed;
                probe["severity"] = s;
                return m.matches(probe);
            });
        }
        if (fixed.count(m.name) == 0) {
            return true;  // may come from the series
        }
        return m.matches(fixed);
    });
}

}  // namespace

void check_routes(const Config& config, const RuleSet& rules, Diagnostics& diags) {
    std::vector<std::vector<Matcher>> compiled;
    for (const Route& route : config.routes) {
        std::vector<Matcher> match;
        for (const LabelMatcher& m : route.match) {
            match.push_back(Matcher::compile(m));
        }
        compiled.push_back(std::move(match));
    }
    std::optional<std::size_t> catch_all;
    for (std::size_t i = 0; i < config.routes.size(); ++i) {
        const Route& route = config.routes[i];
        if (catch_all) {
            diags.warning(route.loc,
                          route_name(i),
                          "this route can never match: " + route_name(*catch_all) +
                              " above matches every alert and has no continue: true");
            continue;
        }
        if (const std::string why = contradiction(compiled[i]); !why.empty()) {
            diags.warning(route.loc, route_name(i), "this route can never match: " + why);
            continue;
        }
        if (route.match.empty() && !route.continue_matching) {
            catch_all = i;
        }
    }
    if (!config.default_policy.empty() || config.routes.empty()) {
        return;  // every alert has a policy, or cross_check already warned that none has
    }
    for (const RuleDef& rule : rules.rules) {
        if (!rule.policy.empty()) {
            continue;
        }
        bool reached = false;
        for (std::size_t i = 0; i < compiled.size() && !reached; ++i) {
            reached = contradiction(compiled[i]).empty() && might_match(compiled[i], rule);
        }
        if (!reached) {
            diags.warning(rule.loc,
                          "rule '" + rule.alert + "'",
                          "no route can match its alerts and there is no default_policy, so they "
                          "notify nobody; add a route, a default_policy or policy: on the rule");
        }
    }
}

}  // namespace tocsin::engine
