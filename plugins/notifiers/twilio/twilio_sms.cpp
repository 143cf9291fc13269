#include "twilio_sms.hpp"

#include "http_response.hpp"
#include "text_util.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

namespace tocsin::plugins::twilio {
namespace {

// GSM 03.38 basic character set (one septet each) and extension table (two septets each).
constexpr std::string_view kGsmBasic =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
constexpr std::string_view kGsmExtension = "^{}\\[~]|€\f";

constexpr std::size_t kSingleGsm = 160;
constexpr std::size_t kPartGsm = 153;
constexpr std::size_t kSingleUcs2 = 70;
constexpr std::size_t kPartUcs2 = 67;
// Shorter than this, the alert text is worth more than the appended link.
constexpr std::size_t kMinTextUnits = 40;

// Decodes one code point at `i` (advancing it); invalid bytes read as U+FFFD.
char32_t next_code_point(std::string_view text, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    std::size_t len = 1;
    char32_t cp = b0;
    if (b0 >= 0xF0) {
        len = 4;
        cp = b0 & 0x07U;
    } else if (b0 >= 0xE0) {
        len = 3;
        cp = b0 & 0x0FU;
    } else if (b0 >= 0xC0) {
        len = 2;
        cp = b0 & 0x1FU;
    } else if (b0 >= 0x80) {
        ++i;
        return 0xFFFD;
    }
    if (i + len > text.size()) {
        i = text.size();
        return 0xFFFD;
    }
    for (std::size_t k = 1; k < len; ++k) {
        cp = (cp << 6U) | (static_cast<unsigned char>(text[i + k]) & 0x3FU);
    }
    i += len;
    return cp;
}

std::set<char32_t> code_points(std::string_view text) {
    std::set<char32_t> out;
    for (std::size_t i = 0; i < text.size();) {
        out.insert(next_code_point(text, i));
    }
    return out;
}

const std::set<char32_t>& basic_set() {
    static const std::set<char32_t> set = code_points(kGsmBasic);
    return set;
}

const std::set<char32_t>& extension_set() {
    static const std::set<char32_t> set = code_points(kGsmExtension);
    return set;
}

std::size_t units_of(char32_t cp, SmsEncoding encoding) {
    if (encoding == SmsEncoding::Ucs2) {
        return cp > 0xFFFF ? 2 : 1;
    }
    return extension_set().count(cp) != 0 ? 2 : 1;
}

std::size_t limit_for(SmsEncoding encoding, std::size_t segments) {
    if (encoding == SmsEncoding::Gsm7) {
        return segments <= 1 ? kSingleGsm : kPartGsm * segments;
    }
    return segments <= 1 ? kSingleUcs2 : kPartUcs2 * segments;
}

// `text` cut to `limit` units, ending in "..." when cut.
std::string fit(std::string_view text, std::size_t limit, SmsEncoding encoding) {
    if (sms_units(text, encoding) <= limit) {
        return std::string(text);
    }
    const std::size_t room = limit >= 3 ? limit - 3 : 0;
    std::size_t used = 0;
    std::size_t end = 0;
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t start = i;
        const std::size_t units = units_of(next_code_point(text, i), encoding);
        if (used + units > room) {
            end = start;
            break;
        }
        used += units;
        end = i;
    }
    std::string out(text.substr(0, end));
    while (!out.empty() && out.back() == ' ') {
        out.pop_back();
    }
    return out + "...";
}

}  // namespace

std::string gsm_friendly(std::string_view text) {
    static const std::array<std::pair<std::string_view, std::string_view>, 22> kMap = {{
        {"\u2018", "'"},  {"\u2019", "'"},   {"\u201A", "'"},    {"\u2032", "'"}, {"\u201C", "\""},
        {"\u201D", "\""}, {"\u201E", "\""},  {"\u2033", "\""},   {"\u2013", "-"}, {"\u2014", "-"},
        {"\u2212", "-"},  {"\u2026", "..."}, {"\u2022", "*"},    {"\u00B7", "*"}, {"\u2192", "->"},
        {"\u2190", "<-"}, {"\u2191", "up"},  {"\u2193", "down"}, {"\u00A0", " "}, {"\t", " "},
        {"\u2265", ">="}, {"\u2264", "<="},
    }};
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        bool replaced = false;
        for (const auto& [from, to] : kMap) {
            if (text.substr(i, from.size()) == from) {
                out += to;
                i += from.size();
                replaced = true;
                break;
            }
        }
        if (!replaced) {
            out += text[i];
            ++i;
        }
    }
    return out;
}

SmsEncoding encoding_of(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const char32_t cp = next_code_point(text, i);
        if (basic_set().count(cp) == 0 && extension_set().count(cp) == 0) {
            return SmsEncoding::Ucs2;
        }
    }
    return SmsEncoding::Gsm7;
}

std::size_t sms_units(std::string_view text, SmsEncoding encoding) {
    std::size_t units = 0;
    for (std::size_t i = 0; i < text.size();) {
        units += units_of(next_code_point(text, i), encoding);
    }
    return units;
}

std::size_t segment_count(std::string_view text) {
    const SmsEncoding encoding = encoding_of(text);
    const std::size_t units = sms_units(text, encoding);
    if (units <= limit_for(encoding, 1)) {
        return 1;
    }
    const std::size_t part = encoding == SmsEncoding::Gsm7 ? kPartGsm : kPartUcs2;
    return (units + part - 1) / part;
}

std::string sms_body(const common::NotificationView& view, std::size_t max_segments) {
    std::string text = gsm_friendly(view.message.short_text);
    // SMS is one paragraph: line breaks cost as much as letters and read badly.
    std::replace(text.begin(), text.end(), '\n', ' ');
    std::string fallback;
    if (!view.via_fallback.empty()) {
        fallback = " (via fallback: " + gsm_friendly(view.via_fallback) + " failed)";
    }
    std::string ack;
    const bool firing =
        view.kind == "firing" || view.kind == "severity_change" || view.kind == "reminder";
    // A batch lists several alerts: one link would acknowledge only the first, so none is sent.
    if (firing && view.alerts.size() == 1 && !view.alerts.front().ack_url.empty()) {
        ack = " Ack: " + view.alerts.front().ack_url;
    }
    const SmsEncoding encoding = encoding_of(text + fallback + ack);
    const std::size_t limit = limit_for(encoding, max_segments);
    for (const auto& extra : {fallback + ack, fallback, std::string()}) {
        const std::size_t extra_units = sms_units(extra, encoding);
        if (extra_units + kMinTextUnits <= limit || extra.empty()) {
            return fit(text, limit - std::min(limit, extra_units), encoding) + extra;
        }
    }
    return fit(text, limit, encoding);
}

std::chrono::seconds validity_for(const common::NotificationView& view,
                                  const TwilioConfig& config) {
    std::chrono::seconds validity = config.validity_period;
    if (view.kind == "resolved" || view.kind == "acknowledged") {
        validity = std::min(validity, std::chrono::seconds(900));
    }
    return std::clamp(validity, std::chrono::seconds(1), std::chrono::seconds(36000));
}

std::string form_body(const std::string& to,
                      const std::string& body,
                      std::chrono::seconds validity,
                      const TwilioConfig& config) {
    std::string out = "To=" + common::form_encode(to);
    if (!config.messaging_service_sid.empty()) {
        out += "&MessagingServiceSid=" + common::form_encode(config.messaging_service_sid);
    } else {
        out += "&From=" + common::form_encode(config.from);
    }
    out += "&Body=" + common::form_encode(body);
    out += "&ValidityPeriod=" + std::to_string(validity.count());
    return out;
}

std::string describe_answer(long http_status, const std::string& body) {
    std::string out = "HTTP " + std::to_string(http_status);
    sdk::Json answer;
    if (!sdk::Json::try_parse(body, answer) || !answer.is_object()) {
        const auto quoted = common::snippet(body);
        return quoted.empty() ? out : out + " " + quoted;
    }
    if (http_status >= 200 && http_status < 300) {
        const auto sid = common::text_of(answer, "sid");
        const auto status = common::text_of(answer, "status");
        out += sid.empty() ? "" : " " + sid;
        out += status.empty() ? "" : " " + status;
        return out;
    }
    const auto code = common::text_of(answer, "code");
    const auto message = common::text_of(answer, "message");
    if (!code.empty()) {
        out += " " + code;
    }
    if (!message.empty()) {
        out += (code.empty() ? " " : ": ") + message;
    }
    return common::truncate_bytes(out, 255);
}

}  // namespace tocsin::plugins::twilio
