#include "app/plugin_check.hpp"

#include "app/notification_json.hpp"
#include "engine/loader.hpp"
#include "engine/yaml_util.hpp"
#include "plugin_host/config_check.hpp"
#include "plugin_host/instances.hpp"
#include "plugin_host/registry.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <ostream>
#include <variant>

namespace tocsin::app {
namespace {

namespace yaml = engine::yaml;
using engine::RawValue;

/// What FILE holds besides the instance's own keys.
struct CheckFile {
    engine::PluginInstanceConfig instance;
    std::vector<engine::KpiDef> kpis;
    std::optional<yaml::Node> notification;
    engine::SourceLoc notification_loc;
    bool has_kpis = false;
};

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// A YAML node as JSON: maps and lists as they are, quoted scalars as strings, plain scalars as
/// null/bool/number where they read as one (YAML 1.2 core schema), else as strings.
boost::json::value to_json(const yaml::Node& node) {
    if (node.IsMap()) {
        boost::json::object object;
        for (const auto& item : node) {
            object[item.first.Scalar()] = to_json(item.second);
        }
        return object;
    }
    if (node.IsSequence()) {
        boost::json::array array;
        for (const auto& item : node) {
            array.push_back(to_json(item));
        }
        return array;
    }
    if (!node.IsScalar()) {
        return nullptr;
    }
    const std::string& text = node.Scalar();
    if (node.Tag() == "!") {  // quoted: always a string
        return boost::json::value(text);
    }
    if (text == "null" || text == "~" || text.empty()) {
        return nullptr;
    }
    if (text == "true" || text == "false") {
        return text == "true";
    }
    boost::json::error_code ec;
    auto parsed = boost::json::parse(text, ec);
    if (!ec && parsed.is_number()) {
        return parsed;
    }
    return boost::json::value(text);
}

/// A test notification for notifiers checked without `notification:`.
std::string test_notification(const std::string& receiver) {
    engine::Notification n;
    const auto now = engine::from_unix_ms(unix_ms_now());
    n.id = "tocsin-plugin-check-" + std::to_string(unix_ms_now()) + "/" + receiver;
    n.notifier = receiver;
    n.kind = engine::NotificationKind::Firing;
    n.at = now;
    n.alert = "TocsinPluginCheck";
    n.kpi = "tocsin_plugin_check";
    n.fingerprint = "0000000000000000";
    n.labels = {{"alertname", "TocsinPluginCheck"}, {"severity", "warning"}};
    n.severity = engine::Severity::Warning;
    n.value = 1;
    n.threshold = 0;
    n.summary = "Test notification from 'tocsin plugins --check'; nothing is wrong";
    n.starts_at = now;
    return render_notification_json(n, "");
}

/// Reads FILE into `out`; problems go to the reader's diagnostics.
void read_check_file(yaml::Reader& reader,
                     const yaml::Node& root,
                     const plugin_host::PluginInfo& info,
                     const std::string& kind_word,
                     CheckFile& out) {
    auto& inst = out.instance;
    inst.name = info.name;
    inst.plugin = info.name;
    const std::string path = kind_word + " '" + inst.name + "'";
    inst.loc = reader.loc(root);
    auto fields = reader.fields(root, inst.loc, path);
    if (!fields) {
        return;
    }
    const bool source = info.kind == TOCSIN_KIND_SOURCE;
    for (const auto& f : *fields) {
        const std::string key_path = yaml::join_path(path, f.key);
        if (f.key == "plugin") {
            if (!f.node.IsScalar() || f.node.Scalar() != info.name) {
                reader.error(f.loc,
                             key_path,
                             "this module is plugin '" + info.name + "', not " +
                                 reader.describe(f.node) + "; fix plugin: or leave it out");
            }
            inst.plugin_loc = f.loc;
        } else if (f.key == "timeout") {
            if (auto d = reader.duration(f, key_path)) {
                inst.timeout = *d;
            }
        } else if (f.key == "every" && source) {
            inst.every = reader.duration(f, key_path);
        } else if (f.key == "kpis" && source) {
            out.has_kpis = true;
            auto kpis = reader.fields(f.node, f.loc, "kpis");
            for (const auto& k : kpis.value_or(std::vector<yaml::Field>{})) {
                engine::KpiDef def;
                def.name = k.key;
                def.source = inst.name;
                def.loc = k.key_loc;
                const std::string kpi_path = "kpi '" + k.key + "'";
                auto params = reader.fields(k.node, k.loc, kpi_path);
                for (const auto& p : params.value_or(std::vector<yaml::Field>{})) {
                    def.params.push_back(engine::RawEntry{
                        p.key,
                        p.key_loc,
                        reader.raw(p.node, p.loc, yaml::join_path(kpi_path, p.key))});
                }
                out.kpis.push_back(std::move(def));
            }
        } else if (f.key == "notification" && !source) {
            out.notification = f.node;
            out.notification_loc = f.loc;
        } else {
            inst.settings.push_back(
                engine::RawEntry{f.key, f.key_loc, reader.raw(f.node, f.loc, key_path)});
        }
    }
    if (source && !out.has_kpis) {
        reader.error(inst.loc,
                     path,
                     "missing key 'kpis'; list the KPIs to collect with their keys, e.g. kpis: "
                     "{ signups: { query: ... } }");
    }
}

std::string labels_text(const engine::Labels& labels) {
    std::string text;
    for (const auto& [name, value] : labels) {
        text += (text.empty() ? "" : ",") + name + "=" + value;
    }
    return text.empty() ? "-" : text;
}

int run_collect(const plugin_host::PluginInfo& info,
                const std::string& config_json,
                const CheckFile& file,
                const std::vector<std::string>& params,
                std::ostream& out,
                std::ostream& err) {
    auto created = plugin_host::SourceInstance::create(info, file.instance.name, config_json);
    if (!created) {
        err << "tocsin: " << created.error().text() << "\n";
        return 1;
    }
    std::vector<plugin_host::SourceInstance::KpiQuery> queries;
    for (std::size_t i = 0; i < file.kpis.size(); ++i) {
        queries.push_back({file.kpis[i].name, params[i]});
    }
    const auto started = std::chrono::steady_clock::now();
    auto samples = created.value()->collect(queries, unix_ms_now() + file.instance.timeout.count());
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    if (!samples) {
        err << fmt::format("tocsin: collect failed after {}: {}\n",
                           engine::format_duration(took),
                           samples.error().text());
        return 1;
    }
    const auto& list = samples.value();
    out << fmt::format("{} sample(s) in {}\n", list.size(), engine::format_duration(took));
    std::size_t kpi_width = 3;
    std::size_t label_width = 6;
    for (const auto& s : list) {
        kpi_width = std::max(kpi_width, s.kpi.size());
        label_width = std::max(label_width, labels_text(s.labels).size());
    }
    if (!list.empty()) {
        out << fmt::format("{:<{}}  {:<{}}  {:>14}  {}\n",
                           "KPI",
                           kpi_width,
                           "LABELS",
                           label_width,
                           "VALUE",
                           "TIME");
    }
    for (const auto& s : list) {
        out << fmt::format("{:<{}}  {:<{}}  {:>14}  {}\n",
                           s.kpi,
                           kpi_width,
                           labels_text(s.labels),
                           label_width,
                           fmt::format("{:g}", s.value),
                           engine::format_rfc3339(s.at));
    }
    for (const auto& k : file.kpis) {
        const bool seen = std::any_of(
            list.begin(), list.end(), [&](const engine::Sample& s) { return s.kpi == k.name; });
        if (!seen) {
            out << "note: no sample for KPI '" << k.name << "'\n";
        }
    }
    return 0;
}

int run_send(const plugin_host::PluginInfo& info,
             const std::string& config_json,
             const CheckFile& file,
             std::ostream& out,
             std::ostream& err) {
    auto created = plugin_host::NotifierInstance::create(info, file.instance.name, config_json);
    if (!created) {
        err << "tocsin: " << created.error().text() << "\n";
        return 1;
    }
    const std::string notification = file.notification
                                         ? boost::json::serialize(to_json(*file.notification))
                                         : test_notification(file.instance.name);
    const auto started = std::chrono::steady_clock::now();
    const auto r =
        created.value()->send(notification, unix_ms_now() + file.instance.timeout.count());
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    const char* status = r.status == TOCSIN_OK      ? "ok"
                         : r.status == TOCSIN_RETRY ? "retry"
                                                    : "failed";
    out << fmt::format("send: {} in {}\n", status, engine::format_duration(took));
    if (!r.detail.empty()) {
        out << "detail: " << r.detail << "\n";
    }
    if (r.status == TOCSIN_RETRY && r.retry_after_ms > 0) {
        out << "retry after: " << engine::format_duration(engine::Duration{r.retry_after_ms})
            << "\n";
    }
    if (r.status != TOCSIN_OK) {
        err << "tocsin: send " << status << ": " << r.error << "\n";
        return 1;
    }
    return 0;
}

}  // namespace

int command_plugin_check(const std::string& module_path,
                         const std::string& config_path,
                         std::ostream& out,
                         std::ostream& err) {
    auto loaded = plugin_host::Registry::load_one(module_path);
    if (const auto* refusal = std::get_if<plugin_host::Refusal>(&loaded)) {
        err << "tocsin: " << refusal->text() << "\n";
        return 1;
    }
    const auto& info = std::get<plugin_host::PluginInfo>(loaded);
    const std::string kind_word = info.kind == TOCSIN_KIND_SOURCE ? "source" : "notifier";
    out << fmt::format("{} {} ({}, ABI {}.{}) from {}\n",
                       info.name,
                       info.version,
                       kind_word,
                       info.abi_major,
                       info.abi_minor,
                       info.path);

    engine::Diagnostics diags;
    std::string why;
    const auto text = yaml::read_text_file(config_path, why);
    if (!text) {
        err << "tocsin: cannot read " << config_path << ": " << why << "\n";
        return 1;
    }
    const auto env = engine::process_env();
    const auto dir = std::filesystem::absolute(config_path).parent_path().string();
    yaml::Reader reader(config_path, dir, diags, &env);
    CheckFile file;
    std::optional<std::string> config_json;
    std::vector<std::string> params;
    if (auto root = reader.load(*text)) {
        read_check_file(reader, *root, info, kind_word, file);
        if (!diags.has_errors()) {
            config_json = plugin_host::check_instance_config(file.instance, info, kind_word, diags);
            for (const auto& k : file.kpis) {
                params.push_back(plugin_host::check_kpi_params(k, info, diags).value_or("{}"));
            }
        }
    }
    if (diags.has_errors() || !config_json) {
        err << diags.render(false)
            << fmt::format("tocsin: {} error(s) in {}; the plugin was not run\n",
                           std::max(diags.error_count(), 1),
                           config_path);
        return 1;
    }
    if (!diags.all().empty()) {
        err << diags.render(false);
    }
    return info.kind == TOCSIN_KIND_SOURCE ? run_collect(info, *config_json, file, params, out, err)
                                           : run_send(info, *config_json, file, out, err);
}

}  // namespace tocsin::app
