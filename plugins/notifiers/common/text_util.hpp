#pragma once

// Small text helpers the notifiers share: UTF-8 safe cutting (channel limits count characters,
// and a cut in the middle of a sequence makes an invalid message), hex and percent-encoding.
// Pure functions.

#include <cstddef>
#include <string>
#include <string_view>

namespace tocsin::plugins::common {

/// Number of code points in `text` (continuation bytes are not counted).
[[nodiscard]] std::size_t utf8_length(std::string_view text);

/// `text` cut to at most `max_chars` code points; when cut, the last kept code point is
/// replaced by "…" (U+2026) so the reader sees it was cut. Never splits a UTF-8 sequence.
[[nodiscard]] std::string truncate_chars(std::string_view text, std::size_t max_chars);

/// `text` cut to at most `max_bytes` bytes at a code point boundary, ending in "..." when cut.
[[nodiscard]] std::string truncate_bytes(std::string_view text, std::size_t max_bytes);

/// Lower-case hex of the bytes.
[[nodiscard]] std::string to_hex(std::string_view bytes);

/// application/x-www-form-urlencoded form of one name or value (space as '+').
[[nodiscard]] std::string form_encode(std::string_view text);

/// The text with ASCII upper-cased.
[[nodiscard]] std::string upper(std::string_view text);

}  // namespace tocsin::plugins::common
