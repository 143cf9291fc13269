#include "http_response.hpp"

#include <curl/curl.h>

#include <cctype>
#include <charconv>

namespace tocsin::plugins::common {
namespace {

// How much of a receiver's error body is quoted in a message.
constexpr std::size_t kMaxBodyQuote = 120;

}  // namespace

std::string snippet(std::string_view body) {
    std::string out;
    for (const char c : body) {
        if (out.size() >= kMaxBodyQuote) {
            out += "...";
            break;
        }
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7f) ? ' ' : c;
    }
    const auto last = out.find_last_not_of(' ');
    out.erase(last == std::string::npos ? 0 : last + 1);
    return out;
}

std::string redact_url(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return "(invalid url)";
    }
    const auto authority_start = scheme_end + 3;
    auto authority = url.substr(authority_start);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);  // user:password@
    }
    return std::string(url.substr(0, authority_start)) + std::string(authority);
}

std::optional<std::int64_t> parse_retry_after_ms(std::string_view value,
                                                 std::chrono::system_clock::time_point now) {
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())) != 0) {
        value.remove_prefix(1);
    }
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())) != 0) {
        value.remove_suffix(1);
    }
    if (value.empty()) {
        return std::nullopt;
    }
    if (std::isdigit(static_cast<unsigned char>(value.front())) != 0) {
        std::int64_t seconds = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        constexpr std::int64_t kMaxSeconds = 10LL * 365 * 86400;
        if (ec != std::errc() || end != value.data() + value.size() || seconds > kMaxSeconds) {
            return std::nullopt;
        }
        return seconds * 1000;
    }
    // curl_getdate understands the three HTTP date forms (IMF-fixdate, RFC 850, asctime).
    const std::string text(value);
    const time_t when = curl_getdate(text.c_str(), nullptr);
    if (when == -1) {
        return std::nullopt;
    }
    const auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::from_time_t(when) - now);
    return delay.count() > 0 ? delay.count() : 0;
}

sdk::Delivery classify_response(long http_status,
                                std::string_view retry_after,
                                std::string_view body,
                                std::string_view endpoint,
                                std::chrono::system_clock::time_point now) {
    sdk::Delivery delivery;
    delivery.detail = "HTTP " + std::to_string(http_status);
    if (http_status >= 200 && http_status < 300) {
        delivery.status = sdk::Status::ok();
        return delivery;
    }
    std::string message = delivery.detail + " from " + std::string(endpoint);
    if (const auto quoted = snippet(body); !quoted.empty()) {
        message += ": " + quoted;
    }
    if (http_status == 429 || (http_status >= 500 && http_status < 600)) {
        delivery.retry_after_ms = parse_retry_after_ms(retry_after, now).value_or(0);
        delivery.status = sdk::Status::retry(std::move(message));
        return delivery;
    }
    delivery.status = sdk::Status::failed(std::move(message));
    return delivery;
}

sdk::Delivery transport_failure(std::string_view error, std::string_view endpoint) {
    sdk::Delivery delivery;
    delivery.detail = std::string(error);
    delivery.status =
        sdk::Status::retry("cannot reach " + std::string(endpoint) + ": " + std::string(error));
    return delivery;
}

}  // namespace tocsin::plugins::common
