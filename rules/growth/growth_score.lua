-- Shared by the growth rules: the weighted alignment score of the growth KPIs.
-- Loaded with require("growth_score") from any rule file in this folder.
local M = {}

-- Weights sum to 1. `lower` marks KPIs where less is better (churn).
M.parts = {
  { name = "d7_retention", weight = 0.20 },
  { name = "activation_rate", weight = 0.15 },
  { name = "d30_retention", weight = 0.15 },
  { name = "ltv_cac", weight = 0.15 },
  { name = "signup_to_activation", weight = 0.10 },
  { name = "growth_mom", weight = 0.10 },
  { name = "churn_overall", weight = 0.10, lower = true },
  { name = "viral_coefficient", weight = 0.05 },
}

-- How far one KPI is towards its target, 0..100: value / target, or target / value when lower
-- is better, capped at 100 (beating a target does not hide another KPI's miss).
function M.attainment(value, target, lower)
  if lower then
    if value <= 0 then return 100 end
    return math.min(100, 100 * target / value)
  end
  if target <= 0 then return 100 end
  return math.max(0, math.min(100, 100 * value / target))
end

-- The score 0..100 from a table name -> { value = v, target = t }.
function M.score(values)
  local total = 0
  for _, part in ipairs(M.parts) do
    local v = values[part.name]
    total = total + part.weight * M.attainment(v.value, v.target, part.lower)
  end
  return total
end

-- "on track" (>= 80), "at risk" (50-79) or "off track" (< 50).
function M.status(score)
  if score >= 80 then return "on track" end
  if score >= 50 then return "at risk" end
  return "off track"
end

return M
