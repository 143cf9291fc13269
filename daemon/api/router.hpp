#pragma once

#include "api/http.hpp"

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
    /// method; with Allow) or 401 (token required and missing or wrong).
    void dispatch(Request request, const Reply& reply) const;

private:
    struct Route {
        std::string method;
        std::vector<std::string> segments;  // "{id}" marks a parameter
        Access access = Access::Open;
        Handler handler;
    };
    std::vector<Route> routes_;
};

}  // namespace tocsin::api
