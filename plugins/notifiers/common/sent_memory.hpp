#pragma once

// Which parts of a notification already went out, for notifiers that make several requests per
// notification (one SMS per number, one event per alert). When the host retries the
// notification (same id) after a partial failure, those parts are skipped rather than repeated.
// Bounded: the oldest entries are forgotten first. Not thread-safe; calls on one instance never
// overlap.

#include <cstddef>
#include <deque>
#include <set>
#include <string>
#include <utility>

namespace tocsin::plugins::common {

class SentMemory {
public:
    explicit SentMemory(std::size_t capacity = 4096) : capacity_(capacity) {}

    [[nodiscard]] bool contains(const std::string& notification_id, const std::string& part) const {
        return !notification_id.empty() && entries_.count({notification_id, part}) != 0;
    }

    /// Remembers a part that was delivered; a notification without an id is not remembered.
    void remember(const std::string& notification_id, const std::string& part) {
        if (notification_id.empty() || !entries_.insert({notification_id, part}).second) {
            return;
        }
        order_.emplace_back(notification_id, part);
        if (order_.size() > capacity_) {
            entries_.erase(order_.front());
            order_.pop_front();
        }
    }

private:
    std::size_t capacity_;
    std::set<std::pair<std::string, std::string>> entries_;
    std::deque<std::pair<std::string, std::string>> order_;
};

}  // namespace tocsin::plugins::common
