#pragma once

// A fake host for the plugin tests: loads a built plugin module with dlopen (the same C entry
// point the daemon uses), creates instances from config JSON and calls collect()/send() through
// the ABI, capturing samples and log lines.

#include <tocsin/sdk/abi.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace tocsin::testing {

/// The entry struct of `TOCSIN_PLUGIN_DIR/<file_name>`; the module stays loaded until exit, as in
/// the daemon. Throws std::runtime_error with dlerror() when it cannot be loaded.
const tocsin_plugin& load_plugin(const std::string& file_name);

struct CapturedSample {
    std::string kpi;
    double value = 0;
    std::vector<std::pair<std::string, std::string>> labels;
    std::int64_t timestamp_ms = 0;

    /// The value of label `name`, or "<absent>".
    [[nodiscard]] std::string label(const std::string& name) const;
};

struct LogLine {
    tocsin_log_level level;
    std::string text;
};

struct CollectOutcome {
    tocsin_status status = TOCSIN_OK;
    std::string error;  // last_error() when status is not OK
    std::vector<CapturedSample> samples;
};

struct SendOutcome {
    tocsin_status status = TOCSIN_OK;
    std::string error;  // last_error() when status is not OK
    std::int64_t retry_after_ms = 0;
    std::string detail;
};

/// One instance created through plugin.create(), destroyed through plugin.destroy().
class PluginInstance {
public:
    PluginInstance(const tocsin_plugin& plugin, const std::string& config_json);
    ~PluginInstance();
    PluginInstance(const PluginInstance&) = delete;
    PluginInstance& operator=(const PluginInstance&) = delete;
    PluginInstance(PluginInstance&&) = delete;
    PluginInstance& operator=(PluginInstance&&) = delete;

    [[nodiscard]] tocsin_status create_status() const { return create_status_; }
    [[nodiscard]] std::string last_error() const;
    [[nodiscard]] std::vector<LogLine> logs() const;
    /// Log lines at `level` containing `text`.
    [[nodiscard]] std::size_t count_logs(tocsin_log_level level, const std::string& text) const;

    /// Calls collect() for (kpi, params JSON) pairs with a deadline `timeout` from now.
    CollectOutcome collect(const std::vector<std::pair<std::string, std::string>>& kpis,
                           std::chrono::milliseconds timeout);
    /// Calls send() with a deadline `timeout` from now.
    SendOutcome send(const std::string& notification_json, std::chrono::milliseconds timeout);

private:
    static void on_log(void* ctx, tocsin_log_level level, const char* message);
    static std::int32_t on_emit(void* ctx, const tocsin_sample* sample);

    const tocsin_plugin& plugin_;
    void* instance_ = nullptr;
    tocsin_status create_status_ = TOCSIN_FAILED;
    mutable std::mutex log_mutex_;
    std::vector<LogLine> logs_;
};

/// Unix milliseconds now.
std::int64_t unix_ms_now();

}  // namespace tocsin::testing
