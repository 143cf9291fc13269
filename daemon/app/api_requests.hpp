#pragma once

#include "engine/alert.hpp"
#include "engine/silence.hpp"
#include "engine/time.hpp"

#include <optional>
#include <set>
#include <string>

/// The JSON bodies of the API's acknowledge and silence requests, read into engine values. Pure
/// functions of the body and `now` (no store, no sockets), so the routes, the unit tests and the
/// fuzz targets (tests/fuzz) run exactly the same code. Nothing throws on bad input.
namespace tocsin::app {

/// A silence asked for in a POST body, checked (engine::check_silence, known calendar, ends in
/// the future); `id` and `created_at` are left for the caller. Nullopt with a one-sentence
/// message in `error` otherwise.
[[nodiscard]] std::optional<engine::Silence> parse_silence_request(
    const std::string& body,
    engine::TimePoint now,
    const std::set<std::string>& calendars,
    std::string& error);

/// The body of `POST /api/v1/alerts/{id}/ack`: a JSON object of strings, `author` (required),
/// `comment`, `for` (a positive duration, counted from `now`) or `until` (RFC 3339). An empty
/// body reads as `{}`. `at` is left for the caller. Nullopt with a one-sentence message in
/// `error` otherwise.
[[nodiscard]] std::optional<engine::Ack> parse_ack_request(const std::string& body,
                                                           engine::TimePoint now,
                                                           std::string& error);

}  // namespace tocsin::app
