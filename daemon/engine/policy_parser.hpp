#pragma once

#include "engine/model.hpp"
#include "engine/yaml_util.hpp"

/// Reading escalation policies from rule files (DESIGN.md §5):
///   policies:
///     growth-oncall:
///       steps: [{notify: [growth-slack]}, {after: 30m, notify: [leads-email]}]
///       repeat: 2
///       until: acknowledged
///       group_by: [team]
///       group_wait: 30s
///       quiet_hours: {calendar: nights, outcome: defer, bypass: critical, resolves: send}
/// Every problem is reported at the position of the value it is about; names of notifiers and
/// calendars are checked later against the whole configuration.
namespace tocsin::engine {

/// One policy from its key and value; problems are reported and the policy is kept as far as
/// it could be read.
PolicyDef parse_policy(yaml::Reader& reader, const yaml::Field& item);

}  // namespace tocsin::engine
