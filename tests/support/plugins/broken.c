/* Broken plugins written in plain C against abi.h, each refused by the host for one reason.
 * Built once per variant with BROKEN set to one of the values below. */
#include <stddef.h>

#include "tocsin/sdk/abi.h"

#define BROKEN_ABI_MAJOR 1
#define BROKEN_ABI_MINOR 2
#define BROKEN_NULL_ENTRY 3
#define BROKEN_SMALL_STRUCT 4
#define BROKEN_MISSING_SEND 5
#define BROKEN_NO_ENTRY 6

static void* create(const char* config_json, const tocsin_host* host, tocsin_status* status) {
    (void)config_json;
    (void)host;
    *status = TOCSIN_FAILED;
    return NULL;
}
static void destroy(void* instance) { (void)instance; }
static const char* last_error(void* instance) {
    (void)instance;
    return "broken";
}
#if BROKEN != BROKEN_MISSING_SEND
static tocsin_status send(void* instance, const char* json, int64_t deadline_ms,
                          tocsin_send_result* result) {
    (void)instance;
    (void)json;
    (void)deadline_ms;
    (void)result;
    return TOCSIN_FAILED;
}
#endif

const tocsin_plugin broken_plugin = {
    sizeof(tocsin_plugin),
#if BROKEN == BROKEN_ABI_MAJOR
    TOCSIN_ABI_MAJOR + 1, 0,
#elif BROKEN == BROKEN_ABI_MINOR
    TOCSIN_ABI_MAJOR, TOCSIN_ABI_MINOR + 1,
#else
    TOCSIN_ABI_MAJOR, TOCSIN_ABI_MINOR,
#endif
    "broken", "0.0.1", TOCSIN_KIND_NOTIFIER, "refused by the host",
    NULL, 0, NULL, 0,
    create, destroy, last_error, NULL,
#if BROKEN == BROKEN_MISSING_SEND
    NULL /* a notifier that cannot send */
#else
    send
#endif
};

#if BROKEN == BROKEN_SMALL_STRUCT
/* What a plugin built against a truncated header would hand over: only the first fields. */
static const struct {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    const char* name;
} kSmall = {sizeof kSmall, TOCSIN_ABI_MAJOR, TOCSIN_ABI_MINOR, "small"};
#endif

#if BROKEN == BROKEN_NO_ENTRY
__attribute__((visibility("default"))) const tocsin_plugin* tocsin_plugin_entry_typo(void);
__attribute__((visibility("default"))) const tocsin_plugin* tocsin_plugin_entry_typo(void) {
    return &broken_plugin;
}
#else
__attribute__((visibility("default"))) const tocsin_plugin* tocsin_plugin_entry(void);
__attribute__((visibility("default"))) const tocsin_plugin* tocsin_plugin_entry(void) {
#if BROKEN == BROKEN_NULL_ENTRY
    return broken_plugin.name == NULL ? &broken_plugin : NULL;
#elif BROKEN == BROKEN_SMALL_STRUCT
    return (const tocsin_plugin*)(const void*)&kSmall;
#else
    return &broken_plugin;
#endif
}
#endif
