// The twilio notifier: one SMS per `to` number through the Messages API, form-encoded with basic
// auth. Twilio answers 201 with the message resource; errors are JSON {"code", "message",
// "status"}: 400-class is permanent, 429 and 5xx temporary. Numbers already sent to are skipped
// when the host retries the notification, so a retry after a partial failure texts nobody twice.
// A number Twilio refuses for good does not hold back the others.

#include "http_post.hpp"
#include "http_response.hpp"
#include "notification.hpp"
#include "sent_memory.hpp"
#include "text_util.hpp"
#include "twilio_config.hpp"
#include "twilio_sms.hpp"
#include <tocsin/sdk/plugin.hpp>

#include <algorithm>
#include <chrono>
#include <string>

namespace tocsin::plugins::twilio {
namespace {

class TwilioNotifier final : public sdk::Notifier {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger& log) override {
        log_ = &log;
        if (auto status = parse_config(config, config_); !status.is_ok()) {
            return status;
        }
        endpoint_ = common::redact_url(config_.api_url);
        url_ = config_.api_url + "/2010-04-01/Accounts/" + config_.account_sid + "/Messages.json";
        common::ensure_curl_initialized();
        return sdk::Status::ok();
    }

    sdk::Delivery send(const sdk::Json& notification, sdk::Deadline deadline) override {
        if (!notification.is_object()) {
            return {sdk::Status::failed("the notification is not a JSON object"), 0, {}};
        }
        const common::NotificationView view = common::read_notification(notification);
        const std::string text = sms_body(view);
        const auto validity = validity_for(view, config_);

        std::size_t delivered = 0;
        std::size_t skipped = 0;
        std::string last_ok;
        std::string failures;
        bool retry = false;
        std::int64_t retry_after_ms = 0;
        std::string first_error;
        for (const auto& to : config_.to) {
            if (sent_.contains(view.id, to)) {
                ++skipped;
                continue;
            }
            common::HttpPost post;
            post.url = url_;
            post.body = form_body(to, text, validity, config_);
            post.headers.emplace_back("Content-Type: application/x-www-form-urlencoded");
            post.headers.emplace_back("Accept: application/json");
            post.username = config_.auth_user;
            post.password = config_.auth_password;
            post.secrets = {config_.auth_password};
            const common::HttpAnswer answer = common::http_post(post, deadline);
            sdk::Delivery outcome;
            if (!answer.answered) {
                outcome = common::transport_failure(answer.error, endpoint_);
            } else {
                outcome = common::classify_response(answer.status,
                                                    answer.retry_after,
                                                    answer.body,
                                                    endpoint_,
                                                    std::chrono::system_clock::now());
                outcome.detail = describe_answer(answer.status, answer.body);
            }
            if (outcome.status.is_ok()) {
                sent_.remember(view.id, to);
                ++delivered;
                last_ok = outcome.detail;
                continue;
            }
            failures += (failures.empty() ? "" : "; ") + to + ": " + outcome.detail;
            if (first_error.empty()) {
                first_error = answer.answered ? outcome.detail + " from " + endpoint_ + " for " + to
                                              : outcome.status.message;
            }
            if (outcome.status.code == TOCSIN_RETRY) {
                retry = true;
                retry_after_ms = std::max(retry_after_ms, outcome.retry_after_ms);
            }
            log_->debug("SMS to " + to + " not sent: " + outcome.status.message);
        }

        sdk::Delivery result;
        if (failures.empty()) {
            result.detail = skipped > 0 && delivered == 0 ? "already sent" : last_ok;
            if (delivered > 1) {
                result.detail += " (" + std::to_string(delivered) + " messages)";
            }
            return result;
        }
        result.detail = common::truncate_bytes(failures, 255);
        if (retry) {
            result.status = sdk::Status::retry(first_error);
            result.retry_after_ms = retry_after_ms;
        } else if (delivered + skipped == 0) {
            result.status = sdk::Status::failed(first_error);
        } else {
            // Some numbers got it; the rest will never be accepted, so retrying helps nobody.
            log_->warning("SMS refused for some numbers: " + failures);
            result.detail = common::truncate_bytes(
                "sent to " + std::to_string(delivered + skipped) + ", refused: " + failures, 255);
        }
        return result;
    }

private:
    sdk::Logger* log_ = nullptr;
    TwilioConfig config_;
    std::string endpoint_;
    std::string url_;
    common::SentMemory sent_;
};

}  // namespace
}  // namespace tocsin::plugins::twilio

TOCSIN_EXPORT_NOTIFIER(tocsin::plugins::twilio::TwilioNotifier,
                       "twilio",
                       "1.0.0",
                       "sends SMS through the Twilio Messages API",
                       tocsin::plugins::twilio::kConfigKeys)
