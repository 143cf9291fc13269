#pragma once

#include "engine/result.hpp"
#include "engine/time.hpp"

#include <cstddef>
#include <string>

/// Signed acknowledge links: a URL in a message that acknowledges exactly one alert episode
/// (fingerprint + the time it started firing), until it expires. The signature is HMAC-SHA256
/// under a key kept in the state directory (`ack-links.key`, created 0600 at first start), so
/// links stay valid across restarts, cannot be forged, used for another alert or another firing
/// of the same alert, or used after they expire.
namespace tocsin::app {

/// `bytes` bytes from the kernel's generator as lower-case hex: keys, and ids no one can guess
/// (silences).
[[nodiscard]] std::string random_hex(std::size_t bytes);

class AckLinks {
public:
    /// How long a link in a message stays valid.
    static constexpr engine::Duration kLifetime{std::chrono::hours(24)};

    /// Loads the key from `<state_dir>/ack-links.key`, creating it with 32 random bytes if missing.
    static Result<AckLinks> open(const std::string& state_dir);
    /// For tests: a fixed key.
    explicit AckLinks(std::string key) : key_(std::move(key)) {}

    /// `<base>/api/v1/alerts/<fingerprint>/ack?s=<starts ms>&e=<expiry s>&sig=<hex>`.
    [[nodiscard]] std::string url(const std::string& base,
                                  const std::string& fingerprint,
                                  engine::TimePoint starts_at,
                                  engine::TimePoint expires_at) const;

    /// Whether `sig` signs (fingerprint, starts_ms, expires_s) and the link has not expired.
    [[nodiscard]] bool verify(const std::string& fingerprint,
                              const std::string& starts_ms,
                              const std::string& expires_s,
                              const std::string& sig,
                              engine::TimePoint now) const;

private:
    [[nodiscard]] std::string sign(const std::string& fingerprint,
                                   const std::string& starts_ms,
                                   const std::string& expires_s) const;
    std::string key_;
};

}  // namespace tocsin::app
