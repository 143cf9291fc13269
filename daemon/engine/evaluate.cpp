#include "engine/evaluate.hpp"

#include <cmath>

namespace tocsin::engine {

const Interval* threshold_level(const Threshold& threshold, Severity severity) {
    switch (severity) {
        case Severity::Warning:
            return threshold.warning ? &*threshold.warning : nullptr;
        case Severity::Critical:
            return threshold.critical ? &*threshold.critical : nullptr;
        case Severity::None:
            return nullptr;
    }
    return nullptr;
}

bool level_breached(Comparison comparison, const Interval& level, double value) {
    switch (comparison) {
        case Comparison::Above:
            return value > level.low;
        case Comparison::Below:
            return value < level.low;
        case Comparison::Outside:
            return value < level.low || value > level.high;
        case Comparison::Inside:
            return value >= level.low && value <= level.high;
    }
    return false;
}

Severity breached_severity(const Threshold& threshold, double value) {
    if (threshold.critical && level_breached(threshold.comparison, *threshold.critical, value)) {
        return Severity::Critical;
    }
    if (threshold.warning && level_breached(threshold.comparison, *threshold.warning, value)) {
        return Severity::Warning;
    }
    return Severity::None;
}

bool recovered(const Threshold& threshold, double value) {
    if (std::isnan(value)) {
        return false;
    }
    if (breached_severity(threshold, value) != Severity::None) {
        return false;
    }
    if (!threshold.recover) {
        return true;
    }
    const Interval& r = *threshold.recover;
    switch (threshold.comparison) {
        case Comparison::Above:
            return value <= r.low;
        case Comparison::Below:
            return value >= r.low;
        case Comparison::Outside:
            return value >= r.low && value <= r.high;
        case Comparison::Inside:
            return value < r.low || value > r.high;
    }
    return true;
}

Severity least_severe_level(const Threshold& threshold) {
    if (threshold.warning) {
        return Severity::Warning;
    }
    if (threshold.critical) {
        return Severity::Critical;
    }
    return Severity::None;
}

Severity active_severity(const Threshold& threshold, double value) {
    const Severity breached = breached_severity(threshold, value);
    return breached != Severity::None ? breached : least_severe_level(threshold);
}

std::optional<double> threshold_bound(const Threshold& threshold, Severity severity, double value) {
    const Interval* level = threshold_level(threshold, severity);
    if (level == nullptr) {
        return std::nullopt;
    }
    switch (threshold.comparison) {
        case Comparison::Above:
        case Comparison::Below:
            return level->low;
        case Comparison::Outside:
        case Comparison::Inside:
            // The bound the value crossed (outside) or is closest to leaving through (inside).
            return std::abs(value - level->low) <= std::abs(value - level->high) ? level->low
                                                                                 : level->high;
    }
    return level->low;
}

}  // namespace tocsin::engine
