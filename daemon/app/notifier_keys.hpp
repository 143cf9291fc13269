#pragma once

#include "engine/diagnostics.hpp"
#include "engine/model.hpp"
#include "engine/time.hpp"

#include <optional>
#include <string>
#include <vector>

/// The daemon's own notifier keys (DESIGN.md §6): every notifier takes `fallback` and
/// `rate_limit` besides its plugin's keys. Delivery acts on them; the plugin never sees them.
namespace tocsin::app {

/// A token bucket: `per_second` tokens a second, at most `burst` saved up.
struct RateLimit {
    double per_second = 0;
    double burst = 1;
    std::string text;  // as written or defaulted ("1/s"), for messages
};

struct DeliveryPolicy {
    std::string fallback;  // another notifier instance, "" for none
    engine::Duration fallback_after{std::chrono::minutes(5)};  // since the first failed attempt
    int fallback_attempts = 5;                                 // ... or this many failures
    std::optional<RateLimit> rate_limit;                       // nullopt: unlimited
};

/// The limit a channel's service documents, used when `rate_limit:` is not written: Slack
/// about 1 message/s per webhook, PagerDuty 120 events/min per routing key, Twilio 1 message/s
/// per sender. Others are unlimited.
[[nodiscard]] std::optional<RateLimit> default_rate_limit(const std::string& plugin);

/// Parses "1/s", "120/m", "30/h" (optionally "N/s burst B" is not supported: use the map form
/// `{rate: 1/s, burst: 3}`) or `off`. Nothing on bad input.
[[nodiscard]] std::optional<RateLimit> parse_rate(const std::string& text);

/// Takes the daemon's keys (`fallback`, `fallback_after`, `fallback_attempts`, `rate_limit`) out
/// of `inst.settings`, checks them and returns the policy; problems go to `diags` at their key.
/// Whether `fallback` names an existing notifier is checked by check_fallbacks().
[[nodiscard]] DeliveryPolicy take_delivery_keys(engine::PluginInstanceConfig& inst,
                                                engine::Diagnostics& diags);

/// Fallbacks must not form a cycle (the config loader checks that each names another notifier).
void check_fallbacks(const std::vector<engine::PluginInstanceConfig>& notifiers,
                     const std::vector<DeliveryPolicy>& policies,
                     engine::Diagnostics& diags);

}  // namespace tocsin::app
