// The slack notifier: POSTs one Block Kit message per notification to a Slack incoming webhook
// (slack_message.hpp renders it). Slack answers 200 "ok"; 400/403/404/410 with a text code such
// as invalid_payload, no_service or channel_not_found (permanent); 429 with Retry-After and 5xx
// (temporary).

#include "http_post.hpp"
#include "http_response.hpp"
#include "notification.hpp"
#include "slack_config.hpp"
#include "slack_message.hpp"
#include <tocsin/sdk/plugin.hpp>

#include <chrono>
#include <string>

namespace tocsin::plugins::slack {
namespace {

class SlackNotifier final : public sdk::Notifier {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger& log) override {
        log_ = &log;
        if (auto status = parse_config(config, config_); !status.is_ok()) {
            return status;
        }
        endpoint_ = common::redact_url(config_.webhook_url);
        common::ensure_curl_initialized();
        return sdk::Status::ok();
    }

    sdk::Delivery send(const sdk::Json& notification, sdk::Deadline deadline) override {
        if (!notification.is_object()) {
            return {sdk::Status::failed("the notification is not a JSON object"), 0, {}};
        }
        const common::NotificationView view = common::read_notification(notification);
        common::HttpPost post;
        post.url = config_.webhook_url;
        post.body = render_message(view, config_).dump();
        post.headers.emplace_back("Content-Type: application/json; charset=utf-8");
        post.secrets = {config_.webhook_url};

        const common::HttpAnswer answer = common::http_post(post, deadline);
        if (!answer.answered) {
            log_->debug("POST to " + endpoint_ + " failed: " + answer.error);
            return common::transport_failure(answer.error, endpoint_);
        }
        sdk::Delivery delivery = common::classify_response(answer.status,
                                                           answer.retry_after,
                                                           answer.body,
                                                           endpoint_,
                                                           std::chrono::system_clock::now());
        // Slack's answer is a short code ("ok", "invalid_payload"): worth showing in full.
        if (const auto code = common::snippet(answer.body); !code.empty()) {
            delivery.detail += " " + code;
        }
        return delivery;
    }

private:
    sdk::Logger* log_ = nullptr;
    SlackConfig config_;
    std::string endpoint_;
};

}  // namespace
}  // namespace tocsin::plugins::slack

TOCSIN_EXPORT_NOTIFIER(tocsin::plugins::slack::SlackNotifier,
                       "slack",
                       "1.0.0",
                       "posts Block Kit messages to a Slack incoming webhook",
                       tocsin::plugins::slack::kConfigKeys)
