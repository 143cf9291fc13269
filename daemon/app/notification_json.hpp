#pragma once

#include "engine/alert.hpp"

#include <string>

/// Renders an engine Notification as the JSON that notifier plugins receive
/// (docs/notification-json.md).
namespace tocsin::app {

/// `external_url` is the daemon's API base URL ("" when the API is off).
[[nodiscard]] std::string render_notification_json(const engine::Notification& n,
                                                   const std::string& external_url);

}  // namespace tocsin::app
