#pragma once

#include "engine/alert.hpp"
#include "engine/timezone.hpp"

#include <string>

/// The words of a notification, shared by every channel: a one-line title, a plain-text body and
/// an SMS-sized short text. Each says what KPI, its value against the threshold and target, how
/// bad, since when, what to do (runbook, acknowledge link) and who else was told; a resolve says
/// how long it lasted. Notifier plugins put them in their channel's format
/// (docs/notification-json.md).
namespace tocsin::app {

struct Message {
    std::string title;
    std::string text;
    std::string short_text;  // at most kShortLimit characters
};

inline constexpr std::size_t kShortLimit = 300;

/// `ack_url` is "" when messages carry no acknowledge link. A batch (Notification::members) gets
/// the words of compose_batch_message(), with the times of a digest read in `zone`; the
/// notifier's own `message:` templates apply to single alerts only, since a batch's top-level
/// fields are those of its first member.
[[nodiscard]] Message compose_message(const engine::Notification& n,
                                      const std::string& ack_url,
                                      const engine::TimeZone& zone = engine::TimeZone::utc());

}  // namespace tocsin::app
