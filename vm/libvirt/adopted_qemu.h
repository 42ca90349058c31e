// The QEMU process of an embedded-libvirt domain, made a child of this process and reaped the
// moment it exits.
//
// Why: libvirt daemonizes QEMU (double fork), so QEMU's parent is PID 1, and libvirt stops a
// domain by SIGTERM then kill(pid, 0) every 200 ms until the pid is gone
// (virProcessKillPainfully). A zombie counts as alive: with a PID 1 that reaps late (this CI's)
// a destroy took 1.2-2 s, and even a prompt reaper costs the first 200 ms sleep. Started under
// PR_SET_CHILD_SUBREAPER, the daemonized QEMU is reparented to us instead; a thread blocked in
// waitid(P_PIDFD) reaps it at exit, and Kill() ends it (SIGKILL through its pidfd: no pid reuse)
// and waits for that reap, so libvirt's destroy afterwards finds no such process (ESRCH) and
// returns without sleeping. One race remains: QEMU's exit closes its monitor before it becomes
// a zombie, and libvirt's EOF handler may probe the pid before the reaper ran; it then sleeps
// its 200 ms (1-2 boots in 10 here). The reaper runs at a real-time priority to shrink that
// window. See vm/README.md ("libvirt's stop cost").
//
// Contract: AdoptDuring runs `start` with this process as child subreaper and restores the flag
// before returning. Any other process libvirt daemonizes inside `start` is adopted too and would
// stay a zombie: the caller makes sure there is none (the vm driver loads QEMU's capabilities
// before its first create, so libvirt's probing QEMU never runs inside the window).
// The adopted QEMU is always reaped: the destructor kills it if it still runs. Only for QEMUs
// libvirt starts on this host in this process (the embedded driver); a daemon's QEMU is the
// daemon's child.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/error.h"

namespace ctv::vm::lv {

class AdoptedQemu {
 public:
  // Runs `start` as child subreaper, then adopts the QEMU whose pid `pidfile` holds (libvirt's
  // <root>/run/qemu/<domain>.pid). An error from `start` is returned as is; a QEMU that is not
  // our child afterwards (pidfile missing, QEMU already gone) is an error naming the pidfile.
  static Result<AdoptedQemu> AdoptDuring(const std::function<Status()>& start,
                                         const std::string& pidfile);

  AdoptedQemu();
  AdoptedQemu(AdoptedQemu&&) noexcept;
  AdoptedQemu& operator=(AdoptedQemu&&) noexcept;
  ~AdoptedQemu();

  pid_t Pid() const;
  explicit operator bool() const;
  // Whether QEMU still runs (not yet exited).
  bool Running() const;
  // SIGKILL, then waits up to `timeout` for the reap. True once QEMU is reaped (also when it had
  // exited by itself before).
  bool Kill(std::chrono::milliseconds timeout);

 private:
  void End();  // Kill and reap; on failure leave the reaper thread its state (logged)

  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace ctv::vm::lv
