#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

namespace filament::testing {

// Starts `args[0]` (a path) with `args` and this process's environment; -1 when it cannot.
pid_t SpawnChild(const std::vector<std::string>& args);

// Waits for `pid`: its exit code, -signal when a signal ended it, or 1000 when `timeout` ran
// out first (the child is then SIGKILLed and reaped).
int WaitChild(pid_t pid, std::chrono::seconds timeout);

}  // namespace filament::testing
