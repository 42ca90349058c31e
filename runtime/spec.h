// ContainerSpec: everything the launcher needs to start one container, independent of where it
// came from (an OCI bundle's config.json, `ctvrt run` flags, or the ctvbench driver).
#pragma once

#include <sys/resource.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/cgroup/manager.h"
#include "runtime/hooks.h"
#include "runtime/ns/namespaces.h"
#include "runtime/security/seccomp_profile.h"
#include "runtime/security/security.h"

namespace ctv::runtime {

// runc's default masked and read-only paths.
std::vector<std::string> DefaultMaskedPaths();
std::vector<std::string> DefaultReadonlyPaths();

struct Volume {
  std::string host_path;       // absolute, must exist
  std::string container_path;  // absolute inside the container
  bool read_only = false;
};

// A mount from an OCI config.json beyond the standard set (proc, dev, sys... which the rootfs
// plan always provides): mounted before pivot_root at rootfs + destination.
struct ExtraMount {
  std::string type, source, destination;
  unsigned long flags = 0;
  std::string data;
};

// OCI linux.devices[]: a node made in the container's /dev (mknod, or a bind of the host's node
// in a user namespace) and allowed in the device cgroup.
struct DeviceNode {
  std::string path;  // absolute, under /dev
  char type = 'c';   // 'c', 'b' or 'p'
  uint32_t major = 0, minor = 0;
  mode_t mode = 0666;  // permission bits
  uint32_t uid = 0, gid = 0;
};

struct Rlimit {
  int resource = 0;  // RLIMIT_NOFILE...
  rlim_t soft = 0, hard = 0;
};

struct ProcessSpec {
  std::vector<std::string> args;  // args[0] looked up in the container's PATH when it has no '/'
  std::vector<std::string> env;
  std::string cwd = "/";
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
  std::vector<Rlimit> rlimits;
  mode_t umask = 022;  // OCI process.user.umask (runc's default 0022)
  bool no_new_privileges = true;
  // The bounding set; with `cap_sets` unset it is also the effective, permitted and inheritable
  // set of root (and a non-root user gets none), ctvrt's behaviour for images.
  security::CapSet caps = security::DefaultCaps();
  // OCI process.capabilities: every set exactly as given (a missing set is empty), kept across
  // the switch to a non-root user; ambient capabilities are raised last, those in the permitted
  // and inheritable sets (capabilities(7)); others are left out, as runc does.
  struct CapSets {
    security::CapSet effective = 0, permitted = 0, inheritable = 0, ambient = 0;
  };
  std::optional<CapSets> cap_sets;
  // OCI process.oomScoreAdj: written to /proc/self/oom_score_adj before privileges are dropped.
  std::optional<int> oom_score_adj;
  // false: no filter. true: `seccomp_profile` when set (an OCI bundle's linux.seccomp), else
  // ctvrt's default profile.
  bool seccomp = true;
  std::optional<security::SeccompProfile> seccomp_profile;
  // OCI process.terminal: PID 1 gets a new pty (allocated in the container's own devpts) as its
  // controlling terminal and stdio; the master goes to the launcher (LaunchOptions).
  bool terminal = false;
  unsigned short console_rows = 0, console_cols = 0;  // initial size (0: leave the default)
};

struct ContainerSpec {
  std::string id;  // starts with "ctv" when generated; also the cgroup and state dir name
  // Root filesystem: overlay of `lower_dirs` (top layer LAST, i.e. image order) with a fresh
  // upper dir, or a plain directory `rootfs_dir` (OCI bundle) bind-mounted onto itself.
  std::vector<std::string> lower_dirs;
  std::string rootfs_dir;
  bool readonly_rootfs = false;
  std::string hostname;
  int namespaces = 0;  // CLONE_NEW* flags to create; a rootfs needs CLONE_NEWNS
  // Existing namespaces to join (their kinds are not in `namespaces`). A joined mount namespace
  // is used as it is: no rootfs is built in it (root.path is ignored), since pivot_root there
  // would move the root of every process sharing it.
  std::vector<ns::JoinSpec> join_namespaces;
  std::vector<ns::IdMap> uid_maps, gid_maps;  // with CLONE_NEWUSER
  std::vector<Volume> volumes;
  std::vector<ExtraMount> extra_mounts;
  // OCI `{"destination": "/sys/fs/cgroup", "type": "cgroup"}` (what `runc spec` writes): the
  // container's own cgroup(s) at /sys/fs/cgroup, as its root (fs::AddCgroupFs). The MS_* flags
  // of its options (MS_RDONLY = every cgroup mount in it read-only); nullopt = no cgroupfs.
  std::optional<unsigned long> cgroup_fs;
  std::vector<DeviceNode> devices;
  // OCI linux.rootfsPropagation: MS_SHARED, MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE (| MS_REC)
  // applied to the container's "/" after pivot_root; 0 = leave it private.
  unsigned long rootfs_propagation = 0;
  std::vector<std::string> masked_paths = DefaultMaskedPaths();
  std::vector<std::string> readonly_paths = DefaultReadonlyPaths();
  cgroup::Limits limits;
  bool use_cgroup = true;
  // OCI linux.cgroupsPath (runc's rules, cgroup::ResolveCgroupsPath); empty: "ctvbench/<id>".
  std::string cgroups_path;
  ProcessSpec process;
  // An OCI config.json without `process`: `create` builds the container, `start` refuses it.
  bool has_process = true;
  // OCI config.json annotations: recorded in the state, given to hooks.
  std::map<std::string, std::string> annotations;
  bool init = false;  // a tiny PID 1 that reaps zombies and forwards signals to the workload
  Hooks hooks;        // OCI hooks (bundles): run by lifecycle.h's functions and the CLI

  // CLONE_NEW* flags of the joined namespaces.
  int JoinedFlags() const {
    int f = 0;
    for (const ns::JoinSpec& j : join_namespaces) f |= j.clone_flag;
    return f;
  }
  // Whether the container has a namespace of this kind of its own (created or joined).
  bool HasNamespace(int clone_flag) const {
    return ((namespaces | JoinedFlags()) & clone_flag) != 0;
  }
};

// PATH used when the spec's env has none.
inline constexpr const char* kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

}  // namespace ctv::runtime
