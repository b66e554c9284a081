#include "core/thread_name.hpp"

#include <pthread.h>

namespace filament::core {

void SetThreadName(std::string_view name) {
  char buffer[16] = {};  // the kernel's TASK_COMM_LEN, terminator included
  name.copy(buffer, sizeof(buffer) - 1);
  pthread_setname_np(pthread_self(), buffer);
}

std::string ThreadName() {
  char buffer[16] = {};
  if (pthread_getname_np(pthread_self(), buffer, sizeof(buffer)) != 0) return "";
  return buffer;
}

}  // namespace filament::core
