#pragma once

#include "engine/time.hpp"

#include <cstddef>
#include <deque>
#include <optional>

/// The recent values of one KPI series, kept in engine memory for the Lua history helpers
/// (delta, rate, avg, min, max, stddev, zscore, ago, count). The daemon seeds it from the store at
/// start-up and `tocsin test` from the samples it has fed so far, so both see the same data.
namespace tocsin::engine {

/// Summary statistics over the samples of a window.
struct WindowStats {
    std::size_t count = 0;
    double mean = 0;
    double min = 0;
    double max = 0;
    double stddev = 0;  // population standard deviation; 0 for fewer than two samples
};

class SeriesHistory {
public:
    struct Point {
        TimePoint at;
        double value = 0;
    };

    /// Appends a sample; one older than the newest is placed in order, one at the same instant
    /// replaces it. Points older than `at - keep` (of the newest) are dropped.
    void add(TimePoint at, double value, Duration keep);

    [[nodiscard]] bool empty() const { return points_.empty(); }
    [[nodiscard]] std::size_t size() const { return points_.size(); }
    [[nodiscard]] const Point& newest() const { return points_.back(); }
    [[nodiscard]] const std::deque<Point>& points() const { return points_; }

    /// The newest value at or before `t`, or nullopt when every sample is newer (or none).
    [[nodiscard]] std::optional<Point> at_or_before(TimePoint t) const;

    /// Statistics over samples with `from < at <= to`. `exclude_to` leaves out the sample at
    /// `to` itself (z-scores compare the current value with what came before).
    [[nodiscard]] WindowStats stats(TimePoint from, TimePoint to, bool exclude_to = false) const;

    /// The value change over `window` ending at `to`: the value at `to` minus the value at
    /// `to - window` (the newest sample at or before it, or the oldest one in the window when
    /// history is shorter). `seconds` gets the time between the two samples.
    [[nodiscard]] double delta(Duration window, TimePoint to, double& seconds) const;

private:
    // Index of the first point with at > t.
    [[nodiscard]] std::size_t upper(TimePoint t) const;

    std::deque<Point> points_;
};

}  // namespace tocsin::engine
