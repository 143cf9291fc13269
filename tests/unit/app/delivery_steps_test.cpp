// Delivery's step numbers, which the daemon's back-pressure reads from the loop while the store
// thread commits: a step counts as committed only once SQLite has it, and in submission order.
#include "app/delivery.hpp"
#include "app/worker_pool.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"
#include "support/write_lock.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

namespace tocsin::app {
namespace {
using namespace std::chrono_literals;
using testing::WriteLock;

store::Batch samples_batch(const std::string& kpi, int count) {
    store::Batch b;
    const auto at =
        std::chrono::time_point_cast<engine::Duration>(std::chrono::system_clock::now());
    for (int i = 0; i < count; ++i) {
        b.samples.push_back(engine::Sample{kpi, {{"i", std::to_string(i)}}, double(i), at});
    }
    return b;
}

bool committed_within(const Delivery& d, std::uint64_t step, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!d.committed(step)) {
        if (std::chrono::steady_clock::now() > end) {
            return false;
        }
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

}  // namespace

TEST_CASE("a step counts as committed only once the store wrote it and every step before it",
          "[backpressure][concurrency]") {
    testing::TempDir dir;
    auto opened = store::Store::open(dir.path().string());
    REQUIRE(opened);
    auto store = std::move(opened).value();
    WorkerPool pool(1, 16);
    Delivery delivery(*store, pool, DeliveryOptions{});

    const auto first = delivery.submit(samples_batch("a", 10));
    CHECK(first == 1);
    REQUIRE(committed_within(delivery, first, 10s));

    WriteLock lock(store->path());
    const auto second = delivery.submit(samples_batch("b", 2000));
    const auto third = delivery.submit(samples_batch("c", 1));
    CHECK(second == 2);
    CHECK(third == 3);
    // Another thread polls as the daemon's loop does while the store thread waits on the lock
    // (SQLite's busy timeout is 5 s, far longer than this).
    std::atomic<bool> seen_committed{false};
    std::thread poller([&] {
        const auto end = std::chrono::steady_clock::now() + 300ms;
        while (std::chrono::steady_clock::now() < end) {
            if (delivery.committed(second) || delivery.committed(third)) {
                seen_committed = true;
            }
            std::this_thread::sleep_for(2ms);
        }
    });
    poller.join();
    CHECK_FALSE(seen_committed);
    CHECK(delivery.committed(first));
    CHECK(delivery.backlog() == 2);

    lock.release();
    REQUIRE(committed_within(delivery, third, 10s));
    CHECK(delivery.committed(second));
    CHECK(delivery.backlog() == 0);
    CHECK_FALSE(delivery.committed(third + 1));
    delivery.stop();
}

}  // namespace tocsin::app
