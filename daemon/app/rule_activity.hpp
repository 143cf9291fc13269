#pragma once

#include "engine/engine.hpp"
#include "engine/time.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

/// What the daemon saw its rules do, for GET /api/v1/rules and /api/v1/status: when each KPI was
/// last evaluated (its rules run whenever a sample of it arrives) and each rule's last Lua error.
/// Lives on the loop thread; it survives reloads (keyed by name).
namespace tocsin::app {

struct RuleErrorRecord {
    engine::RuleError error;
    engine::TimePoint at{};
    std::uint64_t count = 0;  // errors of this item since the daemon started
};

class RuleActivity {
public:
    /// Records one engine step at `now`: the samples handed in, the derived values it computed,
    /// and the Lua failures.
    void observe_step(const std::vector<engine::Sample>& samples,
                      const engine::StepOutput& out,
                      engine::TimePoint now);

    /// When rules on `kpi` last ran; nullopt when no sample of it arrived yet.
    [[nodiscard]] std::optional<engine::TimePoint> last_evaluation(const std::string& kpi) const;
    /// The last Lua error of a rule (by alert name) or derived KPI; nullptr when none.
    [[nodiscard]] const RuleErrorRecord* last_error(const std::string& item) const;
    /// Every item that failed at least once, by name.
    [[nodiscard]] const std::map<std::string, RuleErrorRecord>& errors() const { return errors_; }

private:
    std::unordered_map<std::string, engine::TimePoint> evaluated_;
    std::map<std::string, RuleErrorRecord> errors_;
};

/// The number of rules on each KPI (the derived KPIs' rules included).
[[nodiscard]] std::unordered_map<std::string, std::size_t> rules_per_kpi(
    const engine::RuleSet& rules);

}  // namespace tocsin::app
