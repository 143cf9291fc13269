#pragma once

#include "app/message.hpp"
#include "engine/alert.hpp"
#include "engine/timezone.hpp"

#include <string>

/// The words of a batch: one notification listing several alerts (Notification::members), sent
/// when a policy's group_wait ends or when quiet hours that defer or digest end. Examples:
///   [FIRING] 50 alerts: SourceDown (team=growth)
///   [DIGEST] quiet hours 22:00–07:00: 3 fired, 1 resolved
/// The text lists each alert on one line: name, the labels that tell it apart, value, severity and
/// status. The short text names as many alerts as fit in kShortLimit ("50 alerts firing: A, B, C
/// and 47 more").
namespace tocsin::app {

/// Labels every member has with the same value (Alertmanager's commonLabels).
[[nodiscard]] engine::Labels common_labels(const engine::Notification& batch);

/// `zone` is where the times in a digest's title are read (the config's `timezone`).
[[nodiscard]] Message compose_batch_message(const engine::Notification& batch,
                                            const engine::TimeZone& zone);

}  // namespace tocsin::app
