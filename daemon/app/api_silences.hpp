#pragma once

#include "api/router.hpp"
#include "app/api_requests.hpp"
#include "engine/silence.hpp"
#include "engine/time.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <set>
#include <string>

/// The silences endpoints of the HTTP API (DESIGN.md §5, §7):
///   GET    /api/v1/silences[?state=active|pending|expired|all]   default: not expired
///   POST   /api/v1/silences                                      201 with the silence
///   GET    /api/v1/silences/{id}
///   DELETE /api/v1/silences/{id}                                 ends it; 404 unknown, 409 ended
/// A POST body is a JSON object: `matchers` (a list of strings in the matcher text form,
/// `team=growth`, `severity=~"warn|crit"`), `starts_at` (RFC 3339, default now), `ends_at`
/// (RFC 3339) or `duration` ("2h"), `author` (required), `comment`, `calendar` (a calendar of the
/// rule files: the silence is then in force only while that calendar is in).
namespace tocsin::app {

class ApiBackend;

/// "pending", "active" (within its start and end; a recurring one may still be out of its
/// calendar) or "expired", at `now`.
[[nodiscard]] const char* silence_state(const engine::Silence& silence, engine::TimePoint now);

/// A silence as the API shows it: id, state, matchers (text form), starts_at, ends_at, author,
/// comment, created_at, calendar (null for a plain silence).
[[nodiscard]] boost::json::object silence_json(const engine::Silence& silence,
                                               engine::TimePoint now);

/// Adds the silences endpoints to `router`; `backend` must outlive it.
void add_silence_routes(api::Router& router, ApiBackend& backend);

}  // namespace tocsin::app
