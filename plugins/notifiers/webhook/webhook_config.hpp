#pragma once

// Configuration of the webhook notifier: the declared keys (the host validates them) and the
// parsed settings with the cross-field checks the host cannot do.

#include <tocsin/sdk/config.hpp>
#include <tocsin/sdk/status.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tocsin::plugins::webhook {

/// Instance keys, as `tocsin plugins` lists them.
inline constexpr tocsin_config_key kConfigKeys[] = {
    {"url",
     TOCSIN_TYPE_STRING,
     1,
     nullptr,
     0,
     "http(s) endpoint that receives Alertmanager-compatible webhook JSON by POST"},
    {"headers", TOCSIN_TYPE_STRING_MAP, 0, nullptr, 0, "extra request headers"},
    {"bearer_token", TOCSIN_TYPE_STRING, 0, nullptr, 1, "sent as 'Authorization: Bearer <token>'"},
    {"basic_auth",
     TOCSIN_TYPE_STRING_MAP,
     0,
     nullptr,
     1,
     "{username, password} for HTTP basic auth; instead of bearer_token"},
    {"hmac_secret",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     1,
     "signs each request: X-Tocsin-Signature: sha256=<hex HMAC-SHA256 of \"<timestamp>.<body>\">"},
    {"max_alerts",
     TOCSIN_TYPE_INT,
     0,
     "0",
     0,
     "send at most this many alerts per message (the rest are counted in truncatedAlerts); "
     "0 = all"},
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct WebhookConfig {
    std::string url;
    HeaderList headers;
    std::string bearer_token;
    std::string basic_username;
    std::string basic_password;
    std::string hmac_secret;
    std::int64_t max_alerts = 0;
};

/// Reads validated config into `out`; bad_config when the URL is not http(s), a header is
/// malformed or reserved, two kinds of auth are set, basic_auth lacks a
/// username, or max_alerts is negative. Messages never contain the URL's path or
/// the token.
[[nodiscard]] sdk::Status parse_config(const sdk::Config& config, WebhookConfig& out);

}  // namespace tocsin::plugins::webhook
