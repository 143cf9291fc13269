#include "engine/history.hpp"

#include <algorithm>
#include <cmath>

namespace tocsin::engine {

void SeriesHistory::add(TimePoint at, double value, Duration keep) {
    if (points_.empty() || points_.back().at < at) {
        points_.push_back(Point{at, value});
    } else if (points_.back().at == at) {
        points_.back().value = value;
    } else {
        // Seeding from the store may interleave with live samples: keep the order.
        const auto it = points_.begin() + static_cast<std::ptrdiff_t>(upper(at));
        if (it != points_.begin() && std::prev(it)->at == at) {
            std::prev(it)->value = value;
        } else {
            points_.insert(it, Point{at, value});
        }
    }
    const TimePoint oldest = points_.back().at - keep;
    while (!points_.empty() && points_.front().at < oldest) {
        points_.pop_front();
    }
}

std::size_t SeriesHistory::upper(TimePoint t) const {
    const auto it = std::upper_bound(
        points_.begin(), points_.end(), t, [](TimePoint v, const Point& p) { return v < p.at; });
    return static_cast<std::size_t>(it - points_.begin());
}

std::optional<SeriesHistory::Point> SeriesHistory::at_or_before(TimePoint t) const {
    const std::size_t i = upper(t);
    if (i == 0) {
        return std::nullopt;
    }
    return points_[i - 1];
}

WindowStats SeriesHistory::stats(TimePoint from, TimePoint to, bool exclude_to) const {
    WindowStats s;
    std::size_t begin = upper(from);
    std::size_t end = upper(to);
    if (exclude_to && end > begin && points_[end - 1].at == to) {
        --end;
    }
    if (begin >= end) {
        return s;
    }
    // Welford's update: one pass, stable for values far from zero (revenue in cents, epochs).
    double mean = 0;
    double m2 = 0;
    double lo = points_[begin].value;
    double hi = lo;
    std::size_t n = 0;
    for (std::size_t i = begin; i < end; ++i) {
        const double v = points_[i].value;
        ++n;
        const double d = v - mean;
        mean += d / static_cast<double>(n);
        m2 += d * (v - mean);
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    s.count = n;
    s.mean = mean;
    s.min = lo;
    s.max = hi;
    s.stddev = n > 1 ? std::sqrt(m2 / static_cast<double>(n)) : 0.0;
    return s;
}

double SeriesHistory::delta(Duration window, TimePoint to, double& seconds) const {
    seconds = 0;
    const std::size_t end = upper(to);
    if (end == 0) {
        return 0;
    }
    const Point& last = points_[end - 1];
    const std::size_t base = upper(to - window);
    // The newest point at or before the window start, else the oldest point inside the window.
    const Point& first = base > 0 ? points_[base - 1] : points_.front();
    seconds = std::chrono::duration<double>(last.at - first.at).count();
    return last.value - first.value;
}

}  // namespace tocsin::engine
