#include "app/worker_pool.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace tocsin::app {
namespace {
using namespace std::chrono_literals;

/// A gate that jobs wait on until the test opens it.
class Gate {
public:
    void wait() {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return open_; });
    }
    void open() {
        {
            std::lock_guard lock(mutex_);
            open_ = true;
        }
        cv_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool open_ = false;
};

}  // namespace

TEST_CASE("the worker pool runs every job it accepted", "[app][concurrency]") {
    std::atomic<int> ran{0};
    {
        WorkerPool pool(2, 100);
        for (int i = 0; i < 50; ++i) {
            REQUIRE(pool.submit([&] { ++ran; }));
        }
        // stop() drops only jobs that never started; wait until the queue drained first.
        while (pool.queued() > 0 || pool.busy() > 0) {
            std::this_thread::yield();
        }
        CHECK(pool.stop());
    }
    CHECK(ran == 50);
}

TEST_CASE("a full worker queue refuses work and counts the drop", "[app][concurrency]") {
    Gate gate;
    WorkerPool pool(1, 2);
    REQUIRE(pool.submit([&] { gate.wait(); }));  // occupies the only thread
    while (pool.busy() == 0) {
        std::this_thread::yield();
    }
    CHECK(pool.submit([] {}));
    CHECK(pool.submit([] {}));
    CHECK_FALSE(pool.submit([] {}));  // queue limit 2 reached
    CHECK(pool.dropped() == 1);
    gate.open();
    CHECK(pool.stop());
}

TEST_CASE("stopping does not hang on a job that never returns", "[app][concurrency]") {
    auto gate = std::make_shared<Gate>();
    WorkerPool pool(2, 10);
    REQUIRE(pool.submit([gate] { gate->wait(); }));  // a hung plugin call
    while (pool.busy() == 0) {
        std::this_thread::yield();
    }
    const auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(pool.stop(200ms));  // gives up on the stuck thread and detaches it
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK_FALSE(pool.submit([] {}));  // stopped pools take no work
    gate->open();                     // lets the detached thread finish safely
}

}  // namespace tocsin::app
