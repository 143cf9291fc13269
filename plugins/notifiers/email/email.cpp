// The email notifier: one mail per notification (email_message.hpp builds it) sent over SMTP
// with libcurl: smtp:// with STARTTLS (required unless require_tls is false) or smtps://, AUTH
// when a username is set. Recipients the server refuses are reported; the mail counts as sent
// when at least one recipient took it. SMTP 4yz answers are temporary (retry), 5yz permanent.

#include "email_config.hpp"
#include "email_message.hpp"
#include "http_post.hpp"
#include "notification.hpp"
#include "text_util.hpp"
#include <tocsin/sdk/plugin.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace tocsin::plugins::email {
namespace {

struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

struct Upload {
    const std::string* data = nullptr;
    std::size_t offset = 0;
};

std::size_t read_mail(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* upload = static_cast<Upload*>(user);
    const std::size_t left = upload->data->size() - upload->offset;
    const std::size_t n = std::min(left, size * count);
    std::memcpy(buffer, upload->data->data() + upload->offset, n);
    upload->offset += n;
    return n;
}

// What the SMTP dialogue said, read from curl's protocol trace: the answer to each RCPT TO and
// the server's last reply line.
struct Dialogue {
    std::string pending_rcpt;
    std::vector<std::string> refused;  // "<addr>: 550 5.1.1 ..."
    std::string last_reply;
};

std::string one_line(std::string_view text) {
    std::string out(text);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
        out.pop_back();
    }
    std::replace(out.begin(), out.end(), '\r', ' ');
    std::replace(out.begin(), out.end(), '\n', ' ');
    return out;
}

int trace(CURL* /*handle*/, curl_infotype type, char* data, std::size_t size, void* user) {
    auto* dialogue = static_cast<Dialogue*>(user);
    const std::string_view text(data, size);
    if (type == CURLINFO_HEADER_OUT && text.rfind("RCPT TO:", 0) == 0) {
        dialogue->pending_rcpt = one_line(text.substr(8));
    } else if (type == CURLINFO_HEADER_IN && text.size() >= 3) {
        const std::string line = one_line(text);
        dialogue->last_reply = line;
        if (!dialogue->pending_rcpt.empty() && line.size() > 3 && line[3] == ' ') {
            if (line[0] != '2') {
                dialogue->refused.push_back(dialogue->pending_rcpt + ": " + line);
            }
            dialogue->pending_rcpt.clear();
        }
    }
    return 0;
}

class EmailNotifier final : public sdk::Notifier {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger& log) override {
        log_ = &log;
        if (auto status = parse_config(config, config_); !status.is_ok()) {
            return status;
        }
        const auto host_end =
            config_.smtp_url.find_first_of("/?#", config_.smtp_url.find("://") + 3);
        server_ = config_.smtp_url.substr(0, host_end);
        if (const auto at = server_.rfind('@'); at != std::string::npos) {
            server_ = server_.substr(0, server_.find("://") + 3) + server_.substr(at + 1);
        }
        common::ensure_curl_initialized();
        return sdk::Status::ok();
    }

    sdk::Delivery send(const sdk::Json& notification, sdk::Deadline deadline) override {
        if (!notification.is_object()) {
            return {sdk::Status::failed("the notification is not a JSON object"), 0, {}};
        }
        const auto left = sdk::time_left(deadline);
        if (left.count() <= 0) {
            return retry("the deadline passed before sending", "");
        }
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        const Mail mail = build_mail(common::read_notification(notification), config_, now);

        CurlPtr curl(curl_easy_init());
        if (!curl) {
            return retry("cannot create a curl handle", "");
        }
        SlistPtr recipients;
        for (const auto* list : {&config_.to, &config_.cc}) {
            for (const auto& mailbox : *list) {
                curl_slist* grown =
                    curl_slist_append(recipients.get(), ("<" + mailbox.address + ">").c_str());
                if (grown == nullptr) {
                    return retry("out of memory", "");
                }
                static_cast<void>(recipients.release());
                recipients.reset(grown);
            }
        }
        Upload upload{&mail.text, 0};
        Dialogue dialogue;
        char error_buffer[CURL_ERROR_SIZE] = {};
        const std::string from = "<" + config_.from.address + ">";
        CURL* h = curl.get();
        curl_easy_setopt(h, CURLOPT_URL, config_.smtp_url.c_str());
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
        curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
        // curl 7.69..8.1 spell it ALLLOWFAILS; later versions keep that name as an alias.
        curl_easy_setopt(h, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_mail);
        curl_easy_setopt(h, CURLOPT_READDATA, &upload);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mail.text.size()));
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(left.count()));
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(left.count()));
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
        curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);  // feeds trace(); nothing is printed
        curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, &trace);
        curl_easy_setopt(h, CURLOPT_DEBUGDATA, &dialogue);
        if (!config_.implicit_tls) {
            curl_easy_setopt(h,
                             CURLOPT_USE_SSL,
                             config_.require_tls ? static_cast<long>(CURLUSESSL_ALL)
                                                 : static_cast<long>(CURLUSESSL_TRY));
        }
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, config_.tls_verify ? 1L : 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, config_.tls_verify ? 2L : 0L);
        if (!config_.ca_file.empty()) {
            curl_easy_setopt(h, CURLOPT_CAINFO, config_.ca_file.c_str());
        }
        if (!config_.username.empty()) {
            curl_easy_setopt(h, CURLOPT_USERNAME, config_.username.c_str());
            curl_easy_setopt(h, CURLOPT_PASSWORD, config_.password.c_str());
        }

        const CURLcode rc = curl_easy_perform(h);
        long reply = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
        std::string refused;
        for (const auto& line : dialogue.refused) {
            refused += (refused.empty() ? "" : "; ") + line;
        }
        if (rc == CURLE_OK) {
            sdk::Delivery delivery;
            delivery.detail = "SMTP " + dialogue.last_reply;
            if (!refused.empty()) {
                delivery.detail = "sent " + mail.message_id + "; refused " + refused;
                log_->warning("some recipients were refused: " + refused);
            }
            delivery.detail = common::truncate_bytes(delivery.detail, 255);
            return delivery;
        }
        std::string error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
        common::scrub(error, config_.password, "<redacted>");
        if (rc == CURLE_USE_SSL_FAILED) {
            return failed(
                "the server does not offer STARTTLS and require_tls is true (" + error + ")",
                dialogue.last_reply);
        }
        if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE) {
            return failed("TLS certificate check failed: " + error, dialogue.last_reply);
        }
        const std::string detail = !refused.empty() ? "refused " + refused : dialogue.last_reply;
        if (reply >= 500 && reply < 600) {
            return failed("SMTP " + std::to_string(reply) + " from " + server_ + ": " + detail,
                          detail);
        }
        if (reply >= 400 && reply < 500) {
            return retry("SMTP " + std::to_string(reply) + " from " + server_ + ": " + detail,
                         detail);
        }
        return retry("cannot reach " + server_ + ": " + error, detail.empty() ? error : detail);
    }

private:
    static sdk::Delivery retry(const std::string& message, const std::string& detail) {
        return {sdk::Status::retry(message), 0, common::truncate_bytes(detail, 255)};
    }
    static sdk::Delivery failed(const std::string& message, const std::string& detail) {
        return {sdk::Status::failed(message), 0, common::truncate_bytes(detail, 255)};
    }

    sdk::Logger* log_ = nullptr;
    EmailConfig config_;
    std::string server_;
};

}  // namespace
}  // namespace tocsin::plugins::email

TOCSIN_EXPORT_NOTIFIER(tocsin::plugins::email::EmailNotifier,
                       "email",
                       "1.0.0",
                       "sends multipart text and HTML mail over SMTP (STARTTLS or TLS)",
                       tocsin::plugins::email::kConfigKeys)
