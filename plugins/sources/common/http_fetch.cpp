#include "http_fetch.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

namespace tocsin::plugins::http {
namespace {

// A few hops are normal (http -> https, a trailing slash); more is a loop or a misconfiguration.
constexpr int kMaxRedirects = 5;
// Quoted from an error answer: enough to show the server's message, short enough for a log line.
constexpr std::size_t kMaxQuoted = 200;

struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct UrlDeleter {
    void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;
using UrlPtr = std::unique_ptr<CURLU, UrlDeleter>;

struct BodySink {
    std::string* body;
    std::size_t max;
    bool overflow = false;
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* sink = static_cast<BodySink*>(user);
    const std::size_t bytes = size * count;
    if (sink->body->size() + bytes > sink->max) {
        sink->overflow = true;
        return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
    sink->body->append(data, bytes);
    return bytes;
}

void init_curl_once() {
    // The module is never unloaded, so there is no matching curl_global_cleanup().
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return text;
}

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

std::optional<std::string> url_part(const std::string& url, CURLUPart part) {
    UrlPtr handle(curl_url());
    if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
        return std::nullopt;
    }
    char* text = nullptr;
    if (curl_url_get(handle.get(), part, &text, 0) != CURLUE_OK || text == nullptr) {
        return std::nullopt;
    }
    std::string out(text);
    curl_free(text);
    return out;
}

SlistPtr build_headers(const Request& request, bool& ok) {
    SlistPtr list;
    ok = true;
    auto add = [&](const std::string& line) {
        curl_slist* grown = curl_slist_append(list.get(), line.c_str());
        if (grown == nullptr) {
            ok = false;
            return;
        }
        static_cast<void>(list.release());
        list.reset(grown);
    };
    if (!request.bearer_token.empty()) {
        add("Authorization: Bearer " + request.bearer_token);
    }
    add("Expect:");  // no 100-continue round trip for POST bodies
    for (const auto& [name, value] : request.headers) {
        add(value.empty() ? name + ";" : name + ": " + value);
    }
    return list;
}

bool redirect_allowed(const Request& request, const std::string& target) {
    const auto host = url_host(target);
    return host && std::find(request.redirect_hosts.begin(), request.redirect_hosts.end(), *host) !=
                       request.redirect_hosts.end();
}

}  // namespace

bool Response::temporary() const {
    if (!error.empty()) {
        return !refused;
    }
    return status == 429 || status >= 500;
}

std::optional<std::string> url_host(const std::string& url) {
    const auto scheme = url_part(url, CURLUPART_SCHEME);
    if (!scheme || (*scheme != "http" && *scheme != "https")) {
        return std::nullopt;
    }
    auto host = url_part(url, CURLUPART_HOST);
    if (!host || host->empty()) {
        return std::nullopt;
    }
    if (host->front() == '[' && host->back() == ']') {
        *host = host->substr(1, host->size() - 2);
    }
    return lower(*host);
}

std::string url_origin(const std::string& url) {
    const auto scheme = url_part(url, CURLUPART_SCHEME);
    const auto host = url_part(url, CURLUPART_HOST);
    if (!scheme || !host) {
        return "the configured URL";
    }
    std::string origin = *scheme + "://" + *host;
    if (const auto port = url_part(url, CURLUPART_PORT)) {
        origin += ":" + *port;
    }
    return origin;
}

std::optional<std::string> check_headers(const HeaderList& headers) {
    for (const auto& [name, value] : headers) {
        const bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                   std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
        });
        if (!token) {
            return "header name '" + name + "' is not a valid HTTP token";
        }
        if (value.find_first_of("\r\n") != std::string::npos) {
            return "header '" + name + "' has a line break in its value";
        }
        if (iequals(name, "Authorization")) {
            return std::string(
                "set Authorization through bearer_token or username/password, not headers, so "
                "that it stays secret");
        }
    }
    return std::nullopt;
}

std::string describe_status(const Response& response, const std::string& origin) {
    std::string text = "HTTP " + std::to_string(response.status) + " from " + origin;
    std::string quoted = response.body.substr(0, kMaxQuoted);
    std::replace_if(
        quoted.begin(), quoted.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    while (!quoted.empty() && quoted.back() == ' ') {
        quoted.pop_back();
    }
    if (!quoted.empty()) {
        text += ": " + quoted + (response.body.size() > kMaxQuoted ? "..." : "");
    }
    if (response.status == 401 || response.status == 403) {
        text += "; check bearer_token or username/password";
    }
    return text;
}

Response fetch(const Request& request, Deadline deadline) {
    init_curl_once();
    Response response;
    std::string url = request.url;
    for (int hop = 0;; ++hop) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        const std::string origin = url_origin(url);
        if (left.count() <= 0) {
            response.error = "request to " + origin + " timed out: the deadline passed";
            response.timed_out = true;
            return response;
        }
        CurlPtr curl(curl_easy_init());
        bool headers_ok = false;
        SlistPtr headers = build_headers(request, headers_ok);
        if (!curl || !headers_ok) {
            response.error = "cannot set up a curl request (out of memory)";
            return response;
        }
        response = Response{};
        BodySink sink{&response.body, request.max_body};
        char error_buffer[CURL_ERROR_SIZE] = {};
        CURL* h = curl.get();
        curl_easy_setopt(h, CURLOPT_URL, url.c_str());
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are checked below
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(left.count()));
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(left.count()));
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // whatever curl can decode
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &write_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "tocsin");
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, request.tls_verify ? 1L : 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, request.tls_verify ? 2L : 0L);
        if (!request.ca_file.empty()) {
            curl_easy_setopt(h, CURLOPT_CAINFO, request.ca_file.c_str());
        }
        if (!request.username.empty()) {
            curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
            curl_easy_setopt(h, CURLOPT_USERNAME, request.username.c_str());
            curl_easy_setopt(h, CURLOPT_PASSWORD, request.password.c_str());
        }
        if (request.method == "POST") {
            curl_easy_setopt(h, CURLOPT_POST, 1L);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
            curl_easy_setopt(
                h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
        }

        const CURLcode rc = curl_easy_perform(h);
        if (rc != CURLE_OK) {
            if (sink.overflow) {
                response.refused = true;
                response.error = "the answer from " + origin + " is larger than " +
                                 std::to_string(request.max_body / 1024) + " KiB";
            } else {
                response.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
                const std::string detail =
                    error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
                response.error = (response.timed_out ? "request to " + origin + " timed out: "
                                                     : "request to " + origin + " failed: ") +
                                 detail;
            }
            response.body.clear();
            return response;
        }
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
        const char* content_type = nullptr;
        if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &content_type) == CURLE_OK &&
            content_type != nullptr) {
            response.content_type = content_type;
        }
        if (response.status < 300 || response.status >= 400) {
            return response;
        }
        const char* location = nullptr;
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location);
        if (location == nullptr) {
            return response;  // a 3xx without Location: the caller reports the status
        }
        const std::string target = location;
        const auto target_host = url_host(target);
        if (!redirect_allowed(request, target)) {
            response.refused = true;
            response.error =
                "redirect from " + origin + " to " +
                (target_host ? "host '" + *target_host + "'" : "a non-http URL") + " refused; " +
                (request.redirect_hosts.empty() ? std::string("point url at the final address")
                                                : std::string("the host is not in allowed_hosts"));
            return response;
        }
        if (hop + 1 >= kMaxRedirects) {
            response.refused = true;
            response.error = "more than " + std::to_string(kMaxRedirects) + " redirects from " +
                             url_origin(request.url);
            return response;
        }
        url = target;
    }
}

}  // namespace tocsin::plugins::http
