#pragma once

#include "engine/alert.hpp"
#include "engine/result.hpp"
#include "plugin_host/host_log.hpp"
#include "plugin_host/registry.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

/// Live plugin instances: one configured `sources:`/`notifiers:` item each, created from the JSON
/// that check_instance_config() produced. These are the only places the host calls into plugin
/// code after loading.
/// Threading: every call on one instance takes its mutex, so calls never overlap (the ABI
/// promises plugins that); different instances run in parallel. Calls block for as long as the
/// plugin takes: run them on the worker pool, never on the event loop.
/// Errors: a plugin's failure, and any exception that escapes it, comes back as an Error (or a
/// FAILED SendResult) naming the instance; nothing propagates.
namespace tocsin::plugin_host {

/// What the host hands a plugin instance as `tocsin_host::ctx`: its log component tag.
struct HostContext {
    std::string component;
};

class SourceInstance {
public:
    /// Calls the plugin's create() with `config_json`. Fails (ErrorCode::Config for a config the
    /// plugin refused, ErrorCode::Plugin otherwise) with the plugin's last_error text.
    static Result<std::unique_ptr<SourceInstance>> create(const PluginInfo& info,
                                                          std::string name,
                                                          const std::string& config_json);
    ~SourceInstance();
    SourceInstance(const SourceInstance&) = delete;
    SourceInstance& operator=(const SourceInstance&) = delete;

    struct KpiQuery {
        std::string kpi;
        std::string params_json;  // from check_kpi_params(); empty means {}
    };

    /// Runs one collect() and returns the samples emitted; a sample with timestamp 0 gets
    /// `now_ms`. Samples for KPIs not asked for, with bad labels or non-finite values are refused
    /// (the plugin is told, and a warning is logged). Fails with the plugin's error text.
    Result<std::vector<engine::Sample>> collect(const std::vector<KpiQuery>& kpis,
                                                std::int64_t deadline_unix_ms,
                                                std::int64_t now_ms);
    /// The same with `now_ms` read from the system clock when the call starts.
    Result<std::vector<engine::Sample>> collect(const std::vector<KpiQuery>& kpis,
                                                std::int64_t deadline_unix_ms);

    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] const PluginInfo& info() const { return info_; }
    /// `source.<plugin> '<instance>'`.
    [[nodiscard]] const std::string& component() const { return ctx_.component; }

private:
    SourceInstance(const PluginInfo& info, std::string name);

    PluginInfo info_;
    std::string name_;
    HostContext ctx_;
    void* handle_ = nullptr;
    std::mutex mutex_;
};

class NotifierInstance {
public:
    /// Calls the plugin's create() with `config_json`; fails as SourceInstance::create() does.
    static Result<std::unique_ptr<NotifierInstance>> create(const PluginInfo& info,
                                                            std::string name,
                                                            const std::string& config_json);
    ~NotifierInstance();
    NotifierInstance(const NotifierInstance&) = delete;
    NotifierInstance& operator=(const NotifierInstance&) = delete;

    struct SendResult {
        tocsin_status status = TOCSIN_FAILED;  // TOCSIN_OK, TOCSIN_RETRY or TOCSIN_FAILED
        std::int64_t retry_after_ms = 0;       // with TOCSIN_RETRY: what the far end asked for
        std::string detail;                    // what the far end answered ("HTTP 200")
        std::string error;                     // with RETRY/FAILED: the plugin's last_error
    };

    /// Delivers one notification; never throws. Anything odd the plugin does (an exception, a
    /// status outside the ABI) becomes TOCSIN_FAILED with a reason in `error`.
    SendResult send(const std::string& notification_json, std::int64_t deadline_unix_ms);

    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] const PluginInfo& info() const { return info_; }
    /// `notify.<plugin> '<instance>'`.
    [[nodiscard]] const std::string& component() const { return ctx_.component; }

private:
    NotifierInstance(const PluginInfo& info, std::string name);

    PluginInfo info_;
    std::string name_;
    HostContext ctx_;
    void* handle_ = nullptr;
    std::mutex mutex_;
};

}  // namespace tocsin::plugin_host
