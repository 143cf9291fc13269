#pragma once

#include "engine/model.hpp"

#include <string>

/// How numbers appear in messages: the template helpers `pct`, `num`, `dur`, `money`, shared by the
/// `{{ }}` fast path and the Lua helpers of the same names, so both print the same text.
namespace tocsin::engine {

/// A plain number with up to 4 decimals, trailing zeros cut: "1234.5", "0.0123".
[[nodiscard]] std::string format_num(double v);
/// A ratio as a percentage with one decimal: 0.253 -> "25.3%".
[[nodiscard]] std::string format_pct(double v);
/// Seconds as a duration: 5400 -> "1h30m".
[[nodiscard]] std::string format_dur(double seconds);
/// Two decimals with thousands separators: 1234567.8 -> "1,234,567.80".
[[nodiscard]] std::string format_money(double v);
/// By the KPI's unit: percent -> pct, money -> money, seconds -> dur, else num.
[[nodiscard]] std::string format_by_unit(double v, Unit unit);
/// "percent", "money", ... or "" for Unit::None.
[[nodiscard]] const char* unit_name(Unit unit);

}  // namespace tocsin::engine
