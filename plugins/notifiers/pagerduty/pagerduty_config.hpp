#pragma once

// Configuration of the pagerduty notifier (Events API v2): the declared keys (the host
// validates them) and the parsed settings with the checks the host cannot do.

#include <tocsin/sdk/config.hpp>
#include <tocsin/sdk/status.hpp>

#include <string>

namespace tocsin::plugins::pagerduty {

inline constexpr const char* kDefaultApiUrl = "https://events.pagerduty.com";

/// Instance keys, as `tocsin plugins` lists them.
inline constexpr tocsin_config_key kConfigKeys[] = {
    {"routing_key",
     TOCSIN_TYPE_STRING,
     1,
     nullptr,
     1,
     "the 32-character integration key of an Events API v2 integration"},
    {"api_url",
     TOCSIN_TYPE_STRING,
     0,
     "\"https://events.pagerduty.com\"",
     0,
     "Events API base URL; events go to {api_url}/v2/enqueue"},
    {"source",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     0,
     "payload.source: the affected system; default the alert's 'instance' label, else its KPI"},
    {"component", TOCSIN_TYPE_STRING, 0, nullptr, 0, "payload.component; default the KPI"},
    {"group", TOCSIN_TYPE_STRING, 0, nullptr, 0, "payload.group; default the alert's 'team' label"},
    {"client",
     TOCSIN_TYPE_STRING,
     0,
     "\"tocsin\"",
     0,
     "shown in PagerDuty as the monitoring client; links to the daemon's external_url"},
};

struct PagerDutyConfig {
    std::string routing_key;
    std::string api_url = kDefaultApiUrl;
    std::string source;
    std::string component;
    std::string group;
    std::string client = "tocsin";
};

/// Reads validated config into `out`; bad_config when the routing key is not 32 printable
/// characters or api_url is not http(s). Messages never contain the routing key.
[[nodiscard]] sdk::Status parse_config(const sdk::Config& config, PagerDutyConfig& out);

}  // namespace tocsin::plugins::pagerduty
