// The prometheus source against a REAL Prometheus (Debian's `prometheus` package): the test
// serves an exposition endpoint, starts Prometheus scraping it every second, and queries it
// through the plugin. Prometheus is started once per test binary and stopped at exit.

#include "http_fetch.hpp"
#include "plugin_harness.hpp"
#include "support/http_server.hpp"
#include "support/temp_dir.hpp"
#include <tocsin/sdk/json.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using std::chrono::milliseconds;
using tocsin::testing::HttpResponse;
using tocsin::testing::HttpServer;
using tocsin::testing::PluginInstance;
using tocsin::testing::TempDir;

namespace {

constexpr const char* kPrometheusBinary = "/usr/bin/prometheus";

// A port that was free a moment ago (Prometheus takes its listen address on the command line).
std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

bool http_ok(const std::string& url) {
    tocsin::plugins::http::Request request;
    request.url = url;
    const auto response = tocsin::plugins::http::fetch(
        request, std::chrono::steady_clock::now() + milliseconds(1000));
    return response.error.empty() && response.status == 200;
}

// One Prometheus process scraping a local endpoint that serves kpi_value series.
class RealPrometheus {
public:
    RealPrometheus() {
        exporter_.set_default_response(HttpResponse{200,
                                                    {{"Content-Type", "text/plain; version=0.0.4"}},
                                                    "# TYPE kpi_value gauge\n"
                                                    "kpi_value{kpi=\"k1\",env=\"prod\"} 42\n"
                                                    "kpi_value{kpi=\"k1\",env=\"staging\"} 7\n"
                                                    "kpi_value{kpi=\"k2\",env=\"prod\"} 0.5\n"});
        port_ = free_port();
        const std::string config =
            dir_.write("prometheus.yml",
                       "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                       "scrape_configs:\n  - job_name: tocsin_test\n    static_configs:\n"
                       "      - targets: ['127.0.0.1:" +
                           std::to_string(exporter_.port()) + "']\n");
        const std::vector<std::string> args = {
            kPrometheusBinary,
            "--config.file=" + config,
            "--storage.tsdb.path=" + dir_.file("data"),
            "--web.listen-address=127.0.0.1:" + std::to_string(port_),
            "--log.level=warn",
        };
        const std::string log = dir_.file("prometheus.log");
        pid_ = ::fork();
        if (pid_ == 0) {
            const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            std::vector<char*> argv;
            for (const auto& arg : args) {
                argv.push_back(const_cast<char*>(arg.c_str()));
            }
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        if (pid_ < 0) {
            throw std::runtime_error("cannot fork");
        }
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!http_ok(url() + "/-/ready")) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                std::ifstream in(log);
                const std::string text((std::istreambuf_iterator<char>(in)), {});
                throw std::runtime_error("prometheus exited during start-up: " + text);
            }
            if (std::chrono::steady_clock::now() > give_up) {
                throw std::runtime_error("prometheus was not ready within 20s");
            }
            std::this_thread::sleep_for(milliseconds(100));  // polling a real external process
        }
    }
    ~RealPrometheus() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
                std::this_thread::sleep_for(milliseconds(50));
            }
            if (::waitpid(pid_, &status, WNOHANG) == 0) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
            }
        }
    }
    RealPrometheus(const RealPrometheus&) = delete;
    RealPrometheus& operator=(const RealPrometheus&) = delete;
    RealPrometheus(RealPrometheus&&) = delete;
    RealPrometheus& operator=(RealPrometheus&&) = delete;

    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    [[nodiscard]] const HttpServer& exporter() const { return exporter_; }

private:
    TempDir dir_;
    HttpServer exporter_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

// Started on first use, stopped when the test binary exits.
RealPrometheus& real_prometheus() {
    static const auto instance = std::make_unique<RealPrometheus>();
    return *instance;
}

std::string query(const std::string& promql) {
    return tocsin::sdk::Json::object().set("query", promql).dump();
}

}  // namespace

TEST_CASE("prometheus source queries a real Prometheus scraping a local endpoint",
          "[prometheus][slow]") {
    RealPrometheus& prometheus = real_prometheus();
    PluginInstance instance(tocsin::testing::load_plugin("tocsin_source_prometheus.so"),
                            R"({"url": ")" + prometheus.url() + "\"}");
    REQUIRE(instance.create_status() == TOCSIN_OK);
    const std::vector<std::pair<std::string, std::string>> kpis = {
        {"k1", query(R"(kpi_value{kpi="k1"})")}, {"total", query(R"(sum(kpi_value))")}};

    // The first scrape lands within about a second of start-up; wait for it, bounded.
    tocsin::testing::CollectOutcome outcome;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    do {
        outcome = instance.collect(kpis, milliseconds(5000));
        INFO(outcome.error);
        REQUIRE(outcome.status == TOCSIN_OK);
        if (outcome.samples.size() == 3) {
            break;
        }
        std::this_thread::sleep_for(milliseconds(200));  // waiting for a real scrape
    } while (std::chrono::steady_clock::now() < give_up);
    REQUIRE(outcome.samples.size() == 3);
    CHECK(prometheus.exporter().request_count() >= 1);

    double k1_sum = 0;
    for (const auto& sample : outcome.samples) {
        if (sample.kpi == "k1") {
            CHECK(sample.label("__name__") == "<absent>");
            CHECK(sample.label("kpi") == "k1");
            CHECK(sample.label("job") == "tocsin_test");
            CHECK(sample.label("instance") ==
                  "127.0.0.1:" + std::to_string(prometheus.exporter().port()));
            CHECK((sample.label("env") == "prod" || sample.label("env") == "staging"));
            k1_sum += sample.value;
        } else {
            CHECK(sample.kpi == "total");
            CHECK(sample.value == Approx(49.5));
            CHECK(sample.labels.empty());
        }
        CHECK(sample.timestamp_ms > 0);
    }
    CHECK(k1_sum == 49);

    // Same server (one start per test process is the slow part): POST, a scalar and Prometheus'
    // own parse error for a broken query.
    PluginInstance post(tocsin::testing::load_plugin("tocsin_source_prometheus.so"),
                        R"({"url": ")" + prometheus.url() + R"(", "method": "POST"})");
    const auto mixed =
        post.collect({{"bad", query("sum(kpi_value")}, {"scalar", query("scalar(vector(3))")}},
                     milliseconds(5000));
    CHECK(mixed.status == TOCSIN_FAILED);
    CHECK_THAT(mixed.error, Catch::StartsWith("query for KPI 'bad' failed: bad_data: "));
    REQUIRE(mixed.samples.size() == 1);
    CHECK(mixed.samples[0].kpi == "scalar");
    CHECK(mixed.samples[0].value == 3);
}
