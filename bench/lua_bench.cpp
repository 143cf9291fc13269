// Lua benchmarks: condition evaluations per second per core, memory per compiled Lua rule, and
// the cost of the history helpers over 1,000-sample windows. See bench/README.md.
#include "engine/engine.hpp"
#include "engine/lua_check.hpp"
#include "engine/lua_sandbox.hpp"

#include <benchmark/benchmark.h>

#include <malloc.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using namespace tocsin::engine;
using namespace std::chrono_literals;

const TimePoint kStart = from_unix_ms(1'767'225'600'000);

LuaCode code_of(std::string source) {
    LuaCode code;
    code.source = std::move(source);
    code.path = "bench";
    return code;
}

/// The sandbox alone: one small condition called with a new value each time.
void BM_LuaConditionCall(benchmark::State& state) {
    LuaSandbox sandbox;
    const LuaCode code = code_of(
        "if value > 200 then return 'critical' end\nif value > 100 then return 'warning' end");
    std::string error;
    const int chunk = sandbox.compile(code, error);
    const std::string kpi = "errors";
    const Labels labels{{"team", "ops"}};
    LuaContext ctx;
    ctx.kpi = &kpi;
    ctx.labels = &labels;
    std::int64_t i = 0;
    std::int64_t fired = 0;
    for (auto _ : state) {
        ctx.value = static_cast<double>(i++ % 256);
        const LuaResult r = sandbox.call(chunk, LuaReturn::Condition, ctx);
        fired += static_cast<std::int64_t>(r.severity);
    }
    benchmark::DoNotOptimize(fired);
    state.counters["evaluations/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LuaConditionCall);

/// 10,000 KPIs with one Lua rule each through the whole engine (state machine included), as
/// the threshold benchmark BM_IngestTenThousandRules does.
std::shared_ptr<const LoadedConfig> lua_config(int rules) {
    auto cfg = std::make_shared<LoadedConfig>();
    cfg->rules.kpis.reserve(static_cast<std::size_t>(rules));
    cfg->rules.rules.reserve(static_cast<std::size_t>(rules));
    for (int i = 0; i < rules; ++i) {
        KpiDef k;
        k.name = "kpi_" + std::to_string(i);
        k.source = "db";
        cfg->rules.kpis.push_back(k);
        RuleDef r;
        r.alert = "Rule" + std::to_string(i);
        r.kpi = k.name;
        r.for_duration = 5min;
        r.lua = code_of("if value > " + std::to_string(100 + i % 7) + " then return 'warning' end");
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

void BM_IngestTenThousandLuaRules(benchmark::State& state) {
    constexpr int kRules = 10'000;
    Engine engine(lua_config(kRules), kStart);
    std::vector<Sample> batch(kRules);
    for (int i = 0; i < kRules; ++i) {
        batch[static_cast<std::size_t>(i)].kpi = "kpi_" + std::to_string(i);
    }
    std::int64_t round = 0;
    for (auto _ : state) {
        ++round;
        const TimePoint t = kStart + std::chrono::seconds(round);
        for (int i = 0; i < kRules; ++i) {
            Sample& s = batch[static_cast<std::size_t>(i)];
            s.value = ((round + i) % 64 == 0) ? 150.0 : 50.0;
            s.at = t;
        }
        benchmark::DoNotOptimize(engine.ingest(batch, t));
    }
    state.counters["evaluations/s"] = benchmark::Counter(
        static_cast<double>(state.iterations()) * kRules, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_IngestTenThousandLuaRules)->Unit(benchmark::kMillisecond);

/// Memory of 10,000 compiled Lua rules: the Lua state's own bytes, and the whole heap growth of
/// an engine with 10,000 Lua rules over one with 10,000 threshold rules (chunk ids, tables).
void BM_MemoryPerLuaRule(benchmark::State& state) {
    constexpr int kRules = 10'000;
    for (auto _ : state) {
        LuaSandbox sandbox;
        std::vector<LuaCode> codes;
        codes.reserve(kRules);
        for (int i = 0; i < kRules; ++i) {
            codes.push_back(code_of("if value > " + std::to_string(i) +
                                    " then return 'warning', 'above " + std::to_string(i) +
                                    "' end"));
        }
        const std::size_t before = sandbox.memory_used();
        std::string error;
        for (const LuaCode& c : codes) {
            benchmark::DoNotOptimize(sandbox.compile(c, error));
        }
        const double per_rule = static_cast<double>(sandbox.memory_used() - before) / kRules;
        state.counters["lua_bytes/rule"] = per_rule;
        const auto cfg = lua_config(kRules);
        const std::size_t heap_before = mallinfo2().uordblks;
        {
            Engine engine(cfg, kStart);
            state.counters["engine_heap_bytes/rule"] =
                static_cast<double>(mallinfo2().uordblks - heap_before) / kRules;
            state.counters["engine_lua_bytes/rule"] =
                static_cast<double>(engine.lua_memory()) / kRules;
        }
    }
}
BENCHMARK(BM_MemoryPerLuaRule)->Iterations(1)->Unit(benchmark::kMillisecond);

/// One history helper over a 1,000-sample window, called from Lua (the cost a rule pays).
void history_helper(benchmark::State& state, const std::string& expression) {
    LuaSandbox sandbox;
    LuaCode code = code_of(expression);
    code.expression = true;
    std::string error;
    const int chunk = sandbox.compile(code, error);
    SeriesHistory history;
    for (int i = 0; i < 1000; ++i) {
        history.add(kStart + std::chrono::minutes(i), 100.0 + (i * 37) % 19, 24h);
    }
    const std::string kpi = "signups";
    LuaContext ctx;
    ctx.kpi = &kpi;
    ctx.history = &history;
    ctx.history_keep = 24h;
    ctx.value = history.newest().value;
    double sum = 0;
    for (auto _ : state) {
        const LuaResult r = sandbox.call(chunk, LuaReturn::Text, ctx);
        sum += static_cast<double>(r.text.size());
    }
    benchmark::DoNotOptimize(sum);
    state.counters["calls/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_HistoryAvg1000(benchmark::State& state) {
    history_helper(state, "avg('1000m')");
}
void BM_HistoryStddev1000(benchmark::State& state) {
    history_helper(state, "stddev('1000m')");
}
void BM_HistoryZscore1000(benchmark::State& state) {
    history_helper(state, "zscore('1000m')");
}
void BM_HistoryDelta1000(benchmark::State& state) {
    history_helper(state, "delta('999m')");
}
void BM_HistoryAgo1000(benchmark::State& state) {
    history_helper(state, "ago('500m')");
}
BENCHMARK(BM_HistoryAvg1000);
BENCHMARK(BM_HistoryStddev1000);
BENCHMARK(BM_HistoryZscore1000);
BENCHMARK(BM_HistoryDelta1000);
BENCHMARK(BM_HistoryAgo1000);

}  // namespace

BENCHMARK_MAIN();
