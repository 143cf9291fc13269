#include "engine/engine_impl.hpp"
#include "engine/lua_loader.hpp"

#include <algorithm>
#include <cmath>
#include <set>

// The engine's Lua: derived KPIs, Lua conditions, template expressions, the in-memory history
// the helpers read, and the built-in TocsinRuleError alert.
//
// Decisions:
// - A derived KPI is recomputed whenever one of its inputs gets a sample: for that sample's
//   labels, or, for an unlabelled input, for every label set its inputs have. Its value is a
//   sample like any other (at the input's time): rules on it run, its history is kept, the app
//   stores it (StepOutput::derived), and KPIs derived from it are recomputed in turn. Cycles are
//   a load error, and a step processes at most kMaxQueued derived values as a safety net.
// - kpi("x") with an input that has no value yet makes the chunk yield nothing (no sample, no
//   condition change): that is start-up, not an error.
// - A chunk that fails or hits a limit leaves its alert state as it was, is reported in
//   StepOutput::rule_errors, and raises TocsinRuleError{rule="<item>"} (an internal series set to
//   1) until its next successful run sets it back to 0. Template expressions that fail render as
//   "" and are reported, without an alert (they run while notifying, not while evaluating).
namespace tocsin::engine {
namespace {

constexpr std::size_t kMaxQueued = 100'000;

std::string where_text(const SourceLoc& loc) {
    return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col);
}

bool subset(const Labels& part, const Labels& whole) {
    return std::all_of(part.begin(), part.end(), [&](const auto& kv) {
        const auto it = whole.find(kv.first);
        return it != whole.end() && it->second == kv.second;
    });
}

}  // namespace

void Engine::Impl::setup_lua(const LoadedConfig& loaded) {
    rule_chunks_.assign(rules_.size(), -1);
    bool notifier_lua = false;
    for (const auto& n : loaded.config.notifiers) {
        if (!n.message.empty()) {
            messages_[n.name] = &n.message;
        }
        for (const Template* t : {&n.message.title, &n.message.text, &n.message.short_text}) {
            notifier_lua = notifier_lua || t->has_lua();
        }
    }
    if (!loaded.rules.uses_lua() && !notifier_lua) {
        return;
    }
    lua_ = std::make_unique<LuaSandbox>();
    lua_->set_modules(&loaded.rules.modules);
    std::string error;
    const auto compile = [&](const LuaCode& code) {
        const int id = lua_->compile(code, error);
        // The loader compiled the same text already; failing here means a model built in code.
        if (id < 0) {
            failing_[code.path] = error;
        }
        return id;
    };
    for (const KpiDef& kpi : loaded.rules.kpis) {
        KpiState& state = kpis_[kpi.name];
        state.keep_history = keeps_history(loaded.rules, kpi);
        if (kpi.lua) {
            state.chunk = compile(*kpi.lua);
            for (const LuaNameRef& ref : kpi.lua->kpis) {
                auto& deps = kpis_[ref.name].dependents;
                if (std::find(deps.begin(), deps.end(), kpi.name) == deps.end()) {
                    deps.push_back(kpi.name);
                }
            }
        }
    }
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        const RuleDef& rule = *rules_[i];
        if (rule.lua) {
            rule_chunks_[i] = compile(*rule.lua);
        }
        for (const Template* t : {&rule.summary, &rule.description, &rule.runbook}) {
            for (const LuaCode* code : t->lua_parts()) {
                template_chunks_.emplace(code, compile(*code));
            }
        }
    }
    for (const auto& [name, m] : messages_) {
        for (const Template* t : {&m->title, &m->text, &m->short_text}) {
            for (const LuaCode* code : t->lua_parts()) {
                template_chunks_.emplace(code, compile(*code));
            }
        }
    }
    // The built-in alert on Lua failures: an internal KPI, 1 while an item fails.
    error_kpi_.name = kRuleErrorKpi;
    error_kpi_.description = "1 while a rule's or derived KPI's Lua fails";
    error_rule_.alert = kRuleErrorAlert;
    error_rule_.kpi = kRuleErrorKpi;
    error_rule_.threshold.comparison = Comparison::Above;
    error_rule_.threshold.warning = Interval{0.5, 0.5};
    kpis_[error_kpi_.name].def = &error_kpi_;
    kpis_[error_kpi_.name].rules.push_back(rules_.size());
    rule_index_.emplace(error_rule_.alert, rules_.size());
    rules_.push_back(&error_rule_);
    rule_chunks_.push_back(-1);
}

void Engine::Impl::process(const Sample& sample, Ctx& ctx) {
    const auto kpi_it = kpis_.find(sample.kpi);
    if (kpi_it == kpis_.end() || std::isnan(sample.value)) {
        return;
    }
    KpiState& kpi = kpi_it->second;
    Series& series = series_for(kpi, sample.kpi, sample.labels);
    if (series.sampled && sample.at < series.at) {
        return;
    }
    if (series.sampled && sample.value != series.value) {
        series.previous = series.value;
    }
    mark_sampled(kpi, series, ctx);
    series.value = sample.value;
    series.at = sample.at;
    if (series.history != nullptr) {
        series.history->add(
            sample.at, sample.value, kpi.def != nullptr ? kpi.def->history : Duration{0});
    }
    for (Slot& slot : series.slots) {
        evaluate(slot, sample.value, ctx);
        reschedule(slot);
    }
    if (!kpi.dependents.empty()) {
        recompute_dependents(sample, ctx);
    }
}

void Engine::Impl::recompute_dependents(const Sample& input, Ctx& ctx) {
    for (const std::string& name : kpis_[input.kpi].dependents) {
        KpiState& derived = kpis_[name];
        if (derived.chunk < 0 || derived.def == nullptr) {
            continue;
        }
        if (!input.labels.empty()) {
            compute_derived(derived, input.labels, input.at, ctx);
            continue;
        }
        // An unlabelled input feeds every label set of the derived KPI's inputs.
        std::set<Labels> label_sets{Labels{}};
        for (const LuaNameRef& ref : derived.def->lua->kpis) {
            const auto it = kpis_.find(ref.name);
            if (it == kpis_.end()) {
                continue;
            }
            for (const Series* s : it->second.series) {
                if (s->sampled) {
                    label_sets.insert(s->labels);
                }
            }
        }
        for (const Labels& labels : label_sets) {
            compute_derived(derived, labels, input.at, ctx);
        }
    }
}

void Engine::Impl::compute_derived(KpiState& kpi, const Labels& labels, TimePoint at, Ctx& ctx) {
    const KpiDef& def = *kpi.def;
    const auto existing = series_.find(series_key(def.name, labels));
    LuaContext lc;
    lc.value = existing != series_.end() ? existing->second.value : 0.0;
    lc.target = def.target;
    lc.now = at;
    lc.unit = def.unit;
    lc.kpi = &def.name;
    lc.labels = &labels;
    lc.kpis = this;
    lc.history_keep = kpi.keep_history ? def.history : Duration{0};
    if (existing != series_.end()) {
        lc.history = existing->second.history;
    }
    LuaResult r = lua_->call(kpi.chunk, LuaReturn::Number, lc);
    if (r.status == LuaResult::Status::Error) {
        rule_failed(def.name, *def.lua, std::move(r), ctx);
        return;
    }
    rule_works(def.name, ctx);
    if (r.status != LuaResult::Status::Ok || !r.number || std::isnan(*r.number)) {
        return;
    }
    if (queue_.size() >= kMaxQueued) {
        return;  // cannot happen without a cycle, which the loader refuses
    }
    Sample s{def.name, labels, *r.number, at};
    ctx.out.derived.push_back(s);
    queue_.push_back(std::move(s));
}

LuaContext Engine::Impl::lua_context(const Series& series, const RuleDef* rule, Ctx& ctx) const {
    const auto kpi_it = kpis_.find(series.kpi);
    const KpiState* kpi = kpi_it == kpis_.end() ? nullptr : &kpi_it->second;
    LuaContext lc;
    lc.value = series.value;
    lc.now = ctx.now;
    lc.labels = &series.labels;
    lc.kpi = &series.kpi;
    lc.kpis = this;
    lc.history = series.history;
    if (kpi != nullptr && kpi->def != nullptr) {
        lc.target = kpi->def->target;
        lc.unit = kpi->def->unit;
        lc.history_keep = kpi->keep_history ? kpi->def->history : Duration{0};
    }
    if (rule != nullptr) {
        lc.alert = &rule->alert;
    }
    return lc;
}

void Engine::Impl::rule_failed(const std::string& item,
                               const LuaCode& code,
                               LuaResult&& r,
                               Ctx& ctx) {
    const std::string text = where_text(r.where) + ": " + r.error;
    ctx.out.rule_errors.push_back(RuleError{item, code.path, r.where, r.error, r.limit});
    const bool was_failing = failing_.contains(item);
    failing_[item] = text;
    if (!was_failing) {
        queue_.push_back(Sample{kRuleErrorKpi, Labels{{"rule", item}}, 1, ctx.now});
    }
}

void Engine::Impl::rule_works(const std::string& item, Ctx& ctx) {
    if (failing_.empty()) {
        return;
    }
    if (failing_.erase(item) > 0) {
        queue_.push_back(Sample{kRuleErrorKpi, Labels{{"rule", item}}, 0, ctx.now});
    }
}

std::optional<double> Engine::Impl::kpi_value(const std::string& kpi, const Labels& labels) const {
    const auto exact = series_.find(series_key(kpi, labels));
    if (exact != series_.end() && exact->second.sampled) {
        return exact->second.value;
    }
    const auto it = kpis_.find(kpi);
    if (it == kpis_.end()) {
        return std::nullopt;
    }
    const Series* best = nullptr;
    for (const Series* s : it->second.series) {
        if (s->sampled && subset(s->labels, labels) &&
            (best == nullptr || s->labels.size() > best->labels.size())) {
            best = s;
        }
    }
    if (best == nullptr) {
        return std::nullopt;
    }
    return best->value;
}

std::string Engine::Impl::eval(const LuaCode& code, const TemplateContext& tc) const {
    const auto it = template_chunks_.find(&code);
    if (!lua_ || it == template_chunks_.end() || it->second < 0) {
        return "";
    }
    const auto* series = static_cast<const Series*>(tc.series);
    LuaContext lc;
    if (series != nullptr && ctx_ != nullptr) {
        lc = lua_context(*series, nullptr, *ctx_);
    }
    lc.value = tc.value;
    lc.threshold = tc.threshold;
    lc.target = tc.target;
    lc.severity = tc.severity;
    lc.since = tc.since;
    lc.now = tc.now;
    lc.unit = tc.unit;
    lc.alert = &tc.alert;
    lc.kpi = &tc.kpi;
    lc.labels = tc.labels;
    lc.kpis = this;
    LuaResult r = lua_->call(it->second, LuaReturn::Text, lc);
    if (r.status == LuaResult::Status::Error) {
        if (ctx_ != nullptr) {
            ctx_->out.rule_errors.push_back(
                RuleError{tc.alert, code.path, r.where, r.error, r.limit});
        }
        return "";
    }
    return r.text;
}

std::vector<std::pair<std::string, Duration>> Engine::history_needs() const {
    std::vector<std::pair<std::string, Duration>> out;
    for (const auto& [name, kpi] : impl_->kpis_) {
        if (kpi.keep_history && kpi.def != nullptr) {
            out.emplace_back(name, kpi.def->history);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

void Engine::preload(const std::vector<Sample>& samples) {
    for (const Sample& s : samples) {
        const auto it = impl_->kpis_.find(s.kpi);
        if (it == impl_->kpis_.end() || !it->second.keep_history || std::isnan(s.value)) {
            continue;
        }
        auto& kept = impl_->histories_[series_key(s.kpi, s.labels)];
        kept.kpi = s.kpi;
        kept.labels = s.labels;
        kept.points.add(s.at, s.value, it->second.def->history);
    }
}

std::vector<Sample> Engine::history() const {
    std::vector<Sample> out;
    for (const auto& [key, kept] : impl_->histories_) {
        for (const auto& p : kept.points.points()) {
            out.push_back(Sample{kept.kpi, kept.labels, p.value, p.at});
        }
    }
    return out;
}

std::size_t Engine::lua_memory() const {
    return impl_->lua_ ? impl_->lua_->memory_used() : 0;
}

}  // namespace tocsin::engine
