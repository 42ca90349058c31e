// The container's root filesystem as a plan of mount operations.
//
// Why a plan: the operations run in the child between clone and exec, where nothing may allocate
// or log. The parent builds the plan (all strings ready), the child walks it with raw system calls
// and, on failure, reports only the index of the failed step; the parent then turns that index
// into an Error that names the operation and the path (DescribeOp).
//
// The plan, in order: make / private (nothing leaks back to the host); mount the overlay (image
// layers as lowerdirs, per-container upper+work) or bind the bundle's rootfs; fresh /proc; a
// tmpfs /dev with null, zero, full, random, urandom, tty (mknod, or bind mounts from the host in a
// user namespace where mknod is not allowed), fd/stdin/stdout/stderr/ptmx symlinks, devpts, shm,
// mqueue; read-only /sys; volumes; pivot_root; masked and read-only paths; optional read-only /.
// All mounts live in the container's mount namespace, so they vanish with it: the host never
// holds a container mount that could leak.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "runtime/spec.h"

namespace ctv::fs {

struct MountOp {
  enum class Kind {
    kMount,         // mount(source, target, fstype, flags, data)
    kMkdir,         // mkdir(target, mode), EEXIST is fine
    kMknod,         // mknod(target, mode, dev), then chmod(mode) (umask-proof) and, when uid or
                    // gid is set, lchown
    kTouch,         // create an empty file (a bind-mount target), EEXIST is fine
    kSymlink,       // symlink(source, target), EEXIST is fine
    kPivotRoot,     // chdir(target); pivot_root(".", "."); umount2(".", MNT_DETACH); chdir("/")
    kMask,          // after pivot: bind /dev/null over a file, or read-only tmpfs over a directory
    kReadonly,      // after pivot: bind the path onto itself and remount read-only
    kBindReadonly,  // remount an existing bind mount read-only (flags carry extra MS_ bits)
    kOpenRoot       // open the new root (target) as the anchor for in-root resolution
  };
  Kind kind = Kind::kMount;
  std::string source, target, fstype, data;
  unsigned long flags = 0;
  mode_t mode = 0;
  dev_t dev = 0;
  uid_t uid = 0;  // kMknod: owner (0:0 = left as made)
  gid_t gid = 0;
  bool optional = false;  // ENOENT (and for masks, any absence) is not an error
  // Targets chosen by the user or the image (volumes, config.json mounts) are resolved INSIDE
  // the new root (openat2 RESOLVE_IN_ROOT), so a symlink in the image (`data -> /etc`) cannot
  // redirect a mkdir or a mount to the host. `in_root` is the target relative to the root; for
  // kMkdir, `in_root` is the parent and `name` the new directory.
  std::string in_root, name;
};

struct RootfsPaths {
  std::string rootfs;  // mount point of the container's root (state dir /rootfs)
  std::string upper;   // overlay upper and work dirs (same filesystem)
  std::string work;
};

// Whether this kernel's overlayfs takes "volatile" (Linux 5.10): the root overlay of every image
// container is mounted with it, so nothing syncs its upper layer. The upper lives in the
// container's runtime state dir (a tmpfs /run on most hosts) and is never mounted twice, so there
// is no durability to lose; unmounting a non-volatile overlay synced the whole upper file system
// on PID 1's exit, in the path of `ctvrt run` (0.7 ms here, with /run on ext4). Podman does the
// same for `--rm` containers, CRI-O for all of its containers.
bool OverlayHasVolatile();

// Builds the plan for `spec`. Error when the spec cannot work (no mount namespace, a volume path
// that is not absolute, an overlay option string longer than a page).
Result<std::vector<MountOp>> BuildRootfsPlan(const runtime::ContainerSpec& spec,
                                             const RootfsPaths& paths);
// "mount overlay on `/run/ctvbench/containers/c1/rootfs`" for the op that failed.
std::string DescribeOp(const MountOp& op);
// Runs one op. Async-signal-safe, no allocation: returns 0 or an errno value. `root_fd` holds
// the descriptor kOpenRoot opened (-1 before), for in-root resolution.
int RunOp(const MountOp& op, int* root_fd);

// Whether the mount on "/" in `mountinfo` (/proc/self/mountinfo's text) is its own parent, i.e.
// the root of the mount tree: the initramfs (rootfs) of a system that never did switch_root.
// pivot_root(2) refuses to move such a root (EINVAL), whatever the new root is.
bool RootIsMountTreeRoot(const std::string& mountinfo);
// When `op` failed with `err` because of the host rather than the container's spec, what the host
// lacks and what to do; "" otherwise. Covers a filesystem type the kernel does not have (ENODEV:
// overlay is a module in distribution kernels) and pivot_root on the initramfs (EINVAL, checked in
// `mountinfo_path`, the caller's mount table: the child's is a copy of it).
std::string HostCauseOf(const MountOp& op, int err,
                        const std::string& mountinfo_path = "/proc/self/mountinfo");

}  // namespace ctv::fs
