#pragma once

/// The export macros: turn a Source or Notifier class into the one C entry point of the ABI.
///
///   static const tocsin_config_key kConfigKeys[] = {
///       {"path", TOCSIN_TYPE_STRING, 1, nullptr, 0, "database file"},
///       {"timeout", TOCSIN_TYPE_DURATION, 0, "\"10s\"", 0, "query timeout"},
///   };
///   static const tocsin_config_key kKpiKeys[] = {{"query", TOCSIN_TYPE_STRING, 1, nullptr, 0,
///   "SQL"}}; TOCSIN_EXPORT_SOURCE(SqliteSource, "sqlite", "1.0.0", "SQLite queries", kConfigKeys,
///   kKpiKeys) TOCSIN_EXPORT_NOTIFIER(LogNotifier, "log", "1.0.0", "appends to a file",
///   kConfigKeys)
///
/// Pass TOCSIN_NO_KEYS for an empty key list. Defaults are JSON text; a duration's default may be
/// milliseconds (30000) or a string ("\"30s\"").
///
/// The generated trampolines construct the class (default constructor; do no work there), call
/// configure(), and catch every exception: std::exception becomes its what(), anything else
/// "unknown exception", both as TOCSIN_FAILED with that text in last_error(). Deadlines cross as
/// Unix milliseconds and reach the class as steady_clock deadlines.

#include "tocsin/sdk/abi.h"
#include "tocsin/sdk/config.hpp"
#include "tocsin/sdk/json.hpp"
#include "tocsin/sdk/logger.hpp"
#include "tocsin/sdk/notifier.hpp"
#include "tocsin/sdk/source.hpp"
#include "tocsin/sdk/status.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

/// An empty key list for TOCSIN_EXPORT_SOURCE / TOCSIN_EXPORT_NOTIFIER.
#define TOCSIN_NO_KEYS nullptr

namespace tocsin::sdk::detail {

struct KeyTable {
    const tocsin_config_key* keys;
    std::size_t count;
};

template <std::size_t N>
constexpr KeyTable key_table(const tocsin_config_key (&keys)[N]) {
    return {keys, N};
}
constexpr KeyTable key_table(std::nullptr_t) {
    return {nullptr, 0};
}

/// A Unix-milliseconds deadline as a steady_clock one (immune to wall-clock jumps during the call).
inline Deadline deadline_from_unix_ms(std::int64_t deadline_ms) {
    using std::chrono::milliseconds;
    const auto now_ms = std::chrono::duration_cast<milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    constexpr std::int64_t kMaxWaitMs = 365LL * 24 * 3600 * 1000;  // keeps the sum from overflowing
    std::int64_t left = deadline_ms > now_ms ? deadline_ms - now_ms : 0;
    if (left > kMaxWaitMs) {
        left = kMaxWaitMs;
    }
    return std::chrono::steady_clock::now() + milliseconds(left);
}

/// What the host sees behind its `void* instance`.
inline Json parse_object_arg(const char* text) {
    if (text == nullptr || *text == '\0') {
        return Json::object();
    }
    Json v = Json::parse(text);
    if (!v.is_object()) {
        throw JsonError(std::string("expected a JSON object, found ") + v.type_name());
    }
    return v;
}

/// The KPI requests of the last collect, parsed. A host asks for the same KPIs with the same
/// parameters on every collect, so their JSON is parsed once, not once per KPI per collect
/// (10,000 KPIs scraped every second: 10,000 parses a second).
class KpiRequestCache {
public:
    /// The requests of `request` as KpiRequests: the kept ones when every KPI name and parameter
    /// text equals the last call's, else freshly parsed (and kept). Throws JsonError on a
    /// parameter text that is not a JSON object (nothing is kept then).
    const std::vector<KpiRequest>& get(const tocsin_collect_request& request) {
        if (!same(request)) {
            parse(request);
        }
        return kpis_;
    }

private:
    static const char* text_or_empty(const char* text) { return text != nullptr ? text : ""; }

    [[nodiscard]] bool same(const tocsin_collect_request& request) const {
        if (request.kpi_count != kpis_.size()) {
            return false;
        }
        for (std::size_t i = 0; i < request.kpi_count; ++i) {
            const tocsin_kpi_request& r = request.kpis[i];
            if (kpis_[i].kpi != text_or_empty(r.kpi) ||
                params_[i] != text_or_empty(r.params_json)) {
                return false;
            }
        }
        return true;
    }

    void parse(const tocsin_collect_request& request) {
        kpis_.clear();
        params_.clear();
        std::vector<KpiRequest> kpis;
        std::vector<std::string> params;
        kpis.reserve(request.kpi_count);
        params.reserve(request.kpi_count);
        for (std::size_t i = 0; i < request.kpi_count; ++i) {
            const tocsin_kpi_request& r = request.kpis[i];
            kpis.push_back(
                KpiRequest{text_or_empty(r.kpi), Config(parse_object_arg(r.params_json))});
            params.emplace_back(text_or_empty(r.params_json));
        }
        kpis_ = std::move(kpis);
        params_ = std::move(params);
    }

    std::vector<KpiRequest> kpis_;
    std::vector<std::string> params_;  // the JSON texts kpis_ were parsed from
};

template <class P>
struct Instance {
    std::unique_ptr<P> plugin;
    Logger logger;
    std::string last_error;
    KpiRequestCache requests;
};

inline void set_error(std::string& slot, const std::string& text) noexcept {
    try {
        slot = text.empty() ? std::string("the plugin failed without giving a reason") : text;
    } catch (...) {  // out of memory: keep whatever fits the existing buffer
        slot.clear();
    }
}

inline tocsin_status failure_code(tocsin_status code) {
    return code == TOCSIN_RETRY ? TOCSIN_RETRY : TOCSIN_FAILED;
}

/// Cuts `text` into a fixed C buffer without splitting a UTF-8 sequence.
inline void copy_detail(const std::string& text, char* out, std::size_t capacity) {
    std::size_t n = text.size() < capacity - 1 ? text.size() : capacity - 1;
    if (n < text.size()) {
        while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0U) == 0x80U) {
            --n;
        }
    }
    text.copy(out, n);
    out[n] = '\0';
}

template <class P>
struct Trampolines {
    static void* create(const char* config_json,
                        const tocsin_host* host,
                        tocsin_status* status) noexcept {
        tocsin_status ignored = TOCSIN_OK;
        if (status == nullptr) {
            status = &ignored;
        }
        auto* inst = new (std::nothrow) Instance<P>();
        if (inst == nullptr) {
            *status = TOCSIN_FAILED;
            return nullptr;
        }
        inst->logger = Logger(host);
        try {
            Json config;
            try {
                config = parse_object_arg(config_json);
            } catch (const JsonError& e) {
                *status = TOCSIN_BAD_CONFIG;
                set_error(inst->last_error,
                          std::string("config is not a JSON object: ") + e.what());
                return inst;
            }
            inst->plugin = std::make_unique<P>();
            const Status s = inst->plugin->configure(Config(std::move(config)), inst->logger);
            if (s.is_ok()) {
                *status = TOCSIN_OK;
            } else {
                *status = s.code == TOCSIN_BAD_CONFIG ? TOCSIN_BAD_CONFIG : TOCSIN_FAILED;
                set_error(inst->last_error, s.message);
            }
        } catch (const std::exception& e) {
            *status = TOCSIN_FAILED;
            set_error(inst->last_error, e.what());
        } catch (...) {
            *status = TOCSIN_FAILED;
            set_error(inst->last_error, "unknown exception");
        }
        return inst;
    }

    static void destroy(void* instance) noexcept { delete static_cast<Instance<P>*>(instance); }

    static const char* last_error(void* instance) noexcept {
        if (instance == nullptr) {
            return "no instance";
        }
        return static_cast<Instance<P>*>(instance)->last_error.c_str();
    }

    static tocsin_status collect(void* instance, const tocsin_collect_request* request) noexcept {
        if (instance == nullptr) {
            return TOCSIN_FAILED;
        }
        auto* inst = static_cast<Instance<P>*>(instance);
        inst->last_error.clear();
        if (!inst->plugin) {
            set_error(inst->last_error, "the instance was not configured");
            return TOCSIN_FAILED;
        }
        if (request == nullptr || request->struct_size < sizeof(tocsin_collect_request) ||
            (request->kpi_count > 0 && request->kpis == nullptr)) {
            set_error(inst->last_error, "malformed collect request from the host");
            return TOCSIN_FAILED;
        }
        try {
            const std::vector<KpiRequest>& kpis = inst->requests.get(*request);
            SampleSink sink(request->emit, request->emit_ctx);
            const Status s =
                inst->plugin->collect(kpis, sink, deadline_from_unix_ms(request->deadline_ms));
            if (s.is_ok()) {
                return TOCSIN_OK;
            }
            set_error(inst->last_error, s.message);
            return failure_code(s.code);
        } catch (const std::exception& e) {
            set_error(inst->last_error, e.what());
        } catch (...) {
            set_error(inst->last_error, "unknown exception");
        }
        return TOCSIN_FAILED;
    }

    static tocsin_status send(void* instance,
                              const char* notification_json,
                              std::int64_t deadline_ms,
                              tocsin_send_result* result) noexcept {
        if (instance == nullptr) {
            return TOCSIN_FAILED;
        }
        auto* inst = static_cast<Instance<P>*>(instance);
        inst->last_error.clear();
        const bool can_fill =
            result != nullptr && result->struct_size >= sizeof(tocsin_send_result);
        if (can_fill) {
            result->retry_after_ms = 0;
            result->detail[0] = '\0';
        }
        if (!inst->plugin) {
            set_error(inst->last_error, "the instance was not configured");
            return TOCSIN_FAILED;
        }
        try {
            const Json notification =
                Json::parse(notification_json != nullptr ? notification_json : "");
            const Delivery d = inst->plugin->send(notification, deadline_from_unix_ms(deadline_ms));
            if (can_fill) {
                result->retry_after_ms = d.retry_after_ms > 0 ? d.retry_after_ms : 0;
                copy_detail(d.detail, result->detail, sizeof(result->detail));
            }
            if (d.status.is_ok()) {
                return TOCSIN_OK;
            }
            set_error(inst->last_error, d.status.message.empty() ? d.detail : d.status.message);
            return failure_code(d.status.code);
        } catch (const std::exception& e) {
            set_error(inst->last_error, e.what());
        } catch (...) {
            set_error(inst->last_error, "unknown exception");
        }
        return TOCSIN_FAILED;
    }
};

template <class P>
tocsin_plugin make_plugin(tocsin_plugin_kind kind,
                          const char* name,
                          const char* version,
                          const char* description,
                          KeyTable config_keys,
                          KeyTable kpi_keys) {
    tocsin_plugin p{};
    p.struct_size = sizeof(tocsin_plugin);
    p.abi_major = TOCSIN_ABI_MAJOR;
    p.abi_minor = TOCSIN_ABI_MINOR;
    p.name = name;
    p.version = version;
    p.kind = kind;
    p.description = description;
    p.config_keys = config_keys.keys;
    p.config_key_count = config_keys.count;
    p.kpi_keys = kpi_keys.keys;
    p.kpi_key_count = kpi_keys.count;
    p.create = &Trampolines<P>::create;
    p.destroy = &Trampolines<P>::destroy;
    p.last_error = &Trampolines<P>::last_error;
    if constexpr (std::is_base_of_v<Source, P>) {
        p.collect = &Trampolines<P>::collect;
    } else {
        p.send = &Trampolines<P>::send;
    }
    return p;
}

}  // namespace tocsin::sdk::detail

/// Defines `tocsin_plugin_entry` for a Source class. Use once, at namespace scope, in one .cpp.
#define TOCSIN_EXPORT_SOURCE(Class, name, version, description, config_keys, kpi_keys)          \
    static_assert(std::is_base_of_v<::tocsin::sdk::Source, Class>,                              \
                  #Class " must derive from tocsin::sdk::Source");                              \
    extern "C" __attribute__((visibility("default"))) const tocsin_plugin* tocsin_plugin_entry( \
        void);                                                                                  \
    extern "C" __attribute__((visibility("default"))) const tocsin_plugin* tocsin_plugin_entry( \
        void) {                                                                                 \
        static const tocsin_plugin plugin = ::tocsin::sdk::detail::make_plugin<Class>(          \
            TOCSIN_KIND_SOURCE,                                                                 \
            name,                                                                               \
            version,                                                                            \
            description,                                                                        \
            ::tocsin::sdk::detail::key_table(config_keys),                                      \
            ::tocsin::sdk::detail::key_table(kpi_keys));                                        \
        return &plugin;                                                                         \
    }

/// Defines `tocsin_plugin_entry` for a Notifier class. Use once, at namespace scope, in one .cpp.
#define TOCSIN_EXPORT_NOTIFIER(Class, name, version, description, config_keys)                  \
    static_assert(std::is_base_of_v<::tocsin::sdk::Notifier, Class>,                            \
                  #Class " must derive from tocsin::sdk::Notifier");                            \
    extern "C" __attribute__((visibility("default"))) const tocsin_plugin* tocsin_plugin_entry( \
        void);                                                                                  \
    extern "C" __attribute__((visibility("default"))) const tocsin_plugin* tocsin_plugin_entry( \
        void) {                                                                                 \
        static const tocsin_plugin plugin = ::tocsin::sdk::detail::make_plugin<Class>(          \
            TOCSIN_KIND_NOTIFIER,                                                               \
            name,                                                                               \
            version,                                                                            \
            description,                                                                        \
            ::tocsin::sdk::detail::key_table(config_keys),                                      \
            ::tocsin::sdk::detail::key_table(TOCSIN_NO_KEYS));                                  \
        return &plugin;                                                                         \
    }
