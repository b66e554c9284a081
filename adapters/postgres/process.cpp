#include "adapters/postgres/process.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace filament::postgres::internal {
namespace {

std::vector<char*> ArgvPointers(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  out.reserve(argv.size() + 1);
  for (const auto& arg : argv) out.push_back(const_cast<char*>(arg.c_str()));
  out.push_back(nullptr);
  return out;
}

int WaitExit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 127;
}

// Owns posix_spawn_file_actions_t so every exit path destroys it.
class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

core::Result<pid_t> Spawn(const std::vector<std::string>& argv, FileActions& actions) {
  if (argv.empty()) return core::Internal("empty argv");
  auto pointers = ArgvPointers(argv);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0].c_str(), actions.get(), nullptr, pointers.data(), environ);
  if (rc != 0) {
    return core::Internal("cannot spawn " + argv[0] + ": " + std::strerror(rc));
  }
  return pid;
}

}  // namespace

core::Result<int> RunProcess(const ProcessSpec& spec) {
  FileActions actions;
  const char* out = spec.output_path.empty() ? "/dev/null" : spec.output_path.c_str();
  posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(actions.get(), STDOUT_FILENO, out,
                                   O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  posix_spawn_file_actions_adddup2(actions.get(), STDOUT_FILENO, STDERR_FILENO);
  if (!spec.cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(actions.get(), spec.cwd.c_str());
  }
  auto pid = Spawn(spec.argv, actions);
  if (!pid.ok()) return pid.error();
  return WaitExit(*pid);
}

core::Result<std::string> RunAndCapture(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return core::Internal("pipe failed");
  FileActions actions;
  posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(actions.get(), fds[1], STDOUT_FILENO);
  auto pid = Spawn(argv, actions);
  close(fds[1]);
  if (!pid.ok()) {
    close(fds[0]);
    return pid.error();
  }
  std::string output;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = read(fds[0], buffer, sizeof buffer)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (output.size() < 65536) output.append(buffer, static_cast<size_t>(n));
  }
  close(fds[0]);
  int code = WaitExit(*pid);
  if (code != 0) return core::Internal(argv[0] + " exited with status " + std::to_string(code));
  return output;
}

}  // namespace filament::postgres::internal
