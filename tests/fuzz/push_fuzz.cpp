// Fuzzes the body of `POST /api/v1/samples` (app::parse_pushed_samples): JSON samples and
// Prometheus text, against a config with three push KPIs (one by name, two by `match:`). Every
// accepted sample must name a push KPI, carry a finite value and lie between 1970 and 5 minutes
// ahead.
//
// Input: the first byte picks the Content-Type (even: application/json, odd: text/plain), the
// rest is the body.

#include "app/checked_config.hpp"
#include "app/push_parse.hpp"
#include "fuzz_util.hpp"

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace {

using namespace tocsin;

app::CheckedConfig make_config() {
    app::CheckedConfig config;
    config.push_sources = {"pushed"};
    config.push_kpis["signups"] = std::nullopt;
    for (const auto& [kpi, text] : {std::pair{"queue_depth", R"(queue_depth{env=~"prod.*"})"},
                                    std::pair{"job_failures", R"({__name__=~"job_.*",job!=""})"}}) {
        exposition::Selector selector;
        if (exposition::Selector::parse(text, selector)) {
            std::abort();  // the fixed selectors above are valid
        }
        config.push_kpis[kpi] = std::move(selector);
    }
    return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    static const app::CheckedConfig config = make_config();
    const engine::TimePoint now = engine::from_unix_ms(1767607200000);  // 2026-01-05T10:00:00Z
    const std::string content_type = (data[0] % 2) == 0 ? "application/json" : "text/plain";
    const std::string body(fuzz::as_text(data + 1, size - 1));

    const auto parsed = app::parse_pushed_samples(content_type, body, config, now);
    if (!parsed.error.empty() && !parsed.samples.empty()) {
        fuzz::fuzz_fail("samples accepted from a body reported unreadable", body);
    }
    for (const auto& s : parsed.samples) {
        if (config.push_kpis.count(s.kpi) == 0) {
            fuzz::fuzz_fail("a sample for '" + s.kpi + "', which is no push KPI", body);
        }
        if (!std::isfinite(s.value)) {
            fuzz::fuzz_fail("a sample with a value that is not finite", body);
        }
        if (s.at > now + std::chrono::minutes(5)) {
            fuzz::fuzz_fail("a sample more than 5 minutes in the future", body);
        }
        if (s.at < engine::TimePoint{}) {
            fuzz::fuzz_fail("a sample before 1970", body);
        }
    }
    return 0;
}
