#include "app/reports.hpp"

#include "app/log.hpp"
#include "app/notification_json.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>

namespace tocsin::app {
namespace asio = boost::asio;
using engine::Duration;
using engine::TimePoint;

namespace {

std::string component(const std::string& name) {
    return "report '" + name + "'";
}

/// A wait the steady timer can take: far-off instants (TimePoint::max()) are capped, and the
/// runner simply re-plans when the cap ends.
Duration wait_for(TimePoint due, TimePoint now) {
    constexpr Duration kLongest{std::chrono::hours(24)};
    if (due <= now) {
        return Duration{0};
    }
    return std::min(due - now, kLongest);
}

}  // namespace

store::Batch report_batch(const std::vector<engine::Notification>& notifications,
                          const std::string& report,
                          const engine::ReportRun& run,
                          const std::string& external_url) {
    store::Batch batch;
    for (const auto& n : notifications) {
        store::OutboxItem item;
        item.id = n.id;
        item.notifier = n.notifier;
        item.alert = n.report;
        item.kind = engine::to_string(n.kind);
        item.payload_json = render_notification_json(n, external_url, "");
        item.created_at = n.at;
        item.next_attempt_at = n.at;
        batch.outbox.push_back(std::move(item));
    }
    batch.meta.emplace_back(engine::report_meta_key(report), engine::encode_report_run(run));
    return batch;
}

std::map<std::string, engine::ReportRun> load_report_runs(
    store::Store& store, const std::vector<engine::ReportDef>& reports) {
    std::map<std::string, engine::ReportRun> out;
    for (const auto& def : reports) {
        auto text = store.get_meta(engine::report_meta_key(def.name));
        if (!text) {
            log::warning(component(def.name),
                         "cannot read its last run: {}; it starts afresh",
                         text.error().text());
            continue;
        }
        if (!text.value()) {
            continue;
        }
        if (auto run = engine::decode_report_run(*text.value())) {
            out.emplace(def.name, std::move(*run));
        } else {
            log::warning(component(def.name),
                         "its stored last run is unreadable; it starts afresh");
        }
    }
    return out;
}

struct ReportRunner::Impl {
    struct State {
        engine::ReportDef def;
        engine::CronSchedule schedule;
        TimePoint last_run{};                     // scheduled instants up to here are dealt with
        std::vector<engine::ReportValue> values;  // sent by the last run, for the trend
        TimePoint next{};
    };

    Impl(asio::io_context& loop, Inputs in, Submit sub, Now clock)
        : timer(loop), inputs(std::move(in)), submit(std::move(sub)), now(std::move(clock)) {}

    asio::steady_timer timer;
    Inputs inputs;
    Submit submit;
    Now now;
    std::shared_ptr<const engine::LoadedConfig> loaded;
    std::string external_url;
    std::vector<State> states;
    bool stopped = false;

    void set(std::shared_ptr<const engine::LoadedConfig> config,
             const std::map<std::string, engine::ReportRun>& stored,
             const std::vector<State>& previous,
             std::string url) {
        loaded = std::move(config);
        external_url = std::move(url);
        stopped = false;
        const TimePoint t = now();
        std::vector<State> next_states;
        for (const auto& def : loaded->rules.reports) {
            State s{def, engine::report_schedule(def, loaded->config.timezone), t, {}, {}};
            if (const auto it = stored.find(def.name); it != stored.end()) {
                s.last_run = it->second.scheduled;
                s.values = it->second.values;
            }
            const auto old = std::find_if(previous.begin(), previous.end(), [&](const State& p) {
                return p.def.name == def.name;
            });
            if (old != previous.end() && old->def.schedule.text == def.schedule.text &&
                old->schedule.zone() == s.schedule.zone()) {
                s.last_run = old->last_run;
                s.values = old->values;
            }
            next_states.push_back(std::move(s));
        }
        states = std::move(next_states);
        run_due();
    }

    /// Sends every report whose instant has come, then re-arms the timer for the earliest next.
    void run_due() {
        if (stopped) {
            return;
        }
        const TimePoint t = now();
        std::optional<ReportInputs> in;  // read once, only when some report runs
        for (auto& s : states) {
            const auto plan = engine::plan_report(s.schedule, s.last_run, t);
            if (plan.skipped) {
                log::warning(component(s.def.name),
                             "the run due at {} is more than {} late; skipped",
                             engine::format_rfc3339(*plan.skipped),
                             engine::format_duration(engine::kReportCatchUp));
                s.last_run = std::max(s.last_run, t - engine::kReportCatchUp);
            }
            if (plan.due_now) {
                if (!in) {
                    in = inputs();
                }
                send(s, *plan.due_now, t, *in);
            }
            s.next = plan.next;
        }
        arm();
    }

    void send(State& s, TimePoint scheduled, TimePoint t, const ReportInputs& in) {
        const auto lines =
            engine::build_report_lines(s.def, loaded->rules, in.latest, in.instances, s.values);
        const auto notifications = engine::build_report(s.def, lines, scheduled, t);
        engine::ReportRun run{scheduled, t, engine::report_values(lines, s.values)};
        if (t - scheduled >= std::chrono::minutes(1)) {
            log::info(component(s.def.name),
                      "sending the run due at {} late, after a restart",
                      engine::format_rfc3339(scheduled));
        }
        log::info(component(s.def.name),
                  "{} line(s) -> {} notifier(s)",
                  lines.size(),
                  notifications.size());
        submit(report_batch(notifications, s.def.name, run, external_url));
        s.last_run = scheduled;
        s.values = std::move(run.values);
    }

    void arm() {
        timer.cancel();
        const auto due = next_due();
        if (!due || stopped) {
            return;
        }
        timer.expires_after(wait_for(*due, now()));
        timer.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) {
                run_due();
            }
        });
    }

    [[nodiscard]] std::optional<TimePoint> next_due() const {
        std::optional<TimePoint> out;
        for (const auto& s : states) {
            if (s.next != TimePoint::max() && (!out || s.next < *out)) {
                out = s.next;
            }
        }
        return out;
    }
};

ReportRunner::ReportRunner(asio::io_context& loop, Inputs inputs, Submit submit, Now now)
    : impl_(std::make_unique<Impl>(loop, std::move(inputs), std::move(submit), std::move(now))) {}

ReportRunner::~ReportRunner() = default;

void ReportRunner::start(std::shared_ptr<const engine::LoadedConfig> loaded,
                         const std::map<std::string, engine::ReportRun>& stored,
                         std::string external_url) {
    impl_->set(std::move(loaded), stored, {}, std::move(external_url));
}

void ReportRunner::reload(std::shared_ptr<const engine::LoadedConfig> loaded,
                          std::string external_url) {
    auto previous = std::move(impl_->states);
    impl_->set(std::move(loaded), {}, previous, std::move(external_url));
}

void ReportRunner::stop() {
    impl_->stopped = true;
    impl_->timer.cancel();
}

std::optional<TimePoint> ReportRunner::next_due() const {
    return impl_->next_due();
}

}  // namespace tocsin::app
