// Delivery under faults, end to end: the real daemon, the real webhook notifier and loopback
// receivers that fail on purpose (5xx, 429 with Retry-After, a hang past the timeout, refused
// connections) — and a daemon killed with SIGKILL while its outbox is full.
#include "api_fixture.hpp"
#include "support/http_server.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// Records when each request reached a receiver (the test server keeps no times itself).
class ArrivalClock {
public:
    void record() {
        std::lock_guard lock(mutex_);
        times_.push_back(Clock::now());
    }
    [[nodiscard]] std::vector<Clock::time_point> times() const {
        std::lock_guard lock(mutex_);
        return times_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<Clock::time_point> times_;
};

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

/// The value of label `name` of the (single) alert a webhook request carries.
std::string alert_label(const HttpRequest& request, const std::string& name) {
    const auto body = boost::json::parse(request.body).as_object();
    const auto& alerts = body.at("alerts").as_array();
    if (alerts.size() != 1) {
        return "<" + std::to_string(alerts.size()) + " alerts>";
    }
    const auto& labels = alerts[0].at("labels").as_object();
    const auto* value = labels.if_contains(name);
    return value != nullptr ? std::string(value->as_string()) : std::string();
}

/// Returns once the wall clock's millisecond has changed (at most about 1 ms).
void wait_next_millisecond() {
    const auto ms = [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    };
    const auto start = ms();
    while (ms() == start) {
        std::this_thread::yield();
    }
}

}  // namespace

TEST_CASE("a receiver that answers 500 then 200 gets the notification again with the same key",
          "[integration][outbox][faults][concurrency]") {
    HttpServer hook;
    hook.enqueue(HttpResponse{500, {}, "try again"});
    ApiInstallation inst(webhook_notifier("hook", hook.url("/hook"), "2s"), "[hook]");
    inst.start();
    inst.push(R"({"kpi":"queue_depth","value":500})");

    REQUIRE(hook.wait_for_requests(2, 15s));
    REQUIRE(eventually([&] { return inst.outbox("delivered").size() == 1; }, 10s));
    const auto requests = hook.requests();
    REQUIRE(requests.size() == 2);
    const auto key = requests[0].header("Idempotency-Key");
    CHECK(!key.empty());
    CHECK(requests[1].header("Idempotency-Key") == key);
    CHECK(requests[1].body == requests[0].body);
    const auto delivered = inst.outbox("delivered");
    CHECK(std::string(delivered[0].at("id").as_string()) == key);
    CHECK(delivered[0].at("attempts").as_int64() == 2);
    CHECK(inst.outbox("pending").empty());
    CHECK(inst.outbox("failed").empty());
}

TEST_CASE("a 429 with Retry-After holds the next attempt back for that long",
          "[integration][outbox][faults][concurrency]") {
    HttpServer hook;
    ArrivalClock arrivals;
    std::atomic<int> seen{0};
    hook.set_handler([&](const HttpRequest&) {
        arrivals.record();
        if (seen++ == 0) {
            return HttpResponse{429, {{"Retry-After", "2"}}, "slow down"};
        }
        return HttpResponse{200, {}, "ok"};
    });
    ApiInstallation inst(webhook_notifier("hook", hook.url("/hook"), "2s"), "[hook]");
    inst.start();
    inst.push(R"({"kpi":"queue_depth","value":500})");

    // The handler records the time after the server counted the request: wait for the times.
    REQUIRE(eventually([&] { return arrivals.times().size() >= 2; }, 15s));
    const auto times = arrivals.times();
    REQUIRE(times.size() >= 2);
    const double gap = seconds_between(times[0], times[1]);
    INFO("second attempt " << gap << " s after the first");
    // Not before the receiver allowed it, and not by the exponential backoff's ~1 s either.
    CHECK(gap >= 1.95);
    CHECK(gap < 4.0);
    const auto requests = hook.requests();
    CHECK(requests[1].header("Idempotency-Key") == requests[0].header("Idempotency-Key"));
    REQUIRE(eventually([&] { return inst.outbox("delivered").size() == 1; }, 10s));
}

TEST_CASE(
    "a receiver hanging past the timeout is retried and delivered, and does not hold up "
    "another notifier",
    "[integration][outbox][faults][concurrency]") {
    HttpServer slow;
    HttpServer fast;
    ArrivalClock slow_arrivals;
    ArrivalClock fast_arrivals;
    std::atomic<int> slow_seen{0};
    slow.set_handler([&](const HttpRequest&) {
        slow_arrivals.record();
        if (slow_seen++ == 0) {
            // Far past the notifier's 1 s timeout; the server's destructor cuts this short.
            return HttpResponse{200, {}, "too late", 20s};
        }
        return HttpResponse{200, {}, "ok"};
    });
    fast.set_handler([&](const HttpRequest&) {
        fast_arrivals.record();
        return HttpResponse{200, {}, "ok"};
    });
    ApiInstallation inst(webhook_notifier("slow", slow.url("/hook"), "1s") +
                             webhook_notifier("fast", fast.url("/hook"), "1s"),
                         "[slow, fast]");
    inst.start();
    inst.push(R"({"kpi":"queue_depth","value":500})");

    REQUIRE(eventually([&] { return !slow_arrivals.times().empty(); }, 10s));
    REQUIRE(eventually([&] { return !fast_arrivals.times().empty(); }, 10s));
    // The fast receiver got its message while the slow one was still hanging on its first try.
    const auto slow_first = slow_arrivals.times().at(0);
    const auto fast_first = fast_arrivals.times().at(0);
    INFO("fast receiver served " << seconds_between(slow_first, fast_first)
                                 << " s after the slow one's first request");
    CHECK(seconds_between(slow_first, fast_first) < 1.0);

    REQUIRE(eventually([&] { return slow_arrivals.times().size() >= 2; }, 15s));
    const auto times = slow_arrivals.times();
    CHECK(seconds_between(times[0], times[1]) >= 1.0);  // only after the timeout gave up
    const auto requests = slow.requests();
    CHECK(requests[1].header("Idempotency-Key") == requests[0].header("Idempotency-Key"));
    REQUIRE(eventually([&] { return inst.outbox("delivered").size() == 2; }, 10s));
    const auto delivered = inst.outbox("delivered");
    for (const auto& item : delivered) {
        if (item.at("notifier") == "slow") {
            CHECK(item.at("attempts").as_int64() == 2);
            CHECK_THAT(std::string(item.at("last_detail").as_string()), Catch::Contains("200"));
        } else {
            CHECK(item.at("attempts").as_int64() == 1);
        }
    }
    CHECK(fast.request_count() == 1);
}

TEST_CASE(
    "after kill -9 with 100 notifications queued and the receiver down, all 100 arrive once, "
    "and the one in flight at a crash is resent with the same key",
    "[integration][outbox][faults][crash]") {
    constexpr int kAlerts = 100;
    constexpr std::size_t kHeldRequest = 40;  // the daemon is killed while this one is in flight
    std::uint16_t port = 0;
    {
        HttpServer probe;  // a free port with nobody listening once this closes
        port = probe.port();
    }
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
    // A timeout long enough that the held answer is still awaited when the kill comes.
    ApiInstallation inst(webhook_notifier("hook", url, "10s"), "[hook]");
    inst.start();
    std::string samples;
    for (int i = 0; i < kAlerts; ++i) {
        samples += (i == 0 ? "" : ",") + std::string(R"({"kpi":"queue_depth","value":500,)") +
                   R"("labels":{"queue":"q)" + std::to_string(i) + R"("}})";
    }
    inst.push(samples);

    // Crash 1: everything queued, the receiver refusing connections, nothing delivered.
    REQUIRE(eventually(
        [&] {
            const auto pending = inst.outbox("pending");
            return pending.size() == kAlerts && pending.back().at("attempts").as_int64() >= 1;
        },
        15s));
    inst.daemon->kill9();

    // Crash 2: the receiver is back; the daemon is killed while request 40 awaits its answer.
    HttpServer hook(port);
    hook.set_handler([&](const HttpRequest&) {
        if (hook.request_count() == kHeldRequest) {
            return HttpResponse{200, {}, "held", 30s};
        }
        return HttpResponse{200, {}, "ok"};
    });
    inst.start();
    REQUIRE(hook.wait_for_requests(kHeldRequest, 20s));
    inst.daemon->kill9();
    const auto in_flight = hook.requests().at(kHeldRequest - 1);

    // Recovery: whatever was not recorded as delivered goes out again.
    inst.start();
    REQUIRE(eventually([&] { return inst.outbox("delivered").size() == kAlerts; }, 20s));
    CHECK(inst.outbox("pending").empty());
    CHECK(inst.outbox("failed").empty());

    const auto requests = hook.requests();
    std::map<std::string, std::set<std::string>> keys_by_queue;
    std::map<std::string, int> sends_by_queue;
    for (const auto& request : requests) {
        const auto queue = alert_label(request, "queue");
        keys_by_queue[queue].insert(request.header("Idempotency-Key"));
        ++sends_by_queue[queue];
    }
    CHECK(keys_by_queue.size() == kAlerts);
    for (const auto& [queue, keys] : keys_by_queue) {
        INFO("queue " << queue);
        CHECK(keys.size() == 1);  // every send of one alert carries one key
        CHECK(!keys.begin()->empty());
    }
    std::vector<std::string> twice;
    for (const auto& [queue, sends] : sends_by_queue) {
        CHECK(sends <= 2);
        if (sends > 1) {
            twice.push_back(queue);
        }
    }
    // Only the one in flight at the crash came twice. Its answer never reached the daemon, so it
    // cannot have been recorded as delivered: here it must come again, with its key.
    REQUIRE(twice.size() == 1);
    CHECK(twice[0] == alert_label(in_flight, "queue"));
    CHECK(*keys_by_queue.at(twice[0]).begin() == in_flight.header("Idempotency-Key"));
    CHECK(requests.size() == kAlerts + twice.size());
}

TEST_CASE(
    "steps pushed faster than the store syncs are committed in order: an alert fired, resolved "
    "and fired again many times is firing after a crash, and every message arrived in order",
    "[integration][outbox][crash][concurrency]") {
    constexpr int kRounds = 15;
    HttpServer hook;
    ApiInstallation inst(webhook_notifier("hook", hook.url("/hook"), "2s"), "[hook]");
    inst.start();
    // Back to back, so several steps share one commit; the last one fires. A notification's id
    // holds the millisecond its alert fired, so each firing waits for the clock to tick first.
    for (int i = 0; i < kRounds; ++i) {
        wait_next_millisecond();
        inst.push(R"({"kpi":"queue_depth","value":500})");
        if (i + 1 < kRounds) {
            inst.push(R"({"kpi":"queue_depth","value":5})");
        }
    }
    const std::size_t expected = 2 * kRounds - 1;
    const bool all_arrived = hook.wait_for_requests(expected, 20s);
    INFO(inst.daemon->log());
    INFO("requests " << hook.request_count());
    REQUIRE(all_arrived);
    REQUIRE(eventually([&] { return inst.outbox("delivered").size() == expected; }, 10s));
    const auto requests = hook.requests();
    for (std::size_t i = 0; i < requests.size(); ++i) {
        INFO("request " << i);
        CHECK(boost::json::parse(requests[i].body).at("status") ==
              (i % 2 == 0 ? "firing" : "resolved"));
    }
    inst.daemon->kill9();

    inst.start();
    const auto alerts = http_request("GET", inst.base + "/api/v1/alerts");
    const auto listed = boost::json::parse(alerts.body).at("alerts").as_array();
    INFO(alerts.body);
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].at("state") == "firing");
    // Nothing is resent: the last firing was recorded as delivered before the crash.
    inst.push(R"({"kpi":"queue_depth","value":600})");
    CHECK(inst.outbox("pending").empty());
    CHECK(hook.request_count() == expected);
}

}  // namespace tocsin::testing
