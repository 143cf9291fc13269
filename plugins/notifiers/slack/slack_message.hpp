#pragma once

// Rendering of one notification as a Slack incoming-webhook message: Block Kit `blocks` plus a
// plain `text` fallback (what notifications and old clients show). Within Slack's limits: at
// most 50 blocks, header text 150 characters, section text 3000, field text 2000, button text
// 75; cuts are UTF-8 safe and marked with "…". Pure: no I/O, no clock.

#include "notification.hpp"
#include "slack_config.hpp"
#include <tocsin/sdk/json.hpp>

#include <string>
#include <string_view>

namespace tocsin::plugins::slack {

inline constexpr std::size_t kMaxBlocks = 50;
inline constexpr std::size_t kMaxHeaderChars = 150;
inline constexpr std::size_t kMaxSectionChars = 3000;
inline constexpr std::size_t kMaxFieldChars = 2000;
inline constexpr std::size_t kMaxButtonChars = 75;

/// The JSON body to POST to the webhook.
[[nodiscard]] sdk::Json render_message(const common::NotificationView& view,
                                       const SlackConfig& config);

/// The emoji shortcode that leads the message: by kind (resolved, acknowledged, test, digest)
/// or else by severity.
[[nodiscard]] std::string emoji_for(const common::NotificationView& view);

/// Escapes &, < and > as Slack's mrkdwn requires, then cuts to `max_chars` without splitting
/// an escape.
[[nodiscard]] std::string mrkdwn(std::string_view text, std::size_t max_chars);

}  // namespace tocsin::plugins::slack
