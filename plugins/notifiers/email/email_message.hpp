#pragma once

// One notification as an Internet message (RFC 5322 + MIME): multipart/alternative with a
// text/plain and a text/html part (UTF-8, quoted-printable), an RFC 2047 encoded subject when it
// is not plain ASCII, and threading without state: the firing mail's Message-ID is derived from
// the alert's fingerprint and start time (and the sender's domain), so every later mail about
// the same alert (severity change, reminder, ack, resolve) can name it in In-Reply-To and
// References. Pure: the date comes in as an argument.

#include "email_config.hpp"
#include "notification.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace tocsin::plugins::email {

/// The Message-ID ("<tocsin.<hash>@<domain>>") of the firing mail of the alert that started at
/// `starts_at` with `fingerprint`.
[[nodiscard]] std::string thread_message_id(std::string_view fingerprint,
                                            std::string_view starts_at,
                                            std::string_view domain);

/// The text as one or more RFC 2047 encoded words (=?UTF-8?B?...?=, each at most 75 bytes,
/// never splitting a character), folded with CRLF SP; plain printable ASCII stays as is.
[[nodiscard]] std::string encode_header_text(std::string_view text);

/// Quoted-printable (RFC 2045) with CRLF line ends and soft breaks before 76 characters.
[[nodiscard]] std::string quoted_printable(std::string_view text);

/// "Mon, 05 Jan 2026 06:00:00 +0000" for Unix seconds (RFC 5322 date, UTC).
[[nodiscard]] std::string rfc5322_date(std::int64_t unix_seconds);

struct Mail {
    std::string message_id;
    std::string in_reply_to;  // "" for the first mail of a thread
    std::string subject;      // before encoding
    std::string text;         // the whole message, CRLF line ends, ready for DATA
};

/// Builds the mail for `view` as sent at `unix_seconds`.
[[nodiscard]] Mail build_mail(const common::NotificationView& view,
                              const EmailConfig& config,
                              std::int64_t unix_seconds);

}  // namespace tocsin::plugins::email
