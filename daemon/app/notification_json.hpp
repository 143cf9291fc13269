#pragma once

#include "engine/alert.hpp"

#include <string>

/// Renders an engine Notification as the JSON that notifier plugins receive
/// (docs/notification-json.md).
namespace tocsin::app {

/// `external_url` is the daemon's API base URL ("" when the API is off); `ack_url` a signed
/// acknowledge link for this alert ("" for none).
[[nodiscard]] std::string render_notification_json(const engine::Notification& n,
                                                   const std::string& external_url,
                                                   const std::string& ack_url = {});

/// The same notification for a notifier's fallback: `id` and `receiver` replaced, `via_fallback`
/// naming the notifier that failed, and a line saying so added to the message text.
[[nodiscard]] std::string reroute_payload(const std::string& payload_json,
                                          const std::string& id,
                                          const std::string& receiver,
                                          const std::string& failed_notifier,
                                          const std::string& failure);

}  // namespace tocsin::app
