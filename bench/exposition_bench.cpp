// Parsing the Prometheus text format and matching series selectors (tocsin_exposition), the work
// a scrape or a push of Prometheus text does before samples reach the engine.

#include "exposition.hpp"

#include <benchmark/benchmark.h>

#include <string>

namespace {

namespace ex = tocsin::exposition;

// `count` series with three labels each, one metric family per 100 series, as an exporter writes.
std::string exposition_text(int count) {
    std::string text;
    for (int i = 0; i < count; ++i) {
        if (i % 100 == 0) {
            text += "# HELP kpi_value_" + std::to_string(i / 100) + " Business KPI values.\n";
            text += "# TYPE kpi_value_" + std::to_string(i / 100) + " gauge\n";
        }
        text += "kpi_value_" + std::to_string(i / 100) + "{kpi=\"k" + std::to_string(i) +
                "\",env=\"prod\",region=\"eu-west-1\"} " + std::to_string(i) + ".25\n";
    }
    return text;
}

void BM_ParseTenThousandSeries(benchmark::State& state) {
    const std::string text = exposition_text(10000);
    for (auto _ : state) {
        ex::Exposition out;
        out.series.reserve(10000);
        if (ex::parse(text, out)) {
            state.SkipWithError("parse failed");
        }
        benchmark::DoNotOptimize(out.series.data());
    }
    state.SetItemsProcessed(state.iterations() * 10000);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_ParseTenThousandSeries)->Unit(benchmark::kMillisecond);

void BM_SelectFromTenThousandSeries(benchmark::State& state) {
    ex::Exposition parsed;
    static_cast<void>(ex::parse(exposition_text(10000), parsed));
    ex::Selector selector;
    static_cast<void>(ex::Selector::parse(R"({kpi=~"k1.*",env="prod"})", selector));
    for (auto _ : state) {
        std::size_t matched = 0;
        for (const auto& series : parsed.series) {
            matched += selector.matches(series) ? 1 : 0;
        }
        benchmark::DoNotOptimize(matched);
    }
    state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_SelectFromTenThousandSeries)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
