#include "core/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <sstream>

#include "core/clock.h"
#include "core/fd.h"
#include "core/interrupt.h"

extern char** environ;

namespace ctv {

std::string ExitStatus::ToString() const {
  if (!signaled) return "exit " + std::to_string(code);
  const char* abbrev = sigabbrev_np(code);
  return std::string("killed by ") + (abbrev ? std::string("SIG") + abbrev : std::to_string(code));
}

ExitStatus ExitStatus::FromWaitStatus(int w) {
  if (WIFSIGNALED(w)) return {true, WTERMSIG(w)};
  return {false, WEXITSTATUS(w)};
}

Child::Child(Child&& o) noexcept : pid_(std::exchange(o.pid_, -1)), group_(o.group_) {}

Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    KillAndReap();
    pid_ = std::exchange(o.pid_, -1);
    group_ = o.group_;
  }
  return *this;
}

Child::~Child() { KillAndReap(); }

Result<ExitStatus> Child::Wait() {
  if (pid_ <= 0) return MakeError("wait for child", "", "no running child");
  int w = 0;
  for (;;) {
    pid_t r = ::waitpid(pid_, &w, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoError("waitpid", std::to_string(pid_));
    break;
  }
  pid_ = -1;
  return ExitStatus::FromWaitStatus(w);
}

Result<std::optional<ExitStatus>> Child::WaitFor(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return MakeError("wait for child", "", "no running child");
  // pidfd + poll: no SIGCHLD handler, no busy loop.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd >= 0) {
    Fd guard(pidfd);
    pollfd p{pidfd, POLLIN, 0};
    int64_t deadline = MonotonicNs() + timeout.count() * 1'000'000;
    for (;;) {
      int64_t left_ms = (deadline - MonotonicNs()) / 1'000'000;
      int r = ::poll(&p, 1, static_cast<int>(left_ms < 0 ? 0 : left_ms));
      if (r < 0 && errno == EINTR) {
        if (Interrupted()) {
          errno = ECANCELED;
          return ErrnoError("wait for child", std::to_string(pid_), "interrupted");
        }
        continue;
      }
      if (r == 0) return std::optional<ExitStatus>{};
      break;
    }
  }
  int w = 0;
  pid_t r = ::waitpid(pid_, &w, pidfd >= 0 ? 0 : WNOHANG);
  if (r < 0) return ErrnoError("waitpid", std::to_string(pid_));
  if (r == 0) return std::optional<ExitStatus>{};
  pid_ = -1;
  return std::optional<ExitStatus>{ExitStatus::FromWaitStatus(w)};
}

Status Child::Signal(int sig) {
  if (pid_ <= 0) return Ok();
  if (::kill(group_ ? -pid_ : pid_, sig) != 0 && errno != ESRCH)
    return ErrnoError("kill", std::to_string(pid_));
  return Ok();
}

void Child::KillAndReap() {
  if (pid_ <= 0) return;
  ::kill(group_ ? -pid_ : pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

pid_t Child::Release() { return std::exchange(pid_, -1); }

Result<Child> Spawn(const SpawnOptions& o) {
  if (o.argv.empty()) return MakeError("spawn", "", "empty command line");
  std::vector<char*> argv;
  for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : o.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  if (o.stdin_fd >= 0)
    posix_spawn_file_actions_adddup2(&fa, o.stdin_fd, 0);
  else
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (o.stdout_fd >= 0) posix_spawn_file_actions_adddup2(&fa, o.stdout_fd, 1);
  if (o.stderr_fd >= 0) posix_spawn_file_actions_adddup2(&fa, o.stderr_fd, 2);
  if (!o.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, o.cwd.c_str());
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &empty);  // the child starts with no inherited blocks
  posix_spawnattr_setsigdefault(&attr, &all);
  if (o.new_process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&attr, 0);
  }
  posix_spawnattr_setflags(&attr, flags);

  pid_t pid = -1;
  char** env = o.env.empty() ? environ : envp.data();
  int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), env);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    errno = rc;
    return ErrnoError("spawn", o.argv[0]);
  }
  return Child(pid, o.new_process_group);
}

namespace {
// Drains two pipes until both close or the deadline passes.
bool DrainPipes(int out_fd, int err_fd, std::string& out, std::string& err, int64_t deadline) {
  pollfd p[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open = 2;
  char buf[8192];
  while (open > 0) {
    int64_t left_ms = (deadline - MonotonicNs()) / 1'000'000;
    if (left_ms <= 0) return false;
    int r = ::poll(p, 2, static_cast<int>(left_ms));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    for (int i = 0; i < 2; ++i) {
      if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(p[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? out : err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        p[i].fd = -1;
        --open;
      }
    }
  }
  return true;
}
}  // namespace

Result<CommandOutput> RunCommand(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout) {
  PipePair out = CTV_TRY(MakePipe());
  PipePair err = CTV_TRY(MakePipe());
  SpawnOptions so;
  so.argv = argv;
  so.stdout_fd = out.write.Get();
  so.stderr_fd = err.write.Get();
  so.new_process_group = true;
  Child child = CTV_TRY(Spawn(so));
  out.write.Reset();
  err.write.Reset();
  CommandOutput result;
  int64_t deadline = MonotonicNs() + timeout.count() * 1'000'000;
  if (!DrainPipes(out.read.Get(), err.read.Get(), result.out, result.err, deadline)) {
    child.KillAndReap();
    return MakeError("run", argv[0], "timed out after " + std::to_string(timeout.count()) + " ms");
  }
  result.status = CTV_TRY(child.Wait());
  return result;
}

std::vector<pid_t> ChildPids(pid_t pid) {
  std::vector<pid_t> out;
  auto text = ReadFile("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  if (!text) return out;
  std::istringstream in(*text);
  for (pid_t c; in >> c;) out.push_back(c);
  return out;
}

std::string FindInPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = ::getenv("PATH");
  std::string p = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string candidate = p.substr(start, end - start) + "/" + name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    start = end + 1;
  }
  return "";
}

std::string SelfDir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string p(buf, static_cast<size_t>(n));
  return p.substr(0, p.rfind('/'));
}

}  // namespace ctv

namespace ctv {
namespace {

// Field 22 of /proc/PID/stat: start time in clock ticks since boot ("" when the process is gone
// or a zombie: a killed harness whose parent has not reaped it yet owns nothing any more).
std::string StartTimeField(pid_t pid) {
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return "";
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream in(stat->substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && (in >> field); ++i) {
    if (i == 3 && (field == "Z" || field == "X")) return "";
  }
  return field;
}

}  // namespace

std::string OwnerToken() { return std::to_string(getpid()) + " " + StartTimeField(getpid()); }

bool OwnerAlive(const std::string& token) {
  std::istringstream in(token);
  pid_t pid = 0;
  std::string start;
  if (!(in >> pid >> start) || pid <= 0) return false;
  return !start.empty() && StartTimeField(pid) == start;
}

}  // namespace ctv
