#include "api/server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <set>

namespace tocsin::api {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

/// "host:port" -> endpoint; the host must be a numeric address (the config loader checked it).
Result<tcp::endpoint> parse_listen(const std::string& listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
        return make_error(ErrorCode::Config, "listen address '" + listen + "' has no port");
    }
    std::string host = listen.substr(0, colon);
    if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
    if (ec) {
        return make_error(ErrorCode::Config, "listen host '" + host + "' is not an IP address");
    }
    unsigned long port = 0;
    try {
        port = std::stoul(listen.substr(colon + 1));
    } catch (const std::exception&) {
        port = 65536;
    }
    if (port > 65535) {
        return make_error(ErrorCode::Config, "listen port in '" + listen + "' is not a port");
    }
    return tcp::endpoint(address, static_cast<unsigned short>(port));
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return s;
}

/// The bearer token of an Authorization header, or "".
std::string bearer_token(std::string_view header) {
    constexpr std::string_view kScheme = "bearer ";
    if (header.size() <= kScheme.size() || lower(std::string(header.substr(0, 7))) != kScheme) {
        return {};
    }
    auto token = header.substr(kScheme.size());
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
        token.remove_prefix(1);
    }
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
        token.remove_suffix(1);
    }
    return std::string(token);
}

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
    Impl(asio::io_context& l, ServerOptions o) : loop(l), options(std::move(o)), acceptor(l) {}

    asio::io_context& loop;
    ServerOptions options;
    tcp::acceptor acceptor;
    std::shared_ptr<const Router> router;
    std::set<std::shared_ptr<class Connection>> connections;
    bool stopped = false;

    void accept();
};

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(tcp::socket socket, std::shared_ptr<Server::Impl> server)
        : stream_(std::move(socket)), server_(std::move(server)) {
        boost::system::error_code ec;
        const auto peer = stream_.socket().remote_endpoint(ec);
        remote_ = ec ? "?" : peer.address().to_string() + ":" + std::to_string(peer.port());
    }

    void start() { read_request(); }

    void close() {
        boost::system::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.close();
    }

private:
    /// Between keep-alive requests: waits up to the idle timeout for the next request's first
    /// byte; only then do the request's own deadlines start.
    void await_next_request() {
        if (buffer_.size() > 0) {
            read_request();  // pipelined: the next request has begun already
            return;
        }
        stream_.expires_after(server_->options.idle_timeout);
        stream_.async_read_some(buffer_.prepare(1024),
                                [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                    if (ec) {
                                        self->finish();
                                        return;
                                    }
                                    self->buffer_.commit(n);
                                    self->read_request();
                                });
    }

    /// Reads one request: its headers within header_timeout, all of it within read_timeout.
    void read_request() {
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(server_->options.max_header_bytes));
        parser_->body_limit(server_->options.max_body_bytes);
        request_deadline_ = std::chrono::steady_clock::now() + server_->options.read_timeout;
        stream_.expires_after(
            std::min(server_->options.header_timeout, server_->options.read_timeout));
        http::async_read_header(
            stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, auto) {
                if (ec || self->parser_->is_done()) {
                    self->on_read(ec);
                    return;
                }
                self->stream_.expires_at(self->request_deadline_);
                http::async_read(
                    self->stream_,
                    self->buffer_,
                    *self->parser_,
                    [self](beast::error_code body_ec, auto) { self->on_read(body_ec); });
            });
    }

    void on_read(beast::error_code ec) {
        if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
            ec == beast::error::timeout || ec == asio::error::connection_reset ||
            ec == asio::error::eof) {
            finish();
            return;
        }
        if (ec == http::error::body_limit) {
            send_error(413,
                       "request body is larger than " +
                           std::to_string(server_->options.max_body_bytes) + " bytes");
            return;
        }
        if (ec == http::error::header_limit) {
            send_error(431,
                       "request headers are larger than " +
                           std::to_string(server_->options.max_header_bytes) + " bytes");
            return;
        }
        if (ec) {
            send_error(400, "malformed HTTP request: " + ec.message());
            return;
        }
        auto& req = parser_->get();
        keep_alive_ = req.keep_alive();
        head_ = req.method() == http::verb::head;
        version_ = req.version();

        Request request;
        request.method = std::string(req.method_string());
        request.remote = remote_;
        const auto url = boost::urls::parse_origin_form(req.target());
        if (!url) {
            send_error(400, "malformed request target");
            return;
        }
        request.path = std::string(url->encoded_path());
        for (const auto& param : url->params()) {
            request.query[param.key] = param.value;
        }
        const std::string content_type(req[http::field::content_type]);
        request.content_type = lower(content_type.substr(0, content_type.find(';')));
        while (!request.content_type.empty() && request.content_type.back() == ' ') {
            request.content_type.pop_back();
        }
        request.body = std::move(req.body());
        request.authorized =
            token_matches(bearer_token(req[http::field::authorization]), server_->options.token);

        stream_.expires_never();  // the handler may take a moment (store queries)
        auto router = server_->router;
        auto self = shared_from_this();
        router->dispatch(std::move(request), [self](Response response) {
            asio::post(self->server_->loop, [self, response = std::move(response)]() mutable {
                self->write(std::move(response));
            });
        });
    }

    void send_error(int status, const std::string& message) {
        keep_alive_ = false;
        write(json_error(status, message));
    }

    void write(Response response) {
        auto res = std::make_shared<http::response<http::string_body>>(
            static_cast<http::status>(response.status), version_ == 0 ? 11 : version_);
        res->set(http::field::server, "tocsin");
        res->set(http::field::content_type, response.content_type);
        res->set(http::field::cache_control, "no-store");
        for (const auto& [name, value] : response.headers) {
            res->set(name, value);
        }
        res->body() = std::move(response.body);
        res->prepare_payload();
        if (head_) {
            res->body().clear();  // Content-Length stays that of the GET answer
        }
        res->keep_alive(keep_alive_ && !server_->stopped);
        stream_.expires_after(server_->options.read_timeout);
        http::async_write(stream_, *res, [self = shared_from_this(), res](auto ec, auto) {
            if (ec || !res->keep_alive()) {
                self->finish();
                return;
            }
            self->await_next_request();
        });
    }

    void finish() {
        close();
        server_->connections.erase(shared_from_this());
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::chrono::steady_clock::time_point request_deadline_{};
    std::shared_ptr<Server::Impl> server_;
    std::string remote_;
    bool keep_alive_ = false;
    bool head_ = false;
    unsigned version_ = 11;
};

void Server::Impl::accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        if (self->stopped) {
            return;
        }
        if (!ec) {
            if (self->connections.size() >= self->options.max_connections) {
                boost::system::error_code ignored;
                socket.close(ignored);  // over the limit: refuse rather than queue
            } else {
                auto connection = std::make_shared<Connection>(std::move(socket), self);
                self->connections.insert(connection);
                connection->start();
            }
        }
        self->accept();
    });
}

Result<std::unique_ptr<Server>> Server::start(asio::io_context& loop,
                                              ServerOptions options,
                                              std::shared_ptr<const Router> router) {
    auto endpoint = parse_listen(options.listen);
    if (!endpoint) {
        return endpoint.error();
    }
    auto impl = std::make_shared<Impl>(loop, std::move(options));
    impl->router = std::move(router);
    boost::system::error_code ec;
    impl->acceptor.open(endpoint.value().protocol(), ec);
    if (!ec) {
        impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        impl->acceptor.bind(endpoint.value(), ec);
    }
    if (!ec) {
        impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return make_error(
            ErrorCode::Io, "cannot listen on " + impl->options.listen + ": " + ec.message(), "api");
    }
    impl->accept();
    return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
    stop();
}

std::string Server::address() const {
    boost::system::error_code ec;
    const auto ep = impl_->acceptor.local_endpoint(ec);
    if (ec) {
        return impl_->options.listen;
    }
    const auto host =
        ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
    return host + ":" + std::to_string(ep.port());
}

void Server::update(std::shared_ptr<const Router> router, std::string token) {
    impl_->router = std::move(router);
    impl_->options.token = std::move(token);
}

void Server::stop() {
    if (impl_->stopped) {
        return;
    }
    impl_->stopped = true;
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    auto connections = std::move(impl_->connections);
    for (const auto& c : connections) {
        c->close();
    }
}

}  // namespace tocsin::api
