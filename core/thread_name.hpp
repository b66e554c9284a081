#pragma once

#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace filament::core {

// Names the calling thread for `top -H`, `ps -L`, perf and gdb (Linux keeps 15 bytes: a longer
// name is cut there): a short role such as "http-worker" or "proj-messages". Threads of the
// server start through NamedThread below. Best effort: a failure changes nothing else.
void SetThreadName(std::string_view name);

// The calling thread's name ("" if it cannot be read).
std::string ThreadName();

// A thread that names itself `name`, then runs `body` (which may be move-only).
template <typename F>
std::thread NamedThread(std::string name, F&& body) {
  return std::thread([name = std::move(name), body = std::forward<F>(body)]() mutable {
    SetThreadName(name);
    body();
  });
}

}  // namespace filament::core
