#pragma once

// PagerDuty Events API v2 events for one notification: one per alert, `dedup_key` = the alert's
// fingerprint so that trigger, acknowledge and resolve land on the same PagerDuty alert.
// Pure: no I/O, no clock.

#include "notification.hpp"
#include "pagerduty_config.hpp"
#include <tocsin/sdk/json.hpp>

#include <string>
#include <vector>

namespace tocsin::plugins::pagerduty {

inline constexpr std::size_t kMaxSummaryChars = 1024;

struct Event {
    std::string action;     // trigger | acknowledge | resolve
    std::string dedup_key;  // the alert fingerprint
    sdk::Json body;         // the JSON to POST
};

/// firing, severity_change, reminder and digest trigger each firing alert (and resolve each
/// resolved one); acknowledged acknowledges; resolved resolves; test triggers an info event
/// and resolves it at once.
[[nodiscard]] std::vector<Event> build_events(const common::NotificationView& view,
                                              const PagerDutyConfig& config);

/// tocsin severity as PagerDuty's (critical, error, warning, info); unknown ones are "error",
/// so that an unexpected level still pages rather than hides.
[[nodiscard]] std::string pagerduty_severity(const std::string& severity);

/// "HTTP 202 success: Event processed" / "HTTP 400 invalid event: <first error>": the answer,
/// read from PagerDuty's JSON when it is JSON.
[[nodiscard]] std::string describe_answer(long http_status, const std::string& body);

}  // namespace tocsin::plugins::pagerduty
