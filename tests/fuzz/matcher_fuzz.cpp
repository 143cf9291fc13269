// Fuzzes label matchers in their text form (routes, silences from the API and CLI, test files):
// `{team="growth", severity=~"warn|crit"}`. A parsed list is written back with to_string() and
// must parse again to the same matchers, and must give the same answers on a few label sets.
//
// Input: the first line is the matcher list; each further line is a label set `k=v,k=v` (at most
// a few) to match against.

#include "engine/matcher.hpp"
#include "fuzz_util.hpp"

#include <cstddef>
#include <cstdint>

namespace {

using namespace tocsin;

constexpr std::size_t kMaxLabelSets = 4;
// Regex work grows with the value (exposition::Regex bounds it at about N^2 states); longer values
// only slow the fuzzer down. Long values are covered by tests/unit/engine/matcher_test.cpp.
constexpr std::size_t kMaxValue = 256;

engine::Labels parse_labels(std::string_view line) {
    engine::Labels out;
    while (!line.empty()) {
        const auto comma = line.find(',');
        const auto pair = line.substr(0, comma);
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos) {
            out[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1, kMaxValue));
        }
        if (comma == std::string_view::npos) {
            break;
        }
        line.remove_prefix(comma + 1);
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = fuzz::as_text(data, size);
    const auto all = fuzz::lines(input);
    if (all.empty()) {
        return 0;
    }
    std::string why;
    auto matchers = engine::parse_matcher_list(all.front(), why);
    if (!matchers) {
        if (why.empty()) {
            fuzz::fuzz_fail("parse_matcher_list refused a list without saying why", input);
        }
        return 0;
    }
    std::string written;
    for (const auto& m : *matchers) {
        written += (written.empty() ? "" : ", ") + m.to_string();
    }
    auto again = engine::parse_matcher_list(written, why);
    if (!again || again->size() != matchers->size()) {
        fuzz::fuzz_fail("to_string() gave '" + written + "', which does not parse back", input);
    }
    for (std::size_t i = 0; i < matchers->size(); ++i) {
        const auto& a = (*matchers)[i];
        const auto& b = (*again)[i];
        if (a.name != b.name || a.op != b.op || a.value != b.value) {
            fuzz::fuzz_fail("'" + written + "' parses back to a different matcher", input);
        }
    }
    for (std::size_t i = 1; i < all.size() && i <= kMaxLabelSets; ++i) {
        const auto labels = parse_labels(all[i]);
        if (engine::matches_all(*matchers, labels) != engine::matches_all(*again, labels)) {
            fuzz::fuzz_fail("'" + written + "' matches differently from the original", input);
        }
    }
    return 0;
}
