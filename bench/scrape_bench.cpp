// The scrape path outside the store, as the daemon runs it for the comparison's scenario
// (bench/compare): one collect of 10,000 KPIs through the real prometheus source module (HTTP
// fetch from a loopback endpoint, exposition parse, selection, the samples' hand-over through
// the SDK to the host), then the engine's step over those samples. See bench/README.md.

#include "engine/engine.hpp"
#include "plugin_host/instances.hpp"
#include "plugin_host/registry.hpp"
#include "support/http_server.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace {

namespace ph = tocsin::plugin_host;
namespace en = tocsin::engine;
using namespace std::chrono_literals;

constexpr int kCount = 10'000;

// The machine is shared: the fastest repetition is the figure least disturbed by other work.
double fastest(const std::vector<double>& runs) {
    return runs.empty() ? 0.0 : *std::min_element(runs.begin(), runs.end());
}

// The comparison's endpoint: one gauge family, `kpi_value{kpi="kI"} <value>` per KPI.
std::string exposition_body(int count) {
    std::string body = "# HELP kpi_value A business KPI.\n# TYPE kpi_value gauge\n";
    for (int i = 0; i < count; ++i) {
        body += "kpi_value{kpi=\"k" + std::to_string(i) + "\"} 0." + std::to_string(100 + i % 700) +
                "\n";
    }
    return body;
}

// The comparison's rules: one threshold rule per KPI, never breached by the values above.
std::shared_ptr<const en::LoadedConfig> make_config(int kpis) {
    auto cfg = std::make_shared<en::LoadedConfig>();
    for (int i = 0; i < kpis; ++i) {
        en::KpiDef k;
        k.name = "k" + std::to_string(i);
        k.source = "scrape";
        cfg->rules.kpis.push_back(k);
        en::RuleDef r;
        r.alert = "High" + std::to_string(i);
        r.kpi = k.name;
        r.threshold.comparison = en::Comparison::Above;
        r.threshold.critical = en::Interval{0.9, 0.9};
        cfg->rules.rules.push_back(r);
    }
    en::PolicyDef p;
    p.name = "default";
    en::PolicyStep s;
    s.notify = {"hook"};
    p.steps.push_back(s);
    cfg->rules.policies.push_back(p);
    cfg->config.default_policy = "default";
    return cfg;
}

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A loopback endpoint, the source instance scraping it, the KPI list and an engine with one rule
// per KPI, set up once and warmed up by one collect and step (selectors compiled, series known),
// so that the benchmarks time the steady state of a daemon scraping every second.
struct Setup {
    tocsin::testing::HttpServer server;
    std::unique_ptr<ph::SourceInstance> source;
    std::vector<ph::SourceInstance::KpiQuery> queries;
    std::unique_ptr<en::Engine> engine;
    std::string error;

    Setup() {
        server.set_default_response(tocsin::testing::HttpResponse{
            200, {{"Content-Type", "text/plain; version=0.0.4"}}, exposition_body(kCount), 0ms});
        // TOCSIN_PROMETHEUS_MODULE in the environment picks another build of the module (to
        // compare two versions in the same minutes).
        const char* module = std::getenv("TOCSIN_PROMETHEUS_MODULE");
        auto loaded = ph::Registry::load_one(module != nullptr ? module : TOCSIN_PROMETHEUS_MODULE);
        if (const auto* refusal = std::get_if<ph::Refusal>(&loaded)) {
            error = refusal->text();
            return;
        }
        static const ph::PluginInfo info = std::get<ph::PluginInfo>(loaded);
        auto created = ph::SourceInstance::create(
            info, "scrape", R"({"scrape_url":")" + server.url("/metrics") + R"("})");
        if (!created) {
            error = created.error().message;
            return;
        }
        source = std::move(created).value();
        for (int i = 0; i < kCount; ++i) {
            const std::string kpi = "k" + std::to_string(i);
            queries.push_back({kpi, R"({"match":"kpi_value{kpi=\")" + kpi + R"(\"}"})"});
        }
        engine = std::make_unique<en::Engine>(make_config(kCount), en::from_unix_ms(unix_ms_now()));
        auto samples = source->collect(queries, unix_ms_now() + 10'000);
        if (!samples || samples.value().size() != kCount) {
            error = "the warm-up collect did not return one sample per KPI";
            return;
        }
        static_cast<void>(engine->ingest(samples.value(), en::from_unix_ms(unix_ms_now())));
    }
};

Setup& setup() {
    static Setup s;
    return s;
}

/// One collect of every KPI; nullopt (and the benchmark marked as failed) unless it returned
/// one sample per KPI.
auto collect_all(Setup& s, benchmark::State& state)
    -> std::optional<std::decay_t<decltype(s.source->collect(s.queries, 0).value())>> {
    auto samples = s.source->collect(s.queries, unix_ms_now() + 10'000);
    if (!samples || samples.value().size() != kCount) {
        state.SkipWithError("the collect did not return one sample per KPI");
        return std::nullopt;
    }
    return std::move(samples.value());
}

void BM_CollectTenThousandKpis(benchmark::State& state) {
    auto& s = setup();
    if (!s.error.empty()) {
        state.SkipWithError(s.error.c_str());
        return;
    }
    for (auto _ : state) {
        auto samples = collect_all(s, state);
        if (!samples) {
            return;
        }
        benchmark::DoNotOptimize(samples->data());
    }
    state.SetItemsProcessed(state.iterations() * kCount);
}
BENCHMARK(BM_CollectTenThousandKpis)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->ComputeStatistics("min", fastest);

void BM_CollectAndStepTenThousandKpis(benchmark::State& state) {
    auto& s = setup();
    if (!s.error.empty()) {
        state.SkipWithError(s.error.c_str());
        return;
    }
    for (auto _ : state) {
        auto samples = collect_all(s, state);
        if (!samples) {
            return;
        }
        auto out = s.engine->ingest(*samples, en::from_unix_ms(unix_ms_now()));
        benchmark::DoNotOptimize(out.upserted.data());
    }
    state.SetItemsProcessed(state.iterations() * kCount);
}
BENCHMARK(BM_CollectAndStepTenThousandKpis)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->ComputeStatistics("min", fastest);

}  // namespace

// Not BENCHMARK_MAIN: the set-up and warm-up run before any benchmark function, so that
// `valgrind --tool=callgrind --toggle-collect='*BM_*'` counts the steady state only (see
// bench/README.md).
int main(int argc, char** argv) {
    static_cast<void>(setup());
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
