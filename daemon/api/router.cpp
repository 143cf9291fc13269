#include "api/router.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <memory>

namespace tocsin::api {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/// Decodes %XX escapes of one path segment (an id may contain an escaped '/').
std::string percent_decode(const std::string& segment) {
    std::string out;
    out.reserve(segment.size());
    for (std::size_t i = 0; i < segment.size(); ++i) {
        if (segment[i] == '%' && i + 2 < segment.size()) {
            const int hi = hex_digit(segment[i + 1]);
            const int lo = hex_digit(segment[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(segment[i]);
    }
    return out;
}

/// Splits an encoded path at '/' and decodes each segment.
std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto end = path.find('/', start);
        if (end == std::string::npos) {
            end = path.size();
        }
        if (end > start) {
            out.push_back(percent_decode(path.substr(start, end - start)));
        }
        start = end + 1;
    }
    return out;
}

bool is_param(const std::string& segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

/// Fills `params` when `segments` fit `pattern`.
bool match(const std::vector<std::string>& pattern,
           const std::vector<std::string>& segments,
           std::map<std::string, std::string>& params) {
    if (pattern.size() != segments.size()) {
        return false;
    }
    std::map<std::string, std::string> found;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (is_param(pattern[i])) {
            found[pattern[i].substr(1, pattern[i].size() - 2)] = segments[i];
        } else if (pattern[i] != segments[i]) {
            return false;
        }
    }
    params = std::move(found);
    return true;
}

}  // namespace

Response json_error(int status, const std::string& message) {
    boost::json::object o{{"error", message}, {"status", status}};
    Response r;
    r.status = status;
    r.body = boost::json::serialize(o);
    return r;
}

Response json_ok(std::string body, int status) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

bool token_matches(const std::string& presented, const std::string& expected) {
    if (expected.empty()) {
        return false;
    }
    // Walk the whole expected token whatever is presented, so the time taken tells nothing
    // about how many leading characters were right.
    unsigned char diff = presented.size() == expected.size() ? 0 : 1;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const unsigned char p = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
        diff |= static_cast<unsigned char>(p ^ static_cast<unsigned char>(expected[i]));
    }
    return diff == 0;
}

void Router::on_failure(std::function<void(const std::string&)> report) {
    on_failure_ = std::move(report);
}

void Router::fail(const Request& request, const Reply& reply, const std::string& what) const {
    if (on_failure_) {
        on_failure_(request.method + " " + request.path + ": " + what);
    }
    reply(json_error(500,
                     "internal error while handling " + request.method + " " + request.path +
                         "; the daemon's log says more"));
}

void Router::add(std::string method, const std::string& pattern, Access access, Handler handler) {
    routes_.push_back(Route{std::move(method), split_path(pattern), access, std::move(handler)});
}

void Router::dispatch(Request request, const Reply& reply) const {
    const auto segments = split_path(request.path);
    std::string allowed;
    for (const auto& route : routes_) {
        std::map<std::string, std::string> params;
        if (!match(route.segments, segments, params)) {
            continue;
        }
        if (route.method != request.method &&
            !(route.method == "GET" && request.method == "HEAD")) {
            allowed += (allowed.empty() ? "" : ", ") + route.method;
            continue;
        }
        if (route.access == Access::Token && !request.authorized) {
            auto r = json_error(401,
                                "this call changes state and needs the API token: send "
                                "'Authorization: Bearer <token>'");
            r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tocsin\"");
            reply(std::move(r));
            return;
        }
        request.params = std::move(params);
        auto answered = std::make_shared<std::atomic<bool>>(false);
        const Reply once = [answered, reply](Response r) {
            if (!answered->exchange(true)) {
                reply(std::move(r));
            }
        };
        try {
            route.handler(request, once);
        } catch (const std::exception& e) {
            fail(request, once, e.what());
        } catch (...) {
            fail(request, once, "an exception that is no std::exception");
        }
        return;
    }
    if (!allowed.empty()) {
        auto r = json_error(405, request.method + " is not allowed here; allowed: " + allowed);
        r.headers.emplace_back("Allow", allowed);
        reply(std::move(r));
        return;
    }
    reply(json_error(404, "no such endpoint: " + request.path));
}

}  // namespace tocsin::api
