// The pagerduty notifier: one Events API v2 event per alert, POSTed to {api_url}/v2/enqueue.
// PagerDuty answers 202 {"status":"success",...}; 400 for an invalid event (permanent); 429 and
// 5xx (temporary). Events already accepted for a notification are not sent again when the host
// retries it after a later event failed.

#include "http_post.hpp"
#include "http_response.hpp"
#include "notification.hpp"
#include "pagerduty_config.hpp"
#include "pagerduty_event.hpp"
#include "sent_memory.hpp"
#include <tocsin/sdk/plugin.hpp>

#include <chrono>
#include <string>

namespace tocsin::plugins::pagerduty {
namespace {

class PagerDutyNotifier final : public sdk::Notifier {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger& log) override {
        log_ = &log;
        if (auto status = parse_config(config, config_); !status.is_ok()) {
            return status;
        }
        endpoint_ = common::redact_url(config_.api_url);
        common::ensure_curl_initialized();
        return sdk::Status::ok();
    }

    sdk::Delivery send(const sdk::Json& notification, sdk::Deadline deadline) override {
        if (!notification.is_object()) {
            return {sdk::Status::failed("the notification is not a JSON object"), 0, {}};
        }
        const common::NotificationView view = common::read_notification(notification);
        if (view.kind == "report") {
            // A KPI report is no incident. `tocsin check` refuses reports to PagerDuty; one can
            // still arrive as another notifier's fallback, and is then dropped, not paged.
            sdk::Delivery skipped;
            skipped.detail = "not sent: PagerDuty takes incidents, not reports";
            return skipped;
        }
        const std::vector<Event> events = build_events(view, config_);
        if (events.empty()) {
            return {sdk::Status::failed("the notification has no alerts to send"), 0, {}};
        }
        std::string last_detail;
        std::size_t sent = 0;
        for (const Event& event : events) {
            const std::string part = event.action + " " + event.dedup_key;
            if (sent_.contains(view.id, part)) {
                continue;
            }
            common::HttpPost post;
            post.url = config_.api_url + "/v2/enqueue";
            post.body = event.body.dump();
            post.headers.emplace_back("Content-Type: application/json");
            post.secrets = {config_.routing_key};
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
            delivery.detail = describe_answer(answer.status, answer.body);
            if (!delivery.status.is_ok()) {
                delivery.status.message = delivery.detail + " from " + endpoint_ + " (" +
                                          event.action + " " + event.dedup_key + ")";
                return delivery;
            }
            sent_.remember(view.id, part);
            last_detail = delivery.detail;
            ++sent;
        }
        sdk::Delivery done;
        done.detail =
            sent > 1 ? last_detail + " (" + std::to_string(sent) + " events)" : last_detail;
        if (sent == 0) {
            done.detail = "already sent";
        }
        return done;
    }

private:
    sdk::Logger* log_ = nullptr;
    PagerDutyConfig config_;
    std::string endpoint_;
    common::SentMemory sent_;
};

}  // namespace
}  // namespace tocsin::plugins::pagerduty

TOCSIN_EXPORT_NOTIFIER(tocsin::plugins::pagerduty::PagerDutyNotifier,
                       "pagerduty",
                       "1.0.0",
                       "sends PagerDuty Events API v2 trigger, acknowledge and resolve events",
                       tocsin::plugins::pagerduty::kConfigKeys)
