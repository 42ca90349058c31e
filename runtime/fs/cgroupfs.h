// The container's /sys/fs/cgroup (an OCI `cgroup` mount, which `runc spec` writes): the
// container sees its own cgroup in each hierarchy it is in as that hierarchy's root, as a cgroup
// namespace shows it, whether or not it has one.
//
// Each hierarchy is a bind mount of the container's own cgroup directory (made by the parent
// before the clone), not a fresh cgroupfs mount: the view is the same as a mount in the
// container's cgroup namespace, but it also works without one (where a fresh mount would show
// the host's whole tree) and in a user namespace. v2: that directory on /sys/fs/cgroup. v1 and
// hybrid: a tmpfs on /sys/fs/cgroup holding one directory per hierarchy the container is in,
// named as on the host (`memory`, `net_cls,net_prio`), a symlink per co-mounted controller
// (`net_cls -> net_cls,net_prio`), and on a hybrid host the cgroup2 hierarchy at its host name
// (`unified`), always read-only: ctvrt places no container in it, so it shows the launcher's
// cgroup. Hierarchies the container has no cgroup in (here freezer, or blkio without a limit)
// are left out: they would show the launcher's cgroup, writable by the container's root.
#pragma once

#include <string>
#include <vector>

#include "runtime/cgroup/detect.h"
#include "runtime/fs/rootfs.h"

namespace ctv::fs {

struct CgroupFsEntry {
  std::string name;      // directory under /sys/fs/cgroup; "" = /sys/fs/cgroup itself (v2)
  std::string host_dir;  // the container's cgroup on the host
  std::vector<std::string> links;  // co-mounted controllers named differently from `name`
  bool read_only = false;          // forced (hybrid's unified), whatever the options say
};

// The entries for a container whose cgroup directories are `dirs` (v1: one per hierarchy it
// joined; v2: its one directory), on a host with `mounts`; `proc_self_cgroup` is the launcher's
// /proc/self/cgroup (its place in a hybrid host's cgroup2 hierarchy).
std::vector<CgroupFsEntry> CgroupFsEntries(const cgroup::CgroupMounts& mounts,
                                           const std::vector<std::string>& dirs,
                                           const std::string& proc_self_cgroup);

// Inserts, before pivot_root in `ops`, the mounts making `entries` the container's
// `rootfs`/sys/fs/cgroup. `flags` are the config mount's options (MS_RDONLY: every mount
// read-only, the tmpfs too). Fails when `ops` has no pivot_root (no rootfs is built).
Status AddCgroupFs(std::vector<MountOp>* ops, const std::string& rootfs, unsigned long flags,
                   const std::vector<CgroupFsEntry>& entries);

}  // namespace ctv::fs
