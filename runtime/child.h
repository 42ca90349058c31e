// The child side of Launch (launch.h): everything that runs between clone and exec.
// Internal to the runtime library; exposed only so launch.cc and child.cc share the record format.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/fs/rootfs.h"
#include "runtime/spec.h"

namespace ctv::runtime::internal {

enum Stage : int32_t {
  kStageGo = 1,
  kStageStdio,
  kStageJoinCgroup,  // index = the tasks file
  kStageUserRoot,
  kStageCgroupNs,
  kStageHostname,
  kStageMount,  // index = the failed fs::MountOp
  kStageLoopback,
  kStageRlimit,  // index = the rlimit
  kStageBounding,
  kStageGroups,
  kStageSetGid,
  kStageSetUid,
  kStageCaps,
  kStageCwd,
  kStageExecFifo,
  kStageNoNewPrivs,
  kStageSeccomp,
  kStageInitFork,
  kStageExec,
  kStageJoinNs,   // index = the joined namespace (ContainerSpec::join_namespaces order)
  kStageConsole,  // index = the ConsoleStep
  kStageAmbient,  // index = the capability
  kStageKeepCaps,
  // Progress records (err == 0).
  kProgressMounts = 100,
  kProgressCreated = 101,
  kProgressStarted = 102,  // the child runs (sent only when the parent was suspended: see below)
};

// The steps of setting up process.terminal, for error messages.
enum ConsoleStep : int32_t {
  kConsoleOpenPtmx = 0,
  kConsoleUnlock,
  kConsoleOpenPeer,
  kConsoleMountConsole,
  kConsoleSend,
  kConsoleSetsid,
  kConsoleSetCtty,
  kConsoleDup,
  kConsoleChown,
};

struct SyncRecord {
  int32_t stage = 0;
  int32_t err = 0;
  int32_t index = 0;
  int32_t reserved = 0;
  int64_t t_ns = 0;  // the child's CLOCK_MONOTONIC when it wrote the record
};

// Everything the child needs, prepared by the parent (pointers into parent-owned storage that
// the fork-like clone copied, or that the child shares with its suspended parent: launch.cc
// CloneSharingMemory). The child only reads it.
struct ChildPlan {
  int go_fd = -1, go_write_fd = -1, sync_fd = -1, sync_read_fd = -1;
  // Where the child waits for the go-ahead on go_fd: first thing (false), or after its cgroups
  // and root filesystem, before it drops privileges and execs (true: LaunchOptions::before_exec).
  bool go_before_exec = false;
  int stdio[3] = {-1, -1, -1};
  // Every descriptor the child may use, sorted ascending, 0-2 included: the child closes all
  // others first (CloseAllBut in child.cc).
  const int* keep_fds = nullptr;
  int n_keep_fds = 0;
  const int* cgroup_fds = nullptr;  // v1 `tasks` files to write "0" to (join our cgroups)
  int n_cgroup_fds = 0;
  // setns(2) targets opened by the parent (user and pid namespaces are joined before clone).
  const int* join_fds = nullptr;
  const int* join_flags = nullptr;
  const int* join_index = nullptr;  // each one's index in ContainerSpec::join_namespaces
  int n_join = 0;
  bool userns = false;
  bool unshare_cgroup = false;
  bool loopback = false;
  const char* hostname = nullptr;
  const std::vector<fs::MountOp>* ops = nullptr;
  const std::vector<Rlimit>* rlimits = nullptr;
  uint64_t all_caps = 0, keep_caps = 0;  // keep_caps: the bounding set
  // OCI process.capabilities: the sets exactly as given, kept across setresuid (PR_SET_KEEPCAPS)
  // and set with capset; ambient ones raised last. false: ctvrt's image behaviour (root gets
  // keep_caps in every set, a non-root user none).
  bool explicit_caps = false;
  uint64_t cap_eff = 0, cap_perm = 0, cap_inh = 0, cap_amb = 0;
  mode_t umask = 022;
  uid_t uid = 0;
  gid_t gid = 0;
  const std::vector<gid_t>* groups = nullptr;
  const char* cwd = "/";
  const char* exec_fifo = nullptr;
  bool no_new_privs = true;
  sock_fprog* seccomp = nullptr;
  unsigned seccomp_flags = 0;  // non-zero: load with seccomp(2) instead of prctl
  // process.terminal: after the rootfs is built, open /dev/ptmx (the container's devpts), send
  // the master over `console_socket` (SCM_RIGHTS), make the slave the controlling terminal and
  // stdio; bind it onto /dev/console when `console_mount`.
  bool terminal = false;
  int console_socket = -1;
  unsigned short console_rows = 0, console_cols = 0;
  bool console_mount = false;
  bool init = false;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const std::vector<std::string>* exec_candidates = nullptr;
  // The parent is suspended until our exec (CLONE_VFORK): it cannot time the clone's return, so
  // we report our start (kProgressStarted) for its "cloned" mark.
  bool report_start = false;
};

// Never returns: execs the workload or reports a failure record and _exits.
[[noreturn]] void RunChild(const ChildPlan& plan);

}  // namespace ctv::runtime::internal
