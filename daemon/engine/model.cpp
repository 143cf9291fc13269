#include "engine/model.hpp"

#include <algorithm>

namespace tocsin::engine {

const char* to_string(Severity s) {
    switch (s) {
        case Severity::None:
            return "none";
        case Severity::Warning:
            return "warning";
        case Severity::Critical:
            return "critical";
    }
    return "none";
}

std::optional<Severity> parse_severity(std::string_view s) {
    if (s == "warning") {
        return Severity::Warning;
    }
    if (s == "critical") {
        return Severity::Critical;
    }
    return std::nullopt;
}

const KpiDef* RuleSet::find_kpi(const std::string& name) const {
    const auto it =
        std::find_if(kpis.begin(), kpis.end(), [&](const KpiDef& k) { return k.name == name; });
    return it == kpis.end() ? nullptr : &*it;
}

Duration PolicyDef::round() const {
    if (repeat_interval > Duration::zero()) {
        return repeat_interval;
    }
    Duration longest{0};
    for (const PolicyStep& step : steps) {
        longest = std::max(longest, step.after);
    }
    return longest + std::chrono::minutes(30);
}

const PolicyDef* RuleSet::find_policy(const std::string& name) const {
    const auto it = std::find_if(
        policies.begin(), policies.end(), [&](const PolicyDef& p) { return p.name == name; });
    return it == policies.end() ? nullptr : &*it;
}

const ReportDef* RuleSet::find_report(const std::string& name) const {
    const auto it = std::find_if(
        reports.begin(), reports.end(), [&](const ReportDef& r) { return r.name == name; });
    return it == reports.end() ? nullptr : &*it;
}

bool RuleSet::uses_lua() const {
    const auto templated = [](const RuleDef& r) {
        return r.summary.has_lua() || r.description.has_lua() || r.runbook.has_lua();
    };
    return std::any_of(kpis.begin(), kpis.end(), [](const KpiDef& k) { return k.lua; }) ||
           std::any_of(
               rules.begin(), rules.end(), [&](const RuleDef& r) { return r.lua || templated(r); });
}

void RuleSet::shrink_to_fit() {
    kpis.shrink_to_fit();
    rules.shrink_to_fit();
    policies.shrink_to_fit();
    calendars.shrink_to_fit();
    reports.shrink_to_fit();
    for (auto& k : kpis) {
        k.params.shrink_to_fit();
    }
}

}  // namespace tocsin::engine
