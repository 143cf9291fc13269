#pragma once

#include "engine/alert.hpp"
#include "engine/timezone.hpp"

#include <functional>
#include <optional>
#include <string>

/// Renders an engine Notification as the JSON that notifier plugins receive
/// (docs/notification-json.md).
namespace tocsin::app {

/// How the daemon renders: its links and its time zone.
struct RenderOptions {
    std::string external_url;  // the daemon's API base URL; "" when the API is off
    /// The signed acknowledge link of one alert: the notification itself or, for a batch, each
    /// member. Unset, or "" from it: no link.
    std::function<std::string(const engine::Notification&)> ack_url;
    std::optional<engine::TimeZone> zone;  // times in batch titles; UTC when unset
};

/// A notification about one alert renders `alerts` with one entry; a batch
/// (Notification::members) one entry per member, each with its own status, with `group_labels`
/// the labels it was grouped by and `common_labels` those every member shares.
[[nodiscard]] std::string render_notification_json(const engine::Notification& n,
                                                   const RenderOptions& options);

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
