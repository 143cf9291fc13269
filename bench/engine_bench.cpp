// Engine benchmarks: threshold evaluations per second and memory per alert instance.
// See bench/README.md for how to run them and what the numbers mean.
#include "engine/engine.hpp"

#include <benchmark/benchmark.h>

#include <malloc.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using namespace tocsin::engine;
using namespace std::chrono_literals;

constexpr int kCount = 10'000;
const TimePoint kStart = from_unix_ms(1'767'225'600'000);

/// `kpis` KPIs with one rule each ("above 100 warns, above 200 is critical, for 5m"), one
/// policy with one step, so a firing alert also renders and routes a notification.
std::shared_ptr<const LoadedConfig> make_config(int kpis) {
    auto cfg = std::make_shared<LoadedConfig>();
    cfg->rules.kpis.reserve(static_cast<std::size_t>(kpis));
    cfg->rules.rules.reserve(static_cast<std::size_t>(kpis));
    for (int i = 0; i < kpis; ++i) {
        KpiDef k;
        k.name = "kpi_" + std::to_string(i);
        k.source = "db";
        cfg->rules.kpis.push_back(k);
        RuleDef r;
        r.alert = "Rule" + std::to_string(i);
        r.kpi = k.name;
        r.threshold.comparison = Comparison::Above;
        r.threshold.warning = Interval{100, 100};
        r.threshold.critical = Interval{200, 200};
        r.for_duration = 5min;
        r.labels = {{"team", "bench"}};
        cfg->rules.rules.push_back(r);
    }
    PolicyDef p;
    p.name = "default";
    PolicyStep s;
    s.notify = {"log"};
    p.steps.push_back(s);
    cfg->rules.policies.push_back(p);
    cfg->config.default_policy = "default";
    return cfg;
}

/// Values that cross no threshold most of the time and breach in one sample of 64, so some
/// instances go pending and come back (the common case of a healthy fleet).
double value_for(std::int64_t round, int i) {
    return ((round + i) % 64 == 0) ? 150.0 : 50.0;
}

/// Ingests `batch` once per benchmark iteration with fresh values and times, and reports the
/// evaluations (one per sample and rule) per second of CPU time.
void ingest_rounds(benchmark::State& state, Engine& engine, std::vector<Sample>& batch) {
    std::int64_t round = 0;
    for (auto _ : state) {
        const TimePoint now = kStart + std::chrono::seconds(round);
        for (int i = 0; i < kCount; ++i) {
            batch[static_cast<std::size_t>(i)].value = value_for(round, i);
            batch[static_cast<std::size_t>(i)].at = now;
        }
        benchmark::DoNotOptimize(engine.ingest(batch, now));
        ++round;
    }
    state.SetItemsProcessed(state.iterations() * kCount);
    state.counters["evaluations/s"] = benchmark::Counter(
        static_cast<double>(state.iterations()) * kCount, benchmark::Counter::kIsRate);
}

// 10,000 rules on 10,000 KPIs: every sample reaches one KPI and its one rule.
void BM_IngestTenThousandRules(benchmark::State& state) {
    const auto cfg = make_config(kCount);
    Engine engine(cfg, kStart);
    std::vector<Sample> batch(kCount);
    for (int i = 0; i < kCount; ++i) {
        batch[static_cast<std::size_t>(i)].kpi = "kpi_" + std::to_string(i);
    }
    ingest_rounds(state, engine, batch);
}
BENCHMARK(BM_IngestTenThousandRules)->Unit(benchmark::kMillisecond);

// One KPI, one rule, 10,000 labelled series (say, per-customer values).
void BM_IngestManySeriesOneKpi(benchmark::State& state) {
    const auto cfg = make_config(1);
    Engine engine(cfg, kStart);
    std::vector<Sample> batch(kCount);
    for (int i = 0; i < kCount; ++i) {
        batch[static_cast<std::size_t>(i)].kpi = "kpi_0";
        batch[static_cast<std::size_t>(i)].labels = {{"customer", "c" + std::to_string(i)},
                                                     {"plan", "pro"}};
    }
    ingest_rounds(state, engine, batch);
}
BENCHMARK(BM_IngestManySeriesOneKpi)->Unit(benchmark::kMillisecond);

// Timers: 10,000 pending instances whose `for` ends at once; advance() fires them all.
void BM_AdvanceFiresTenThousand(benchmark::State& state) {
    const auto cfg = make_config(1);
    std::vector<Sample> batch(kCount);
    for (int i = 0; i < kCount; ++i) {
        batch[static_cast<std::size_t>(i)] =
            Sample{"kpi_0", {{"customer", "c" + std::to_string(i)}}, 150.0, kStart};
    }
    for (auto _ : state) {
        state.PauseTiming();
        auto engine = std::make_unique<Engine>(cfg, kStart);
        benchmark::DoNotOptimize(engine->ingest(batch, kStart));
        state.ResumeTiming();
        benchmark::DoNotOptimize(engine->advance(kStart + 5min));
        state.PauseTiming();
        engine.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * kCount);
}
BENCHMARK(BM_AdvanceFiresTenThousand)->Unit(benchmark::kMillisecond);

std::size_t heap_in_use() {
    return mallinfo2().uordblks;
}

// Memory: heap growth per firing instance with 10,000 instances firing (one KPI, 10,000
// series). bytes/instance counts everything the engine holds for a firing series (series,
// labels, the instance, its timer entry); bytes/instance_state only what firing adds on top
// of the same series being known and quiet.
void BM_MemoryPerFiringInstance(benchmark::State& state) {
    const auto cfg = make_config(1);
    std::vector<Sample> quiet(kCount);
    std::vector<Sample> firing(kCount);
    for (int i = 0; i < kCount; ++i) {
        Labels labels{{"customer", "c" + std::to_string(i)}, {"plan", "pro"}};
        quiet[static_cast<std::size_t>(i)] = Sample{"kpi_0", labels, 50.0, kStart};
        firing[static_cast<std::size_t>(i)] = Sample{"kpi_0", labels, 150.0, kStart + 1min};
    }
    double per_instance = 0;
    double per_state = 0;
    for (auto _ : state) {
        malloc_trim(0);
        const std::size_t before = heap_in_use();
        auto engine = std::make_unique<Engine>(cfg, kStart);
        { const StepOutput out = engine->ingest(quiet, kStart); }
        const std::size_t known = heap_in_use();
        { const StepOutput out = engine->ingest(firing, kStart + 1min); }
        { const StepOutput out = engine->advance(kStart + 6min); }
        const std::size_t after = heap_in_use();
        if (engine->instances().size() != static_cast<std::size_t>(kCount)) {
            state.SkipWithError("not every instance is firing");
            break;
        }
        per_instance = static_cast<double>(after - before) / kCount;
        per_state = static_cast<double>(after - known) / kCount;
        engine.reset();
    }
    state.counters["bytes/instance"] = per_instance;
    state.counters["bytes/instance_state"] = per_state;
}
BENCHMARK(BM_MemoryPerFiringInstance)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
