#pragma once

// One HTTP request with libcurl for the HTTP-based sources (prometheus, http_json): bounded by a
// deadline and a body size cap, TLS verification on unless switched off, redirects followed only
// to hosts the caller allows, and errors phrased for operators without URLs' secrets.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tocsin::plugins::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;
using Deadline = std::chrono::steady_clock::time_point;

/// What to send and how far to trust the other end.
struct Request {
    std::string method = "GET";  // GET or POST
    std::string url;
    std::string body;  // POST only
    HeaderList headers;
    std::string bearer_token;  // sent as "Authorization: Bearer ..." when set
    std::string username;      // basic auth when set
    std::string password;
    bool tls_verify = true;
    std::string ca_file;
    /// Hosts a redirect may lead to; redirects elsewhere are refused. Empty: no redirects at all.
    std::vector<std::string> redirect_hosts;
    std::size_t max_body = 16 * 1024 * 1024;
};

/// How a request ended. `error` is empty when an HTTP answer arrived (any status).
struct Response {
    long status = 0;
    std::string body;
    std::string content_type;
    std::string error;  // transport failure, timeout, refused redirect, body too large
    bool timed_out = false;
    bool refused = false;  // a redirect elsewhere, too many redirects or too large an answer
    /// True for failures worth retrying: transport errors, timeouts, HTTP 429 and 5xx.
    [[nodiscard]] bool temporary() const;
};

/// Performs `request`, finishing by `deadline`. Never throws; every failure is in the Response.
[[nodiscard]] Response fetch(const Request& request, Deadline deadline);

/// The lower-cased host of `url` (no port, no brackets), or nothing when it is not an http(s)
/// URL with a host.
[[nodiscard]] std::optional<std::string> url_host(const std::string& url);

/// "scheme://host[:port]" of `url`, for messages (no user info, path or query).
[[nodiscard]] std::string url_origin(const std::string& url);

/// Applies the usual checks on a header list from config: names must be tokens, values one line,
/// and Authorization only through bearer_token/basic auth. Returns the problem or nothing.
[[nodiscard]] std::optional<std::string> check_headers(const HeaderList& headers);

/// Turns a non-2xx answer into a one-sentence reason ("HTTP 503 from http://host:9090: <start of
/// the body>").
[[nodiscard]] std::string describe_status(const Response& response, const std::string& origin);

}  // namespace tocsin::plugins::http
