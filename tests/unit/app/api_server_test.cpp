// The API listener's defences, against the real Beast server on a loopback port: size limits,
// deadlines against slow clients (while other clients are still served), the bearer token, and
// the comparison that checks it.
#include "api/http.hpp"
#include "api/router.hpp"
#include "api/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace tocsin::api {
namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kToken = "0123456789abcdef0123456789abcdef";

/// A Server on 127.0.0.1 port 0 with short deadlines, run on its own thread.
class LiveServer {
public:
    explicit LiveServer(ServerOptions options = short_deadlines()) {
        auto router = std::make_shared<Router>();
        router->add("GET", "/x", Access::Open, [](const Request&, const Reply& reply) {
            reply(json_ok(R"({"ok":true})"));
        });
        router->add("POST", "/x", Access::Token, [](const Request& req, const Reply& reply) {
            reply(json_ok(R"({"bytes":)" + std::to_string(req.body.size()) + "}"));
        });
        router->add("GET", "/throws", Access::Open, [](const Request&, const Reply&) {
            throw std::out_of_range("a handler bug");
        });
        router->add(
            "GET", "/answers-then-throws", Access::Open, [](const Request&, const Reply& reply) {
                reply(json_ok(R"({"ok":true})"));
                throw std::runtime_error("after the answer");
            });
        router->on_failure([this](const std::string& what) {
            const std::lock_guard lock(failures_mutex_);
            failures_.push_back(what);
        });
        options.listen = "127.0.0.1:0";
        options.token = kToken;
        auto server = Server::start(loop_, options, router);
        REQUIRE(server);
        server_ = std::move(server).value();
        const auto address = server_->address();
        port_ = static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
        work_ = std::make_unique<
            boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
            loop_.get_executor());
        thread_ = std::thread([this] { loop_.run(); });
    }
    ~LiveServer() {
        std::promise<void> stopped;
        boost::asio::post(loop_, [&] {
            server_.reset();
            work_.reset();
            stopped.set_value();
        });
        stopped.get_future().wait();
        loop_.stop();
        thread_.join();
    }
    LiveServer(const LiveServer&) = delete;
    LiveServer& operator=(const LiveServer&) = delete;

    static ServerOptions short_deadlines() {
        ServerOptions o;
        o.header_timeout = 400ms;
        o.read_timeout = 1200ms;
        o.idle_timeout = 2000ms;
        o.max_header_bytes = 2048;
        o.max_body_bytes = 4096;
        return o;
    }

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::vector<std::string> failures() {
        const std::lock_guard lock(failures_mutex_);
        return failures_;
    }

private:
    std::mutex failures_mutex_;
    std::vector<std::string> failures_;
    boost::asio::io_context loop_;
    std::unique_ptr<Server> server_;
    std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::thread thread_;
    std::uint16_t port_ = 0;
};

/// A plain blocking TCP client, so a test can send a request as slowly or as oddly as it likes.
class RawClient {
public:
    explicit RawClient(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd_ >= 0);
        timeval tv{5, 0};  // bounds every read of a test
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    }
    ~RawClient() { ::close(fd_); }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    /// False once the server has closed the connection.
    bool send(const std::string& bytes) {
        return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(bytes.size());
    }
    /// Everything until the server closes the connection (or 5 s pass).
    std::string read_all() {
        std::string out;
        char buf[4096];
        for (;;) {
            const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
            if (n <= 0) {
                return out;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
    /// One answer of a kept-alive connection: reads until the body is complete.
    std::string read_answer() {
        std::string out;
        char buf[4096];
        for (;;) {
            const auto end = out.find("\r\n\r\n");
            if (end != std::string::npos) {
                const auto cl = out.find("Content-Length: ");
                if (cl != std::string::npos && cl < end &&
                    out.size() >= end + 4 + std::stoul(out.substr(cl + 16))) {
                    return out;
                }
            }
            const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
            if (n <= 0) {
                return out;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
    }

private:
    int fd_ = -1;
};

std::string status_line(const std::string& answer) {
    return answer.substr(0, answer.find("\r\n"));
}

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

TEST_CASE("token_matches accepts only the whole token, wherever a mismatch is", "[app][api]") {
    CHECK(token_matches(kToken, kToken));
    std::string first = kToken;
    first.front() = 'x';
    std::string last = kToken;
    last.back() = 'x';
    CHECK_FALSE(token_matches(first, kToken));
    CHECK_FALSE(token_matches(last, kToken));
    CHECK_FALSE(token_matches(std::string(kToken).substr(0, 31), kToken));  // a prefix
    CHECK_FALSE(token_matches(std::string(kToken) + "0", kToken));          // longer
    CHECK_FALSE(token_matches("", kToken));
    // A token that differs only past the expected length's end is still a different token.
    CHECK_FALSE(token_matches(std::string(kToken) + std::string(1, '\0'), kToken));
    // No configured token: nothing matches, not even an empty presented one.
    CHECK_FALSE(token_matches("", ""));
    CHECK_FALSE(token_matches("anything", ""));
}

TEST_CASE("a mutating call needs the bearer token", "[app][api]") {
    LiveServer server;
    const auto post = [&](const std::string& auth) {
        RawClient c(server.port());
        c.send("POST /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + auth +
               "Content-Length: 2\r\n\r\n{}");
        return status_line(c.read_all());
    };
    CHECK(post("") == "HTTP/1.1 401 Unauthorized");
    CHECK(post("Authorization: Bearer wrong\r\n") == "HTTP/1.1 401 Unauthorized");
    CHECK(post("Authorization: Basic " + std::string(kToken) + "\r\n") ==
          "HTTP/1.1 401 Unauthorized");
    CHECK(post("Authorization: Bearer " + std::string(kToken) + "\r\n") == "HTTP/1.1 200 OK");
    CHECK(post("Authorization: bearer  " + std::string(kToken) + " \r\n") == "HTTP/1.1 200 OK");
}

TEST_CASE("a handler that throws answers 500 once, is reported, and the server serves on",
          "[app][api]") {
    LiveServer server;
    const auto get = [&](const std::string& path) {
        RawClient c(server.port());
        c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        return c.read_all();
    };
    const auto failed = get("/throws");
    CHECK(status_line(failed) == "HTTP/1.1 500 Internal Server Error");
    CHECK_THAT(failed, Catch::Contains("internal error while handling GET /throws"));
    CHECK_THAT(failed, !Catch::Contains("a handler bug"));  // details go to the log only

    // The answer already sent stands; the exception after it is reported, not answered twice.
    const auto answered = get("/answers-then-throws");
    CHECK(status_line(answered) == "HTTP/1.1 200 OK");
    CHECK(answered.find("HTTP/1.1", 1) == std::string::npos);

    CHECK(status_line(get("/x")) == "HTTP/1.1 200 OK");
    const auto failures = server.failures();
    REQUIRE(failures.size() == 2);
    CHECK(failures[0] == "GET /throws: a handler bug");
    CHECK(failures[1] == "GET /answers-then-throws: after the answer");
}

TEST_CASE("an oversize body gets 413 and oversize headers get 431", "[app][api]") {
    LiveServer server;
    {
        RawClient c(server.port());
        c.send("POST /x HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + std::string(kToken) +
               "\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'a'));
        const auto answer = c.read_all();
        CHECK(status_line(answer) == "HTTP/1.1 413 Payload Too Large");
        CHECK_THAT(answer, Catch::Contains("larger than 4096 bytes"));
    }
    {
        RawClient c(server.port());
        c.send("GET /x HTTP/1.1\r\nHost: t\r\nX-Pad: " + std::string(3000, 'p') + "\r\n\r\n");
        const auto answer = c.read_all();
        CHECK(status_line(answer) == "HTTP/1.1 431 Request Header Fields Too Large");
        CHECK_THAT(answer, Catch::Contains("larger than 2048 bytes"));
    }
    {
        RawClient c(server.port());  // just under the limits: served
        c.send("POST /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer " +
               std::string(kToken) + "\r\nContent-Length: 4000\r\n\r\n" + std::string(4000, 'a'));
        const auto answer = c.read_all();
        CHECK(status_line(answer) == "HTTP/1.1 200 OK");
        CHECK_THAT(answer, Catch::Contains(R"({"bytes":4000})"));
    }
}

TEST_CASE(
    "a client sending its headers byte by byte is cut off at the header deadline while "
    "others are served",
    "[app][api]") {
    LiveServer server;  // headers within 400 ms
    RawClient slow(server.port());
    const auto t0 = Clock::now();
    const std::string request = "GET /x HTTP/1.1\r\nHost: t\r\nX-Slow: " + std::string(40, 'z');
    std::size_t sent = 0;
    bool cut = false;
    while (sent < request.size() && seconds_since(t0) < 5) {
        if (!slow.send(request.substr(sent, 1))) {
            cut = true;
            break;
        }
        ++sent;
        // Meanwhile another client gets its answer at once.
        if (sent == 3) {
            const auto t1 = Clock::now();
            RawClient other(server.port());
            other.send("GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            CHECK(status_line(other.read_all()) == "HTTP/1.1 200 OK");
            CHECK(seconds_since(t1) < 0.3);
        }
        std::this_thread::sleep_for(50ms);  // the slowness under test, not a wait for a state
    }
    if (!cut) {
        cut = slow.read_all().empty();  // closed without an answer
    }
    const double took = seconds_since(t0);
    CHECK(cut);
    CHECK(sent < request.size());
    CHECK(took >= 0.35);
    CHECK(took < 1.5);
}

TEST_CASE("a body trickling in is cut off at the whole-request deadline", "[app][api]") {
    LiveServer server;  // whole request within 1.2 s
    RawClient slow(server.port());
    const auto t0 = Clock::now();
    REQUIRE(slow.send("POST /x HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                      std::string(kToken) + "\r\nContent-Length: 1000\r\n\r\n"));
    bool cut = false;
    for (int i = 0; i < 100 && !cut; ++i) {
        cut = !slow.send("b");
        std::this_thread::sleep_for(50ms);  // slower than 1000 bytes in 1.2 s
    }
    if (!cut) {
        cut = slow.read_all().empty();
    }
    const double took = seconds_since(t0);
    CHECK(cut);
    CHECK(took >= 1.1);
    CHECK(took < 3.0);
}

TEST_CASE(
    "a kept-alive connection waits the idle timeout for its next request, then gets the "
    "header deadline again",
    "[app][api]") {
    LiveServer server;
    RawClient c(server.port());
    REQUIRE(c.send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n"));
    CHECK(status_line(c.read_answer()) == "HTTP/1.1 200 OK");
    // Longer than the header deadline, shorter than the idle timeout: still open.
    std::this_thread::sleep_for(700ms);
    REQUIRE(c.send("GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    CHECK(status_line(c.read_all()) == "HTTP/1.1 200 OK");
}

}  // namespace
}  // namespace tocsin::api
