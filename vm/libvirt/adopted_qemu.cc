#include "vm/libvirt/adopted_qemu.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "core/fd.h"
#include "core/log.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace ctv::vm::lv {
namespace {

// The parent pid from /proc/<pid>/stat (field 4, after the parenthesised command name).
pid_t ParentOf(pid_t pid) {
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return -1;
  size_t close = stat->rfind(')');
  if (close == std::string::npos || close + 4 >= stat->size()) return -1;
  // ") S 1234 ..."
  return static_cast<pid_t>(std::atoi(stat->c_str() + close + 4));
}

}  // namespace

struct AdoptedQemu::State {
  pid_t pid = -1;
  Fd pidfd;
  std::mutex mu;
  std::condition_variable cv;
  bool reaped = false;  // under mu
  std::thread reaper;

  bool Reaped() {
    std::lock_guard<std::mutex> l(mu);
    return reaped;
  }
};

AdoptedQemu::AdoptedQemu() = default;
AdoptedQemu::AdoptedQemu(AdoptedQemu&&) noexcept = default;
AdoptedQemu& AdoptedQemu::operator=(AdoptedQemu&& o) noexcept {
  if (this != &o) {
    End();
    s_ = std::move(o.s_);
  }
  return *this;
}

AdoptedQemu::~AdoptedQemu() { End(); }

void AdoptedQemu::End() {
  if (s_ && !Kill(std::chrono::seconds(5))) {
    // Not seen so far (SIGKILL cannot be ignored): the reaper thread still uses the state.
    Log(LogLevel::kWarn, "libvirt: QEMU {} not reaped 5 s after SIGKILL", s_->pid);
    s_->reaper.detach();
    (void)s_.release();
  }
}

Result<AdoptedQemu> AdoptedQemu::AdoptDuring(const std::function<Status()>& start,
                                              const std::string& pidfile) {
  int was = 0;
  ::prctl(PR_GET_CHILD_SUBREAPER, &was, 0, 0, 0);
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
    return ErrnoError("become child subreaper for", pidfile);
  Status started = start();
  ::prctl(PR_SET_CHILD_SUBREAPER, was, 0, 0, 0);
  CTV_CHECK(std::move(started));

  std::string text = CTV_TRY(ReadFile(pidfile));
  pid_t pid = static_cast<pid_t>(std::atoi(text.c_str()));
  if (pid <= 0) return MakeError("read QEMU's pid from", pidfile, "no pid in it");
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return ErrnoError("open a pidfd for QEMU", std::to_string(pid) + " (" + pidfile + ")");
  Fd pidfd(fd);
  // The pidfd pins this exact process; only now is the parent check free of pid reuse.
  if (pid_t ppid = ParentOf(pid); ppid != ::getpid())
    return MakeError("adopt QEMU " + std::to_string(pid) + " of", pidfile,
                     "its parent is " + std::to_string(ppid) + ", not this process");
  AdoptedQemu q;
  q.s_ = std::make_unique<State>();
  q.s_->pid = pid;
  q.s_->pidfd = std::move(pidfd);
  State* s = q.s_.get();
  // Blocks until QEMU exits, then reaps it at once: libvirt's next kill(pid, 0) sees ESRCH.
  s->reaper = std::thread([s] {
    // Ctrl-C must reach the harness's main thread (its waits end on EINTR), never this one.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    // QEMU's exit closes its monitor first; libvirt's EOF handler then probes the pid from its
    // worker thread, and finding the zombie not yet reaped costs it a 200 ms sleep
    // (virProcessKillPainfully). A real-time priority lets this thread run the moment QEMU
    // becomes a zombie, ahead of that chain (best effort: without the privilege, as before).
    sched_param prio{};
    prio.sched_priority = 1;
    (void)pthread_setschedparam(pthread_self(), SCHED_FIFO, &prio);
    siginfo_t info{};
    while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(s->pidfd.Get()), &info,
                    WEXITED) != 0 &&
           errno == EINTR) {
    }
    std::lock_guard<std::mutex> l(s->mu);
    s->reaped = true;
    s->cv.notify_all();
  });
  return q;
}

pid_t AdoptedQemu::Pid() const { return s_ ? s_->pid : -1; }
AdoptedQemu::operator bool() const { return s_ != nullptr; }

bool AdoptedQemu::Running() const {
  if (!s_ || s_->Reaped()) return false;
  pollfd p{s_->pidfd.Get(), POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;  // readable once the process has exited
}

bool AdoptedQemu::Kill(std::chrono::milliseconds timeout) {
  if (!s_) return true;
  {
    std::unique_lock<std::mutex> l(s_->mu);
    if (!s_->reaped) ::syscall(SYS_pidfd_send_signal, s_->pidfd.Get(), SIGKILL, nullptr, 0);
    // A join cannot time out: wait for the reaper's word instead (SIGKILL'd QEMUs go in ms).
    if (!s_->cv.wait_for(l, timeout, [&] { return s_->reaped; })) return false;
  }
  s_->reaper.join();
  s_.reset();
  return true;
}

}  // namespace ctv::vm::lv
