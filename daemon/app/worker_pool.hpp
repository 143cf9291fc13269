#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

/// A fixed set of threads behind a bounded queue, for blocking work (plugin calls) that must never
/// run on the event loop. A full queue refuses work instead of growing: the caller counts the drop
/// and tries again on its next tick.
namespace tocsin::app {

class WorkerPool {
public:
    WorkerPool(std::size_t threads, std::size_t queue_limit);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    /// Queues `job`; false when the queue is full or the pool is stopping.
    [[nodiscard]] bool submit(std::function<void()> job);
    /// Stops taking work, drops queued jobs that have not started (their owners re-create them
    /// from durable state), and waits up to `grace` for running jobs. Threads still stuck in a
    /// plugin call after that are detached: a hung plugin must not hang shutdown. Returns true
    /// when every thread finished.
    bool stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

    [[nodiscard]] std::size_t dropped() const;
    [[nodiscard]] std::size_t queued() const;
    [[nodiscard]] std::size_t busy() const;

    struct State;  // shared with the worker threads; defined in the .cpp

private:
    std::shared_ptr<State> state_;  // shared with the threads, so a detached one stays safe
    std::vector<std::thread> threads_;
};

}  // namespace tocsin::app
