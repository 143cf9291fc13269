#include "app/daemon.hpp"

#include "app/checked_config.hpp"
#include "app/delivery.hpp"
#include "app/log.hpp"
#include "app/notification_json.hpp"
#include "app/sd_notify.hpp"
#include "app/worker_pool.hpp"
#include "engine/engine.hpp"
#include "store/store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <map>
#include <memory>
#include <set>

namespace tocsin::app {
namespace asio = boost::asio;
using engine::Duration;
using engine::TimePoint;

namespace {

constexpr std::size_t kWorkerThreads = 8;
constexpr std::size_t kWorkerQueue = 4096;
constexpr Duration kDefaultEvery{std::chrono::minutes(1)};

TimePoint wall_now() {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
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
        rt->notifiers[n.name] = NotifierHandle{
            std::shared_ptr<plugin_host::NotifierInstance>(std::move(made).value()), n.timeout};
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
    std::shared_ptr<plugin_host::SourceInstance> instance;
    std::vector<plugin_host::SourceInstance::KpiQuery> queries;
    asio::steady_timer timer;
    bool in_flight = false;
    bool failing = false;
    bool cancelled = false;
};
using CollectGroupPtr = std::shared_ptr<CollectGroup>;

void log_diagnostics(const engine::Diagnostics& diags) {
    const std::string text = diags.render(false);
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        if (end > start) {
            log::error("config", "{}", text.substr(start, end - start));
        }
        start = end + 1;
    }
}

class Daemon {
public:
    explicit Daemon(RunOptions options)
        : options_(std::move(options)), signals_(loop_), engine_timer_(loop_) {}

    int run();

private:
    bool start();
    void shutdown();
    void watch_signals();
    void reload();
    void apply(std::shared_ptr<Runtime> rt,
               const std::vector<engine::AlertInstance>& carried,
               const std::vector<engine::Sample>& latest);
    void schedule_collections();
    void cancel_collections();
    void collect(const CollectGroupPtr& group);
    void on_collected(const CollectGroupPtr& group, Result<std::vector<engine::Sample>> result);
    void commit(std::vector<engine::Sample> samples, engine::StepOutput out);
    void arm_engine_timer();

    RunOptions options_;
    asio::io_context loop_;
    asio::signal_set signals_;
    asio::steady_timer engine_timer_;
    std::unique_ptr<WorkerPool> pool_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<Delivery> delivery_;
    std::shared_ptr<Runtime> runtime_;
    std::unique_ptr<engine::Engine> engine_;
    std::vector<CollectGroupPtr> groups_;
    std::string state_dir_;
};

int Daemon::run() {
    if (!start()) {
        shutdown();
        return 1;
    }
    sd_notify("READY=1\nSTATUS=running");
    log::info("tocsin",
              "running: {} rule(s) on {} KPI(s), {} source(s), {} notifier(s)",
              runtime_->checked.loaded->rules.rules.size(),
              runtime_->checked.loaded->rules.kpis.size(),
              runtime_->sources.size(),
              runtime_->notifiers.size());
    loop_.run();
    sd_notify("STOPPING=1");
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
    state_dir_ = checked->loaded->config.state_dir;
    auto opened = store::Store::open(state_dir_);
    if (!opened) {
        log::critical(
            "store", "cannot open the state database: {}; not starting", opened.error().text());
        return false;
    }
    store_ = std::move(opened).value();
    auto rt = instantiate(std::move(*checked));
    if (!rt) {
        log::critical("tocsin", "plugin instances could not be created; not starting");
        return false;
    }
    auto instances = store_->load_instances();
    auto latest = store_->latest_samples();
    if (!instances || !latest) {
        log::critical("store",
                      "cannot read saved state: {}; not starting",
                      (!instances ? instances.error() : latest.error()).text());
        return false;
    }
    pool_ = std::make_unique<WorkerPool>(kWorkerThreads, kWorkerQueue);
    DeliveryOptions delivery_options;
    delivery_options.sample_retention = rt->checked.loaded->config.retention;
    delivery_options.outbox_retention = rt->checked.loaded->config.retention;
    delivery_ = std::make_unique<Delivery>(*store_, *pool_, delivery_options);
    log::info(
        "store", "restored {} active alert(s) from {}", instances.value().size(), store_->path());
    apply(std::move(rt), instances.value(), latest.value());
    delivery_->start();
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.add(SIGHUP);
    watch_signals();
    return true;
}

void Daemon::shutdown() {
    cancel_collections();
    engine_timer_.cancel();
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
        loop_.stop();
    });
}

/// Builds a whole new runtime with the `tocsin check` code and swaps it in only if everything
/// passed; otherwise the old one keeps running and every reason is logged.
void Daemon::reload() {
    sd_notify("RELOADING=1\nSTATUS=reloading");
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
        return;
    }
    apply(std::move(rt), engine_->instances(), engine_->latest());
    log::info("tocsin",
              "reloaded: {} rule(s) on {} KPI(s)",
              runtime_->checked.loaded->rules.rules.size(),
              runtime_->checked.loaded->rules.kpis.size());
    sd_notify("READY=1\nSTATUS=running; configuration reloaded");
}

/// Swaps in a runtime: a new engine restores the carried alert state (from the store at start-up,
/// from the old engine on reload), re-evaluates the latest values under the new rules, and the
/// collections restart.
void Daemon::apply(std::shared_ptr<Runtime> rt,
                   const std::vector<engine::AlertInstance>& carried,
                   const std::vector<engine::Sample>& latest) {
    cancel_collections();
    const auto now = wall_now();
    auto engine = std::make_unique<engine::Engine>(rt->checked.loaded, now);
    auto out = engine->restore(carried, now);
    out.append(engine->ingest(latest, now));
    engine_ = std::move(engine);
    runtime_ = std::move(rt);
    delivery_->set_notifiers(runtime_->notifiers);
    commit({}, std::move(out));
    schedule_collections();
    arm_engine_timer();
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
    const std::string component = "source '" + group->source + "'";
    if (group->in_flight) {
        log::warning(component,
                     "previous collection still running after {}; skipping this round",
                     engine::format_duration(group->every));
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
        log::warning(component, "worker queue full; collection skipped this round");
    }
}

void Daemon::on_collected(const CollectGroupPtr& group,
                          Result<std::vector<engine::Sample>> result) {
    group->in_flight = false;
    const std::string component = "source '" + group->source + "'";
    if (!result) {
        // Logged once per outage; its KPIs go stale and `nodata` rules take over.
        if (!group->failing) {
            log::warning(component,
                         "collection failed: {}; its KPIs go stale until it recovers",
                         result.error().message);
        }
        group->failing = true;
        return;
    }
    if (group->failing) {
        log::info(component, "collecting again");
        group->failing = false;
    }
    if (group->cancelled || !engine_) {
        return;  // a reload replaced this group; its next collection belongs to the new runtime
    }
    auto samples = std::move(result).value();
    log::debug(component, "collected {} sample(s)", samples.size());
    auto out = engine_->ingest(samples, wall_now());
    commit(std::move(samples), std::move(out));
    arm_engine_timer();
}

void Daemon::commit(std::vector<engine::Sample> samples, engine::StepOutput out) {
    if (samples.empty() && out.empty()) {
        return;
    }
    store::Batch batch;
    batch.samples = std::move(samples);
    batch.upserted = std::move(out.upserted);
    batch.removed = std::move(out.removed);
    for (const auto& n : out.notifications) {
        log::info("alert '" + n.alert + "'",
                  "{} {} (value {:.6g}) -> notifier '{}'",
                  engine::to_string(n.kind),
                  engine::to_string(n.severity),
                  n.value,
                  n.notifier);
        store::OutboxItem item;
        item.id = n.id;
        item.notifier = n.notifier;
        item.alert = n.alert;
        item.fingerprint = n.fingerprint;
        item.kind = engine::to_string(n.kind);
        item.payload_json = render_notification_json(n, "");
        item.created_at = n.at;
        item.next_attempt_at = n.at;
        batch.outbox.push_back(std::move(item));
    }
    delivery_->submit(std::move(batch));
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
        auto out = engine_->advance(wall_now());
        commit({}, std::move(out));
        arm_engine_timer();
    });
}

}  // namespace

int run_daemon(const RunOptions& options) {
    try {
        Daemon daemon(options);
        return daemon.run();
    } catch (const std::exception& e) {
        log::critical("tocsin", "stopping on an unexpected error: {}", e.what());
        return 1;
    }
}

}  // namespace tocsin::app
