// Launching a container: clone into new namespaces, join the cgroup, build the root filesystem,
// drop privileges, exec the workload.
//
// The clone -> exec path (runc's sync protocol, crun's style): between clone and exec the child
// only makes system calls on data the parent prepared. It reports over a CLOEXEC sync pipe:
//   - progress records {stage, 0} (e.g. "mounts done"), which the parent timestamps;
//   - one failure record {stage, errno, index} and then _exit(127);
//   - end of file when exec succeeded (the pipe's write end closed on exec).
// The parent turns a failure record into an Error naming the stage and its object, e.g.
//   mount overlay on `/run/ctvbench/containers/c1/rootfs`: EINVAL (Invalid argument)
// A second pipe carries the parent's go-ahead after it wrote the user-namespace id maps and put
// the child into its cgroup: the child does nothing observable before that, and exits if the
// parent dies first (EOF instead of the go byte).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/error.h"
#include "core/fd.h"
#include "core/process.h"
#include "runtime/cgroup/manager.h"
#include "runtime/fs/rootfs.h"
#include "runtime/spec.h"

namespace ctv::runtime {

struct LaunchOptions {
  // Container directory (state dir): holds rootfs/, upper/, work/ for an overlay rootfs.
  std::string container_dir;
  // The child's stdio (-1: /dev/null for stdin, inherited for stdout/stderr).
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  // OCI create/start: when set, the child stops after building the container (status "created")
  // and opens this FIFO for writing, which blocks until `start` opens it for reading.
  std::string exec_fifo;
  // Called with the name of each phase and when it ended (CLOCK_MONOTONIC ns): "cgroup" (cgroup
  // created), "cloned", "mounts" and "created" (only with exec_fifo) stamped by the child itself
  // (the parent may read its records late, so calls are not always in time order), "exec" (the
  // parent saw the exec: sync pipe EOF). LaunchRecorded with a bridge network adds the attach's
  // steps: "net.state", "net.bridge", "net.sysctl", "net.veth", "net.netns", "net.addresses",
  // "net.routes", "net.nft" (runtime/net/network.h), before "cgroup" when it made the namespace
  // first, or after "cloned", overlapping the child's "mounts", when the attach is a before_exec.
  std::function<void(const char* phase, int64_t t_ns)> on_phase;
  // Called in the parent after clone, while the child still waits for the go-ahead (before it
  // does anything observable), e.g. to run OCI prestart/createRuntime hooks, which must come
  // before pivot_root. An error kills the child and fails the launch. Setting it forces the
  // go-ahead round trip.
  std::function<Status(pid_t child)> before_start;
  // Called in the parent after clone (after before_start) while the child joins its cgroups and
  // builds its root filesystem: the child waits for the go-ahead only before it drops its
  // privileges and execs. For work the workload needs at exec but the set-up does not, e.g.
  // attaching its network namespace: the two run side by side (issue 17). An error kills the
  // child and fails the launch; if the child had failed already, its error is the one returned.
  std::function<Status(pid_t child)> before_exec;
  // A network namespace made for the container (LaunchRecorded's bridge network, attached
  // already): PID 1 joins it instead of creating one, and spec.namespaces' CLONE_NEWNET is
  // satisfied by it. With nothing else to wait for, PID 1 is then cloned sharing our memory
  // (no go-ahead). The caller closes it after the launch, so it lives as long as the container's
  // processes. Not with a new user namespace: the network namespace must belong to it.
  int net_namespace_fd = -1;
  // process.terminal: the path of a listening AF_UNIX stream socket (OCI --console-socket) the pty
  // master is sent to with SCM_RIGHTS. Empty: the master comes back to the caller
  // (Container::TakeConsole).
  std::string console_socket;
  // Cgroup mounts (detected once per process when empty).
  const cgroup::CgroupMounts* cgroup_mounts = nullptr;
  // Destroy() leaves the shared "ctvbench" parent cgroups even when they become empty. For a
  // caller that launches many containers in a row (ctvbench's driver): recreating the parents
  // would put their mkdir (and v1 cpuset set-up) into every measured launch. The caller removes
  // them when done (cgroup::RemoveEmptyParents).
  bool keep_cgroup_parents = false;
};

// A launched container. Owns the workload's PID 1 (killed and reaped unless Release()d or waited)
// and its cgroup (destroyed by Destroy(), not by the destructor: a detached container outlives
// the object that launched it only when the caller Release()s it).
class Container {
 public:
  Container() = default;
  Container(Container&&) = default;
  Container& operator=(Container&&) = default;
  ~Container();

  pid_t Pid() const { return child_.Pid(); }
  Child& Process() { return child_; }
  cgroup::Manager* Cgroup() { return cgroup_.get(); }
  // How PID 1 entered its cgroup: "clone_into_cgroup" (v2: clone3 started it inside),
  // "self_join" (v1: it wrote 0 into the `tasks` files), "cgroup.procs" (v2 on a kernel that
  // refused clone3: moved by pid after clone), "" without a cgroup.
  const char* CgroupJoin() const { return cgroup_join_; }
  // After `created` (exec_fifo): keep reading the sync pipe until exec or a failure.
  Status WaitExec();
  // Kills every process left, removes the cgroup and the container dir's rootfs/upper/work
  // (with `remove_dir`, the whole container dir in one pass).
  Status Destroy(bool remove_dir = false);
  // Gives up ownership: the process keeps running, the cgroup stays (a shim or gc handles them).
  pid_t Release();
  // process.terminal without LaunchOptions::console_socket: the pty master (invalid otherwise, or
  // once taken).
  Fd TakeConsole() { return std::move(console_); }

 private:
  friend Result<Container> Launch(const ContainerSpec&, const LaunchOptions&);
  Status ReadSync(bool stop_at_created, const LaunchOptions* options);
  Child child_;
  std::unique_ptr<cgroup::Manager> cgroup_;
  Fd sync_;
  std::string dir_;
  std::string id_;
  std::string program_;           // args[0], for exec errors
  std::vector<fs::MountOp> ops_;  // the rootfs plan the child ran (a failure names its index)
  const char* cgroup_join_ = "";
  std::vector<std::string> join_paths_;  // ContainerSpec::join_namespaces paths, by index
  Fd console_;
  bool destroyed_ = false;
  bool keep_cgroup_parents_ = false;
};

Result<Container> Launch(const ContainerSpec& spec, const LaunchOptions& options);

// The process-wide detected cgroup mounts (read once).
Result<const cgroup::CgroupMounts*> HostCgroupMounts();

}  // namespace ctv::runtime
