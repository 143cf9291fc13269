#pragma once

// One HTTP POST through libcurl, bounded by the host's deadline: the transport shared by the
// HTTP notifiers (webhook, slack, twilio, pagerduty). It only moves bytes; what an answer means
// is each plugin's call (http_response.hpp has the common mapping).

#include <tocsin/sdk/status.hpp>

#include <string>
#include <vector>

namespace tocsin::plugins::common {

struct HttpPost {
    std::string url;
    /// Complete header lines, "Name: value".
    std::vector<std::string> headers;
    std::string body;
    /// With a non-empty username: HTTP basic auth (curl builds the Authorization header).
    std::string username;
    std::string password;
    /// Texts that must never show in an error (tokens, the URL's path); replaced by <redacted>.
    std::vector<std::string> secrets;
};

struct HttpAnswer {
    /// False when no HTTP answer came (refused, DNS, TLS, timeout); `error` says why.
    bool answered = false;
    std::string error;
    long status = 0;
    /// The Retry-After header, "" when absent.
    std::string retry_after;
    /// The start of the answer's body (at most 16 KiB).
    std::string body;
};

/// Calls curl_global_init once per process; the module is never unloaded, so never cleaned up.
void ensure_curl_initialized();

/// POSTs `request` with the time left until `deadline` as connect and total timeout; no
/// redirects, http(s) only. Never throws; every failure comes back in the answer, with the
/// secrets and the URL's path scrubbed from curl's text.
[[nodiscard]] HttpAnswer http_post(const HttpPost& request, sdk::Deadline deadline);

/// Replaces every occurrence of `secret` in `text` with `replacement`.
void scrub(std::string& text, const std::string& secret, std::string_view replacement);

}  // namespace tocsin::plugins::common
