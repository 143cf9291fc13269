#pragma once

#include <string>
#include <utility>
#include <vector>

/// A blocking HTTP client for the integration tests (libcurl), to call the daemon's API the way
/// any client would.
namespace tocsin::testing {

struct HttpAnswer {
    long status = 0;  // 0: no connection
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // lower-case names

    [[nodiscard]] std::string header(const std::string& lower_name) const;
};

/// One request, bounded to 10 s. `headers` are full lines ("Authorization: Bearer x").
HttpAnswer http_request(const std::string& method,
                        const std::string& url,
                        const std::vector<std::string>& headers = {},
                        const std::string& body = {});

}  // namespace tocsin::testing
