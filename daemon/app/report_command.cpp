#include "app/checked_config.hpp"
#include "app/commands.hpp"
#include "app/notification_json.hpp"
#include "engine/report.hpp"
#include "plugin_host/instances.hpp"
#include "store/store.hpp"

#include <fmt/format.h>

#include <iostream>

namespace tocsin::app {
namespace {

const char* status_word(const plugin_host::NotifierInstance::SendResult& result) {
    return result.status == TOCSIN_OK      ? "delivered"
           : result.status == TOCSIN_RETRY ? "temporary failure"
                                           : "permanent failure";
}

/// What the daemon knows now, read from its state database: the latest samples, the active
/// alerts and the report's last run (for the trend). A missing database reads as empty.
struct StoredState {
    std::vector<engine::Sample> latest;
    std::vector<engine::AlertInstance> instances;
    std::vector<engine::ReportValue> previous;
};

std::optional<StoredState> read_state(const std::string& state_dir, const std::string& report) {
    auto opened = store::Store::open(state_dir);
    if (!opened) {
        std::cerr << "tocsin notify: cannot open the state database: " << opened.error().text()
                  << "\n";
        return std::nullopt;
    }
    auto& store = *opened.value();
    auto latest = store.latest_samples();
    auto instances = store.load_instances();
    auto run = store.get_meta(engine::report_meta_key(report));
    if (!latest || !instances || !run) {
        const auto& error = !latest ? latest.error() : !instances ? instances.error() : run.error();
        std::cerr << "tocsin notify: cannot read the state database: " << error.text() << "\n";
        return std::nullopt;
    }
    StoredState state{std::move(latest).value(), std::move(instances).value(), {}};
    if (run.value()) {
        if (auto decoded = engine::decode_report_run(*run.value())) {
            state.previous = std::move(decoded->values);
        }
    }
    return state;
}

}  // namespace

int command_notify_report(const std::string& config_path, const std::string& report) {
    engine::Diagnostics diags;
    auto checked = check_config(config_path, diags);
    if (!checked) {
        std::cerr << diags.render(true);
        return 1;
    }
    const auto& loaded = *checked->loaded;
    const engine::ReportDef* def = loaded.rules.find_report(report);
    if (def == nullptr) {
        std::vector<std::string> names;
        for (const auto& r : loaded.rules.reports) {
            names.push_back(r.name);
        }
        std::cerr << fmt::format(
            "tocsin notify: no report named '{}'; defined: {}\n",
            report,
            names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")));
        return 1;
    }
    const auto state = read_state(loaded.config.state_dir, report);
    if (!state) {
        return 1;
    }
    const auto now =
        std::chrono::time_point_cast<engine::Duration>(std::chrono::system_clock::now());
    const auto lines = engine::build_report_lines(
        *def, loaded.rules, state->latest, state->instances, state->previous);
    // Sent now and not recorded: a preview leaves the schedule and the next trend as they were.
    bool all_ok = true;
    for (const auto& n : engine::build_report(*def, lines, now, now)) {
        const CheckedInstance* found = nullptr;
        for (const auto& c : checked->notifiers) {
            if (c.name == n.notifier) {
                found = &c;
            }
        }
        if (found == nullptr) {
            continue;  // the config check guarantees it exists
        }
        auto made =
            plugin_host::NotifierInstance::create(*found->plugin, found->name, found->config_json);
        if (!made) {
            std::cerr << "tocsin notify: " << made.error().text() << "\n";
            all_ok = false;
            continue;
        }
        const auto payload = render_notification_json(n, "");
        const auto result = made.value()->send(payload, engine::to_unix_ms(now + found->timeout));
        std::cout << fmt::format("report '{}' -> {}: {} ({} line(s))\n",
                                 report,
                                 n.notifier,
                                 status_word(result),
                                 lines.size());
        if (!result.detail.empty()) {
            std::cout << "  far end answered: " << result.detail << "\n";
        }
        if (!result.error.empty()) {
            std::cout << "  error: " << result.error << "\n";
        }
        all_ok = all_ok && result.status == TOCSIN_OK;
    }
    return all_ok ? 0 : 1;
}

}  // namespace tocsin::app
