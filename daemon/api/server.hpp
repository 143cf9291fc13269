#pragma once

#include "api/router.hpp"
#include "engine/result.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

/// The HTTP/1.1 listener of the API, on the daemon's event loop (Boost.Beast lives in server.cpp
/// only). Every request is read within time limits and with header and body size limits, then
/// handed to the Router; answers may come back from any thread. Oversize headers get 431, an
/// oversize body 413; a client too slow to send its request is disconnected without an answer.
namespace tocsin::api {

struct ServerOptions {
    std::string listen = "127.0.0.1:9470";  // host:port; port 0 picks a free one
    std::string token;                      // bearer token for mutating calls; "" refuses them
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_body_bytes = 1024 * 1024;
    // Against slow clients (slowloris): a request's headers must arrive within header_timeout
    // of its first byte (of the connection, for the first request), the whole request within
    // read_timeout; otherwise the connection is closed.
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds read_timeout{30'000};
    std::chrono::milliseconds idle_timeout{30'000};  // between keep-alive requests
    std::size_t max_connections = 256;
};

class Server {
public:
    /// Binds and starts accepting. Fails with a message naming the address when it cannot bind.
    static Result<std::unique_ptr<Server>> start(boost::asio::io_context& loop,
                                                 ServerOptions options,
                                                 std::shared_ptr<const Router> router);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// The bound address as "host:port" (with the real port when 0 was asked for).
    [[nodiscard]] std::string address() const;
    /// Swaps the routes and token (reload); requests already read finish with the old ones.
    void update(std::shared_ptr<const Router> router, std::string token);
    /// Stops accepting and closes every connection.
    void stop();

    struct Impl;

private:
    explicit Server(std::shared_ptr<Impl> impl);
    std::shared_ptr<Impl> impl_;
};

}  // namespace tocsin::api
