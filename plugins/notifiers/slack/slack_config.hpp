#pragma once

// Configuration of the slack notifier: the declared keys (the host validates them) and the
// parsed settings with the checks the host cannot do.

#include <tocsin/sdk/config.hpp>
#include <tocsin/sdk/status.hpp>

#include <cstdint>
#include <string>

namespace tocsin::plugins::slack {

/// Instance keys, as `tocsin plugins` lists them.
inline constexpr tocsin_config_key kConfigKeys[] = {
    {"webhook_url",
     TOCSIN_TYPE_STRING,
     1,
     nullptr,
     1,
     "Slack incoming webhook URL (https://hooks.slack.com/services/...); its path is the secret"},
    {"channel",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     0,
     "channel override for legacy webhooks (#ops); app webhooks post to their own channel"},
    {"username", TOCSIN_TYPE_STRING, 0, nullptr, 0, "display name override for legacy webhooks"},
    {"icon_emoji", TOCSIN_TYPE_STRING, 0, nullptr, 0, "icon override such as :rotating_light:"},
    {"mention",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     0,
     "prepended to critical firing messages, e.g. <!here> or <@U012AB3CD>"},
    {"max_alerts",
     TOCSIN_TYPE_INT,
     0,
     "10",
     0,
     "alerts shown with their own blocks (1..15); the rest are counted"},
};

struct SlackConfig {
    std::string webhook_url;
    std::string channel;
    std::string username;
    std::string icon_emoji;
    std::string mention;
    std::int64_t max_alerts = 10;
};

/// Reads validated config into `out`; bad_config when the URL is not http(s) with a host or
/// max_alerts is out of range. Messages never contain the URL.
[[nodiscard]] sdk::Status parse_config(const sdk::Config& config, SlackConfig& out);

}  // namespace tocsin::plugins::slack
