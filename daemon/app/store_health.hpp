#pragma once

#include "engine/time.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace tocsin::app {

/// Whether the store thread can write the state database (GET /api/v1/status, /healthz,
/// tocsin_store_up). While it cannot, engine steps wait in memory, in order, and are written as
/// soon as a retry succeeds; nothing is sent before it is written.
struct StoreHealth {
    bool ok = true;
    std::string error;                               // the last failure, while !ok
    std::optional<engine::TimePoint> failing_since;  // the first failure of this episode
    std::uint64_t write_failures = 0;                // failed writes since start
};

}  // namespace tocsin::app
