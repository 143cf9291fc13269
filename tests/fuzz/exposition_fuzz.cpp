// Fuzzes the Prometheus text exposition parser (prometheus source scrapes, exec's `format:
// prometheus`, pushed text samples) and series selectors (`match:` of push KPIs, the prometheus
// source's `series:`). Every parsed series must have a valid metric name and valid label names,
// and a selector parsed from the first line is tried on every series.
//
// Input: the first line is a selector, the rest the exposition text; the whole input is also
// parsed as exposition text on its own, so plain scrape bodies work as seeds.

#include "exposition.hpp"
#include "fuzz_util.hpp"

#include <cstddef>
#include <cstdint>

namespace {

using namespace tocsin;

void check_series(const exposition::Exposition& parsed, std::string_view input) {
    for (const auto& s : parsed.series) {
        if (!exposition::is_metric_name(s.name)) {
            fuzz::fuzz_fail("a series with the invalid name '" + s.name + "'", input);
        }
        for (const auto& [name, value] : s.labels) {
            if (!exposition::is_label_name(name)) {
                fuzz::fuzz_fail("a series with the invalid label name '" + name + "'", input);
            }
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = fuzz::as_text(data, size);

    exposition::Exposition whole;
    if (auto error = exposition::parse(input, whole)) {
        if (error->line == 0) {
            fuzz::fuzz_fail("a parse error without a line", input);
        }
        (void)error->to_string();
    }
    check_series(whole, input);
    for (const auto& s : whole.series) {
        (void)whole.family(s.name);
    }

    const auto nl = input.find('\n');
    if (nl == std::string_view::npos) {
        exposition::Selector selector;
        (void)exposition::Selector::parse(input, selector);
        return 0;
    }
    exposition::Selector selector;
    if (exposition::Selector::parse(input.substr(0, nl), selector)) {
        return 0;  // not a selector: the error text is all there is to check
    }
    exposition::Exposition rest;
    (void)exposition::parse(input.substr(nl + 1), rest);
    check_series(rest, input);
    for (const auto& s : rest.series) {
        (void)selector.matches(s);
    }
    return 0;
}
