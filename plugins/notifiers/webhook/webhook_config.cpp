#include "webhook_config.hpp"

#include "http_response.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace tocsin::plugins::webhook {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

// An HTTP token (RFC 9110 tchar).
bool is_header_name(std::string_view name) {
    constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
    return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
               kSpecials.find(c) != std::string_view::npos;
    });
}

bool has_control_chars(std::string_view value) {
    return std::any_of(value.begin(), value.end(), [](char c) {
        return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
    });
}

// Headers the plugin sets itself, or that would break the request framing.
constexpr std::string_view kReservedHeaders[] = {"Content-Length",
                                                 "Transfer-Encoding",
                                                 "Host",
                                                 "Idempotency-Key",
                                                 "Connection",
                                                 "X-Tocsin-Signature",
                                                 "X-Tocsin-Timestamp"};

}  // namespace

sdk::Status parse_config(const sdk::Config& config, WebhookConfig& out) {
    out.url = config.get_string("url");
    const std::string_view url = out.url;
    const auto scheme_end = url.find("://");
    const auto scheme = url.substr(0, scheme_end);
    if (scheme_end == std::string_view::npos ||
        !(iequals(scheme, "http") || iequals(scheme, "https"))) {
        return sdk::Status::bad_config("url must start with http:// or https://");
    }
    if (common::redact_url(url).size() <= scheme.size() + 3) {
        return sdk::Status::bad_config(
            "url has no host; use e.g. https://hooks.example.com/alerts");
    }
    if (has_control_chars(url) || url.find(' ') != std::string_view::npos) {
        return sdk::Status::bad_config(
            "url contains spaces or control characters; percent-encode them");
    }

    out.bearer_token = config.get_string("bearer_token");
    if (has_control_chars(out.bearer_token)) {
        return sdk::Status::bad_config("bearer_token contains control characters");
    }

    for (const auto& [name, value] : config.get_string_map("basic_auth")) {
        if (name == "username") {
            out.basic_username = value;
        } else if (name == "password") {
            out.basic_password = value;
        } else {
            return sdk::Status::bad_config("basic_auth: unknown key '" + name +
                                           "'; allowed: username, password");
        }
    }
    if (config.has("basic_auth") && out.basic_username.empty()) {
        return sdk::Status::bad_config("basic_auth needs a username");
    }
    if (out.basic_username.find(':') != std::string::npos ||
        has_control_chars(out.basic_username) || has_control_chars(out.basic_password)) {
        return sdk::Status::bad_config(
            "basic_auth: the username may not contain ':' or control characters, the password "
            "no control characters");
    }
    if (!out.basic_username.empty() && !out.bearer_token.empty()) {
        return sdk::Status::bad_config("set only one of bearer_token and basic_auth");
    }
    out.hmac_secret = config.get_string("hmac_secret");
    if (config.has("hmac_secret") && out.hmac_secret.empty()) {
        return sdk::Status::bad_config("hmac_secret is empty; leave it out or set a secret");
    }

    out.headers = config.get_string_map("headers");
    for (const auto& [name, value] : out.headers) {
        if (!is_header_name(name)) {
            return sdk::Status::bad_config("headers: '" + name +
                                           "' is not a valid header name; use letters, digits "
                                           "and -");
        }
        if (has_control_chars(value)) {
            return sdk::Status::bad_config("headers: the value of '" + name +
                                           "' contains control characters");
        }
        for (const auto reserved : kReservedHeaders) {
            if (iequals(name, reserved)) {
                return sdk::Status::bad_config("headers: '" + name +
                                               "' is set by the plugin and cannot be overridden");
            }
        }
        if (iequals(name, "Authorization") && !out.bearer_token.empty()) {
            return sdk::Status::bad_config(
                "headers: 'Authorization' conflicts with bearer_token; set only one of them");
        }
        if (iequals(name, "Authorization") && !out.basic_username.empty()) {
            return sdk::Status::bad_config(
                "headers: 'Authorization' conflicts with basic_auth; set only one of them");
        }
    }

    out.max_alerts = config.get_int("max_alerts", 0);
    if (out.max_alerts < 0) {
        return sdk::Status::bad_config("max_alerts is negative; use 0 for all alerts or a count");
    }
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::webhook
