#include "support/http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <system_error>

namespace tocsin::testing {
namespace {

// A request that does not complete within this time is dropped, so a broken client cannot keep a
// test (or the server's destructor) waiting.
constexpr auto kReadTimeout = std::chrono::seconds(10);
constexpr std::size_t kMaxRequestBytes = 16 * 1024 * 1024;

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t\r");
    return std::string(text.substr(first, last - first + 1));
}

std::string_view reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 204:
            return "No Content";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        default:
            return "Status";
    }
}

void send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const auto sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) {
            continue;
        }
        if (sent <= 0) {
            return;  // the client went away; nothing to report in a test server
        }
        data.remove_prefix(static_cast<std::size_t>(sent));
    }
}

// Parses the head (request line and headers); false when malformed.
bool parse_head(std::string_view head, HttpRequest& request) {
    auto line_end = head.find("\r\n");
    const auto request_line = head.substr(0, line_end);
    const auto sp1 = request_line.find(' ');
    const auto sp2 = request_line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) {
        return false;
    }
    request.method = std::string(request_line.substr(0, sp1));
    request.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
    request.version = std::string(request_line.substr(sp2 + 1));
    while (line_end != std::string_view::npos) {
        const auto start = line_end + 2;
        line_end = head.find("\r\n", start);
        const auto line = head.substr(
            start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
        if (line.empty()) {
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            return false;
        }
        request.headers.emplace_back(std::string(line.substr(0, colon)),
                                     trim(line.substr(colon + 1)));
    }
    return true;
}

}  // namespace

std::string HttpRequest::path() const {
    return target.substr(0, target.find('?'));
}

std::string HttpRequest::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) {
            return value;
        }
    }
    return {};
}

bool HttpRequest::has_header(std::string_view name) const {
    return std::any_of(
        headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); });
}

HttpServer::HttpServer(std::uint16_t port) {
    if (::pipe(wake_pipe_) != 0) {
        throw std::system_error(errno, std::generic_category(), "pipe");
    }
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) {
        throw std::system_error(errno, std::generic_category(), "socket");
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    const int reuse = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse));
    auto* raw = reinterpret_cast<sockaddr*>(&address);
    socklen_t length = sizeof(address);
    if (::bind(listen_fd_, raw, sizeof(address)) != 0 || ::listen(listen_fd_, 64) != 0 ||
        ::getsockname(listen_fd_, raw, &length) != 0) {
        const int error = errno;
        ::close(listen_fd_);
        throw std::system_error(
            error, std::generic_category(), "bind/listen on 127.0.0.1:" + std::to_string(port));
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

HttpServer::~HttpServer() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    const char byte = 'x';
    [[maybe_unused]] const auto written = ::write(wake_pipe_[1], &byte, 1);
    acceptor_.join();
    // The acceptor has stopped, so workers_ no longer grows.
    for (auto& worker : workers_) {
        worker.join();
    }
    ::close(listen_fd_);
    ::close(wake_pipe_[0]);
    ::close(wake_pipe_[1]);
}

std::string HttpServer::url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void HttpServer::enqueue(HttpResponse response) {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(response));
}

void HttpServer::set_default_response(HttpResponse response) {
    std::lock_guard lock(mutex_);
    default_response_ = std::move(response);
}

void HttpServer::set_handler(Handler handler) {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
}

std::vector<HttpRequest> HttpServer::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::size_t HttpServer::request_count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
}

bool HttpServer::wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
}

void HttpServer::accept_loop() {
    for (;;) {
        pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        if (fds[1].revents != 0) {
            return;
        }
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        std::lock_guard lock(mutex_);
        workers_.emplace_back([this, fd] {
            serve(fd);
            ::close(fd);
        });
    }
}

HttpResponse HttpServer::answer_for(const HttpRequest& request) {
    Handler handler;
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
        changed_.notify_all();
        if (!handler_) {
            if (!queue_.empty()) {
                HttpResponse next = std::move(queue_.front());
                queue_.erase(queue_.begin());
                return next;
            }
            return default_response_;
        }
        handler = handler_;
    }
    // Called without the lock, so a handler may use the server (e.g. request_count()).
    return handler(request);
}

void HttpServer::serve(int fd) {
    const auto give_up = std::chrono::steady_clock::now() + kReadTimeout;
    std::string data;
    HttpRequest request;
    std::size_t head_end = std::string::npos;
    std::size_t body_length = 0;
    bool continue_sent = false;
    for (;;) {
        if (head_end == std::string::npos) {
            head_end = data.find("\r\n\r\n");
            if (head_end != std::string::npos) {
                if (!parse_head(std::string_view(data).substr(0, head_end), request)) {
                    send_all(fd, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
                    return;
                }
                body_length = static_cast<std::size_t>(
                    std::strtoull(request.header("Content-Length").c_str(), nullptr, 10));
            }
        }
        if (head_end != std::string::npos) {
            if (data.size() >= head_end + 4 + body_length) {
                request.body = data.substr(head_end + 4, body_length);
                break;
            }
            if (!continue_sent && iequals(request.header("Expect"), "100-continue")) {
                send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n");
                continue_sent = true;
            }
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            give_up - std::chrono::steady_clock::now());
        if (left.count() <= 0 || data.size() > kMaxRequestBytes) {
            return;
        }
        pollfd fds[2] = {{fd, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
        if (::poll(fds, 2, static_cast<int>(left.count())) <= 0 || fds[1].revents != 0) {
            return;
        }
        char buffer[8192];
        const auto got = ::recv(fd, buffer, sizeof(buffer), 0);
        if (got <= 0) {
            return;
        }
        data.append(buffer, static_cast<std::size_t>(got));
    }

    const HttpResponse response = answer_for(request);
    if (response.delay.count() > 0) {
        std::unique_lock lock(mutex_);
        if (changed_.wait_for(lock, response.delay, [&] { return stopping_; })) {
            return;
        }
    }
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                      std::string(reason_phrase(response.status)) + "\r\n";
    for (const auto& [name, value] : response.headers) {
        out += name + ": " + value + "\r\n";
    }
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
    out += "Connection: close\r\n\r\n";
    out += response.body;
    send_all(fd, out);
    ::shutdown(fd, SHUT_WR);
}

}  // namespace tocsin::testing
