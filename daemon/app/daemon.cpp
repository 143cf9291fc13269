#include "app/daemon.hpp"

#include "api/server.hpp"
#include "app/ack_links.hpp"
#include "app/api_routes.hpp"
#include "app/checked_config.hpp"
#include "app/collection_skips.hpp"
#include "app/delivery.hpp"
#include "app/file_watch.hpp"
#include "app/log.hpp"
#include "app/notification_json.hpp"
#include "app/reports.hpp"
#include "app/rule_activity.hpp"
#include "app/sd_notify.hpp"
#include "app/self_metrics.hpp"
#include "app/state_lock.hpp"
#include "app/worker_pool.hpp"
#include "engine/engine.hpp"
#include "engine/timezone.hpp"
#include "store/store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <malloc.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

namespace tocsin::app {
namespace asio = boost::asio;
using engine::Duration;
using engine::TimePoint;

namespace {

constexpr std::size_t kWorkerThreads = 8;
constexpr std::size_t kWorkerQueue = 4096;
constexpr Duration kDefaultEvery{std::chrono::minutes(1)};
constexpr Duration kFirstRetry{std::chrono::seconds(5)};

TimePoint wall_now() {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

/// Called once a configuration is loaded: checking and loading rules builds and drops yaml-cpp
/// node trees several times the size of what the loaded rules keep (10,000 rules: ~60 MB freed
/// but still resident), and glibc returns such pages to the system only when asked.
void release_freed_memory() {
    ::malloc_trim(0);
}

/// The plugin instances of one configuration generation.
struct Runtime {
    CheckedConfig checked;
    std::map<std::string, std::shared_ptr<plugin_host::SourceInstance>> sources;
    NotifierMap notifiers;
};

/// Creates every configured instance; any failure refuses the whole configuration.
std::shared_ptr<Runtime> instantiate(CheckedConfig checked) {
    auto rt = std::make_shared<Runtime>();
    bool ok = true;
    for (const auto& s : checked.sources) {
        auto made = plugin_host::SourceInstance::create(*s.plugin, s.name, s.config_json);
        if (!made) {
            log::error("source '" + s.name + "'", "cannot create: {}", made.error().text());
            ok = false;
            continue;
        }
        rt->sources[s.name] = std::shared_ptr<plugin_host::SourceInstance>(std::move(made).value());
    }
    for (const auto& n : checked.notifiers) {
        auto made = plugin_host::NotifierInstance::create(*n.plugin, n.name, n.config_json);
        if (!made) {
            log::error("notifier '" + n.name + "'", "cannot create: {}", made.error().text());
            ok = false;
            continue;
        }
        rt->notifiers[n.name] =
            NotifierHandle{std::shared_ptr<plugin_host::NotifierInstance>(std::move(made).value()),
                           n.timeout,
                           n.delivery};
    }
    if (!ok) {
        return nullptr;
    }
    rt->checked = std::move(checked);
    return rt;
}

/// The KPIs one source collects together at one interval.
struct CollectGroup {
    CollectGroup(asio::io_context& loop, std::string source_name)
        : source(std::move(source_name)), timer(loop) {}
    std::string source;
    Duration every{};
    Duration timeout{};
    Duration down_after{};
    std::shared_ptr<plugin_host::SourceInstance> instance;
    std::vector<plugin_host::SourceInstance::KpiQuery> queries;
    asio::steady_timer timer;
    bool in_flight = false;
    bool cancelled = false;
    std::uint64_t last_step = 0;  // the Delivery step of its last collection; 0 before the first
};
using CollectGroupPtr = std::shared_ptr<CollectGroup>;

/// Logs the rendered diagnostics line by line: as errors, or as warnings when the configuration
/// was accepted and only warnings are left (a refused plugin module, a route that never matches).
void log_diagnostics(const engine::Diagnostics& diags, bool accepted = false) {
    const std::string text = diags.render(false);
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        if (end > start) {
            if (accepted) {
                log::warning("config", "{}", text.substr(start, end - start));
            } else {
                log::error("config", "{}", text.substr(start, end - start));
            }
        }
        start = end + 1;
    }
}

/// The stored samples the engine's history helpers need (Engine::history_needs()), for every
/// series known to the store.
std::vector<engine::Sample> stored_history(const engine::Engine& engine,
                                           const std::vector<engine::Sample>& latest,
                                           engine::TimePoint now,
                                           store::Store& store) {
    std::vector<engine::Sample> out;
    for (const auto& [kpi, window] : engine.history_needs()) {
        for (const auto& series : latest) {
            if (series.kpi != kpi) {
                continue;
            }
            auto points = store.history(kpi, series.labels, now - window, now);
            if (!points) {
                log::warning("store",
                             "cannot read the history of {}: {}; its Lua helpers start empty",
                             kpi,
                             points.error().text());
                continue;
            }
            for (const auto& p : points.value()) {
                out.push_back(engine::Sample{kpi, series.labels, p.value, p.at});
            }
        }
    }
    return out;
}

class Daemon final : public ApiBackend {
public:
    explicit Daemon(RunOptions options)
        : options_(std::move(options)),
          signals_(loop_),
          engine_timer_(loop_),
          watch_timer_(loop_),
          watchdog_timer_(loop_) {}

    int run();

    // ApiBackend: called by the API handlers on the loop thread.
    [[nodiscard]] const engine::Engine& engine() const override { return *engine_; }
    [[nodiscard]] const CheckedConfig& config() const override { return runtime_->checked; }
    [[nodiscard]] std::vector<SourceHealth> sources() const override;
    [[nodiscard]] TimePoint started_at() const override { return started_at_; }
    [[nodiscard]] std::string config_hash() const override { return runtime_->checked.hash; }
    [[nodiscard]] std::optional<std::pair<TimePoint, ReloadOutcome>> last_reload() const override {
        return last_reload_;
    }
    ReloadOutcome reload() override;
    PushOutcome push(std::vector<engine::Sample> samples,
                     std::vector<std::string> rejected) override;
    [[nodiscard]] std::size_t store_backlog() const override { return delivery_->backlog(); }
    [[nodiscard]] StoreHealth store_health() const override { return delivery_->store_health(); }
    [[nodiscard]] std::string store_path() const override { return store_->path(); }
    void on_store(std::function<void(store::Store&)> work) override {
        delivery_->post(std::move(work));
    }
    void when_committed(std::function<void(bool)> done) override {
        delivery_->when_committed(std::move(done));
    }
    std::optional<engine::AlertInstance> acknowledge(const std::string& id,
                                                     engine::Ack ack,
                                                     std::optional<TimePoint> starts_at) override;
    [[nodiscard]] const AckLinks& ack_links() const override { return *ack_links_; }
    void retry_notification(const std::string& id, std::function<void(std::string)> done) override {
        delivery_->retry(id, std::move(done));
    }
    void add_silence(engine::Silence silence, std::function<void(std::string)> done) override;
    void end_silence(const std::string& id, std::function<void(SilenceEnded)> done) override;
    [[nodiscard]] SelfMetrics& metrics() override { return *metrics_; }
    [[nodiscard]] const RuleActivity& rule_activity() const override { return activity_; }
    [[nodiscard]] std::optional<std::pair<TimePoint, ReloadOutcome>> last_refused_reload()
        const override {
        return last_refused_reload_;
    }

private:
    bool start();
    bool start_api();
    void shutdown();
    void watch_signals();
    void apply(std::shared_ptr<Runtime> rt,
               const std::vector<engine::AlertInstance>& carried,
               std::vector<engine::HeldBatch> held,
               const std::vector<engine::Sample>& latest);
    void schedule_collections();
    void cancel_collections();
    void collect(const CollectGroupPtr& group);
    void on_collected(const CollectGroupPtr& group, Result<std::vector<engine::Sample>> result);
    bool record_source_health(const CollectGroupPtr& group, const Error* error);
    void skip_collection(const CollectGroupPtr& group, SkipReason reason);
    /// Hands a step to the store thread; answers its Delivery step number (0: nothing to write).
    std::uint64_t commit(std::vector<engine::Sample> samples, engine::StepOutput out);
    void arm_engine_timer();
    void update_silences();
    void watch_files();
    void arm_watch();
    void arm_watchdog(std::chrono::microseconds interval);
    /// Runs one engine call and records its duration in the step histogram.
    template <class Step>
    engine::StepOutput timed(Step&& step) {
        const auto t0 = std::chrono::steady_clock::now();
        auto out = step();
        metrics_->step_duration.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        return out;
    }

    RunOptions options_;
    // Before the store thread's owner: API reads on the store thread use them.
    std::unique_ptr<SelfMetrics> metrics_;
    RuleActivity activity_;
    std::unordered_map<std::string, std::size_t> kpi_rules_;  // rules per KPI, for the counter
    std::optional<std::pair<TimePoint, ReloadOutcome>> last_refused_reload_;
    asio::io_context loop_;
    asio::signal_set signals_;
    asio::steady_timer engine_timer_;
    asio::steady_timer watch_timer_;
    asio::steady_timer watchdog_timer_;  // WATCHDOG=1 to systemd, when the unit asks for it
    FileWatch watch_;
    std::unique_ptr<WorkerPool> pool_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<Delivery> delivery_;
    std::shared_ptr<Runtime> runtime_;
    std::unique_ptr<engine::Engine> engine_;
    std::vector<CollectGroupPtr> groups_;
    std::map<std::string, SourceHealth> health_;  // by source instance name
    CollectionSkips skips_;
    std::string state_dir_;
    TimePoint started_at_{};
    std::optional<std::pair<TimePoint, ReloadOutcome>> last_reload_;
    std::unique_ptr<api::Server> api_;
    std::optional<StateLock> state_lock_;  // held until the daemon object goes
    std::optional<AckLinks> ack_links_;
    std::string external_url_;  // base of links in messages; "" without the API
    std::shared_ptr<api::Router> router_;
    std::unique_ptr<ReportRunner> reports_;
    // Silences not yet ended, by start then id (the store keeps every one). Each new engine (start,
    // reload) gets them, and every change goes to the store before the engine hears of it.
    std::vector<engine::Silence> silences_;
    std::optional<engine::TimeZone> zone_;  // the config's `timezone`, for times in messages
};

int Daemon::run() {
    sd_notify("STATUS=starting");
    if (!start()) {
        sd_notify("STATUS=not started: configuration or state errors (see the log)");
        shutdown();
        return 1;
    }
    release_freed_memory();
    sd_notify("READY=1\nSTATUS=running");
    if (const auto interval = sd_watchdog_interval()) {
        arm_watchdog(*interval);
    }
    log::info("tocsin",
              "running: {} rule(s) on {} KPI(s), {} source(s), {} notifier(s)",
              runtime_->checked.loaded->rules.rules.size(),
              runtime_->checked.loaded->rules.kpis.size(),
              runtime_->sources.size(),
              runtime_->notifiers.size());
    loop_.run();
    sd_notify("STOPPING=1\nSTATUS=stopping");
    shutdown();
    log::info("tocsin", "stopped");
    return 0;
}

bool Daemon::start() {
    log::info("tocsin", "starting with {}", options_.config_path);
    engine::Diagnostics diags;
    CheckOptions check_options;
    check_options.probe_instances = false;
    auto checked = check_config(options_.config_path, diags, check_options);
    if (!checked) {
        log_diagnostics(diags);
        log::critical(
            "tocsin",
            "configuration has {} error(s); not starting. Fix them, then run 'tocsin check -c {}'",
            diags.error_count(),
            options_.config_path);
        return false;
    }
    if (diags.warning_count() > 0) {
        log_diagnostics(diags, true);
    }
    state_dir_ = checked->loaded->config.state_dir;
    auto opened = store::Store::open(state_dir_);
    if (!opened) {
        log::critical(
            "store", "cannot open the state database: {}; not starting", opened.error().text());
        return false;
    }
    store_ = std::move(opened).value();
    auto lock = StateLock::acquire(state_dir_);
    if (!lock) {
        log::critical("store", "{}; not starting", lock.error().text());
        return false;
    }
    state_lock_.emplace(std::move(lock).value());
    auto links = AckLinks::open(state_dir_);
    if (!links) {
        log::critical("store", "{}; not starting", links.error().text());
        return false;
    }
    ack_links_ = std::move(links).value();
    auto rt = instantiate(std::move(*checked));
    if (!rt) {
        log::critical("tocsin", "plugin instances could not be created; not starting");
        return false;
    }
    auto instances = store_->load_instances();
    auto latest = store_->latest_samples();
    auto silences = store_->list_silences(wall_now());
    auto held = store_->load_held();
    // Read before the store thread starts, which then owns the connection.
    const auto report_runs = load_report_runs(*store_, rt->checked.loaded->rules.reports);
    if (!instances || !latest || !silences || !held) {
        log::critical("store",
                      "cannot read saved state: {}; not starting",
                      (!instances  ? instances.error()
                       : !latest   ? latest.error()
                       : !silences ? silences.error()
                                   : held.error())
                          .text());
        return false;
    }
    // A damaged row loses one batch, not the daemon: every other alert still goes out.
    for (const auto& why : held.value().damaged) {
        log::error("store", "{}; delete the row or restore state.db from a backup", why);
    }
    silences_ = std::move(silences).value();
    started_at_ = wall_now();
    metrics_ = std::make_unique<SelfMetrics>(TOCSIN_VERSION, started_at_);
    pool_ = std::make_unique<WorkerPool>(kWorkerThreads, kWorkerQueue);
    DeliveryOptions delivery_options;
    delivery_options.sample_retention = rt->checked.loaded->config.retention;
    delivery_options.outbox_retention = rt->checked.loaded->config.retention;
    delivery_options.metrics = metrics_.get();
    delivery_ = std::make_unique<Delivery>(*store_, *pool_, delivery_options);
    log::info("store",
              "restored {} active alert(s), {} held batch(es) and {} silence(s) from {}",
              instances.value().size(),
              held.value().batches.size(),
              silences_.size(),
              store_->path());
    apply(std::move(rt), instances.value(), std::move(held.value().batches), latest.value());
    delivery_->start();
    if (!start_api()) {
        return false;
    }
    reports_ = std::make_unique<ReportRunner>(
        loop_,
        [this] {
            return ReportInputs{engine_->latest(), engine_->instances()};
        },
        [this](store::Batch batch) { delivery_->submit(std::move(batch)); },
        wall_now);
    reports_->start(runtime_->checked.loaded, report_runs, external_url_);
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.add(SIGHUP);
    watch_signals();
    return true;
}

/// The API listens only when `api:` is in tocsin.yaml; a listener nobody asked for is a port
/// clash waiting to happen.
bool Daemon::start_api() {
    const auto& api_config = runtime_->checked.loaded->config.api;
    if (api_config.loc.line == 0) {
        return true;
    }
    external_url_ = api_config.external_url;
    router_ = make_api_router(*this);
    api::ServerOptions options;
    options.listen = api_config.listen;
    options.token = runtime_->checked.api_token;
    auto server = api::Server::start(loop_, options, router_);
    if (!server) {
        log::critical("api", "{}; not starting", server.error().message);
        return false;
    }
    api_ = std::move(server).value();
    log::info("api", "listening on http://{}", api_->address());
    if (external_url_.empty()) {
        external_url_ = "http://" + api_->address();
    }
    if (options.token.empty()) {
        log::warning("api", "no token_file configured: calls that change state are refused");
    }
    return true;
}

void Daemon::shutdown() {
    if (api_) {
        api_->stop();
    }
    api_.reset();
    cancel_collections();
    engine_timer_.cancel();
    reports_.reset();
    watch_timer_.cancel();
    if (pool_ && !pool_->stop(std::chrono::seconds(10))) {
        log::warning("tocsin",
                     "some plugin calls did not finish within 10s; stopping without them");
    }
    if (delivery_) {
        delivery_->stop();  // commits what the loop handed over, records the last send results
    }
    delivery_.reset();
    engine_.reset();
    runtime_.reset();
    store_.reset();
}

void Daemon::watch_signals() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
        if (ec) {
            return;
        }
        if (signo == SIGHUP) {
            reload();
            watch_signals();
            return;
        }
        log::info("tocsin", "stopping on {}", signo == SIGINT ? "SIGINT" : "SIGTERM");
        cancel_collections();
        engine_timer_.cancel();
        if (reports_) {
            reports_->stop();
        }
        watch_timer_.cancel();
        watchdog_timer_.cancel();
        loop_.stop();
    });
}

/// Builds a whole new runtime with the `tocsin check` code and swaps it in only if everything
/// passed; otherwise the old one keeps running and every reason is logged.
ReloadOutcome Daemon::reload() {
    sd_notify(sd_reloading_message("reloading"));
    log::info("tocsin", "reloading {}", options_.config_path);
    engine::Diagnostics diags;
    CheckOptions check_options;
    check_options.probe_instances = false;
    auto checked = check_config(options_.config_path, diags, check_options);
    std::shared_ptr<Runtime> rt;
    if (checked) {
        if (checked->loaded->config.state_dir != state_dir_) {
            log::warning("tocsin",
                         "state_dir changed to {}; it takes effect at the next restart",
                         checked->loaded->config.state_dir);
        }
        rt = instantiate(std::move(*checked));
    } else {
        log_diagnostics(diags);
    }
    if (!rt) {
        log::error("tocsin",
                   "reload refused ({} error(s)); still running the previous configuration",
                   diags.error_count());
        sd_notify("READY=1\nSTATUS=running; last reload refused");
        ReloadOutcome refused{
            false, diags.render_json(), std::max<std::size_t>(1, diags.error_count())};
        last_reload_ = {wall_now(), refused};
        last_refused_reload_ = last_reload_;
        metrics_->reloads.inc({"refused"});
        metrics_->last_reload_successful.set(0);
        return refused;
    }
    apply(std::move(rt), engine_->instances(), engine_->held(), engine_->latest());
    if (api_) {
        api_->update(router_, runtime_->checked.api_token);
    }
    if (reports_) {
        reports_->reload(runtime_->checked.loaded, external_url_);
    }
    log::info("tocsin",
              "reloaded: {} rule(s) on {} KPI(s)",
              runtime_->checked.loaded->rules.rules.size(),
              runtime_->checked.loaded->rules.kpis.size());
    release_freed_memory();
    sd_notify("READY=1\nSTATUS=running; configuration reloaded");
    ReloadOutcome done{true, diags.render_json(), 0};
    last_reload_ = {wall_now(), done};
    metrics_->reloads.inc({"ok"});
    metrics_->last_reload_successful.set(1);
    return done;
}

/// Swaps in a runtime: a new engine restores the carried alert state and held batches (from the
/// store at start-up, from the old engine on reload), re-evaluates the latest values under the
/// new rules, and the collections restart. Batches already due go out at the engine timer, which
/// is armed at once.
void Daemon::apply(std::shared_ptr<Runtime> rt,
                   const std::vector<engine::AlertInstance>& carried,
                   std::vector<engine::HeldBatch> held,
                   const std::vector<engine::Sample>& latest) {
    cancel_collections();
    const auto now = wall_now();
    auto engine = std::make_unique<engine::Engine>(rt->checked.loaded, now);
    // The Lua history helpers see the same samples as before: from the old engine on reload,
    // from the store at start-up.
    engine->preload(engine_ ? engine_->history() : stored_history(*engine, latest, now, *store_));
    // Silences before the latest values: an alert they hide must not fire to anyone new.
    std::erase_if(silences_, [&](const engine::Silence& s) { return s.expired_at(now); });
    auto out = timed([&] {
        auto restored = engine->restore(carried, now);
        engine->restore_held(std::move(held));
        restored.append(engine->set_silences(silences_, now));
        restored.append(engine->ingest(latest, now));
        return restored;
    });
    engine_ = std::move(engine);
    runtime_ = std::move(rt);
    kpi_rules_ = rules_per_kpi(runtime_->checked.loaded->rules);
    metrics_->configure(*runtime_->checked.loaded);
    watch_files();
    zone_ = engine::TimeZone::find(runtime_->checked.loaded->config.timezone);
    delivery_->set_notifiers(runtime_->notifiers);
    commit({}, std::move(out));
    schedule_collections();
    arm_engine_timer();
}

/// `reload: {watch: true}`: polls the config's files on the loop and reloads when they changed
/// (see FileWatch). Called whenever a configuration is applied, which also resets the baseline.
void Daemon::watch_files() {
    watch_timer_.cancel();
    if (!runtime_->checked.loaded->config.reload.watch) {
        return;
    }
    watch_.reset(*runtime_->checked.loaded);
    arm_watch();
}

/// Pings systemd's watchdog from the loop, so a loop that hangs (not just a dead process) gets
/// the daemon restarted.
void Daemon::arm_watchdog(std::chrono::microseconds interval) {
    sd_notify("WATCHDOG=1");
    watchdog_timer_.expires_after(interval);
    watchdog_timer_.async_wait([this, interval](const boost::system::error_code& ec) {
        if (!ec) {
            arm_watchdog(interval);
        }
    });
}

void Daemon::arm_watch() {
    watch_timer_.expires_after(runtime_->checked.loaded->config.reload.watch_interval);
    watch_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || !engine_) {
            return;
        }
        if (watch_.poll()) {
            log::info("tocsin", "configuration files changed; reloading");
            if (reload().ok) {
                return;  // apply() started watching the new configuration's files
            }
        }
        arm_watch();
    });
}

void Daemon::schedule_collections() {
    const auto& loaded = *runtime_->checked.loaded;
    std::map<std::pair<std::string, Duration>, CollectGroupPtr> by_key;
    for (const auto& kpi : loaded.rules.kpis) {
        const auto* source_config = [&]() -> const engine::PluginInstanceConfig* {
            for (const auto& s : loaded.config.sources) {
                if (s.name == kpi.source) {
                    return &s;
                }
            }
            return nullptr;
        }();
        auto instance = runtime_->sources.find(kpi.source);
        if (source_config == nullptr || instance == runtime_->sources.end()) {
            continue;
        }
        const Duration every = kpi.every.value_or(source_config->every.value_or(kDefaultEvery));
        auto& group = by_key[{kpi.source, every}];
        if (!group) {
            group = std::make_shared<CollectGroup>(loop_, kpi.source);
            group->every = every;
            group->timeout = source_config->timeout;
            if (const auto* checked = runtime_->checked.find_source(kpi.source)) {
                group->down_after = checked->down_after;
            }
            group->instance = instance->second;
        }
        auto params = runtime_->checked.kpi_params_json.find(kpi.name);
        group->queries.push_back(
            {kpi.name, params == runtime_->checked.kpi_params_json.end() ? "{}" : params->second});
    }
    for (auto& [key, group] : by_key) {
        groups_.push_back(group);
        collect(group);  // first collection at once: a restart must not wait a whole interval
    }
}

void Daemon::cancel_collections() {
    for (auto& g : groups_) {
        g->cancelled = true;
        g->timer.cancel();
    }
    groups_.clear();
}

void Daemon::collect(const CollectGroupPtr& group) {
    if (group->cancelled) {
        return;
    }
    group->timer.expires_after(group->every);
    group->timer.async_wait([this, group](const boost::system::error_code& ec) {
        if (!ec) {
            collect(group);
        }
    });
    // Back-pressure: a due collection never waits in a queue, it is skipped (and counted). One
    // group thus holds at most one collection in flight and one step the store has not written.
    if (group->in_flight) {
        skip_collection(group, SkipReason::StillRunning);
        return;
    }
    if (group->last_step != 0 && !delivery_->committed(group->last_step)) {
        skip_collection(group, SkipReason::StoreBehind);
        return;
    }
    group->in_flight = true;
    const auto deadline = engine::to_unix_ms(wall_now() + group->timeout);
    const bool queued = pool_->submit([this, group, deadline] {
        auto result = group->instance->collect(group->queries, deadline);
        asio::post(loop_, [this, group, result = std::move(result)]() mutable {
            on_collected(group, std::move(result));
        });
    });
    if (!queued) {
        group->in_flight = false;
        skip_collection(group, SkipReason::WorkersBusy);
    }
}

void Daemon::skip_collection(const CollectGroupPtr& group, SkipReason reason) {
    metrics_->source_skips.inc({group->source, skip_label(reason)});
    if (auto line =
            skips_.skipped(group->source, reason, group->every, std::chrono::steady_clock::now())) {
        log::warning("source '" + group->source + "'", "{}", *line);
    }
}

void Daemon::on_collected(const CollectGroupPtr& group,
                          Result<std::vector<engine::Sample>> result) {
    group->in_flight = false;
    if (group->cancelled || !engine_) {
        return;  // a reload replaced this group; its next collection belongs to the new runtime
    }
    const std::string component = "source '" + group->source + "'";
    std::vector<engine::Sample> samples;
    if (result) {
        samples = std::move(result).value();
        log::debug(component, "collected {} sample(s)", samples.size());
    }
    const bool up = record_source_health(group, result ? nullptr : &result.error());
    metrics_->source_collections.inc({group->source});
    if (!result) {
        metrics_->source_errors.inc({group->source});
    }
    metrics_->source_up.set({group->source}, up ? 1.0 : 0.0);
    samples.push_back(
        engine::Sample{kSourceUpKpi, {{"source", group->source}}, up ? 1.0 : 0.0, wall_now()});
    auto out = timed([&] { return engine_->ingest(samples, wall_now()); });
    group->last_step = commit(std::move(samples), std::move(out));
    arm_engine_timer();
}

/// Tracks a source's health across its collection groups. A failure is logged once per outage
/// and retried sooner than the next interval (5 s, doubling, up to the interval): its KPIs go
/// stale meanwhile, and `nodata` rules take over. Answers whether the source counts as up: it is
/// down once its collections have failed for its `down_after`.
bool Daemon::record_source_health(const CollectGroupPtr& group, const Error* error) {
    const std::string component = "source '" + group->source + "'";
    auto& h = health_[group->source];
    h.name = group->source;
    if (error == nullptr) {
        if (!h.up) {
            log::info(component, "collecting again after {} failed attempt(s)", h.failures);
        }
        h.up = true;
        h.failures = 0;
        h.last_error.clear();
        h.last_ok = wall_now();
        h.failing_since.reset();
        return true;
    }
    if (h.up) {
        log::warning(component,
                     "collection failed: {}; its KPIs go stale until it recovers",
                     error->message);
    }
    h.up = false;
    h.failures += 1;
    h.last_error = error->message;
    if (!h.failing_since) {
        h.failing_since = wall_now();
    }
    const auto shift = std::min(h.failures - 1, 16);
    const auto retry_in = std::min(group->every, kFirstRetry * (std::int64_t{1} << shift));
    group->timer.expires_after(retry_in);
    group->timer.async_wait([this, group](const boost::system::error_code& ec) {
        if (!ec) {
            collect(group);
        }
    });
    return wall_now() - *h.failing_since < group->down_after;
}

std::optional<engine::AlertInstance> Daemon::acknowledge(const std::string& id,
                                                         engine::Ack ack,
                                                         std::optional<TimePoint> starts_at) {
    const auto instances = engine_->instances();
    const auto it = std::find_if(instances.begin(), instances.end(), [&](const auto& a) {
        return a.fingerprint == id && a.state == engine::AlertState::Firing &&
               (!starts_at || a.firing_since == *starts_at);
    });
    if (it == instances.end()) {
        return std::nullopt;
    }
    const std::string author = ack.author;
    auto out = engine_->acknowledge(id, std::move(ack), wall_now());
    if (!out) {
        return std::nullopt;
    }
    log::info("alert '" + it->rule + "'", "acknowledged by {} ({})", author, id);
    std::optional<engine::AlertInstance> now;
    for (const auto& u : out->upserted) {
        if (u.fingerprint == id) {
            now = u;
        }
    }
    commit({}, std::move(*out));
    arm_engine_timer();
    return now;
}

void Daemon::add_silence(engine::Silence silence, std::function<void(std::string)> done) {
    delivery_->post([this, silence = std::move(silence), done = std::move(done)](
                        store::Store& store) mutable {
        auto stored = store.insert_silence(silence);
        std::string error = stored ? std::string() : stored.error().text();
        asio::post(loop_,
                   [this, silence = std::move(silence), done = std::move(done), error]() mutable {
                       if (!error.empty()) {
                           log::error("silence '" + silence.id + "'", "cannot keep it: {}", error);
                       } else if (engine_) {
                           log::info("silence '" + silence.id + "'",
                                     "added by {} until {}",
                                     silence.author,
                                     engine::format_rfc3339(silence.ends_at));
                           silences_.push_back(std::move(silence));
                           update_silences();
                       }
                       done(error);
                   });
    });
}

void Daemon::end_silence(const std::string& id, std::function<void(SilenceEnded)> done) {
    const auto now = wall_now();
    delivery_->post([this, id, now, done = std::move(done)](store::Store& store) mutable {
        SilenceEnded ended;
        auto outcome = store.end_silence(id, now);
        if (!outcome) {
            ended.error = outcome.error().text();
        } else {
            ended.outcome = outcome.value();
            auto row = store.get_silence(id);
            if (row) {
                ended.silence = std::move(row).value();
            }
        }
        asio::post(loop_, [this, id, ended = std::move(ended), done = std::move(done)]() mutable {
            if (ended.outcome == store::SilenceEnd::Ended && engine_) {
                log::info("silence '" + id + "'", "ended early");
                for (auto& s : silences_) {
                    if (s.id == id) {
                        s.ends_at = ended.silence ? ended.silence->ends_at : wall_now();
                    }
                }
                update_silences();
            }
            done(std::move(ended));
        });
    });
}

/// Hands the silences not yet ended to the engine and commits what that changed (alerts a
/// silence no longer hides may fire now).
void Daemon::update_silences() {
    const auto now = wall_now();
    std::erase_if(silences_, [&](const engine::Silence& s) { return s.expired_at(now); });
    std::stable_sort(silences_.begin(), silences_.end(), [](const auto& a, const auto& b) {
        return std::tie(a.starts_at, a.id) < std::tie(b.starts_at, b.id);
    });
    commit({}, engine_->set_silences(silences_, now));
    arm_engine_timer();
}

std::vector<SourceHealth> Daemon::sources() const {
    std::vector<SourceHealth> out;
    for (const auto& s : runtime_->checked.loaded->config.sources) {
        auto it = health_.find(s.name);
        SourceHealth h = it != health_.end() ? it->second : SourceHealth{};
        h.name = s.name;
        h.plugin = s.plugin;
        out.push_back(std::move(h));
    }
    return out;
}

PushOutcome Daemon::push(std::vector<engine::Sample> samples, std::vector<std::string> rejected) {
    PushOutcome outcome;
    outcome.accepted = samples.size();
    outcome.rejected = std::move(rejected);
    if (!samples.empty()) {
        auto out = timed([&] { return engine_->ingest(samples, wall_now()); });
        commit(std::move(samples), std::move(out));
        arm_engine_timer();
    }
    return outcome;
}

std::uint64_t Daemon::commit(std::vector<engine::Sample> samples, engine::StepOutput out) {
    if (samples.empty() && out.empty()) {
        return 0;
    }
    metrics_->observe_step(samples, out, kpi_rules_);
    activity_.observe_step(samples, out, wall_now());
    store::Batch batch;
    batch.samples = std::move(samples);
    for (auto& d : out.derived) {
        batch.samples.push_back(std::move(d));  // derived KPIs keep history like collected ones
    }
    for (const auto& e : out.rule_errors) {
        log::error("rule '" + e.item + "'",
                   "{}:{}:{}: {}: Lua: {}{}",
                   e.where.file.str(),
                   e.where.line,
                   e.where.col,
                   e.path,
                   e.message,
                   e.limit ? "; the rule keeps its previous state until it runs within its limits"
                           : "; the rule keeps its previous state until it runs without error");
    }
    batch.upserted = std::move(out.upserted);
    batch.removed = std::move(out.removed);
    batch.held = std::move(out.held);
    batch.released = std::move(out.released);
    for (auto& n : out.notifications) {
        if (n.alert == kSourceDownAlert && n.description.empty()) {
            auto source = n.labels.find("source");
            auto h = source == n.labels.end() ? health_.end() : health_.find(source->second);
            if (h != health_.end() && !h->second.last_error.empty()) {
                n.description = "last error: " + h->second.last_error;
            }
        }
        if (n.members.empty()) {
            log::info("alert '" + n.alert + "'",
                      "{} {} (value {:.6g}) -> notifier '{}'",
                      engine::to_string(n.kind),
                      engine::to_string(n.severity),
                      n.value,
                      n.notifier);
        } else {
            log::info("alert '" + n.alert + "'",
                      "{} batch of {} alert(s) -> notifier '{}'",
                      engine::to_string(n.kind),
                      n.members.size(),
                      n.notifier);
        }
        store::OutboxItem item;
        item.id = n.id;
        item.notifier = n.notifier;
        item.alert = n.alert;
        item.fingerprint = n.fingerprint;
        item.kind = engine::to_string(n.kind);
        RenderOptions render;
        render.external_url = external_url_;
        render.zone = zone_;
        if (!external_url_.empty()) {
            // One link per alert, members of a batch included; the link outlives the sending.
            const TimePoint expires = n.at + AckLinks::kLifetime;
            render.ack_url = [this, expires](const engine::Notification& one) {
                const bool actionable = one.kind == engine::NotificationKind::Firing ||
                                        one.kind == engine::NotificationKind::SeverityChange ||
                                        one.kind == engine::NotificationKind::Reminder;
                return actionable
                           ? ack_links_->url(external_url_, one.fingerprint, one.starts_at, expires)
                           : std::string();
            };
        }
        item.payload_json = render_notification_json(n, render);
        item.created_at = n.at;
        item.next_attempt_at = n.at;
        batch.outbox.push_back(std::move(item));
    }
    return delivery_->submit(std::move(batch));
}

void Daemon::arm_engine_timer() {
    const auto next = engine_->next_wakeup();
    if (!next) {
        engine_timer_.cancel();
        return;
    }
    engine_timer_.expires_after(std::max(Duration{0}, *next - wall_now()));
    engine_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || !engine_) {
            return;
        }
        auto out = timed([&] { return engine_->advance(wall_now()); });
        commit({}, std::move(out));
        arm_engine_timer();
    });
}

}  // namespace

int run_daemon(const RunOptions& options) {
    // glibc gives each thread that allocates its own arena (up to 8 per core), and each keeps
    // the pages freed in it: with 10 threads that was ~70 MB of a 200 MB RSS at 10,000 rules
    // (bench/README.md, "Profile"). One arena is enough for one loop, a store thread and
    // plugin workers that mostly wait on I/O, and a second one kept ~10 MB of freed pages of
    // its own at 10,000 rules. MALLOC_ARENA_MAX in the environment still wins.
    if (std::getenv("MALLOC_ARENA_MAX") == nullptr) {
        ::mallopt(M_ARENA_MAX, 1);
    }
    try {
        Daemon daemon(options);
        return daemon.run();
    } catch (const std::exception& e) {
        log::critical("tocsin", "stopping on an unexpected error: {}", e.what());
        return 1;
    }
}

}  // namespace tocsin::app
