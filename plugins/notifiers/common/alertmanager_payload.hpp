#pragma once

// Rendering of tocsin's notification JSON (docs/notification-json.md) into the webhook body that
// Alertmanager sends to its webhook receivers (version "4"), so existing receivers work as-is.
// Pure: no I/O, no clock.

#include <tocsin/sdk/json.hpp>

#include <cstdint>
#include <string>

namespace tocsin::plugins::common {

/// The zero time Alertmanager puts in endsAt while an alert is firing.
inline constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

/// Builds the Alertmanager v4 webhook payload from one notification. `max_alerts` > 0 keeps only
/// the first that many alerts and reports the rest in truncatedAlerts. Missing or mistyped
/// fields (even a `notification` that is not an object) render as empty values rather than
/// failing: a partial message beats none. A report (kind "report") is returned unchanged.
[[nodiscard]] sdk::Json render_payload(const sdk::Json& notification, std::int64_t max_alerts);

/// Alertmanager's group key form, `{}:{name="value", ...}` over the sorted group labels.
[[nodiscard]] std::string group_key(const sdk::Json& group_labels);

}  // namespace tocsin::plugins::common
