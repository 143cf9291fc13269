#pragma once

// Configuration of the twilio notifier (Programmable Messaging): the declared keys (the host
// validates them) and the parsed settings with the cross-field checks the host cannot do.

#include <tocsin/sdk/config.hpp>
#include <tocsin/sdk/status.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace tocsin::plugins::twilio {

inline constexpr const char* kDefaultApiUrl = "https://api.twilio.com";

/// Instance keys, as `tocsin plugins` lists them.
inline constexpr tocsin_config_key kConfigKeys[] = {
    {"account_sid", TOCSIN_TYPE_STRING, 1, nullptr, 0, "the account SID (AC...), used in the URL"},
    {"auth_token",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     1,
     "the account's auth token (basic auth with account_sid); or use an API key"},
    {"api_key_sid", TOCSIN_TYPE_STRING, 0, nullptr, 0, "API key SID (SK...) instead of auth_token"},
    {"api_key_secret", TOCSIN_TYPE_STRING, 0, nullptr, 1, "the API key's secret"},
    {"from", TOCSIN_TYPE_STRING, 0, nullptr, 0, "sender number (+15550100) or alphanumeric ID"},
    {"messaging_service_sid",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     0,
     "Messaging Service SID (MG...) instead of from"},
    {"to", TOCSIN_TYPE_STRING_LIST, 1, nullptr, 0, "recipient numbers in E.164 form (+15550199)"},
    {"api_url",
     TOCSIN_TYPE_STRING,
     0,
     "\"https://api.twilio.com\"",
     0,
     "API base URL; messages go to {api_url}/2010-04-01/Accounts/{account_sid}/Messages.json"},
    {"validity_period",
     TOCSIN_TYPE_DURATION,
     0,
     "3600000",
     0,
     "drop an SMS Twilio could not hand on within this time (1s..10h); resolves and acks use at "
     "most 15m"},
};

struct TwilioConfig {
    std::string account_sid;
    /// Basic auth user and password: account_sid/auth_token or api_key_sid/api_key_secret.
    std::string auth_user;
    std::string auth_password;
    std::string from;
    std::string messaging_service_sid;
    std::vector<std::string> to;
    std::string api_url = kDefaultApiUrl;
    std::chrono::seconds validity_period{3600};
};

/// Reads validated config into `out`; bad_config when the credentials, sender or numbers do not
/// fit together. Messages never contain a token or secret.
[[nodiscard]] sdk::Status parse_config(const sdk::Config& config, TwilioConfig& out);

}  // namespace tocsin::plugins::twilio
