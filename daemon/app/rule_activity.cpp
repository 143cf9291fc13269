#include "app/rule_activity.hpp"

namespace tocsin::app {

void RuleActivity::observe_step(const std::vector<engine::Sample>& samples,
                                const engine::StepOutput& out,
                                engine::TimePoint now) {
    for (const auto& s : samples) {
        evaluated_[s.kpi] = now;
    }
    for (const auto& s : out.derived) {
        evaluated_[s.kpi] = now;
    }
    for (const auto& e : out.rule_errors) {
        auto& record = errors_[e.item];
        record.error = e;
        record.at = now;
        record.count += 1;
    }
}

std::optional<engine::TimePoint> RuleActivity::last_evaluation(const std::string& kpi) const {
    auto it = evaluated_.find(kpi);
    if (it == evaluated_.end()) {
        return std::nullopt;
    }
    return it->second;
}

const RuleErrorRecord* RuleActivity::last_error(const std::string& item) const {
    auto it = errors_.find(item);
    return it == errors_.end() ? nullptr : &it->second;
}

std::unordered_map<std::string, std::size_t> rules_per_kpi(const engine::RuleSet& rules) {
    std::unordered_map<std::string, std::size_t> out;
    for (const auto& r : rules.rules) {
        out[r.kpi] += 1;
    }
    return out;
}

}  // namespace tocsin::app
