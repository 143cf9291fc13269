#pragma once

// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), written here so that plugins signing
// requests need no crypto library. Pure functions; results are the 32 raw digest bytes.

#include <string>
#include <string_view>

namespace tocsin::plugins::common {

/// The 32-byte SHA-256 digest of `data`.
[[nodiscard]] std::string sha256(std::string_view data);

/// The 32-byte HMAC-SHA256 of `message` under `key` (keys longer than 64 bytes are hashed first).
[[nodiscard]] std::string hmac_sha256(std::string_view key, std::string_view message);

}  // namespace tocsin::plugins::common
