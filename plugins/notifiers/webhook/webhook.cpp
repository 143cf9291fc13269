// The webhook notifier: POSTs Alertmanager-compatible JSON (alertmanager_payload.hpp) to one URL
// with libcurl, one request per send, bounded by the host's deadline; optional bearer or basic
// auth and an HMAC-SHA256 signature (webhook_signature.hpp).

#include "alertmanager_payload.hpp"
#include "http_post.hpp"
#include "http_response.hpp"
#include "notification.hpp"
#include "webhook_config.hpp"
#include "webhook_signature.hpp"
#include <tocsin/sdk/plugin.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>

namespace tocsin::plugins::webhook {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

class WebhookNotifier final : public sdk::Notifier {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger& log) override {
        log_ = &log;
        if (auto status = parse_config(config, config_); !status.is_ok()) {
            return status;
        }
        endpoint_ = common::redact_url(config_.url);
        common::ensure_curl_initialized();
        return sdk::Status::ok();
    }

    sdk::Delivery send(const sdk::Json& notification, sdk::Deadline deadline) override {
        if (!notification.is_object()) {
            return {sdk::Status::failed("the notification is not a JSON object"), 0, {}};
        }
        common::HttpPost post;
        post.url = config_.url;
        post.body = common::render_payload(notification, config_.max_alerts).dump();
        post.secrets = {config_.bearer_token, config_.basic_password, config_.hmac_secret};
        auto user_sets = [&](std::string_view name) {
            return std::any_of(config_.headers.begin(), config_.headers.end(), [&](const auto& h) {
                return iequals(h.first, name);
            });
        };
        if (!user_sets("Content-Type")) {
            post.headers.emplace_back("Content-Type: application/json");
        }
        if (const auto id = common::text_of(notification, "id"); !id.empty()) {
            post.headers.push_back("Idempotency-Key: " + id);
        }
        if (!config_.bearer_token.empty()) {
            post.headers.push_back("Authorization: Bearer " + config_.bearer_token);
        }
        post.username = config_.basic_username;
        post.password = config_.basic_password;
        if (!config_.hmac_secret.empty()) {
            const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
            post.headers.push_back("X-Tocsin-Timestamp: " + std::to_string(now));
            post.headers.push_back("X-Tocsin-Signature: " +
                                   signature(config_.hmac_secret, now, post.body));
        }
        for (const auto& [name, value] : config_.headers) {
            // "Name;" is curl's way to send a header with an empty value.
            post.headers.push_back(value.empty() ? name + ";" : name + ": " + value);
        }

        const common::HttpAnswer answer = common::http_post(post, deadline);
        if (!answer.answered) {
            log_->debug("POST to " + endpoint_ + " failed: " + answer.error);
            return common::transport_failure(answer.error, endpoint_);
        }
        return common::classify_response(answer.status,
                                         answer.retry_after,
                                         answer.body,
                                         endpoint_,
                                         std::chrono::system_clock::now());
    }

private:
    sdk::Logger* log_ = nullptr;
    WebhookConfig config_;
    std::string endpoint_;
};

}  // namespace
}  // namespace tocsin::plugins::webhook

TOCSIN_EXPORT_NOTIFIER(tocsin::plugins::webhook::WebhookNotifier,
                       "webhook",
                       "1.1.0",
                       "POSTs Alertmanager-compatible webhook JSON to a URL",
                       tocsin::plugins::webhook::kConfigKeys)
