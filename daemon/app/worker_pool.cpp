#include "app/worker_pool.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>

namespace tocsin::app {

struct WorkerPool::State {
    std::mutex mutex;
    std::condition_variable wake;
    std::condition_variable exited_cv;
    std::deque<std::function<void()>> queue;
    std::size_t queue_limit = 0;
    std::size_t dropped = 0;
    std::size_t busy = 0;
    std::size_t exited = 0;
    bool stopping = false;
};

namespace {

void worker_loop(const std::shared_ptr<WorkerPool::State>& s) {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(s->mutex);
            s->wake.wait(lock, [&] { return s->stopping || !s->queue.empty(); });
            if (s->stopping) {
                ++s->exited;
                s->exited_cv.notify_all();
                return;
            }
            job = std::move(s->queue.front());
            s->queue.pop_front();
            ++s->busy;
        }
        job();
        std::lock_guard lock(s->mutex);
        --s->busy;
    }
}

}  // namespace

WorkerPool::WorkerPool(std::size_t threads, std::size_t queue_limit)
    : state_(std::make_shared<State>()) {
    state_->queue_limit = queue_limit;
    threads_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) {
        threads_.emplace_back([s = state_] { worker_loop(s); });
    }
}

WorkerPool::~WorkerPool() {
    stop();
}

bool WorkerPool::submit(std::function<void()> job) {
    {
        std::lock_guard lock(state_->mutex);
        if (state_->stopping || state_->queue.size() >= state_->queue_limit) {
            ++state_->dropped;
            return false;
        }
        state_->queue.push_back(std::move(job));
    }
    state_->wake.notify_one();
    return true;
}

bool WorkerPool::stop(std::chrono::milliseconds grace) {
    if (threads_.empty()) {
        return true;
    }
    bool all_exited = false;
    {
        std::unique_lock lock(state_->mutex);
        state_->stopping = true;
        state_->queue.clear();
        state_->wake.notify_all();
        all_exited = state_->exited_cv.wait_for(
            lock, grace, [&] { return state_->exited == threads_.size(); });
    }
    for (auto& t : threads_) {
        if (all_exited) {
            t.join();
        } else {
            t.detach();
        }
    }
    threads_.clear();
    return all_exited;
}

std::size_t WorkerPool::dropped() const {
    std::lock_guard lock(state_->mutex);
    return state_->dropped;
}

std::size_t WorkerPool::queued() const {
    std::lock_guard lock(state_->mutex);
    return state_->queue.size();
}

std::size_t WorkerPool::busy() const {
    std::lock_guard lock(state_->mutex);
    return state_->busy;
}

}  // namespace tocsin::app
