#pragma once

#include "engine/diagnostics.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

/// `{{ expr }}` templates in summary, description, runbook and label values.
///
/// An expression in the old, fixed form is rendered in C++ without Lua: a name (`value`,
/// `threshold`, `target`, `severity`, `kpi`, `alert`, `since`, `unit`), a label (`labels.team`), or
/// a helper call on one of those: `pct(x)` (ratio shown as a percentage, "25.0%"), `num(x)` (a
/// plain number, "1234.5"), `dur(x)` (seconds as "1h30m"). Bare `value`, `threshold` and `target`
/// are formatted by the KPI's unit. Every other expression is a Lua expression (`{{
/// pct(delta("7d")) }}`, `{{ value > 1 and "high" or "ok" }}`) with the same helpers and context as
/// Lua rules, checked at load time and run by the engine's sandbox.
namespace tocsin::engine {

struct TemplateContext;  // defined in engine/alert.hpp
struct LuaCode;          // defined in engine/model.hpp

class Template {
public:
    Template() = default;

    /// Parses `text`; `loc` is the position of the text's first character in its YAML file, so
    /// problems are reported at the exact column of the offending expression. Unknown names and
    /// helpers, and unbalanced braces, are errors added to `diags` under `path`.
    static Template parse(const std::string& text,
                          const SourceLoc& loc,
                          const std::string& path,
                          Diagnostics& diags);

    /// Renders with the alert's context; missing values (no target, unknown label) render as "".
    [[nodiscard]] std::string render(const TemplateContext& ctx) const;

    [[nodiscard]] bool empty() const { return !data_ || data_->parts.empty(); }
    /// Whether any expression needs Lua; the engine compiles lua_parts() into its sandbox.
    [[nodiscard]] bool has_lua() const;
    [[nodiscard]] std::vector<const LuaCode*> lua_parts() const;
    [[nodiscard]] const std::string& source() const;

    struct Part {
        bool is_expr = false;
        std::string text;    // literal text, or for an expression the name ("value", "labels.team")
        std::string helper;  // "", "pct", "num" or "dur"
        std::shared_ptr<const LuaCode> lua;  // a Lua expression (text and helper stay empty)
    };

private:
    // Shared and never changed once parsed: a rule keeps three templates, mostly empty, and a
    // null pointer costs 16 bytes where an empty string and vector cost 56.
    struct Data {
        std::string source;
        std::vector<Part> parts;
    };
    std::shared_ptr<const Data> data_;
};

}  // namespace tocsin::engine
