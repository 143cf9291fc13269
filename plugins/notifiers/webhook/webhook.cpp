// The webhook notifier: POSTs Alertmanager-compatible JSON (webhook_payload.hpp) to one URL with
// libcurl, one easy handle per send, bounded by the host's deadline.

#include "webhook_config.hpp"
#include "webhook_payload.hpp"
#include "webhook_response.hpp"
#include <tocsin/sdk/plugin.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <string>

#ifndef TOCSIN_VERSION
#define TOCSIN_VERSION "0.0.0"
#endif

namespace tocsin::plugins::webhook {
namespace {

// Only the start of an answer is kept: enough to quote a receiver's error, bounded in memory.
constexpr std::size_t kMaxBodyKept = 1024;

struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

std::size_t keep_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* body = static_cast<std::string*>(user);
    const std::size_t bytes = size * count;
    if (body->size() < kMaxBodyKept) {
        body->append(data, std::min(bytes, kMaxBodyKept - body->size()));
    }
    return bytes;
}

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

// Replaces every occurrence of `secret` in `text` (curl's messages should not contain the URL's
// path or the token, but a message is logged, so make sure).
void scrub(std::string& text, const std::string& secret, std::string_view replacement) {
    if (secret.empty()) {
        return;
    }
    for (auto pos = text.find(secret); pos != std::string::npos;
         pos = text.find(secret, pos + replacement.size())) {
        text.replace(pos, secret.size(), replacement);
    }
}

class WebhookNotifier final : public sdk::Notifier {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger& log) override {
        log_ = &log;
        if (auto status = parse_config(config, config_); !status.is_ok()) {
            return status;
        }
        endpoint_ = redact_url(config_.url);
        // Safe to call more than once; the module is never unloaded, so never cleaned up.
        static std::once_flag once;
        std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
        return sdk::Status::ok();
    }

    sdk::Delivery send(const sdk::Json& notification, sdk::Deadline deadline) override {
        if (!notification.is_object()) {
            return {sdk::Status::failed("the notification is not a JSON object"), 0, {}};
        }
        const auto left = sdk::time_left(deadline);
        if (left.count() <= 0) {
            return transport_failure("the deadline passed before sending", endpoint_);
        }
        const std::string body = render_payload(notification, config_.max_alerts).dump();
        std::string id;
        if (const auto* value = notification.find("id"); value != nullptr && value->is_string()) {
            id = value->as_string();
        }

        CurlPtr curl(curl_easy_init());
        if (!curl) {
            return transport_failure("cannot create a curl handle", endpoint_);
        }
        SlistPtr headers = build_headers(id);
        if (!headers) {
            return transport_failure("out of memory building headers", endpoint_);
        }
        std::string answer;
        char error_buffer[CURL_ERROR_SIZE] = {};
        CURL* h = curl.get();
        curl_easy_setopt(h, CURLOPT_URL, config_.url.c_str());
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(left.count()));
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(left.count()));
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &keep_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);

        const CURLcode rc = curl_easy_perform(h);
        if (rc != CURLE_OK) {
            std::string error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
            scrub(error, config_.url, endpoint_);
            scrub(error, config_.bearer_token, "<redacted>");
            log_->debug("POST to " + endpoint_ + " failed: " + error);
            return transport_failure(error, endpoint_);
        }
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        std::string retry_after;
        curl_header* header = nullptr;
        if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &header) == CURLHE_OK) {
            retry_after = header->value;
        }
        scrub(answer, config_.bearer_token, "<redacted>");
        return classify_response(
            status, retry_after, answer, endpoint_, std::chrono::system_clock::now());
    }

private:
    SlistPtr build_headers(const std::string& id) const {
        SlistPtr list;
        bool ok = true;
        auto add = [&](const std::string& line) {
            curl_slist* grown = curl_slist_append(list.get(), line.c_str());
            if (grown == nullptr) {
                ok = false;
                return;
            }
            static_cast<void>(list.release());
            list.reset(grown);
        };
        auto user_sets = [&](std::string_view name) {
            return std::any_of(config_.headers.begin(), config_.headers.end(), [&](const auto& h) {
                return iequals(h.first, name);
            });
        };
        if (!user_sets("Content-Type")) {
            add("Content-Type: application/json");
        }
        if (!user_sets("User-Agent")) {
            add("User-Agent: tocsin/" TOCSIN_VERSION);
        }
        if (!id.empty()) {
            add("Idempotency-Key: " + id);
        }
        if (!config_.bearer_token.empty()) {
            add("Authorization: Bearer " + config_.bearer_token);
        }
        // No "Expect: 100-continue" round trip for larger bodies: receivers rarely need it.
        add("Expect:");
        for (const auto& [name, value] : config_.headers) {
            // "Name;" is curl's way to send a header with an empty value.
            add(value.empty() ? name + ";" : name + ": " + value);
        }
        return ok ? std::move(list) : SlistPtr();
    }

    sdk::Logger* log_ = nullptr;
    WebhookConfig config_;
    std::string endpoint_;
};

}  // namespace
}  // namespace tocsin::plugins::webhook

TOCSIN_EXPORT_NOTIFIER(tocsin::plugins::webhook::WebhookNotifier,
                       "webhook",
                       "1.0.0",
                       "POSTs Alertmanager-compatible webhook JSON to a URL",
                       tocsin::plugins::webhook::kConfigKeys)
