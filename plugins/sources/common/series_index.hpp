#pragma once

// An index over one parsed exposition, so that many selectors can pick their series without each
// one walking every series: with N KPIs each selecting `kpi_value{kpi="kI"}` from an N-series
// scrape, a plain walk is N x N matcher calls per scrape (10,000 KPIs: 10^8, about 2 s of CPU;
// see bench/README.md, "Profile").

#include "exposition.hpp"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace tocsin::exposition {

/// Positions of series in an Exposition, by the value of one label (or the metric name), built
/// lazily per label name the first time a selector asks for it. The Exposition must outlive the
/// index and stay unchanged.
class SeriesIndex {
public:
    explicit SeriesIndex(const Exposition& exposition) : exposition_(&exposition) {}

    /// The series that can match `selector`, in written order: the positions of the smallest
    /// `label="value"` group among its equality matchers (a non-empty value; the metric name
    /// counts as `__name__`). Nullptr when it has no such matcher, so every series must be tried.
    /// The caller still checks every matcher on each candidate.
    [[nodiscard]] const std::vector<std::uint32_t>* candidates(const Selector& selector);

private:
    using Positions = std::unordered_map<std::string, std::vector<std::uint32_t>>;
    const Positions& by_label(const std::string& label);

    const Exposition* exposition_;
    std::unordered_map<std::string, Positions> labels_;
};

}  // namespace tocsin::exposition
