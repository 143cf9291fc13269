#pragma once

// Small helpers for the tests of the local sources (exec, execd, file): executable scripts
// written into a temp dir, and checks that a process is gone.

#include "support/temp_dir.hpp"

#include <sys/types.h>

#include <string>

namespace tocsin::testing {

/// Writes `body` as an executable `/bin/sh` script `name` in `dir` and returns its path.
std::string write_script(const TempDir& dir, const std::string& name, const std::string& body);

/// Waits up to `limit_ms` until `pid` no longer runs (gone, or a zombie nobody reaps yet).
bool process_gone(pid_t pid, int limit_ms = 3000);

/// Reads a pid the test's script wrote into `path`, waiting up to 3 s for it; -1 if none.
pid_t read_pid_file(const std::string& path);

}  // namespace tocsin::testing
