#pragma once

// The webhook's optional request signature: with `hmac_secret` set, every POST carries
//   X-Tocsin-Timestamp: <Unix seconds>
//   X-Tocsin-Signature: sha256=<lower-case hex HMAC-SHA256 of "<timestamp>.<body>">
// so a receiver can check the body came from us and reject replays with an old timestamp.

#include <cstdint>
#include <string>
#include <string_view>

namespace tocsin::plugins::webhook {

/// "sha256=<hex>" for `body` sent at `unix_seconds` under `secret`. Pure.
[[nodiscard]] std::string signature(std::string_view secret,
                                    std::int64_t unix_seconds,
                                    std::string_view body);

}  // namespace tocsin::plugins::webhook
