#pragma once

// What the HTTP notifiers make of an HTTP answer, and how they name the endpoint in messages.
// Pure functions (the clock comes in as an argument), so every outcome is testable without a
// network.

#include <tocsin/sdk/notifier.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tocsin::plugins::common {

/// One printable line of `body`, cut to 120 bytes, for quoting a receiver's answer in a message.
[[nodiscard]] std::string snippet(std::string_view body);

/// The URL cut to scheme, host and port ("https://hooks.example.com"): paths, queries and
/// user-info often hold secrets, so messages and logs only ever show this.
[[nodiscard]] std::string redact_url(std::string_view url);

/// A Retry-After value (delay seconds, or an HTTP date) as milliseconds from `now`; 0 for a date
/// in the past; nothing when the value is neither.
[[nodiscard]] std::optional<std::int64_t> parse_retry_after_ms(
    std::string_view value, std::chrono::system_clock::time_point now);

/// Maps an HTTP status to an outcome: 2xx ok, 429 and 5xx retry (honouring Retry-After), any
/// other status failed. `endpoint` is the redacted URL; `body` (the start of the answer) is
/// quoted, cut short, in failure messages because receivers explain a 400 there.
[[nodiscard]] sdk::Delivery classify_response(long http_status,
                                              std::string_view retry_after,
                                              std::string_view body,
                                              std::string_view endpoint,
                                              std::chrono::system_clock::time_point now);

/// A transport failure (refused, DNS, TLS, timeout): always retry, with curl's own text.
[[nodiscard]] sdk::Delivery transport_failure(std::string_view error, std::string_view endpoint);

}  // namespace tocsin::plugins::common
