#include "slack_config.hpp"

#include "http_response.hpp"

#include <algorithm>

namespace tocsin::plugins::slack {
namespace {

// Blocks per alert are at most three (divider, facts, buttons) and a message holds 50 blocks,
// with five kept for the header, body and footer.
constexpr std::int64_t kMaxAlertsLimit = 15;

bool has_blank_or_control(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
    });
}

}  // namespace

sdk::Status parse_config(const sdk::Config& config, SlackConfig& out) {
    out.webhook_url = config.get_string("webhook_url");
    const std::string_view url = out.webhook_url;
    const bool http = url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
    if (!http) {
        return sdk::Status::bad_config(
            "webhook_url must start with https:// (e.g. https://hooks.slack.com/services/...)");
    }
    if (common::redact_url(url).size() <= url.find("://") + 3) {
        return sdk::Status::bad_config("webhook_url has no host");
    }
    if (has_blank_or_control(url)) {
        return sdk::Status::bad_config("webhook_url contains spaces or control characters");
    }
    out.channel = config.get_string("channel");
    out.username = config.get_string("username");
    out.icon_emoji = config.get_string("icon_emoji");
    if (!out.icon_emoji.empty() && (out.icon_emoji.size() < 3 || out.icon_emoji.front() != ':' ||
                                    out.icon_emoji.back() != ':')) {
        return sdk::Status::bad_config("icon_emoji must look like :name:");
    }
    out.mention = config.get_string("mention");
    out.max_alerts = config.get_int("max_alerts", 10);
    if (out.max_alerts < 1 || out.max_alerts > kMaxAlertsLimit) {
        return sdk::Status::bad_config("max_alerts must be between 1 and 15");
    }
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::slack
