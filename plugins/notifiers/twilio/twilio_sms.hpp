#pragma once

// The SMS a twilio notification becomes: a short, self-contained text that fits one or two
// segments. GSM-7 is preferred (160 characters in one segment, 153 per segment when split;
// characters of the extension table count twice); common typographic characters are mapped to
// GSM-7 ones, and only a text that still needs more goes out as UCS-2 (70 / 67 per segment).
// Also the form body of the Messages API request and how its answers read. Pure.

#include "notification.hpp"
#include "twilio_config.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace tocsin::plugins::twilio {

enum class SmsEncoding { Gsm7, Ucs2 };

/// The text with typographic quotes, dashes, ellipses, arrows and odd spaces replaced by GSM-7
/// equivalents; other characters are left alone.
[[nodiscard]] std::string gsm_friendly(std::string_view text);

/// Gsm7 when every character is in the GSM 03.38 basic or extension table.
[[nodiscard]] SmsEncoding encoding_of(std::string_view text);

/// Septets (GSM-7) or UTF-16 code units (UCS-2) the text needs.
[[nodiscard]] std::size_t sms_units(std::string_view text, SmsEncoding encoding);

/// How many SMS segments the text takes.
[[nodiscard]] std::size_t segment_count(std::string_view text);

/// The SMS text for a notification within `max_segments` (1 or 2): the daemon's `short` text
/// (or ours), then "(via fallback: X failed)" and, for firing alerts, "Ack: <link>" when they
/// fit; the text is cut with "..." first.
[[nodiscard]] std::string sms_body(const common::NotificationView& view,
                                   std::size_t max_segments = 2);

/// ValidityPeriod for this notification: the configured one, at most 15 minutes for resolved
/// and acknowledged messages (late news of an end is noise), within Twilio's 1..36000 seconds.
[[nodiscard]] std::chrono::seconds validity_for(const common::NotificationView& view,
                                                const TwilioConfig& config);

/// The application/x-www-form-urlencoded request body for one recipient.
[[nodiscard]] std::string form_body(const std::string& to,
                                    const std::string& body,
                                    std::chrono::seconds validity,
                                    const TwilioConfig& config);

/// "HTTP 201 SM... queued" or "HTTP 400 21211: The 'To' number ... is not valid": the answer,
/// read from Twilio's JSON when it is JSON.
[[nodiscard]] std::string describe_answer(long http_status, const std::string& body);

}  // namespace tocsin::plugins::twilio
