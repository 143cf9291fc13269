#pragma once

#include <optional>
#include <string>

/// The CLI's side of the HTTP API: `tocsin alerts`, `status`, `reload`, `notifications`, ...
/// find the daemon through tocsin.yaml (`api.listen`, `api.token_file`) or `--url`.
namespace tocsin::app {

struct ApiTarget {
    std::string base_url;  // "http://127.0.0.1:9470"
    std::string token;     // "" when none could be read
};

struct ApiAnswer {
    long status = 0;  // HTTP status; 0 when the daemon could not be reached
    std::string body;
    std::string error;  // transport error when status is 0
};

/// Where to reach the daemon: `url` if given, else `api.listen` of the config at `config_path`.
/// The token comes from TOCSIN_API_TOKEN, else from the config's `api.token_file`. Nothing, with
/// the reason in `error`, when no address is known.
[[nodiscard]] std::optional<ApiTarget> resolve_api_target(const std::string& config_path,
                                                          const std::string& url,
                                                          std::string& error);

/// One request with a 10 s limit; `body` is sent as JSON when not empty (or for POST/DELETE).
[[nodiscard]] ApiAnswer api_call(const ApiTarget& target,
                                 const std::string& method,
                                 const std::string& path,
                                 const std::string& body = {});

}  // namespace tocsin::app
