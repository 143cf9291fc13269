#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

/// The HTTP API's request and response types, free of any Beast type so that handlers compile
/// without the networking headers.
namespace tocsin::api {

struct Request {
    std::string method;                         // "GET", "POST", ...
    std::string path;                           // decoded path without the query string
    std::map<std::string, std::string> query;   // decoded query parameters (last one wins)
    std::map<std::string, std::string> params;  // path parameters, e.g. {id} in the route
    std::string content_type;                   // media type only, lower-case, no parameters
    std::string body;
    std::string remote;       // peer address, for logs
    bool authorized = false;  // a valid bearer token came with the request
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

/// Completes a request. May be called from any thread, exactly once.
using Reply = std::function<void(Response)>;
using Handler = std::function<void(const Request&, Reply)>;

/// `{"error": message, "status": status}` with that status.
[[nodiscard]] Response json_error(int status, const std::string& message);
/// A 200 (or `status`) response with a JSON body already serialized.
[[nodiscard]] Response json_ok(std::string body, int status = 200);

/// Compares a presented token with the configured one in time independent of where they differ.
[[nodiscard]] bool token_matches(const std::string& presented, const std::string& expected);

}  // namespace tocsin::api
