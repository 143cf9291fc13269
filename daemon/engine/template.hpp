#pragma once

#include "engine/diagnostics.hpp"

#include <optional>
#include <string>
#include <vector>

/// `{{ expr }}` templates in summary, description, runbook and label values.
///
/// An expression is a name (`value`, `threshold`, `target`, `severity`, `kpi`, `alert`, `since`,
/// `unit`), a label (`labels.team`), or a helper call on one of those: `pct(x)` (ratio shown as a
/// percentage, "25.0%"), `num(x)` (a plain number, "1234.5"), `dur(x)` (seconds as "1h30m"). Bare
/// `value`, `threshold` and `target` are formatted by the KPI's unit. The Lua issue replaces the
/// evaluator with Lua behind the same syntax, so files written now keep working.
namespace tocsin::engine {

struct TemplateContext;  // defined in engine/alert.hpp

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

    [[nodiscard]] bool empty() const { return parts_.empty(); }
    [[nodiscard]] const std::string& source() const { return source_; }

    struct Part {
        bool is_expr = false;
        std::string text;    // literal text, or for an expression the name ("value", "labels.team")
        std::string helper;  // "", "pct", "num" or "dur"
    };

private:
    std::string source_;
    std::vector<Part> parts_;
};

}  // namespace tocsin::engine
