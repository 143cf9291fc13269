#pragma once

#include "engine/alert.hpp"

#include <optional>
#include <string>
#include <string_view>

/// How a held batch (engine::HeldBatch: notifications waiting for group_wait or the end of quiet
/// hours) is kept in the `held` table's body_json: every Notification field needed to render the
/// batch again, members included, so a restart sends exactly what the engine would have sent.
/// Times are Unix milliseconds, enums are the store's own words, non-finite numbers are strings.
namespace tocsin::store::codec {

/// The batch as one JSON object.
[[nodiscard]] std::string held_json(const engine::HeldBatch& batch);

/// The batch read back; nullopt with `why` set ("members[2].kind: 'fired' is not a notification
/// kind") when the text is not a batch this build wrote.
[[nodiscard]] std::optional<engine::HeldBatch> parse_held_json(std::string_view json,
                                                               std::string& why);

}  // namespace tocsin::store::codec
