/* tocsin plugin ABI: the C boundary between the daemon and a plugin module.
 *
 * A plugin is a shared library exporting one function, `tocsin_plugin_entry`, that returns a
 * pointer to a static `tocsin_plugin` struct. Nothing else crosses: no C++ type, no exception.
 * Config, per-KPI parameters and notifications cross as UTF-8 JSON strings; samples as plain
 * structs through a host callback.
 *
 * Compatibility: the host accepts a plugin when TOCSIN_ABI_MAJOR matches and the host's minor is
 * at least the plugin's. Structs only grow at their end and lead with their size; a NULL function
 * pointer means the capability is absent.
 *
 * Lifecycle: create() once per configured instance -> collect()/send() any number of times ->
 * destroy(). The host never unloads a module while the daemon runs; a reload creates new
 * instances.
 *
 * Threading: calls on one instance never overlap, and they run on the host's worker pool, never on
 * its event loop, so blocking I/O is fine until the deadline. Different instances may be called
 * concurrently.
 *
 * Ownership: every pointer the host passes lives only for the call. Strings returned by the
 * plugin (last_error) stay valid until the next call on the same instance.
 *
 * Errors: functions return a tocsin_status. On anything but TOCSIN_OK the host reads
 * last_error(instance) for a one-sentence, lower-case reason.
 */
#ifndef TOCSIN_SDK_ABI_H
#define TOCSIN_SDK_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TOCSIN_ABI_MAJOR 1
#define TOCSIN_ABI_MINOR 0

/* Name of the one symbol a plugin module exports. */
#define TOCSIN_PLUGIN_ENTRY_SYMBOL "tocsin_plugin_entry"

typedef enum tocsin_status {
    TOCSIN_OK = 0,
    TOCSIN_RETRY = 1,     /* temporary failure: the host retries later (notifiers) */
    TOCSIN_FAILED = 2,    /* permanent failure: do not retry this input */
    TOCSIN_BAD_CONFIG = 3 /* create(): the config is invalid; last_error says why */
} tocsin_status;

typedef enum tocsin_plugin_kind {
    TOCSIN_KIND_SOURCE = 1,
    TOCSIN_KIND_NOTIFIER = 2
} tocsin_plugin_kind;

typedef enum tocsin_config_type {
    TOCSIN_TYPE_STRING = 1,
    TOCSIN_TYPE_INT = 2,
    TOCSIN_TYPE_NUMBER = 3,
    TOCSIN_TYPE_BOOL = 4,
    TOCSIN_TYPE_DURATION = 5, /* written "30s", "5m"; passed to the plugin as milliseconds (int) */
    TOCSIN_TYPE_STRING_LIST = 6,
    TOCSIN_TYPE_STRING_MAP = 7
} tocsin_config_type;

typedef enum tocsin_log_level {
    TOCSIN_LOG_DEBUG = 0,
    TOCSIN_LOG_INFO = 1,
    TOCSIN_LOG_WARNING = 2,
    TOCSIN_LOG_ERROR = 3
} tocsin_log_level;

/* One declared configuration key. The host rejects unknown keys, checks types and required keys
 * and fills defaults before the plugin sees the config. The plugin gets secret values in clear;
 * the host never shows them (logs, API answers, `tocsin check` output). */
typedef struct tocsin_config_key {
    const char* name;
    tocsin_config_type type;
    int32_t required;         /* non-zero: must be set */
    const char* default_json; /* JSON text of the default, or NULL for none */
    int32_t secret;           /* non-zero: the host never shows the value anywhere */
    const char* description;  /* one line for `tocsin plugins` */
} tocsin_config_key;

/* What the host offers a plugin instance. */
typedef struct tocsin_host {
    uint32_t struct_size;
    void* ctx;
    /* Logs one line under the plugin's component tag. Safe from any thread. */
    void (*log)(void* ctx, tocsin_log_level level, const char* message);
} tocsin_host;

typedef struct tocsin_label {
    const char* name;
    const char* value;
} tocsin_label;

/* One KPI value as emitted by a source. */
typedef struct tocsin_sample {
    uint32_t struct_size;
    const char* kpi;            /* the KPI name from the request */
    const tocsin_label* labels; /* may be NULL when label_count is 0 */
    size_t label_count;
    double value;
    int64_t timestamp_ms; /* Unix milliseconds; 0 = the time of collection */
} tocsin_sample;

/* Host callback receiving samples during collect(). Copies what it needs; returns non-zero when
 * the sample was refused (unknown KPI, bad label), which the plugin may ignore. */
typedef int32_t (*tocsin_emit_fn)(void* emit_ctx, const tocsin_sample* sample);

/* One KPI a collect() call is asked for. */
typedef struct tocsin_kpi_request {
    const char* kpi;         /* KPI name */
    const char* params_json; /* JSON object of the KPI's plugin keys (e.g. {"query": "..."}) */
} tocsin_kpi_request;

typedef struct tocsin_collect_request {
    uint32_t struct_size;
    const tocsin_kpi_request* kpis;
    size_t kpi_count;
    int64_t deadline_ms; /* Unix milliseconds after which the host stops waiting */
    tocsin_emit_fn emit;
    void* emit_ctx;
} tocsin_collect_request;

typedef struct tocsin_send_result {
    uint32_t struct_size;
    int64_t retry_after_ms; /* with TOCSIN_RETRY: the far end asked to wait this long; 0 = host
                               decides */
    char detail[256];       /* what the far end answered, e.g. "HTTP 200", for logs and tests */
} tocsin_send_result;

/* The plugin's description and entry points. Returned by tocsin_plugin_entry(); static storage. */
typedef struct tocsin_plugin {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    const char* name;    /* e.g. "sqlite"; the `plugin:` value in tocsin.yaml */
    const char* version; /* the plugin's own version, e.g. "1.0.0" */
    tocsin_plugin_kind kind;
    const char* description;

    const tocsin_config_key* config_keys; /* instance keys */
    size_t config_key_count;
    const tocsin_config_key* kpi_keys; /* per-KPI keys (sources only) */
    size_t kpi_key_count;

    /* Creates an instance from its validated config (a JSON object with every declared key that
     * has a value or default; durations in milliseconds). No I/O here: only parsing and
     * cross-field checks. On failure returns NULL or an instance whose last_error tells why, and
     * sets *status to TOCSIN_BAD_CONFIG or TOCSIN_FAILED. Required. */
    void* (*create)(const char* config_json, const tocsin_host* host, tocsin_status* status);
    /* Releases an instance. Required. */
    void (*destroy)(void* instance);
    /* Reason of the last failure on this instance. Required. */
    const char* (*last_error)(void* instance);

    /* Sources: collects the requested KPIs, emitting any number of samples. */
    tocsin_status (*collect)(void* instance, const tocsin_collect_request* request);

    /* Notifiers: delivers one notification (JSON, see docs/plugin-authors.md). */
    tocsin_status (*send)(void* instance,
                          const char* notification_json,
                          int64_t deadline_ms,
                          tocsin_send_result* result);
} tocsin_plugin;

/* The one exported function. */
typedef const tocsin_plugin* (*tocsin_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* TOCSIN_SDK_ABI_H */
