#pragma once

// A small threaded HTTP/1.1 server on 127.0.0.1 for tests: it records every request and answers
// with scripted responses, so plugin and integration tests can check exactly what was sent and how
// the sender reacts to 2xx/4xx/5xx, Retry-After and slow peers. One request per connection (the
// server answers with "Connection: close"). Not for production: no TLS, no chunked request bodies.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace tocsin::testing {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// One request as received. Header names keep their case; use header() to look them up.
struct HttpRequest {
    std::string method;   // "POST"
    std::string target;   // "/hooks/a?x=1", as on the request line
    std::string version;  // "HTTP/1.1"
    HttpHeaders headers;
    std::string body;

    /// Path part of the target ("/hooks/a").
    [[nodiscard]] std::string path() const;
    /// Value of the first header with this name (case-insensitive), or "" when absent.
    [[nodiscard]] std::string header(std::string_view name) const;
    [[nodiscard]] bool has_header(std::string_view name) const;
};

/// One scripted answer. `delay` holds the answer back after the request was read (a slow or
/// hanging peer); the wait ends early when the server stops.
struct HttpResponse {
    int status = 200;
    HttpHeaders headers;
    std::string body;
    std::chrono::milliseconds delay{0};
};

/// Listens on 127.0.0.1 port 0 from construction until destruction. Thread-safe.
class HttpServer {
public:
    using Handler = std::function<HttpResponse(const HttpRequest&)>;

    /// Binds (port 0: a free one; a given port lets a test bring a "down" receiver back on the
    /// address a daemon already uses) and starts the accept thread; throws std::system_error
    /// when it cannot.
    explicit HttpServer(std::uint16_t port = 0);
    /// Stops accepting, wakes delayed answers and joins every thread.
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;
    HttpServer(HttpServer&&) = delete;
    HttpServer& operator=(HttpServer&&) = delete;

    [[nodiscard]] std::uint16_t port() const { return port_; }
    /// "http://127.0.0.1:<port>" followed by `path` (which should start with '/').
    [[nodiscard]] std::string url(std::string_view path = "/") const;

    /// Queues an answer for the next request; queued answers are used in order, then the default.
    void enqueue(HttpResponse response);
    /// The answer used when the queue is empty (initially 200 with an empty body).
    void set_default_response(HttpResponse response);
    /// Computes answers from the request instead (takes precedence over queue and default).
    /// Runs on the connection's thread, without the server's lock held.
    void set_handler(Handler handler);

    /// Every request received so far, in arrival order.
    [[nodiscard]] std::vector<HttpRequest> requests() const;
    [[nodiscard]] std::size_t request_count() const;
    /// Waits until at least `count` requests arrived; false on timeout.
    bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const;

private:
    void accept_loop();
    void serve(int fd);
    HttpResponse answer_for(const HttpRequest& request);

    int listen_fd_ = -1;
    int wake_pipe_[2] = {-1, -1};  // written on stop so blocked poll() calls return
    std::uint16_t port_ = 0;

    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    bool stopping_ = false;
    std::vector<HttpRequest> requests_;
    std::vector<HttpResponse> queue_;
    HttpResponse default_response_;
    Handler handler_;
    std::vector<std::thread> workers_;
    std::thread acceptor_;
};

}  // namespace tocsin::testing
