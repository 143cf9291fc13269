// format: prometheus: the program prints the text exposition format; each KPI's `match` selector
// (default: the KPI's name) picks its series, whose labels become the sample's labels.

#include "exec_output.hpp"

#include <cmath>
#include <exposition.hpp>

namespace tocsin::plugins::exec {

bool has_prometheus() {
    return true;
}

sdk::Status interpret_prometheus(const std::string& text,
                                 const std::vector<sdk::KpiRequest>& kpis,
                                 Interpreted& out) {
    exposition::Exposition parsed;
    if (auto error = exposition::parse(text, parsed)) {
        return sdk::Status::failed("not Prometheus text: " + error->to_string());
    }
    std::size_t skipped = 0;
    for (const auto& request : kpis) {
        const std::string match = request.params.get_string("match", request.kpi);
        exposition::Selector selector;
        if (auto error = exposition::Selector::parse(match, selector)) {
            return sdk::Status::failed("KPI '" + request.kpi + "': match '" + match +
                                       "' is not a series selector: " + *error);
        }
        for (const auto& series : parsed.series) {
            if (!selector.matches(series)) {
                continue;
            }
            if (!std::isfinite(series.value)) {
                ++skipped;  // NaN and Inf are valid exposition values but not KPI values
                continue;
            }
            out.samples.push_back(
                {request.kpi, series.value, series.labels, series.timestamp_ms.value_or(0)});
        }
    }
    if (skipped > 0) {
        out.warnings.push_back(std::to_string(skipped) +
                               " matching series skipped: NaN or infinite values");
    }
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::exec
