// Many things at once in one daemon: API clients on parallel connections, a source polled by the
// worker pool, alerts firing and resolving, the outbox delivering and the rules reloading. Run
// under ThreadSanitizer by scripts/test.sh ([concurrency]); a race report fails the test through
// the harness, which reads the daemon's log when it stops it.
#include "api_fixture.hpp"
#include "sqlite_util.hpp"
#include "support/http_server.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <thread>
#include <vector>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;

constexpr std::array kReads{"/api/v1/alerts",
                            "/api/v1/kpis",
                            "/metrics",
                            "/api/v1/status",
                            "/api/v1/notifications?limit=50",
                            "/api/v1/rules",
                            "/api/v1/kpis/queue_depth/history?from=0",
                            "/api/v1/silences"};

/// The state of QueueDeep as /api/v1/alerts lists it, or "" when it is not listed.
std::string queue_deep_state(const ApiInstallation& inst) {
    const auto answer = inst.call("GET", "/api/v1/alerts");
    if (answer.status != 200) {
        return "?";
    }
    const auto body = boost::json::parse(answer.body);
    for (const auto& a : body.at("alerts").as_array()) {
        if (a.at("rule") == "QueueDeep") {
            return std::string(a.at("state").as_string());
        }
    }
    return {};
}

}  // namespace

TEST_CASE(
    "parallel API clients, a polled source, firing, delivery and reloads at once leave the daemon "
    "consistent",
    "[integration][api][concurrency]") {
    PolledInstallation inst;
    inst.start();
    // The first request on this thread also initialises libcurl before other threads use it.
    REQUIRE(inst.call("GET", "/healthz").status == 200);

    constexpr int kClients = 4;
    constexpr int kRounds = 12;
    // Catch's assertions are not thread-safe: the clients collect what went wrong, the test checks.
    std::vector<std::vector<std::string>> failures(kClients);
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&inst, &failures, c] {
            for (int round = 0; round < kRounds; ++round) {
                // Every other push crosses the threshold: QueueDeep fires and resolves by turns.
                const int value = round % 2 == 0 ? 150 + c : 10;
                const auto pushed =
                    inst.call("POST",
                              "/api/v1/samples",
                              R"([{"kpi":"queue_depth","value":)" + std::to_string(value) + "}]");
                if (pushed.status != 200) {
                    failures[c].push_back("push: " + std::to_string(pushed.status) + " " +
                                          pushed.body);
                }
                const std::string path = kReads[(round + c) % kReads.size()];
                const auto read = inst.call("GET", path);
                if (read.status != 200) {
                    failures[c].push_back(path + ": " + std::to_string(read.status) + " " +
                                          read.body);
                }
            }
        });
    }
    // Reloads while the clients push and the outbox delivers, and a change the source sees.
    std::vector<long> reloads;
    for (int i = 0; i < 3; ++i) {
        reloads.push_back(inst.call("POST", "/api/v1/reload", "{}").status);
        sql_exec(inst.app_db(),
                 "UPDATE kpi SET value = " + std::to_string(20 + i) + " WHERE name = 'signups'");
    }
    for (auto& t : clients) {
        t.join();
    }
    std::string failed;
    for (int c = 0; c < kClients; ++c) {
        for (const auto& f : failures[c]) {
            failed += "client " + std::to_string(c) + ": " + f + "\n";
        }
    }
    CHECK(failed.empty());
    CHECK(reloads == std::vector<long>{200, 200, 200});
    CHECK(inst.hook.wait_for_requests(1, 20s));

    // Whatever order the pushes landed in, the daemon still follows the latest value.
    inst.push(R"({"kpi":"queue_depth","value":500})");
    CHECK(eventually([&] { return queue_deep_state(inst) == "firing"; }, 20s));
    inst.push(R"({"kpi":"queue_depth","value":5})");
    CHECK(eventually([&] { return queue_deep_state(inst).empty(); }, 20s));
    CHECK(eventually([&] { return inst.outbox("pending").empty(); }, 20s));
    CHECK(eventually(
        [&] {
            const auto kpis = parse_body(inst.call("GET", "/api/v1/kpis")).at("kpis").as_array();
            for (const auto& k : kpis) {
                if (k.at("kpi") == "signups" && k.at("value").to_number<double>() == 22) {
                    return true;
                }
            }
            return false;
        },
        20s));
}

}  // namespace tocsin::testing
