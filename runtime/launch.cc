#include "runtime/launch.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "core/clock.h"
#include "core/fault_point.h"
#include "core/fs_tree.h"
#include "runtime/child.h"
#include "runtime/fs/cgroupfs.h"
#include "runtime/security/seccomp_profile.h"

namespace ctv::runtime {
namespace {

using internal::SyncRecord;

const char* StageName(int32_t s) {
  switch (s) {
    case internal::kStageGo:
      return "wait for the parent's go-ahead";
    case internal::kStageStdio:
      return "set up stdio";
    case internal::kStageJoinCgroup:
      return "join the container's cgroup";
    case internal::kStageUserRoot:
      return "become root in the user namespace";
    case internal::kStageCgroupNs:
      return "unshare the cgroup namespace";
    case internal::kStageHostname:
      return "set hostname";
    case internal::kStageLoopback:
      return "bring up loopback in the network namespace";
    case internal::kStageRlimit:
      return "set rlimit";
    case internal::kStageBounding:
      return "drop capability from the bounding set";
    case internal::kStageGroups:
      return "setgroups";
    case internal::kStageSetGid:
      return "setresgid";
    case internal::kStageSetUid:
      return "setresuid";
    case internal::kStageCaps:
      return "set capabilities";
    case internal::kStageCwd:
      return "chdir to the working directory";
    case internal::kStageExecFifo:
      return "wait on the exec FIFO";
    case internal::kStageNoNewPrivs:
      return "set no_new_privs";
    case internal::kStageSeccomp:
      return "load the seccomp filter";
    case internal::kStageInitFork:
      return "fork the workload from init";
    case internal::kStageExec:
      return "exec";
    case internal::kStageJoinNs:
      return "join namespace";
    case internal::kStageConsole:
      return "set up the terminal";
    case internal::kStageAmbient:
      return "raise ambient capability";
    case internal::kStageKeepCaps:
      return "set PR_SET_KEEPCAPS";
  }
  return "set up the container";
}

// Candidate paths for args[0], in the container's PATH order (computed here: execvpe would use
// the parent's PATH, not the container's).
std::vector<std::string> ExecCandidates(const ProcessSpec& p) {
  const std::string& prog = p.args[0];
  if (prog.find('/') != std::string::npos) return {prog};
  std::string path = std::string(kDefaultPath).substr(5);
  for (const std::string& e : p.env)
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find(':', i);
    if (j == std::string::npos) j = path.size();
    std::string dir = path.substr(i, j - i);
    if (!dir.empty()) out.push_back(dir + "/" + prog);
    i = j + 1;
  }
  return out;
}

const char* ConsoleStepName(int32_t step) {
  switch (step) {
    case internal::kConsoleOpenPtmx:
      return "open /dev/ptmx (the container's devpts)";
    case internal::kConsoleUnlock:
      return "unlock the pty";
    case internal::kConsoleOpenPeer:
      return "open the pty's slave";
    case internal::kConsoleMountConsole:
      return "bind the pty onto /dev/console";
    case internal::kConsoleSend:
      return "send the pty master over the console socket";
    case internal::kConsoleSetsid:
      return "setsid";
    case internal::kConsoleSetCtty:
      return "make the pty the controlling terminal (TIOCSCTTY)";
    case internal::kConsoleDup:
      return "make the pty stdio";
    case internal::kConsoleChown:
      return "chown the pty to the process user";
  }
  return "set up the terminal";
}

// Connects to the OCI console socket (a listening AF_UNIX stream socket).
Result<Fd> ConnectConsoleSocket(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return MakeError(
        "connect to console socket", path,
        "the path must be 1.." + std::to_string(sizeof addr.sun_path - 1) + " bytes long");
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.Valid()) return ErrnoError("socket", path);
  if (::connect(fd.Get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return ErrnoError("connect to console socket", path);
  return fd;
}

// Receives the pty master the child sent with SCM_RIGHTS.
Result<Fd> ReceiveConsole(int sock, const std::string& id) {
  char data[64];
  iovec iov{data, sizeof data};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    cmsghdr align;
  } control;
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  ssize_t n;
  do n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoError("receive the pty master of container", id);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
      c->cmsg_len != CMSG_LEN(sizeof(int)))
    return MakeError("receive the pty master of container", id, "no descriptor in the message");
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return Fd(fd);
}

// What the helper of CloneThroughHelper reports.
struct HelperReport {
  long pid = -1;
  int err = 0;
  int failed_flag = 0;  // CLONE_NEWUSER or CLONE_NEWPID when that setns failed, else 0
};

// Clones PID 1 from a short-lived helper that first joins the user and/or pid namespace to join.
// Why a helper: setns(CLONE_NEWUSER) is refused to a multi-threaded process and cannot be undone,
// and setns(CLONE_NEWPID) would change which namespace our own later children land in. The
// helper (a fork-like clone: single-threaded, nothing shared) joins, then clones PID 1 with
// CLONE_PARENT so that PID 1 is our child all the same (we wait for it and get its SIGCHLD). New
// namespaces are created by that clone, after the join: they belong to the joined user
// namespace, as the runtime spec's "join the user namespace first" order wants.
// Between the two clones only raw system calls run (as between clone and exec).
HelperReport CloneThroughHelper(int flags, int user_fd, int pid_fd,
                                const internal::ChildPlan& plan) {
  HelperReport rep;
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    rep.err = errno;
    return rep;
  }
  long helper = ::syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (helper == 0) {
    ::close(p[0]);
    HelperReport r;
    if (user_fd >= 0 && ::setns(user_fd, CLONE_NEWUSER) != 0) {
      r.err = errno;
      r.failed_flag = CLONE_NEWUSER;
    } else if (pid_fd >= 0 && ::setns(pid_fd, CLONE_NEWPID) != 0) {
      r.err = errno;
      r.failed_flag = CLONE_NEWPID;
    } else {
      r.pid =
          ::syscall(SYS_clone, flags | CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
      if (r.pid == 0) internal::RunChild(plan);
      if (r.pid < 0) r.err = errno;
    }
    (void)!::write(p[1], &r, sizeof r);
    ::_exit(0);
  }
  ::close(p[1]);
  if (helper < 0) {
    rep.err = errno;
  } else {
    ssize_t n;
    do n = ::read(p[0], &rep, sizeof rep);
    while (n < 0 && errno == EINTR);
    if (n != sizeof rep) rep = HelperReport{-1, EPIPE, 0};
    int st;
    while (::waitpid(static_cast<pid_t>(helper), &st, 0) < 0 && errno == EINTR) {
    }
  }
  ::close(p[0]);
  return rep;
}

int SharedMemoryChild(void* plan) {
  internal::RunChild(*static_cast<const internal::ChildPlan*>(plan));  // never returns
}

// clone(CLONE_VM | CLONE_VFORK) of PID 1 on a stack of its own: the child runs in our memory and
// we are suspended until it execs or exits, as posix_spawn does. Why: a fork-like clone copies
// our page tables and every page either side writes until the exec is a copy-on-write fault;
// for ctvrt's ~6 MiB process that cost ~1-2.5 ms a launch on this host (and a suspended parent
// has nothing to do: Launch uses this only when no go-ahead is needed). Safe because the child
// code only reads the plan, allocates nothing, takes no lock and changes only per-task state
// (credentials by raw system calls, its own fd table, fs root and signal dispositions: no
// CLONE_FILES/CLONE_FS/CLONE_SIGHAND). Returns the pid, or -1 with errno.
long CloneSharingMemory(int flags, const internal::ChildPlan& plan) {
  constexpr size_t kGuard = 4096, kStack = 256 * 1024;
  void* area = ::mmap(nullptr, kGuard + kStack, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (area == MAP_FAILED) return -1;
  ::mprotect(area, kGuard, PROT_NONE);  // an overflow faults instead of writing our heap
  char* top = static_cast<char*>(area) + kGuard + kStack;
  long pid = ::clone(SharedMemoryChild, top, flags | CLONE_VM | CLONE_VFORK | SIGCHLD,
                     const_cast<internal::ChildPlan*>(&plan));
  int saved = errno;
  ::munmap(area, kGuard + kStack);  // the child has exec'd or exited: it no longer uses it
  errno = saved;
  return pid;
}

// pthread_sigmask(SIG_SETMASK, all) for a scope (or until Restore).
class BlockSignals {
 public:
  BlockSignals() {
    sigset_t all;
    sigfillset(&all);
    active_ = ::pthread_sigmask(SIG_SETMASK, &all, &old_) == 0;
  }
  ~BlockSignals() { Restore(); }
  void Restore() {
    if (active_) ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    active_ = false;
  }

 private:
  sigset_t old_;
  bool active_ = false;
};

std::vector<char*> CStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const std::string& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<const cgroup::CgroupMounts*> HostCgroupMounts() {
  static std::mutex mu;
  static std::optional<cgroup::CgroupMounts> cached;
  std::lock_guard lock(mu);
  if (!cached) cached = CTV_TRY(cgroup::DetectCgroups());
  return &*cached;
}

Container::~Container() {
  if (!destroyed_ && child_.Running()) child_.KillAndReap();
}

pid_t Container::Release() {
  destroyed_ = true;
  sync_.Reset();
  return child_.Release();
}

Status Container::ReadSync(bool stop_at_created, const LaunchOptions* options) {
  for (;;) {
    SyncRecord r;
    ssize_t n = ::read(sync_.Get(), &r, sizeof r);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read sync pipe of container", id_);
    if (n == 0) {
      sync_.Reset();
      if (options && options->on_phase) options->on_phase("exec", MonotonicNs());
      return Ok();
    }
    if (n != sizeof r) return MakeError("read sync pipe of container", id_, "short record");
    if (r.err == 0) {
      const char* phase = r.stage == internal::kProgressMounts    ? "mounts"
                          : r.stage == internal::kProgressStarted ? "cloned"
                                                                  : "created";
      if (options && options->on_phase) options->on_phase(phase, r.t_ns);
      if (r.stage == internal::kProgressMounts) CTV_FAULT_POINT("ctvrt.rootfs_mounted");
      if (r.stage == internal::kProgressCreated && stop_at_created) return Ok();
      continue;
    }
    sync_.Reset();
    (void)child_.Wait();
    if (r.stage == internal::kStageMount && r.index >= 0 &&
        static_cast<size_t>(r.index) < ops_.size()) {
      const fs::MountOp& op = ops_[r.index];
      std::string context = "in container " + id_;
      // A cause outside the container's spec (the host's kernel or root): say which.
      std::string cause = fs::HostCauseOf(op, r.err);
      if (!cause.empty()) context += ": " + cause;
      return Error{r.err, fs::DescribeOp(op), "", context};
    }
    if (r.stage == internal::kStageJoinNs && r.index >= 0 &&
        static_cast<size_t>(r.index) < join_paths_.size())
      return Error{r.err, "join namespace", join_paths_[r.index], "in container " + id_};
    if ((r.stage == internal::kStageAmbient || r.stage == internal::kStageBounding) &&
        r.index >= 0 && r.index < 64)
      return Error{r.err, StageName(r.stage), security::CapName(r.index), "in container " + id_};
    if (r.stage == internal::kStageConsole)
      return Error{r.err, ConsoleStepName(r.index), "", "in container " + id_};
    if (r.stage == internal::kStageExec)
      return Error{
          r.err, "exec", program_,
          "in container " + id_ + (r.err == ENOENT ? " (not found in the container's PATH)" : "")};
    return Error{r.err, StageName(r.stage), id_, ""};
  }
}

Status Container::WaitExec() {
  if (!sync_.Valid()) return Ok();
  return ReadSync(false, nullptr);
}

Status Container::Destroy(bool remove_dir) {
  Status first;
  child_.KillAndReap();
  if (cgroup_) {
    Status s = cgroup_->Destroy();
    if (!s && first) first = s;
    // The last container out removes the shared "ctvbench" parents (EBUSY while others run), so
    // nothing of ctvrt's stays in the cgroup tree once no container exists.
    if (!keep_cgroup_parents_)
      if (auto mounts = HostCgroupMounts()) cgroup::RemoveEmptyParents(**mounts);
  }
  if (!dir_.empty() && remove_dir) {
    Status s = fs::RemoveTree(dir_);
    if (!s && first) first = s;
  } else if (!dir_.empty()) {
    for (const char* sub : {"/upper", "/work", "/rootfs"}) {
      Status s = fs::RemoveTree(dir_ + sub);
      if (!s && first) first = s;
    }
  }
  destroyed_ = true;
  return first;
}

Result<Container> Launch(const ContainerSpec& spec, const LaunchOptions& o) {
  // Without a process (an OCI config.json without one) the container can only be created: it
  // waits on the exec FIFO, and `start` refuses it.
  if (spec.process.args.empty() && (spec.has_process || o.exec_fifo.empty()))
    return MakeError("launch container", spec.id, "no command to run");
  Container c;
  c.id_ = spec.id;
  c.dir_ = o.container_dir;
  c.keep_cgroup_parents_ = o.keep_cgroup_parents;
  c.program_ = spec.process.args.empty() ? "" : spec.process.args[0];

  // Namespaces to join: opened and checked (a namespace of the right kind) before anything
  // exists, so a wrong path costs nothing to undo. User and pid are joined before clone (by a
  // helper), the others by the child.
  std::vector<Fd> join_owned;
  std::vector<int> join_fds, join_flags, join_index;
  int join_user_fd = -1, join_pid_fd = -1;
  for (size_t i = 0; i < spec.join_namespaces.size(); ++i) {
    const ns::JoinSpec& j = spec.join_namespaces[i];
    if (spec.namespaces & j.clone_flag)
      return MakeError(
          "join namespace", j.path,
          std::string("the spec also asks for a new ") + ns::KindName(j.clone_flag) + " namespace");
    Fd fd = CTV_TRY(ns::OpenNamespace(j));
    c.join_paths_.push_back(j.path);
    if (j.clone_flag == CLONE_NEWUSER) {
      join_user_fd = fd.Get();
    } else if (j.clone_flag == CLONE_NEWPID) {
      join_pid_fd = fd.Get();
    } else {
      join_fds.push_back(fd.Get());
      join_flags.push_back(j.clone_flag);
      join_index.push_back(static_cast<int>(i));
    }
    join_owned.push_back(std::move(fd));
  }
  const bool net_made = o.net_namespace_fd >= 0;
  if (net_made) {
    if (!(spec.namespaces & CLONE_NEWNET) || spec.HasNamespace(CLONE_NEWUSER))
      return MakeError("launch container", spec.id,
                       "a network namespace made beforehand needs a new network namespace and no "
                       "user namespace in the spec");
    join_fds.push_back(o.net_namespace_fd);
    join_flags.push_back(CLONE_NEWNET);
    join_index.push_back(-1);  // not one of spec.join_namespaces
  }

  // Everything the child needs, prepared before clone.
  std::vector<fs::MountOp> ops;
  // In a joined mount namespace the filesystem is whatever it holds (see spec.h).
  // A bundle without a mount namespace runs in ours as it is (runc: no pivot, no rootfs mounts);
  // image layers always need one (BuildRootfsPlan refuses).
  bool has_rootfs = (!spec.lower_dirs.empty() || !spec.rootfs_dir.empty()) &&
                    !(spec.JoinedFlags() & CLONE_NEWNS) &&
                    (!spec.lower_dirs.empty() || (spec.namespaces & CLONE_NEWNS));
  if (has_rootfs) {
    fs::RootfsPaths paths{o.container_dir + "/rootfs", o.container_dir + "/upper",
                          o.container_dir + "/work"};
    ops = CTV_TRY(fs::BuildRootfsPlan(spec, paths));
    CTV_CHECK(fs::MakeDirs(paths.rootfs, 0755));
    if (!spec.lower_dirs.empty()) {
      CTV_CHECK(fs::MakeDirs(paths.upper, 0755));
      CTV_CHECK(fs::MakeDirs(paths.work, 0700));
      if (spec.namespaces & CLONE_NEWUSER && !spec.uid_maps.empty()) {
        // The upper dir is the container's "/": owned by its root.
        uid_t u = spec.uid_maps[0].outside;
        gid_t g = spec.gid_maps.empty() ? u : spec.gid_maps[0].outside;
        for (const std::string& d : {paths.upper, paths.work})
          if (::chown(d.c_str(), u, g) != 0) return ErrnoError("chown", d);
      }
    }
  }
  std::vector<std::string> env = spec.process.env;
  bool has_path = false;
  for (auto& e : env) has_path |= e.rfind("PATH=", 0) == 0;
  if (!has_path) env.push_back(kDefaultPath);
  std::vector<std::string> candidates;
  if (!spec.process.args.empty()) candidates = ExecCandidates(spec.process);
  std::vector<char*> argv = CStrings(spec.process.args);
  std::vector<char*> envp = CStrings(env);
  std::vector<gid_t> groups(spec.process.additional_gids.begin(),
                            spec.process.additional_gids.end());
  sock_fprog seccomp_prog{};
  unsigned seccomp_flags = 0;
  if (spec.process.seccomp) {
    const security::SeccompProgram* prog = nullptr;
    if (spec.process.seccomp_profile) {
      prog = CTV_TRY(security::CompileProfile(*spec.process.seccomp_profile));
    } else {
      security::SeccompOptions so;
      so.allow_user_namespaces = false;
      prog = CTV_TRY(security::DefaultSeccomp(so));
    }
    seccomp_prog = const_cast<security::SeccompProgram*>(prog)->Prog();
    seccomp_flags = prog->flags;
  }
  // process.terminal: the child sends the pty master over this socket, to the console socket's
  // listener or back to us.
  Fd console_child, console_parent;
  if (spec.process.terminal) {
    if (!o.console_socket.empty()) {
      console_child = CTV_TRY(ConnectConsoleSocket(o.console_socket));
    } else {
      int sv[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return ErrnoError("socketpair for the terminal of container", spec.id);
      console_child = Fd(sv[0]);
      console_parent = Fd(sv[1]);
    }
  }

  // The cgroup exists (with its limits) before the child does, so the child is limited from its
  // first instruction after the go-ahead.
  if (spec.use_cgroup) {
    const cgroup::CgroupMounts* mounts = o.cgroup_mounts;
    if (!mounts) mounts = CTV_TRY(HostCgroupMounts());
    if (spec.cgroups_path.empty()) {
      c.cgroup_ = CTV_TRY(cgroup::NewManager(*mounts, spec.id));
    } else {
      std::string self = CTV_TRY(ReadFile("/proc/self/cgroup"));
      c.cgroup_ = CTV_TRY(cgroup::NewManagerAt(*mounts, spec.cgroups_path, self));
    }
    Status s = c.cgroup_->Create(spec.limits);
    if (!s) {
      (void)c.cgroup_->Destroy();
      return std::move(s).error();
    }
    if (o.on_phase) o.on_phase("cgroup", MonotonicNs());
    CTV_FAULT_POINT("ctvrt.cgroup_made");
  }
  auto fail = [&](Error e) -> Error {
    (void)c.Destroy();
    return e;
  };
  // A `cgroup` mount in config.json: the directories the container joins exist now.
  if (spec.cgroup_fs && has_rootfs) {
    const cgroup::CgroupMounts* mounts = o.cgroup_mounts;
    if (!mounts) {
      auto host = HostCgroupMounts();
      if (!host) return fail(host.error());
      mounts = *host;
    }
    std::vector<std::string> dirs;
    if (c.cgroup_) {
      for (std::string f : c.cgroup_->SelfJoinFiles()) dirs.push_back(f.substr(0, f.rfind('/')));
      if (!c.cgroup_->CloneIntoDir().empty()) dirs.push_back(c.cgroup_->CloneIntoDir());
    }
    auto self = ReadFile("/proc/self/cgroup");
    if (!self) return fail(self.error());
    Status added = fs::AddCgroupFs(&ops, o.container_dir + "/rootfs", *spec.cgroup_fs,
                                   fs::CgroupFsEntries(*mounts, dirs, *self));
    if (!added) return fail(added.error());
  }

  // The go-ahead goes over a socket pair: sent with MSG_NOSIGNAL, it cannot raise SIGPIPE in us
  // when the child has died meanwhile (during its set-up, with a before_exec).
  int go_sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go_sv) != 0)
    return ErrnoError("socketpair for the go-ahead of container", spec.id);
  Fd go_child(go_sv[0]), go_parent(go_sv[1]);
  PipePair sync_pipe = CTV_TRY(MakePipe());
  internal::ChildPlan plan;
  plan.go_fd = go_child.Get();
  plan.go_write_fd = go_parent.Get();
  plan.sync_fd = sync_pipe.write.Get();
  plan.sync_read_fd = sync_pipe.read.Get();
  plan.stdio[0] = o.stdin_fd;
  plan.stdio[1] = o.stdout_fd;
  plan.stdio[2] = o.stderr_fd;
  plan.join_fds = join_fds.data();
  plan.join_flags = join_flags.data();
  plan.join_index = join_index.data();
  plan.n_join = static_cast<int>(join_fds.size());
  // Joined or new, the child starts as an unmapped or arbitrary uid there: it becomes its root.
  plan.userns = spec.HasNamespace(CLONE_NEWUSER);
  plan.unshare_cgroup = spec.namespaces & CLONE_NEWCGROUP;
  plan.loopback = (spec.namespaces & CLONE_NEWNET) && !net_made;  // a made one has lo up
  plan.hostname =
      (spec.namespaces & CLONE_NEWUTS) && !spec.hostname.empty() ? spec.hostname.c_str() : nullptr;
  plan.ops = has_rootfs ? &ops : nullptr;
  plan.rlimits = &spec.process.rlimits;
  plan.all_caps = security::AllCaps();
  plan.keep_caps = spec.process.caps & plan.all_caps;
  if (spec.process.cap_sets) {
    plan.explicit_caps = true;
    plan.cap_eff = spec.process.cap_sets->effective & plan.all_caps;
    plan.cap_perm = spec.process.cap_sets->permitted & plan.all_caps;
    plan.cap_inh = spec.process.cap_sets->inheritable & plan.all_caps;
    plan.cap_amb = spec.process.cap_sets->ambient & plan.all_caps;
  }
  plan.umask = spec.process.umask;
  plan.uid = spec.process.uid;
  plan.gid = spec.process.gid;
  plan.groups = &groups;
  plan.cwd = spec.process.cwd.empty() ? "/" : spec.process.cwd.c_str();
  plan.exec_fifo = o.exec_fifo.empty() ? nullptr : o.exec_fifo.c_str();
  plan.no_new_privs = spec.process.no_new_privileges;
  plan.seccomp = spec.process.seccomp ? &seccomp_prog : nullptr;
  plan.seccomp_flags = seccomp_flags;
  plan.terminal = spec.process.terminal;
  plan.console_socket = console_child.Get();
  plan.console_rows = spec.process.console_rows;
  plan.console_cols = spec.process.console_cols;
  plan.console_mount = has_rootfs;
  plan.init = spec.init;
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.exec_candidates = &candidates;

  // Fork-like clone (no new stack): the child continues here on a copy of our memory, which is
  // what lets it use `plan` without allocating. The cgroup namespace is unshared by the child
  // after it joined its cgroup, so the cgroup becomes its root.
  //
  // Joining the cgroup: on v1 the child writes "0" to each hierarchy's `tasks` file (descriptors
  // opened here, with our credentials); on v2 clone3(CLONE_INTO_CGROUP) starts it inside. Both
  // avoid migrating a process by pid (see Manager::SelfJoinFiles).
  std::vector<Fd> cgroup_join_fds;
  std::vector<int> join_raw;
  Fd cgroup_dir;
  bool joined_at_clone = false;
  if (c.cgroup_) {
    for (const std::string& f : c.cgroup_->SelfJoinFiles()) {
      auto fd = OpenFile(f, O_WRONLY);
      if (!fd) return fail(std::move(fd).error());
      join_raw.push_back(fd->Get());
      cgroup_join_fds.push_back(std::move(fd).value());
    }
    if (!c.cgroup_->CloneIntoDir().empty()) {
      auto fd = OpenFile(c.cgroup_->CloneIntoDir(), O_RDONLY | O_DIRECTORY);
      if (!fd) return fail(std::move(fd).error());
      cgroup_dir = std::move(fd).value();
    }
  }
  plan.cgroup_fds = join_raw.data();
  plan.n_cgroup_fds = static_cast<int>(join_raw.size());
  // The go-ahead round trip is needed only when the parent has work to do on the child before it
  // may run: id maps (user namespace), or a cgroup join by pid (v2, in case clone3 is refused).
  const bool go_first = (spec.namespaces & CLONE_NEWUSER) || (c.cgroup_ && join_raw.empty()) ||
                        static_cast<bool>(o.before_start);
  const bool need_go =
      go_first || static_cast<bool>(o.before_exec) || spec.process.oom_score_adj.has_value();
  if (!need_go) plan.go_fd = -1;
  // Only work the child's set-up does not depend on (before_exec, oom_score_adj): the child
  // builds its root meanwhile and waits just before exec.
  plan.go_before_exec = need_go && !go_first;
  // The descriptors the child keeps (it closes every other one it inherited: child.cc).
  std::vector<int> keep = {0, 1, 2, plan.sync_fd, plan.console_socket};
  if (plan.go_fd >= 0) keep.push_back(plan.go_fd);
  for (int fd : plan.stdio) keep.push_back(fd);
  keep.insert(keep.end(), join_raw.begin(), join_raw.end());
  keep.insert(keep.end(), join_fds.begin(), join_fds.end());
  std::erase_if(keep, [](int fd) { return fd < 0; });
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
  plan.keep_fds = keep.data();
  plan.n_keep_fds = static_cast<int>(keep.size());
  // Every signal blocked in this thread across the clones: the child starts with them blocked
  // and resets their handlers before it unblocks them, so a handler of ours (which may take a
  // lock another thread held at the clone) never runs in it. Restored here right after.
  BlockSignals blocked;
  int flags = (spec.namespaces & ~CLONE_NEWCGROUP) & ~(net_made ? CLONE_NEWNET : 0);
  long pid = -1;
  if (join_user_fd >= 0 || join_pid_fd >= 0) {
    HelperReport r = CloneThroughHelper(flags, join_user_fd, join_pid_fd, plan);
    if (r.pid < 0) {
      for (const ns::JoinSpec& j : spec.join_namespaces)
        if (r.failed_flag && j.clone_flag == r.failed_flag)
          return fail(Error{r.err, "join namespace", j.path, "in container " + spec.id});
      errno = r.err;
      return fail(ErrnoError("clone container", spec.id));
    }
    pid = r.pid;
  }
  if (pid < 0 && cgroup_dir.Valid()) {
    clone_args args{};
    args.flags = static_cast<uint64_t>(flags) | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(cgroup_dir.Get());
    pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) internal::RunChild(plan);
    joined_at_clone = pid > 0;
    if (pid < 0 && errno != ENOSYS && errno != E2BIG && errno != EINVAL)
      return fail(ErrnoError("clone3 container into cgroup", c.cgroup_->CloneIntoDir()));
  }
  // Nothing for the parent to do between clone and exec (no go-ahead, no exec FIFO to wait on, no
  // init that never execs, no terminal to hand over): share our memory with the child until its
  // exec instead of copying it (CloneSharingMemory). Same child code, same records.
  const bool share_memory = pid < 0 && !need_go && !plan.exec_fifo && !plan.init &&
                            !plan.terminal && join_user_fd < 0 && join_pid_fd < 0;
  if (share_memory) {
    plan.report_start = true;
    pid = CloneSharingMemory(flags, plan);
    if (pid < 0) return fail(ErrnoError("clone container", spec.id));
  }
  if (pid < 0) {
    pid = ::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid < 0) return fail(ErrnoError("clone container", spec.id));
    if (pid == 0) internal::RunChild(plan);
  }
  blocked.Restore();
  cgroup_join_fds.clear();
  join_owned.clear();
  console_child.Reset();

  c.child_ = Child(static_cast<pid_t>(pid), false);
  c.ops_ = std::move(ops);  // the child has its own copy; ours names a failed step
  go_child.Reset();
  sync_pipe.write.Reset();
  c.sync_ = std::move(sync_pipe.read);
  // Shared memory: the child ran up to its exec while we were suspended; it reported its start.
  if (o.on_phase && !share_memory) o.on_phase("cloned", MonotonicNs());
  // The child waits for the go-ahead (or, without one, runs on to exec): orphaned either way.
  CTV_FAULT_POINT("ctvrt.cloned");
  if (spec.namespaces & CLONE_NEWUSER) {  // a joined one has its maps already
    std::vector<ns::IdMap> u = spec.uid_maps, g = spec.gid_maps;
    if (u.empty()) u = {{0, 0, 1}};
    if (g.empty()) g = u;
    Status s = ns::WriteIdMaps(static_cast<pid_t>(pid), u, g, false);
    if (!s) return fail(std::move(s).error());
  }
  if (spec.process.oom_score_adj) {
    // Written by us (host root): lowering it needs CAP_SYS_RESOURCE in the initial user
    // namespace, which a child in a new user namespace lacks. exec keeps it.
    std::string f = "/proc/" + std::to_string(pid) + "/oom_score_adj";
    Status s = cgroup::WriteValue(f, std::to_string(*spec.process.oom_score_adj));
    if (!s) return fail(std::move(s).error());
  }
  if (c.cgroup_ && !joined_at_clone && join_raw.empty()) {
    // v2 without clone3: the slow way.
    Status s = c.cgroup_->AddProcess(static_cast<pid_t>(pid));
    if (!s) return fail(std::move(s).error());
    c.cgroup_join_ = "cgroup.procs";
  } else if (c.cgroup_) {
    c.cgroup_join_ = joined_at_clone ? "clone_into_cgroup" : "self_join";
  }
  if (o.before_start) {
    Status s = o.before_start(static_cast<pid_t>(pid));
    if (!s) return fail(std::move(s).error());
  }
  if (o.before_exec) {
    Status s = o.before_exec(static_cast<pid_t>(pid));
    if (!s) {
      // The child may have failed in its set-up meanwhile, and that failure may be what failed
      // ours (its namespaces went with it): its error is the cause. It is stopped first, so that
      // reading its records cannot block.
      c.child_.KillAndReap();
      Status child = c.ReadSync(false, nullptr);
      return fail(child ? std::move(s).error() : std::move(child).error());
    }
  }
  char go = 1;
  if (need_go && ::send(go_parent.Get(), &go, 1, MSG_NOSIGNAL) != 1 && errno != EPIPE)
    return fail(ErrnoError("send go-ahead to container", spec.id));
  // EPIPE: the child died before the go-ahead; its records say why (ReadSync).
  go_parent.Reset();
  Status s = c.ReadSync(!o.exec_fifo.empty(), &o);
  if (!s) return fail(std::move(s).error());
  // The workload runs (or, for `create`, waits on the exec FIFO); its pid is not recorded yet.
  CTV_FAULT_POINT("ctvrt.exec");
  // The child sent the master before it reported "created" or exec'd: it is waiting there.
  if (console_parent.Valid()) {
    auto master = ReceiveConsole(console_parent.Get(), spec.id);
    if (!master) return fail(std::move(master).error());
    c.console_ = std::move(master).value();
  }
  return c;
}

}  // namespace ctv::runtime
