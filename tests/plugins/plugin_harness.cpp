#include "plugin_harness.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <map>
#include <stdexcept>

namespace tocsin::testing {

const tocsin_plugin& load_plugin(const std::string& file_name) {
    static std::mutex mutex;
    static std::map<std::string, const tocsin_plugin*> loaded;
    std::lock_guard lock(mutex);
    if (const auto it = loaded.find(file_name); it != loaded.end()) {
        return *it->second;
    }
    const std::string path = std::string(TOCSIN_PLUGIN_DIR) + "/" + file_name;
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        throw std::runtime_error("cannot load " + path + ": " + ::dlerror());
    }
    void* symbol = ::dlsym(handle, TOCSIN_PLUGIN_ENTRY_SYMBOL);
    if (symbol == nullptr) {
        throw std::runtime_error(path + " has no " TOCSIN_PLUGIN_ENTRY_SYMBOL);
    }
    // dlsym hands out an object pointer; POSIX guarantees it converts to a function pointer.
    auto entry = reinterpret_cast<tocsin_plugin_entry_fn>(symbol);
    const tocsin_plugin* plugin = entry();
    if (plugin == nullptr) {
        throw std::runtime_error(path + ": " TOCSIN_PLUGIN_ENTRY_SYMBOL " returned null");
    }
    loaded.emplace(file_name, plugin);
    return *plugin;
}

std::string CapturedSample::label(const std::string& name) const {
    for (const auto& [key, text] : labels) {
        if (key == name) {
            return text;
        }
    }
    return "<absent>";
}

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

PluginInstance::PluginInstance(const tocsin_plugin& plugin, const std::string& config_json)
    : plugin_(plugin) {
    tocsin_host host{};
    host.struct_size = sizeof(tocsin_host);
    host.ctx = this;
    host.log = &PluginInstance::on_log;
    instance_ = plugin_.create(config_json.c_str(), &host, &create_status_);
}

PluginInstance::~PluginInstance() {
    if (instance_ != nullptr) {
        plugin_.destroy(instance_);
    }
}

std::string PluginInstance::last_error() const {
    if (instance_ == nullptr) {
        return "<no instance>";
    }
    const char* text = plugin_.last_error(instance_);
    return text != nullptr ? text : "";
}

std::vector<LogLine> PluginInstance::logs() const {
    std::lock_guard lock(log_mutex_);
    return logs_;
}

std::size_t PluginInstance::count_logs(tocsin_log_level level, const std::string& text) const {
    std::lock_guard lock(log_mutex_);
    return static_cast<std::size_t>(
        std::count_if(logs_.begin(), logs_.end(), [&](const LogLine& l) {
            return l.level == level && l.text.find(text) != std::string::npos;
        }));
}

void PluginInstance::on_log(void* ctx, tocsin_log_level level, const char* message) {
    auto* self = static_cast<PluginInstance*>(ctx);
    std::lock_guard lock(self->log_mutex_);
    self->logs_.push_back(LogLine{level, message != nullptr ? message : ""});
}

std::int32_t PluginInstance::on_emit(void* ctx, const tocsin_sample* sample) {
    auto* out = static_cast<std::vector<CapturedSample>*>(ctx);
    CapturedSample captured;
    captured.kpi = sample->kpi;
    captured.value = sample->value;
    captured.timestamp_ms = sample->timestamp_ms;
    for (std::size_t i = 0; i < sample->label_count; ++i) {
        captured.labels.emplace_back(sample->labels[i].name, sample->labels[i].value);
    }
    out->push_back(std::move(captured));
    return 0;
}

CollectOutcome PluginInstance::collect(const std::vector<std::pair<std::string, std::string>>& kpis,
                                       std::chrono::milliseconds timeout) {
    CollectOutcome outcome;
    std::vector<tocsin_kpi_request> requests;
    for (const auto& [kpi, params] : kpis) {
        requests.push_back(tocsin_kpi_request{kpi.c_str(), params.c_str()});
    }
    tocsin_collect_request request{};
    request.struct_size = sizeof(request);
    request.kpis = requests.data();
    request.kpi_count = requests.size();
    request.deadline_ms = unix_ms_now() + timeout.count();
    request.emit = &PluginInstance::on_emit;
    request.emit_ctx = &outcome.samples;
    outcome.status = plugin_.collect(instance_, &request);
    if (outcome.status != TOCSIN_OK) {
        outcome.error = last_error();
    }
    return outcome;
}

SendOutcome PluginInstance::send(const std::string& notification_json,
                                 std::chrono::milliseconds timeout) {
    SendOutcome outcome;
    tocsin_send_result result{};
    result.struct_size = sizeof(result);
    outcome.status = plugin_.send(
        instance_, notification_json.c_str(), unix_ms_now() + timeout.count(), &result);
    outcome.retry_after_ms = result.retry_after_ms;
    outcome.detail = result.detail;
    if (outcome.status != TOCSIN_OK) {
        outcome.error = last_error();
    }
    return outcome;
}

}  // namespace tocsin::testing
