#pragma once

#include "api/http.hpp"

#include <functional>
#include <string>
#include <vector>

/// Maps (method, path) to handlers. Paths are patterns of literal segments and `{name}`
/// parameters: `/api/v1/alerts/{id}/ack`.
namespace tocsin::api {

enum class Access {
    Open,   // anyone who can reach the listener (reads)
    Token,  // only with the bearer token (every mutating call)
};

class Router {
public:
    void add(std::string method, const std::string& pattern, Access access, Handler handler);

    /// Runs the matching handler, or answers 404 (no such path), 405 (path exists, other
    /// method; with Allow) or 401 (token required and missing or wrong). A handler that throws
    /// gets 500 for its request and is reported to on_failure; no request stops the daemon.
    /// Each request is answered once: a later reply of the same handler is dropped.
    void dispatch(Request request, const Reply& reply) const;

    /// Told "METHOD PATH: what" when a handler throws (the daemon logs it).
    void on_failure(std::function<void(const std::string&)> report);

private:
    struct Route {
        std::string method;
        std::vector<std::string> segments;  // "{id}" marks a parameter
        Access access = Access::Open;
        Handler handler;
    };
    void fail(const Request& request, const Reply& reply, const std::string& what) const;

    std::vector<Route> routes_;
    std::function<void(const std::string&)> on_failure_;
};

}  // namespace tocsin::api
