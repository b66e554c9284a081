#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"

// Internal to adapters/postgres: runs the PostgreSQL tools without a shell.
namespace filament::postgres::internal {

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is an absolute path; no shell is involved
  std::string cwd;                // working directory of the child ("" = inherit)
  std::string output_path;        // stdout and stderr are appended here ("" = /dev/null)
};

// Spawns the process and waits for it. Returns its exit status (128 + signal if killed).
// Errors: kInternal (the process could not be spawned).
core::Result<int> RunProcess(const ProcessSpec& spec);

// Spawns the process and returns what it wrote to stdout (at most 64 KiB), or an error if it
// could not be spawned or exited non-zero.
core::Result<std::string> RunAndCapture(const std::vector<std::string>& argv);

}  // namespace filament::postgres::internal
