#include "series_index.hpp"

namespace tocsin::exposition {
namespace {

constexpr std::string_view kNameLabel = "__name__";
constexpr std::uint32_t kNoGroup = UINT32_MAX;

// The value of `label` on `series` (the name for __name__), or nothing when it lacks the label.
std::optional<std::string_view> value_of(const Series& series, const std::string& label) {
    if (label == kNameLabel) {
        return std::string_view(series.name);
    }
    for (const auto& [name, value] : series.labels) {
        if (name == label) {
            return std::string_view(value);
        }
    }
    return std::nullopt;
}

}  // namespace

SeriesIndex::Positions SeriesIndex::Groups::group(std::string_view value) const {
    const auto it = ids.find(value);
    if (it == ids.end()) {
        return {};
    }
    return Positions(positions).subspan(starts[it->second],
                                        starts[it->second + 1] - starts[it->second]);
}

const SeriesIndex::Groups& SeriesIndex::by_label(const std::string& label) {
    if (const auto it = labels_.find(label); it != labels_.end()) {
        return it->second;
    }
    // Counting sort: the group of each series, the size of each group, then the positions.
    const auto& series = exposition_->series;
    Groups groups;
    std::vector<std::uint32_t> group_of(series.size(), kNoGroup);
    std::vector<std::uint32_t> sizes;
    for (std::size_t i = 0; i < series.size(); ++i) {
        const auto value = value_of(series[i], label);
        if (!value) {
            continue;
        }
        const auto [it, added] =
            groups.ids.try_emplace(*value, static_cast<std::uint32_t>(sizes.size()));
        if (added) {
            sizes.push_back(0);
        }
        ++sizes[it->second];
        group_of[i] = it->second;
    }
    groups.starts.resize(sizes.size() + 1, 0);
    for (std::size_t g = 0; g < sizes.size(); ++g) {
        groups.starts[g + 1] = groups.starts[g] + sizes[g];
    }
    groups.positions.resize(groups.starts.back());
    std::vector<std::uint32_t> next(groups.starts.begin(), groups.starts.end() - 1);
    for (std::size_t i = 0; i < series.size(); ++i) {
        if (group_of[i] != kNoGroup) {
            groups.positions[next[group_of[i]]++] = static_cast<std::uint32_t>(i);
        }
    }
    return labels_.emplace(label, std::move(groups)).first->second;
}

std::optional<SeriesIndex::Positions> SeriesIndex::candidates(const Selector& selector) {
    std::optional<Positions> best;
    for (const auto& matcher : selector.matchers()) {
        // label="" also matches series without the label, which the index does not list.
        if (matcher.op != MatchOp::Equal || matcher.value.empty()) {
            continue;
        }
        const Positions found = by_label(matcher.label).group(matcher.value);
        if (!best || found.size() < best->size()) {
            best = found;
        }
    }
    return best;
}

}  // namespace tocsin::exposition
