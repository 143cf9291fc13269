#pragma once

#include "engine/diagnostics.hpp"

#include <ostream>
#include <string>
#include <vector>

/// `tocsin test FILE...`: rule test files run on a virtual clock through the very same engine.
/// The file format is documented in docs/rule-tests.md.
namespace tocsin::engine {

struct RuleTestSummary {
    int files = 0;
    int cases = 0;
    int passed = 0;
    int failed = 0;
};

/// Runs every test case of every file, printing one line per case and, for a failing case,
/// expected against actual as a timeline. Load problems go to `diags` (and count as failures)
/// and are also printed to `out` where they occur, so the caller must not print them again:
/// the last line of `out` is always "tocsin: N passed, M failed".
RuleTestSummary run_rule_tests(const std::vector<std::string>& files,
                               std::ostream& out,
                               Diagnostics& diags);

}  // namespace tocsin::engine
