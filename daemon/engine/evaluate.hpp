#pragma once

#include "engine/model.hpp"

#include <optional>

/// Threshold evaluation as pure functions of a rule's Threshold and one value. The alert state
/// machine (engine.cpp) decides what to do with the answers; nothing here keeps state.
///
/// NaN never breaches and never recovers (every comparison with NaN is false), so the engine does
/// not evaluate NaN samples at all; see Engine::ingest.
namespace tocsin::engine {

/// The level of `threshold` for `severity` (Warning or Critical), or nullptr when not configured.
[[nodiscard]] const Interval* threshold_level(const Threshold& threshold, Severity severity);

/// Whether `value` breaches `level` under `comparison` (see Threshold in model.hpp).
[[nodiscard]] bool level_breached(Comparison comparison, const Interval& level, double value);

/// The most severe configured level that `value` breaches, or Severity::None.
[[nodiscard]] Severity breached_severity(const Threshold& threshold, double value);

/// Whether an active alert has recovered at `value`. With `recover:` the value must satisfy the
/// recover interval AND breach no level (a recover bound written on the wrong side of a level
/// must not resolve an alert whose level still holds). Without `recover:`, recovered means no
/// level is breached.
[[nodiscard]] bool recovered(const Threshold& threshold, double value);

/// The least severe configured level (Warning if configured, else Critical, else None).
[[nodiscard]] Severity least_severe_level(const Threshold& threshold);

/// The severity of an ACTIVE alert at `value`: the most severe breached level or, when none is
/// breached but the alert has not recovered yet (hysteresis), the least severe configured level.
[[nodiscard]] Severity active_severity(const Threshold& threshold, double value);

/// The bound of the `severity` level that messages quote as `threshold`: the number written for
/// above/below; for outside/inside the bound of the pair nearer to `value`. nullopt when the
/// level is not configured.
[[nodiscard]] std::optional<double> threshold_bound(const Threshold& threshold,
                                                    Severity severity,
                                                    double value);

}  // namespace tocsin::engine
