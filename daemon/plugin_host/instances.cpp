#include "plugin_host/instances.hpp"

#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace tocsin::plugin_host {

namespace {

/// Bounds the memory one collect() can take, whatever the plugin does.
constexpr std::size_t kMaxSamplesPerCollect = 100000;

void log_callback(void* ctx, tocsin_log_level level, const char* message) {
    if (ctx == nullptr || message == nullptr) {
        return;
    }
    if (level < TOCSIN_LOG_DEBUG || level > TOCSIN_LOG_ERROR) {
        level = TOCSIN_LOG_INFO;
    }
    try {
        host_log(level, static_cast<const HostContext*>(ctx)->component, message);
    } catch (...) {  // out of memory building the string: drop the line
    }
}

std::string last_error_of(const tocsin_plugin* api, void* handle) {
    if (handle == nullptr) {
        return "the plugin gave no reason";
    }
    const char* text = nullptr;
    try {
        text = api->last_error(handle);
    } catch (...) {
        return "last_error() threw an exception";
    }
    return text != nullptr && *text != '\0' ? std::string(text)
                                            : std::string("the plugin gave no reason");
}

/// create() with everything checked; on success the handle, on failure the error (and the handle
/// destroyed).
Result<void*> create_handle(const PluginInfo& info,
                            const std::string& where,
                            HostContext& ctx,
                            const std::string& config_json) {
    const tocsin_plugin* api = info.api;
    tocsin_host host{};
    host.struct_size = sizeof(tocsin_host);
    host.ctx = &ctx;
    host.log = &log_callback;
    tocsin_status status = TOCSIN_OK;
    void* handle = nullptr;
    try {
        handle = api->create(config_json.c_str(), &host, &status);
    } catch (const std::exception& e) {
        return make_error(ErrorCode::Plugin,
                          "plugin '" + info.name + "' threw from create(): " + e.what(),
                          where);
    } catch (...) {
        return make_error(
            ErrorCode::Plugin, "plugin '" + info.name + "' threw from create()", where);
    }
    if (handle != nullptr && status == TOCSIN_OK) {
        return handle;
    }
    const std::string reason = last_error_of(api, handle);
    if (handle != nullptr) {
        api->destroy(handle);
    }
    if (status == TOCSIN_BAD_CONFIG) {
        return make_error(
            ErrorCode::Config, "plugin '" + info.name + "' refused the config: " + reason, where);
    }
    if (status == TOCSIN_OK) {  // OK but no instance: a broken plugin
        return make_error(
            ErrorCode::Plugin, "plugin '" + info.name + "' returned no instance", where);
    }
    return make_error(
        ErrorCode::Plugin, "plugin '" + info.name + "' could not start: " + reason, where);
}

bool valid_label_name(const char* name) {
    if (name == nullptr || *name == '\0') {
        return false;
    }
    for (const char* p = name; *p != '\0'; ++p) {
        const char c = *p;
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!letter && !(p != name && c >= '0' && c <= '9')) {
            return false;
        }
    }
    return true;
}

// Whether a sample's KPI was requested. Sources usually emit in request order, so the KPI of
// the last match and the one after it are tried first; the hash set of every requested name is
// built only when that guess fails. With 10,000 KPIs, a std::set of names built and searched on
// every collect cost more than the rest of the hand-over (bench/README.md, "Profile").
class RequestedKpis {
public:
    explicit RequestedKpis(const std::vector<SourceInstance::KpiQuery>& kpis) : kpis_(kpis) {}

    [[nodiscard]] bool contains(std::string_view kpi) {
        for (const std::size_t i : {last_, last_ + 1}) {
            if (i < kpis_.size() && kpis_[i].kpi == kpi) {
                last_ = i;
                return true;
            }
        }
        if (positions_.empty()) {
            positions_.reserve(kpis_.size());
            for (std::size_t i = 0; i < kpis_.size(); ++i) {
                positions_.try_emplace(std::string_view(kpis_[i].kpi), i);
            }
        }
        const auto it = positions_.find(kpi);
        if (it == positions_.end()) {
            return false;
        }
        last_ = it->second;
        return true;
    }

private:
    const std::vector<SourceInstance::KpiQuery>& kpis_;
    std::unordered_map<std::string_view, std::size_t> positions_;  // views of kpis_' names
    std::size_t last_ = 0;
};

struct Collector {
    explicit Collector(const std::vector<SourceInstance::KpiQuery>& kpis) : wanted(kpis) {}

    RequestedKpis wanted;
    std::vector<engine::Sample> samples;
    std::int64_t now_ms = 0;
    std::size_t refused = 0;
    std::string first_refusal;

    int32_t refuse(std::string why) {
        if (refused++ == 0) {
            first_refusal = std::move(why);
        }
        return 1;
    }

    int32_t take(const tocsin_sample* s) {
        constexpr std::size_t kNeeded =
            offsetof(tocsin_sample, timestamp_ms) + sizeof(std::int64_t);
        if (s == nullptr || s->struct_size < kNeeded) {
            return refuse("malformed sample struct");
        }
        if (s->kpi == nullptr || !wanted.contains(std::string_view(s->kpi))) {
            return refuse("sample for KPI '" + std::string(s->kpi != nullptr ? s->kpi : "") +
                          "', which was not requested");
        }
        if (!std::isfinite(s->value)) {
            return refuse("sample for KPI '" + std::string(s->kpi) + "' has a non-finite value");
        }
        if (s->timestamp_ms < 0) {
            return refuse("sample for KPI '" + std::string(s->kpi) + "' has a negative timestamp");
        }
        if (s->label_count > 0 && s->labels == nullptr) {
            return refuse("sample for KPI '" + std::string(s->kpi) + "' has labels = NULL");
        }
        if (samples.size() >= kMaxSamplesPerCollect) {
            return refuse("more than " + std::to_string(kMaxSamplesPerCollect) +
                          " samples in one collect");
        }
        engine::Sample out;
        out.kpi = s->kpi;
        out.value = s->value;
        out.at = engine::from_unix_ms(s->timestamp_ms != 0 ? s->timestamp_ms : now_ms);
        for (std::size_t i = 0; i < s->label_count; ++i) {
            const tocsin_label& l = s->labels[i];
            if (!valid_label_name(l.name)) {
                return refuse("sample for KPI '" + out.kpi + "' has an invalid label name '" +
                              std::string(l.name != nullptr ? l.name : "") + "'");
            }
            if (l.value == nullptr) {
                return refuse("sample for KPI '" + out.kpi + "' has label '" + l.name +
                              "' without a value");
            }
            if (!out.labels.emplace(l.name, l.value).second) {
                return refuse("sample for KPI '" + out.kpi + "' repeats label '" + l.name + "'");
            }
        }
        samples.push_back(std::move(out));
        return 0;
    }
};

int32_t emit_callback(void* ctx, const tocsin_sample* sample) {
    try {
        return static_cast<Collector*>(ctx)->take(sample);
    } catch (...) {  // out of memory: refuse rather than unwind through the plugin
        return 1;
    }
}

std::int64_t system_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

// ---- SourceInstance ----

SourceInstance::SourceInstance(const PluginInfo& info, std::string name)
    : info_(info), name_(std::move(name)), ctx_{"source." + info.name + " '" + name_ + "'"} {}

SourceInstance::~SourceInstance() {
    if (handle_ != nullptr) {
        const std::lock_guard lock(mutex_);
        info_.api->destroy(handle_);
    }
}

Result<std::unique_ptr<SourceInstance>> SourceInstance::create(const PluginInfo& info,
                                                               std::string name,
                                                               const std::string& config_json) {
    if (info.kind != TOCSIN_KIND_SOURCE || info.api == nullptr) {
        return make_error(ErrorCode::Plugin,
                          "plugin '" + info.name + "' is not a source",
                          "source '" + name + "'");
    }
    std::unique_ptr<SourceInstance> inst(new SourceInstance(info, std::move(name)));
    auto handle = create_handle(info, "source '" + inst->name_ + "'", inst->ctx_, config_json);
    if (!handle) {
        return handle.error();
    }
    inst->handle_ = handle.value();
    return inst;
}

Result<std::vector<engine::Sample>> SourceInstance::collect(const std::vector<KpiQuery>& kpis,
                                                            std::int64_t deadline_unix_ms) {
    return collect(kpis, deadline_unix_ms, system_now_ms());
}

Result<std::vector<engine::Sample>> SourceInstance::collect(const std::vector<KpiQuery>& kpis,
                                                            std::int64_t deadline_unix_ms,
                                                            std::int64_t now_ms) {
    const std::string where = "source '" + name_ + "'";
    Collector collector(kpis);
    collector.now_ms = now_ms;
    std::vector<tocsin_kpi_request> requests;
    requests.reserve(kpis.size());
    collector.samples.reserve(kpis.size());  // usually one series per KPI
    for (const auto& k : kpis) {
        requests.push_back(tocsin_kpi_request{
            k.kpi.c_str(), k.params_json.empty() ? "{}" : k.params_json.c_str()});
    }
    tocsin_collect_request request{};
    request.struct_size = sizeof(tocsin_collect_request);
    request.kpis = requests.data();
    request.kpi_count = requests.size();
    request.deadline_ms = deadline_unix_ms;
    request.emit = &emit_callback;
    request.emit_ctx = &collector;

    const std::lock_guard lock(mutex_);
    tocsin_status status = TOCSIN_FAILED;
    try {
        status = info_.api->collect(handle_, &request);
    } catch (const std::exception& e) {
        return make_error(
            ErrorCode::Source, std::string("collect threw an exception: ") + e.what(), where);
    } catch (...) {
        return make_error(ErrorCode::Source, "collect threw an exception", where);
    }
    if (collector.refused > 0) {
        host_log(TOCSIN_LOG_WARNING,
                 ctx_.component,
                 "refused " + std::to_string(collector.refused) + " sample" +
                     (collector.refused == 1 ? "" : "s") + ": " + collector.first_refusal);
    }
    if (status == TOCSIN_OK) {
        return std::move(collector.samples);
    }
    const std::string reason = last_error_of(info_.api, handle_);
    return make_error(
        ErrorCode::Source,
        std::string(status == TOCSIN_RETRY ? "collect failed (temporary): " : "collect failed: ") +
            reason,
        where);
}

// ---- NotifierInstance ----

NotifierInstance::NotifierInstance(const PluginInfo& info, std::string name)
    : info_(info), name_(std::move(name)), ctx_{"notify." + info.name + " '" + name_ + "'"} {}

NotifierInstance::~NotifierInstance() {
    if (handle_ != nullptr) {
        const std::lock_guard lock(mutex_);
        info_.api->destroy(handle_);
    }
}

Result<std::unique_ptr<NotifierInstance>> NotifierInstance::create(const PluginInfo& info,
                                                                   std::string name,
                                                                   const std::string& config_json) {
    if (info.kind != TOCSIN_KIND_NOTIFIER || info.api == nullptr) {
        return make_error(ErrorCode::Plugin,
                          "plugin '" + info.name + "' is not a notifier",
                          "notifier '" + name + "'");
    }
    std::unique_ptr<NotifierInstance> inst(new NotifierInstance(info, std::move(name)));
    auto handle = create_handle(info, "notifier '" + inst->name_ + "'", inst->ctx_, config_json);
    if (!handle) {
        return handle.error();
    }
    inst->handle_ = handle.value();
    return inst;
}

NotifierInstance::SendResult NotifierInstance::send(const std::string& notification_json,
                                                    std::int64_t deadline_unix_ms) {
    SendResult out;
    tocsin_send_result result{};
    result.struct_size = sizeof(tocsin_send_result);
    tocsin_status status = TOCSIN_FAILED;
    {
        const std::lock_guard lock(mutex_);
        try {
            status = info_.api->send(handle_, notification_json.c_str(), deadline_unix_ms, &result);
        } catch (const std::exception& e) {
            out.error = std::string("send threw an exception: ") + e.what();
            return out;
        } catch (...) {
            out.error = "send threw an exception";
            return out;
        }
        result.detail[sizeof(result.detail) - 1] = '\0';  // never trust the plugin to terminate it
        out.detail = result.detail;
        if (status != TOCSIN_OK && status != TOCSIN_RETRY && status != TOCSIN_FAILED) {
            out.status = TOCSIN_FAILED;
            out.error = "send returned status " + std::to_string(static_cast<int>(status)) +
                        ", which the ABI does not define";
            return out;
        }
        out.status = status;
        if (status != TOCSIN_OK) {
            out.error = last_error_of(info_.api, handle_);
        }
    }
    if (status == TOCSIN_RETRY && result.retry_after_ms > 0) {
        out.retry_after_ms = result.retry_after_ms;
    }
    return out;
}

}  // namespace tocsin::plugin_host
