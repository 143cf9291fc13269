#include "http_post.hpp"

#include "http_response.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

#ifndef TOCSIN_VERSION
#define TOCSIN_VERSION "0.0.0"
#endif

namespace tocsin::plugins::common {
namespace {

// Only the start of an answer is kept: enough to read a JSON error, bounded in memory.
constexpr std::size_t kMaxBodyKept = 16 * 1024;

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

bool append_header(SlistPtr& list, const std::string& line) {
    curl_slist* grown = curl_slist_append(list.get(), line.c_str());
    if (grown == nullptr) {
        return false;
    }
    static_cast<void>(list.release());
    list.reset(grown);
    return true;
}

}  // namespace

void ensure_curl_initialized() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void scrub(std::string& text, const std::string& secret, std::string_view replacement) {
    if (secret.empty()) {
        return;
    }
    for (auto pos = text.find(secret); pos != std::string::npos;
         pos = text.find(secret, pos + replacement.size())) {
        text.replace(pos, secret.size(), replacement);
    }
}

HttpAnswer http_post(const HttpPost& request, sdk::Deadline deadline) {
    HttpAnswer answer;
    const auto left = sdk::time_left(deadline);
    if (left.count() <= 0) {
        answer.error = "the deadline passed before sending";
        return answer;
    }
    ensure_curl_initialized();
    CurlPtr curl(curl_easy_init());
    if (!curl) {
        answer.error = "cannot create a curl handle";
        return answer;
    }
    SlistPtr headers;
    const bool own_agent =
        std::any_of(request.headers.begin(), request.headers.end(), [](const auto& l) {
            return l.size() > 11 && curl_strnequal(l.c_str(), "User-Agent:", 11) != 0;
        });
    bool ok = own_agent || append_header(headers, "User-Agent: tocsin/" TOCSIN_VERSION);
    for (const auto& line : request.headers) {
        ok = ok && append_header(headers, line);
    }
    // No "Expect: 100-continue" round trip for larger bodies: receivers rarely need it.
    ok = ok && append_header(headers, "Expect:");
    if (!ok) {
        answer.error = "out of memory building headers";
        return answer;
    }
    char error_buffer[CURL_ERROR_SIZE] = {};
    CURL* h = curl.get();
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(left.count()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(left.count()));
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &keep_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer.body);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    if (!request.username.empty()) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, request.username.c_str());
        curl_easy_setopt(h, CURLOPT_PASSWORD, request.password.c_str());
    }

    const CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        answer.error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
        scrub(answer.error, request.url, redact_url(request.url));
        for (const auto& secret : request.secrets) {
            scrub(answer.error, secret, "<redacted>");
        }
        return answer;
    }
    answer.answered = true;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &answer.status);
    curl_header* header = nullptr;
    if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &header) == CURLHE_OK) {
        answer.retry_after = header->value;
    }
    for (const auto& secret : request.secrets) {
        scrub(answer.body, secret, "<redacted>");
    }
    return answer;
}

}  // namespace tocsin::plugins::common
