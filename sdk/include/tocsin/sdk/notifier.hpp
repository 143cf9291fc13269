#pragma once

/// A Notifier delivers notifications to one external channel (Slack, a webhook, e-mail, ...).
/// Lifecycle: the host creates the instance -> configure() once -> send() any number of times ->
///            destroyed. The module itself stays loaded until the daemon exits.
/// Threading: calls on one instance never overlap; send() runs on a host worker, never on the
///            event loop, so blocking I/O is fine until the deadline.
/// Ownership: the host owns the instance; the notification lives only for the call.
/// Errors:    answer ok, retry (temporary: timeouts, HTTP 429/5xx; optionally with retry-after)
///            or failed (permanent). Retries, backoff, fallback and the outbox are the host's.
///            Exceptions are caught at the boundary and become a failure.

#include "tocsin/sdk/config.hpp"
#include "tocsin/sdk/json.hpp"
#include "tocsin/sdk/logger.hpp"
#include "tocsin/sdk/status.hpp"

#include <cstdint>
#include <string>

namespace tocsin::sdk {

struct Delivery {
    Status status;
    /// With retry: the far end asked to wait this long (e.g. Retry-After); 0 lets the host decide.
    std::int64_t retry_after_ms = 0;
    /// What the far end answered ("HTTP 200"), for logs and tests; cut to 255 bytes.
    std::string detail;
};

class Notifier {
public:
    virtual ~Notifier() = default;
    /// Reads the validated config and checks cross-field rules. No I/O. `log` stays valid for
    /// the instance's lifetime.
    virtual Status configure(const Config& config, Logger& log) = 0;
    /// Delivers one notification (see docs/plugin-authors.md for its JSON shape).
    virtual Delivery send(const Json& notification, Deadline deadline) = 0;
};

}  // namespace tocsin::sdk
