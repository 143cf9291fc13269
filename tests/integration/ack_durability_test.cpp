// An acknowledgement survives a kill -9 right after its answer (found by tests/crash): the answer
// waits for the commit, so a client that got 200 can rely on it.
#include "api_fixture.hpp"
#include "sqlite_util.hpp"
#include "support/http_server.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <future>
#include <set>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;

/// The receivers, made before the installation that points at them.
struct Receivers {
    HttpServer hook;
    HttpServer late;
};

class EscalatingInstallation : public Receivers, public ApiInstallation {
public:
    EscalatingInstallation()
        : ApiInstallation(webhook_notifier("hook", hook.url("/hook")) +
                              webhook_notifier("late", late.url("/late")),
                          "[hook]") {
        write_rules("[hook]", "", "      - after: 2s\n        notify: [late]\n");
    }
};

std::string alert_id(const ApiInstallation& inst) {
    const auto alerts = parse_body(inst.call("GET", "/api/v1/alerts")).at("alerts").as_array();
    REQUIRE(alerts.size() == 1);
    return std::string(alerts[0].at("id").as_string());
}

}  // namespace

TEST_CASE(
    "an acknowledgement is answered only once it is stored, so a kill -9 right after the answer "
    "keeps it and escalation stays stopped",
    "[integration][api][ack][durability]") {
    EscalatingInstallation inst;
    inst.start();
    inst.push(R"({"kpi":"queue_depth","value":500,"labels":{"q":"a"}})");
    REQUIRE(inst.hook.wait_for_requests(1, 10s));
    const auto id = alert_id(inst);

    // The state database is busy (its write lock held, as a slow disk would): the ack is applied
    // in memory but not stored, so it must not be answered yet.
    WriteLock lock(inst.dir.file("state/state.db"));
    auto ack = std::async(std::launch::async, [&] {
        return inst.call("POST", "/api/v1/alerts/" + id + "/ack", R"({"author":"dana"})");
    });
    CHECK(ack.wait_for(700ms) == std::future_status::timeout);
    lock.release();
    REQUIRE(ack.wait_for(10s) == std::future_status::ready);
    const auto answer = ack.get();
    REQUIRE(answer.status == 200);
    CHECK(parse_body(answer).at("ack").at("author") == "dana");

    // Killed right after the answer: the acknowledgement is there after the restart.
    inst.daemon->kill9();
    inst.start();
    const auto alerts = parse_body(inst.call("GET", "/api/v1/alerts")).at("alerts").as_array();
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].at("ack").at("author") == "dana");

    // The one told hears who is on it; the 2s step never runs.
    REQUIRE(inst.hook.wait_for_requests(2, 10s));
    const auto kinds = [&] {
        std::multiset<std::string> out;
        for (const auto& item : inst.outbox("delivered")) {
            out.insert(std::string(item.at("kind").as_string()));
        }
        return out;
    };
    CHECK(eventually([&] { return kinds().count("acknowledged") == 1; }, 10s));
    CHECK_FALSE(inst.late.wait_for_requests(1, 2500ms));  // past the step, on the real clock
    CHECK(kinds() == std::multiset<std::string>{"firing", "acknowledged"});
}

}  // namespace tocsin::testing
