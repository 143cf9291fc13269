#pragma once

/// The SDK's small result type and deadline, shared by sources and notifiers.
/// A plugin returns a Status from every hook; anything but ok() carries a one-sentence,
/// lower-case reason with no trailing period ("HTTP 503 from hooks.slack.com"), which the host
/// logs under the plugin's component tag.

#include "tocsin/sdk/abi.h"

#include <chrono>
#include <string>
#include <utility>

namespace tocsin::sdk {

/// When the host stops waiting for a collect() or send(). Plugins pass it on as I/O timeouts.
using Deadline = std::chrono::steady_clock::time_point;

struct Status {
    tocsin_status code = TOCSIN_OK;
    std::string message;

    static Status ok() { return {}; }
    /// Temporary failure (timeout, HTTP 429/5xx): the host retries later.
    static Status retry(std::string msg) { return {TOCSIN_RETRY, std::move(msg)}; }
    /// Permanent failure for this input: the host does not retry it.
    static Status failed(std::string msg) { return {TOCSIN_FAILED, std::move(msg)}; }
    /// From configure(): the config is invalid (cross-field checks the host cannot do).
    static Status bad_config(std::string msg) { return {TOCSIN_BAD_CONFIG, std::move(msg)}; }

    [[nodiscard]] bool is_ok() const { return code == TOCSIN_OK; }
};

/// Milliseconds left until `deadline`, never negative; handy for library timeouts.
inline std::chrono::milliseconds time_left(Deadline deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

}  // namespace tocsin::sdk
