#include "series_index.hpp"

namespace tocsin::exposition {
namespace {

constexpr std::string_view kNameLabel = "__name__";
const std::vector<std::uint32_t> kNone;

}  // namespace

const SeriesIndex::Positions& SeriesIndex::by_label(const std::string& label) {
    if (const auto it = labels_.find(label); it != labels_.end()) {
        return it->second;
    }
    Positions positions;
    const auto& series = exposition_->series;
    for (std::size_t i = 0; i < series.size(); ++i) {
        const auto position = static_cast<std::uint32_t>(i);
        if (label == kNameLabel) {
            positions[series[i].name].push_back(position);
            continue;
        }
        for (const auto& [name, value] : series[i].labels) {
            if (name == label) {
                positions[value].push_back(position);
                break;
            }
        }
    }
    return labels_.emplace(label, std::move(positions)).first->second;
}

const std::vector<std::uint32_t>* SeriesIndex::candidates(const Selector& selector) {
    const std::vector<std::uint32_t>* best = nullptr;
    for (const auto& matcher : selector.matchers()) {
        // label="" also matches series without the label, which the index does not list.
        if (matcher.op != MatchOp::Equal || matcher.value.empty()) {
            continue;
        }
        const auto& positions = by_label(matcher.label);
        const auto it = positions.find(matcher.value);
        const auto* found = it == positions.end() ? &kNone : &it->second;
        if (best == nullptr || found->size() < best->size()) {
            best = found;
        }
    }
    return best;
}

}  // namespace tocsin::exposition
