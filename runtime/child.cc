// Between clone and exec: raw system calls on prepared data only. No allocation, no logging, no
// locks (another thread of the parent may have held malloc's lock at clone time), no glibc
// function that believes it runs in the parent's multi-threaded process (setxid broadcasting:
// see RawSetresuid), no lazily bound symbol (the binaries link with -z now: ctv_runtime's
// INTERFACE link option), no handler of the parent's (launch.cc blocks every signal around the
// clone; the child resets the handlers before it unblocks them), no descriptor of other launches
// (CloseAllBut).
#include "runtime/child.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/fs/fd_path.h"

namespace ctv::runtime::internal {
namespace {

// setresuid, setresgid and setgroups as raw system calls. glibc's wrappers do "setxid
// broadcasting" in a process it believes multi-threaded (and a clone of a multi-threaded parent
// is one, as far as its copied memory says): they take the thread-list lock (dl_stack_cache_lock)
// and wait on a futex for every thread the parent had, to make each change its credentials too.
// Those threads do not exist here; a lock one of them held at the clone, or a thread being created
// at that moment, is never released: the child hangs in futex_wait before exec. The raw call
// changes this (only) thread, which is all the child is.
int RawSetresuid(uid_t u) { return static_cast<int>(::syscall(SYS_setresuid, u, u, u)); }
int RawSetresgid(gid_t g) { return static_cast<int>(::syscall(SYS_setresgid, g, g, g)); }
int RawSetgroups(size_t n, const gid_t* groups) {
  return static_cast<int>(::syscall(SYS_setgroups, n, groups));
}

// Closes every descriptor but the plan's (sorted, stdio included): the clone copied all of the
// parent's, among them other containers' sync pipes and cgroup `tasks` files that concurrent
// launches on other threads had open. Held here, they would keep those launches waiting (a sync
// pipe's EOF comes only when every write end is closed) for as long as this child waits on its
// go-ahead, its exec FIFO, or forever as an init that never execs.
void CloseAllBut(const ChildPlan& p) {
  unsigned next = 0;
  for (int i = 0; i < p.n_keep_fds; ++i) {
    unsigned k = static_cast<unsigned>(p.keep_fds[i]);
    if (k > next) (void)::syscall(SYS_close_range, next, k - 1, 0u);
    if (k + 1 > next) next = k + 1;
  }
  (void)::syscall(SYS_close_range, next, ~0u, 0u);
}

[[noreturn]] void Fail(const ChildPlan& p, Stage stage, int err, int index = 0) {
  SyncRecord r;
  r.stage = stage;
  r.err = err;
  r.index = index;
  (void)!::write(p.sync_fd, &r, sizeof r);
  ::_exit(127);
}

void Progress(const ChildPlan& p, Stage stage) {
  SyncRecord r;
  r.stage = stage;
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: no allocation, no lock
  r.t_ns = ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
  (void)!::write(p.sync_fd, &r, sizeof r);
}

int LoopbackUp() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::memcpy(ifr.ifr_name, "lo", 3);
  int err = 0;
  if (::ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
    err = errno;
  } else {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (::ioctl(s, SIOCSIFFLAGS, &ifr) != 0) err = errno;
  }
  ::close(s);
  return err;
}

// "/dev/pts/<n>" into `buf` (at least 24 bytes), without allocating.
const char* PtsPath(unsigned n, char* buf) {
  const char prefix[] = "/dev/pts/";
  std::memcpy(buf, prefix, sizeof prefix - 1);
  char digits[12];
  int k = 0;
  do {
    digits[k++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n > 0);
  char* o = buf + sizeof prefix - 1;
  while (k > 0) *o++ = digits[--k];
  *o = 0;
  return buf;
}

// process.terminal, as runc and crun do it: the pty is allocated here, after pivot_root, so it
// belongs to the container's own devpts instance and its slave is valid inside; the master goes
// out over the console socket.
void SetupConsole(const ChildPlan& p) {
  int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) Fail(p, kStageConsole, errno, kConsoleOpenPtmx);
  int unlock = 0;
  unsigned n = 0;
  if (::ioctl(master, TIOCSPTLCK, &unlock) != 0 || ::ioctl(master, TIOCGPTN, &n) != 0)
    Fail(p, kStageConsole, errno, kConsoleUnlock);
  if (p.console_rows && p.console_cols) {
    winsize ws{p.console_rows, p.console_cols, 0, 0};
    (void)::ioctl(master, TIOCSWINSZ, &ws);
  }
  char pts[24];
  PtsPath(n, pts);
  // TIOCGPTPEER opens the slave of this very master, not whatever a path lookup finds.
  int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0 && (errno == EINVAL || errno == ENOTTY))
    slave = ::open(pts, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) Fail(p, kStageConsole, errno, kConsoleOpenPeer);
  if (p.console_mount) {
    // The spec's /dev/console: the pty bound over an empty file on the container's /dev tmpfs.
    int f = ::open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f < 0) Fail(p, kStageConsole, errno, kConsoleMountConsole);
    ::close(f);
    char src[fs::kFdPathSize];
    if (::mount(fs::FdPath(slave, src), "/dev/console", nullptr, MS_BIND, nullptr) != 0)
      Fail(p, kStageConsole, errno, kConsoleMountConsole);
  }
  // One byte of payload at least (a stream socket drops an empty message); runc sends a name.
  iovec iov{pts, std::strlen(pts)};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    cmsghdr align;
  } control;
  std::memset(&control, 0, sizeof control);
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &master, sizeof(int));
  ssize_t sent;
  do sent = ::sendmsg(p.console_socket, &msg, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) Fail(p, kStageConsole, errno, kConsoleSend);
  ::close(master);
  ::close(p.console_socket);
  // A new session without a controlling terminal, then the slave becomes it.
  if (::setsid() < 0) Fail(p, kStageConsole, errno, kConsoleSetsid);
  if (::ioctl(slave, TIOCSCTTY, 0) != 0) Fail(p, kStageConsole, errno, kConsoleSetCtty);
  for (int fd = 0; fd < 3; ++fd)
    if (::dup2(slave, fd) < 0) Fail(p, kStageConsole, errno, kConsoleDup);
  // The workload's user owns its terminal (as with a login), so it can chmod or reopen it.
  if ((p.uid != 0 || p.gid != 0) && ::fchown(slave, p.uid, p.gid) != 0)
    Fail(p, kStageConsole, errno, kConsoleChown);
  if (slave > 2) ::close(slave);
}

void LoadSeccomp(const ChildPlan& p) {
  if (p.seccomp_flags != 0) {
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p.seccomp_flags, p.seccomp) != 0)
      Fail(p, kStageSeccomp, errno);
  } else if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, p.seccomp, 0, 0) != 0) {
    Fail(p, kStageSeccomp, errno);
  }
}

void ResetSignals() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s)
    if (s != SIGKILL && s != SIGSTOP) ::sigaction(s, &sa, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Nothing but stdio crosses into the workload: every other descriptor the caller left open
// without O_CLOEXEC (a harness's pipe, a shell's fd 10) would be a way back to the host (the
// CVE-2024-21626 class; found by the security suite's leaked_fd_or_cwd attempt). Marked
// close-on-exec rather than closed, so the sync pipe still reports a failed exec.
void CloseInheritedOnExec() {
  if (::syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */) == 0) return;
  // Before Linux 5.11, or a seccomp profile without close_range: one fcntl per possible fd.
  struct rlimit rl;
  int max = ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? int(rl.rlim_cur) : 65536;
  for (int fd = 3; fd < max; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

[[noreturn]] void Exec(const ChildPlan& p) {
  CloseInheritedOnExec();
  int err = ENOENT;
  for (const std::string& c : *p.exec_candidates) {
    ::execve(c.c_str(), p.argv, p.envp);
    // Keep the most telling error: EACCES or ENOEXEC beat "not in this PATH entry".
    if (errno != ENOENT && errno != ENOTDIR) err = errno;
  }
  Fail(p, kStageExec, err);
}

// The optional PID 1: forwards signals to the workload, reaps every zombie (orphans of the
// workload are re-parented to it), exits with the workload's status.
[[noreturn]] void InitLoop(const ChildPlan& p) {
  sigset_t all;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  // A raw clone, not fork(): glibc's fork() takes malloc's arena locks and the stdio list lock
  // for its atfork handling, and this process is a copy of a possibly multi-threaded parent taken
  // while another thread may have held one of them: fork() would wait on it forever.
  pid_t worker =
      static_cast<pid_t>(::syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, nullptr));
  if (worker < 0) Fail(p, kStageInitFork, errno);
  if (worker == 0) {
    ResetSignals();
    Exec(p);
  }
  // Our copy of the sync pipe would hide the worker's exec from the parent. (Nothing else is
  // open here but stdio: CloseAllBut ran first, and close(2) is in every seccomp profile.)
  ::close(p.sync_fd);
  for (;;) {
    siginfo_t info;
    int sig = ::sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      ::kill(worker, sig);
      continue;
    }
    for (;;) {
      int status = 0;
      pid_t r = ::waitpid(-1, &status, WNOHANG);
      if (r <= 0) break;
      if (r == worker) {
        if (WIFSIGNALED(status)) {
          // Re-raise so our parent sees the same signal (PID 1 ignores most signals sent by
          // itself, so exit with 128+sig like a shell would if that does not end us).
          ::_exit(128 + WTERMSIG(status));
        }
        ::_exit(WEXITSTATUS(status));
      }
    }
  }
}

// One byte from the parent on go_fd: it has done its part (id maps, network...). Without it (the
// parent died or gave up and closed its end) the child exits.
void WaitForGoAhead(const ChildPlan& p) {
  if (p.go_fd < 0) return;
  char go = 0;
  ssize_t n;
  do n = ::read(p.go_fd, &go, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) ::_exit(1);
  ::close(p.go_fd);
}

}  // namespace

void RunChild(const ChildPlan& p) {
  if (p.report_start) Progress(p, kProgressStarted);
  CloseAllBut(p);  // go_write_fd and sync_read_fd among them
  // The parent blocked every signal around the clone, so none of its handlers (which may take
  // locks or allocate) ever ran here; now default dispositions, then unblocked, so that a signal
  // sent before exec (`ctvrt kill` of a created container) acts as it would on the workload.
  ResetSignals();
  if (!p.go_before_exec) WaitForGoAhead(p);
  for (int i = 0; i < p.n_cgroup_fds; ++i) {
    if (::write(p.cgroup_fds[i], "0", 1) != 1) Fail(p, kStageJoinCgroup, errno, i);
    ::close(p.cgroup_fds[i]);
  }

  // The exec FIFO lives in the host's state dir, unreachable after pivot_root or after joining
  // another mount namespace: hold it by fd.
  int fifo = -1;
  if (p.exec_fifo) {
    fifo = ::open(p.exec_fifo, O_PATH | O_CLOEXEC);
    if (fifo < 0) Fail(p, kStageExecFifo, errno);
  }
  for (int i = 0; i < p.n_join; ++i) {
    if (::setns(p.join_fds[i], p.join_flags[i]) != 0) Fail(p, kStageJoinNs, errno, p.join_index[i]);
    ::close(p.join_fds[i]);
  }

  for (int i = 0; i < 3; ++i) {
    int fd = p.stdio[i];
    if (fd < 0 && i == 0) fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (fd == i) {
      ::fcntl(fd, F_SETFD, 0);
    } else if (::dup2(fd, i) < 0) {
      Fail(p, kStageStdio, errno, i);
    }
  }
  if (p.userns) {
    // In the new user namespace we start as the overflow uid until mapped; become its root.
    if (RawSetresgid(0) != 0) Fail(p, kStageUserRoot, errno);
    if (RawSetresuid(0) != 0) Fail(p, kStageUserRoot, errno);
  }
  // cgroup namespace last-minute: the parent has put us in our cgroup, which becomes our root.
  if (p.unshare_cgroup && ::unshare(CLONE_NEWCGROUP) != 0) Fail(p, kStageCgroupNs, errno);
  if (p.hostname && ::sethostname(p.hostname, std::strlen(p.hostname)) != 0)
    Fail(p, kStageHostname, errno);

  if (p.ops) {
    int root_fd = -1;
    for (size_t i = 0; i < p.ops->size(); ++i) {
      int err = fs::RunOp((*p.ops)[i], &root_fd);
      if (err != 0) Fail(p, kStageMount, err, static_cast<int>(i));
    }
    Progress(p, kProgressMounts);
  }
  if (p.terminal) SetupConsole(p);
  if (p.loopback) {
    int err = LoopbackUp();
    if (err != 0) Fail(p, kStageLoopback, err);
  }
  for (size_t i = 0; p.rlimits && i < p.rlimits->size(); ++i) {
    const Rlimit& r = (*p.rlimits)[i];
    rlimit v{r.soft, r.hard};
    if (::setrlimit(r.resource, &v) != 0) Fail(p, kStageRlimit, errno, static_cast<int>(i));
  }
  // Before the seccomp filter (a profile may deny read) and the privileges go.
  if (p.go_before_exec) WaitForGoAhead(p);
  // Without no_new_privs the filter must be loaded while we still have CAP_SYS_ADMIN (runc does
  // the same): the profile then has to allow the few calls below (setresuid, capset, chdir...).
  bool seccomp_loaded = false;
  if (p.seccomp && !p.no_new_privs) {
    LoadSeccomp(p);
    seccomp_loaded = true;
  }
  for (int c = 0; c < 64; ++c) {
    uint64_t bit = uint64_t{1} << c;
    if ((p.all_caps & bit) && !(p.keep_caps & bit) && ::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
      Fail(p, kStageBounding, errno, c);
  }
  if (p.explicit_caps && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) Fail(p, kStageKeepCaps, errno);
  if (p.groups && !p.groups->empty()) {
    if (RawSetgroups(p.groups->size(), p.groups->data()) != 0) Fail(p, kStageGroups, errno);
  } else if (!p.userns && RawSetgroups(0, nullptr) != 0) {
    Fail(p, kStageGroups, errno);
  }
  if (RawSetresgid(p.gid) != 0) Fail(p, kStageSetGid, errno);
  if (RawSetresuid(p.uid) != 0) Fail(p, kStageSetUid, errno);
  if (p.explicit_caps) {
    if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) Fail(p, kStageKeepCaps, errno);
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2];
    for (int i = 0; i < 2; ++i) {
      data[i].effective = static_cast<uint32_t>(p.cap_eff >> (32 * i));
      data[i].permitted = static_cast<uint32_t>(p.cap_perm >> (32 * i));
      data[i].inheritable = static_cast<uint32_t>(p.cap_inh >> (32 * i));
    }
    if (::syscall(SYS_capset, &hdr, data) != 0) Fail(p, kStageCaps, errno);
  } else if (p.uid == 0) {
    // A non-root uid lost its permitted set in setresuid (no keepcaps), as Docker's non-root
    // users do; root keeps exactly the allowed set.
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2];
    for (int i = 0; i < 2; ++i) {
      uint32_t v = static_cast<uint32_t>(p.keep_caps >> (32 * i));
      data[i].effective = data[i].permitted = data[i].inheritable = v;
    }
    if (::syscall(SYS_capset, &hdr, data) != 0) Fail(p, kStageCaps, errno);
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    Fail(p, kStageCaps, errno);
  // capabilities(7): an ambient capability must be permitted and inheritable. `runc spec` lists
  // ambient ones without inheritable; like runc, those are left out rather than failing.
  for (int c = 0; p.explicit_caps && c < 64; ++c)
    if ((p.cap_amb & p.cap_inh & p.cap_perm & (uint64_t{1} << c)) &&
        ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) != 0)
      Fail(p, kStageAmbient, errno, c);
  if (::chdir(p.cwd) != 0) Fail(p, kStageCwd, errno);
  ::umask(p.umask);

  if (fifo >= 0) {
    Progress(p, kProgressCreated);
    char path[40];
    fs::FdPath(fifo, path);
    // Blocks until `ctvrt start` opens the FIFO for reading.
    int w = ::open(path, O_WRONLY | O_CLOEXEC);
    if (w < 0) Fail(p, kStageExecFifo, errno);
    char zero = 0;
    if (::write(w, &zero, 1) != 1) Fail(p, kStageExecFifo, errno);
    ::close(w);
    ::close(fifo);
  }
  if (p.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    Fail(p, kStageNoNewPrivs, errno);
  // Last: the filter would deny some of the steps above (mount, pivot_root...).
  if (p.seccomp && !seccomp_loaded) LoadSeccomp(p);
  if (p.init) InitLoop(p);
  Exec(p);  // signals were reset at the start
}

}  // namespace ctv::runtime::internal
