#pragma once

// An index over one parsed exposition, so that many selectors can pick their series without each
// one walking every series: with N KPIs each selecting `kpi_value{kpi="kI"}` from an N-series
// scrape, a plain walk is N x N matcher calls per scrape (10,000 KPIs: 10^8, about 2 s of CPU;
// see bench/README.md, "Profile").

#include "exposition.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tocsin::exposition {

/// Positions of series in an Exposition, by the value of one label (or the metric name), built
/// lazily per label name the first time a selector asks for it. The Exposition must outlive the
/// index and stay unchanged: the index keeps views of its label values.
class SeriesIndex {
public:
    using Positions = std::span<const std::uint32_t>;

    explicit SeriesIndex(const Exposition& exposition) : exposition_(&exposition) {}

    /// The series that can match `selector`, in written order: the positions of the smallest
    /// `label="value"` group among its equality matchers (a non-empty value; the metric name
    /// counts as `__name__`). Nothing when it has no such matcher, so every series must be tried.
    /// The caller still checks every matcher on each candidate. Valid while the index lives.
    [[nodiscard]] std::optional<Positions> candidates(const Selector& selector);

private:
    // One label's groups, flat: one allocation per label name instead of one per value (a scrape
    // of 10,000 series with 10,000 values built and freed 10,000 vectors).
    struct Groups {
        std::unordered_map<std::string_view, std::uint32_t> ids;  // value -> group
        std::vector<std::uint32_t> starts;     // group g is positions[starts[g], starts[g + 1])
        std::vector<std::uint32_t> positions;  // grouped, each group in written order

        [[nodiscard]] Positions group(std::string_view value) const;
    };
    const Groups& by_label(const std::string& label);

    const Exposition* exposition_;
    std::unordered_map<std::string, Groups> labels_;
};

}  // namespace tocsin::exposition
