#include "bench/drivers/ns_spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/fd.h"

extern char** environ;

namespace ctv::bench {
namespace {

enum Stage : int { kSetpgid = 1, kDup, kUnshare, kPrivate, kBind, kHide, kChdir, kExec };

const char* StageName(int stage) {
  switch (stage) {
    case kSetpgid:
      return "setpgid";
    case kDup:
      return "dup2 stdio";
    case kUnshare:
      return "unshare(CLONE_NEWNS)";
    case kPrivate:
      return "make / private";
    case kBind:
      return "bind mount";
    case kHide:
      return "unmount";
    case kChdir:
      return "chdir";
    case kExec:
      return "execve";
  }
  return "?";
}

// Everything the child needs, prepared (allocated) by the parent before clone.
struct ChildArgs {
  const char* path;
  char* const* argv;
  char* const* envp;
  int stdio[3];  // source descriptors for 0, 1, 2; -1 = leave as is
  bool new_process_group;
  const char* const* hide;
  size_t n_hide;
  const char* const* bind_src;
  const char* const* bind_dst;
  size_t n_bind;
  const char* cwd;  // nullptr = stay where the parent is
  int sync_fd;  // write end, O_CLOEXEC: closes by itself on a successful exec
};

[[noreturn]] void Fail(const ChildArgs* a, int stage) {
  int msg[2] = {stage, errno};
  ssize_t ignored = ::write(a->sync_fd, msg, sizeof msg);
  (void)ignored;
  ::_exit(127);
}

// Runs on its own stack in the parent's memory (CLONE_VM | CLONE_VFORK): system calls only.
int ChildMain(void* p) {
  const auto* a = static_cast<const ChildArgs*>(p);
  // Every disposition back to default, as core's Spawn does (and handlers are the parent's code:
  // a signal before exec must not run them here).
  for (int s = 1; s < NSIG; ++s) {
    struct sigaction sa;
    if (::sigaction(s, nullptr, &sa) != 0 || sa.sa_handler == SIG_DFL) continue;
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = 0;
    ::sigaction(s, &sa, nullptr);
  }
  if (a->new_process_group && ::setpgid(0, 0) != 0) Fail(a, kSetpgid);
  for (int fd = 0; fd < 3; ++fd) {
    int src = a->stdio[fd];
    if (src < 0) continue;
    if (src == fd) {
      if (::fcntl(fd, F_SETFD, 0) != 0) Fail(a, kDup);  // keep it across exec
    } else if (::dup2(src, fd) < 0) {
      Fail(a, kDup);
    }
  }
  if (::unshare(CLONE_NEWNS) != 0) Fail(a, kUnshare);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) Fail(a, kPrivate);
  for (size_t i = 0; i < a->n_bind; ++i)
    if (::mount(a->bind_src[i], a->bind_dst[i], nullptr, MS_BIND | MS_REC, nullptr) != 0)
      Fail(a, kBind);
  for (size_t i = 0; i < a->n_hide; ++i)
    if (::umount2(a->hide[i], MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
      Fail(a, kHide);
  if (a->cwd && ::chdir(a->cwd) != 0) Fail(a, kChdir);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(a->path, a->argv, a->envp);
  Fail(a, kExec);
}

std::vector<const char*> CStrings(const std::vector<std::string>& v) {
  std::vector<const char*> out;
  for (const auto& s : v) out.push_back(s.c_str());
  return out;
}

}  // namespace

Result<Child> SpawnWithMounts(const SpawnOptions& o, const PrivateMounts& m) {
  if (m.Empty()) return Spawn(o);
  if (o.argv.empty()) return MakeError("spawn", "", "empty command line");
  std::string path = FindInPath(o.argv[0]);
  if (path.empty()) return Error{ENOENT, "spawn", o.argv[0], "not found in PATH"};
  std::vector<char*> argv;
  for (const auto& s : o.argv) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& s : o.env) envp.push_back(const_cast<char*>(s.c_str()));
  envp.push_back(nullptr);
  Fd dev_null;
  if (o.stdin_fd < 0) dev_null = CTV_TRY(OpenFile("/dev/null", O_RDONLY));
  std::vector<const char*> hide = CStrings(m.hide), src, dst;
  for (const auto& [s, d] : m.binds) {
    src.push_back(s.c_str());
    dst.push_back(d.c_str());
  }
  PipePair sync = CTV_TRY(MakePipe());
  ChildArgs a{};
  a.path = path.c_str();
  a.argv = argv.data();
  a.envp = o.env.empty() ? environ : envp.data();
  a.stdio[0] = o.stdin_fd >= 0 ? o.stdin_fd : dev_null.Get();
  a.stdio[1] = o.stdout_fd;
  a.stdio[2] = o.stderr_fd;
  a.new_process_group = o.new_process_group;
  a.hide = hide.data();
  a.n_hide = hide.size();
  a.bind_src = src.data();
  a.bind_dst = dst.data();
  a.n_bind = src.size();
  a.cwd = o.cwd.empty() ? nullptr : o.cwd.c_str();
  a.sync_fd = sync.write.Get();

  std::vector<char> stack(128 * 1024);
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &old);  // no handler may run in the child before exec
  pid_t pid = ::clone(ChildMain, stack.data() + stack.size(), CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
  int clone_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    errno = clone_errno;
    return ErrnoError("clone", o.argv[0]);
  }
  Child child(pid, o.new_process_group);
  sync.write.Reset();
  int msg[2];
  ssize_t n;
  do {
    n = ::read(sync.read.Get(), msg, sizeof msg);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof msg)) {
    (void)child.Wait();
    std::string what = StageName(msg[0]);
    if (msg[0] == kBind || msg[0] == kHide) what += " in the private mount namespace";
    return Error{msg[1], what, o.argv[0]};
  }
  return child;
}

Result<CommandOutput> RunWithMounts(const std::vector<std::string>& argv, const PrivateMounts& m,
                                    std::chrono::milliseconds timeout) {
  if (m.Empty()) return RunCommand(argv, timeout);
  // memfds, not pipes: a daemon the tool leaves behind (podman's conmon) cannot hold them open
  // and make us wait for an end of file.
  auto memfd = [](const char* name) -> Result<Fd> {
    int fd = ::memfd_create(name, MFD_CLOEXEC);
    if (fd < 0) return ErrnoError("memfd_create", name);
    return Fd(fd);
  };
  Fd out = CTV_TRY(memfd("ctv-out")), err = CTV_TRY(memfd("ctv-err"));
  SpawnOptions so;
  so.argv = argv;
  so.stdout_fd = out.Get();
  so.stderr_fd = err.Get();
  so.new_process_group = true;
  Child child = CTV_TRY(SpawnWithMounts(so, m));
  auto st = CTV_TRY(child.WaitFor(timeout));
  if (!st) {
    child.KillAndReap();
    return MakeError("run", argv[0], "timed out after " + std::to_string(timeout.count()) + " ms");
  }
  CommandOutput r;
  r.status = *st;
  auto slurp = [](int fd, std::string& s) {
    ::lseek(fd, 0, SEEK_SET);
    char buf[8192];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  };
  slurp(out.Get(), r.out);
  slurp(err.Get(), r.err);
  return r;
}

}  // namespace ctv::bench
