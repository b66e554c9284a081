#pragma once

#include <string>
#include <string_view>

namespace filament::core {

// Names the calling thread for `top -H`, `ps -L`, perf and gdb (Linux keeps 15 bytes: a longer
// name is cut there). Threads of the server call it first thing, with a short role such as
// "http-worker" or "proj-messages". Best effort: a failure changes nothing else.
void SetThreadName(std::string_view name);

// The calling thread's name ("" if it cannot be read).
std::string ThreadName();

}  // namespace filament::core
