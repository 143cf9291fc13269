#include "app/commands.hpp"

#include "app/checked_config.hpp"
#include "app/notification_json.hpp"
#include "engine/rule_test.hpp"
#include "engine/simulate.hpp"
#include "engine/yaml_util.hpp"
#include "plugin_host/instances.hpp"
#include "plugin_host/registry.hpp"

#include <fmt/format.h>

#include <iostream>

namespace tocsin::app {
namespace {

const char* type_name(tocsin_config_type type) {
    switch (type) {
        case TOCSIN_TYPE_STRING:
            return "string";
        case TOCSIN_TYPE_INT:
            return "integer";
        case TOCSIN_TYPE_NUMBER:
            return "number";
        case TOCSIN_TYPE_BOOL:
            return "boolean";
        case TOCSIN_TYPE_DURATION:
            return "duration";
        case TOCSIN_TYPE_STRING_LIST:
            return "list of strings";
        case TOCSIN_TYPE_STRING_MAP:
            return "map of strings";
    }
    return "?";
}

void print_keys(const char* title, const std::vector<plugin_host::KeySpec>& keys) {
    if (keys.empty()) {
        return;
    }
    std::cout << "    " << title << ":\n";
    for (const auto& k : keys) {
        std::string flags = type_name(k.type);
        if (k.required) {
            flags += ", required";
        }
        if (k.default_json) {
            std::string shown = *k.default_json;
            if (k.type == TOCSIN_TYPE_DURATION && !shown.empty() && shown.front() != '"') {
                // Durations cross the ABI as milliseconds; show them as users write them.
                shown = engine::format_duration(engine::Duration{std::stoll(shown)});
            }
            flags += ", default " + shown;
        }
        if (k.secret) {
            flags += ", secret";
        }
        std::cout << fmt::format("      {:<18} {} ({})\n", k.name, k.description, flags);
    }
}

}  // namespace

int command_check(const std::string& config_path, bool json) {
    engine::Diagnostics diags;
    auto checked = check_config(config_path, diags);
    if (json) {
        std::cout << diags.render_json() << "\n";
    } else if (!diags.all().empty()) {
        std::cerr << diags.render(checked == std::nullopt);
    }
    if (!checked) {
        return 1;
    }
    if (!json) {
        const auto& loaded = *checked->loaded;
        std::cout << fmt::format(
            "{}: ok: {} KPI(s), {} rule(s), {} polic{}, {} source(s), {} notifier(s), {} "
            "report(s)\n",
            config_path,
            loaded.rules.kpis.size() - checked->builtin_rules,
            loaded.rules.rules.size() - checked->builtin_rules,
            loaded.rules.policies.size(),
            loaded.rules.policies.size() == 1 ? "y" : "ies",
            checked->sources.size() + checked->push_sources.size(),
            checked->notifiers.size(),
            loaded.rules.reports.size());
    }
    return 0;
}

int command_simulate(const std::string& config_path,
                     const std::string& series_path,
                     const std::string& from_text,
                     const std::string& to_text) {
    const auto from = engine::parse_rfc3339(from_text);
    const auto to = engine::parse_rfc3339(to_text);
    if (!from || !to || *to < *from) {
        std::cerr << "tocsin simulate: --from and --to must be RFC 3339 times, from before to "
                     "(e.g. 2026-01-05T00:00:00Z)\n";
        return 2;
    }
    engine::Diagnostics diags;
    auto checked = check_config(config_path, diags);
    if (!checked) {
        std::cerr << diags.render(true);
        return 1;
    }
    std::string why;
    const auto text = engine::yaml::read_text_file(series_path, why);
    if (!text) {
        std::cerr << "tocsin simulate: cannot read " << series_path << ": " << why << "\n";
        return 1;
    }
    auto samples = engine::parse_series_csv(*text, why);
    if (!samples) {
        std::cerr << series_path << ": " << why << "\n";
        return 1;
    }
    const auto sent = engine::simulate(checked->loaded, std::move(*samples), *from, *to);
    std::cout << engine::format_timeline(sent);
    std::cout << fmt::format("tocsin: {} notification(s) from {} to {}\n",
                             sent.size(),
                             engine::format_rfc3339(*from),
                             engine::format_rfc3339(*to));
    return 0;
}

int command_test(const std::vector<std::string>& files) {
    engine::Diagnostics diags;
    // run_rule_tests prints each file's diagnostics itself, before its final count line.
    const auto summary = engine::run_rule_tests(files, std::cout, diags);
    return summary.failed == 0 && !diags.has_errors() && summary.cases > 0 ? 0 : 1;
}

int command_notify_test(const std::string& config_path, const std::string& notifier) {
    engine::Diagnostics diags;
    auto checked = check_config(config_path, diags);
    if (!checked) {
        std::cerr << diags.render(true);
        return 1;
    }
    const CheckedInstance* found = nullptr;
    std::vector<std::string> names;
    for (const auto& n : checked->notifiers) {
        names.push_back(n.name);
        if (n.name == notifier) {
            found = &n;
        }
    }
    if (found == nullptr) {
        std::cerr << fmt::format(
            "tocsin notify: no notifier named '{}'; configured: {}\n",
            notifier,
            names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")));
        return 1;
    }
    auto made =
        plugin_host::NotifierInstance::create(*found->plugin, found->name, found->config_json);
    if (!made) {
        std::cerr << "tocsin notify: " << made.error().text() << "\n";
        return 1;
    }
    const auto now =
        std::chrono::time_point_cast<engine::Duration>(std::chrono::system_clock::now());
    engine::Notification n;
    n.kind = engine::NotificationKind::Test;
    n.notifier = notifier;
    n.id = "test-" + std::to_string(engine::to_unix_ms(now)) + "/" + notifier;
    n.at = now;
    n.alert = "TocsinTest";
    n.kpi = "tocsin_test";
    n.labels = {{"alertname", "TocsinTest"}, {"severity", "warning"}};
    n.fingerprint = engine::fingerprint(n.labels);
    n.severity = engine::Severity::Warning;
    n.summary = "This is a test message from tocsin (tocsin notify --test " + notifier +
                "); no action is needed.";
    n.starts_at = now;
    const auto payload = render_notification_json(n, "");
    const auto started = std::chrono::steady_clock::now();
    const auto result = made.value()->send(payload, engine::to_unix_ms(now + found->timeout));
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    const char* status = result.status == TOCSIN_OK      ? "delivered"
                         : result.status == TOCSIN_RETRY ? "temporary failure (would retry)"
                                                         : "permanent failure";
    std::cout << fmt::format("{}: {} in {} ms\n", notifier, status, took.count());
    if (!result.detail.empty()) {
        std::cout << "  far end answered: " << result.detail << "\n";
    }
    if (!result.error.empty()) {
        std::cout << "  error: " << result.error << "\n";
    }
    if (result.retry_after_ms > 0) {
        std::cout << fmt::format("  asked to wait {} ms before retrying\n", result.retry_after_ms);
    }
    return result.status == TOCSIN_OK ? 0 : 1;
}

int command_plugins(const std::string& config_path, const std::vector<std::string>& dirs) {
    std::vector<std::string> search = dirs;
    if (search.empty()) {
        engine::Diagnostics diags;
        auto loaded = engine::load_config(config_path, diags);
        if (!loaded) {
            std::cerr << diags.render(false)
                      << "tocsin: cannot read plugin_dirs from the config; pass --plugin-dir DIR\n";
            return 1;
        }
        search = loaded->config.plugin_dirs;
    }
    const auto registry = plugin_host::Registry::scan(search);
    for (const auto& p : registry.plugins()) {
        std::cout << fmt::format("{} {} ({}, ABI {}.{})\n    {}\n    file: {}\n",
                                 p.name,
                                 p.version,
                                 p.kind == TOCSIN_KIND_SOURCE ? "source" : "notifier",
                                 p.abi_major,
                                 p.abi_minor,
                                 p.description,
                                 p.path);
        print_keys("keys", p.config_keys);
        print_keys("per-KPI keys", p.kpi_keys);
    }
    for (const auto& r : registry.refusals()) {
        std::cerr << fmt::format("{}: refused: {}\n", r.path, r.reason);
    }
    if (registry.plugins().empty()) {
        std::cerr << fmt::format("tocsin: no plugins found in {}\n", fmt::join(search, ", "));
        return 1;
    }
    return 0;
}

}  // namespace tocsin::app
