#include "runtime/fs/rootfs.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/fd.h"
#include "runtime/fs/fd_path.h"
#include "runtime/fs/in_root.h"

namespace ctv::fs {
namespace {

using K = MountOp::Kind;

MountOp Mount(std::string src, std::string target, std::string type, unsigned long flags,
              std::string data = "") {
  MountOp op;
  op.kind = K::kMount;
  op.source = std::move(src);
  op.target = std::move(target);
  op.fstype = std::move(type);
  op.flags = flags;
  op.data = std::move(data);
  return op;
}
MountOp Simple(K kind, std::string target, mode_t mode = 0755) {
  MountOp op;
  op.kind = kind;
  op.target = std::move(target);
  op.mode = mode;
  return op;
}

// "/data/sub" -> "data/sub".
std::string Relative(const std::string& abs) {
  size_t i = abs.find_first_not_of('/');
  return i == std::string::npos ? "" : abs.substr(i);
}

// mkdir -p of `abs` inside the root, one in-root op per component.
void AddInRootDirs(const std::string& r, const std::string& abs, std::vector<MountOp>* ops) {
  std::string parent;  // relative, "" = the root
  size_t i = 1;
  while (i <= abs.size()) {
    size_t j = abs.find('/', i);
    if (j == std::string::npos) j = abs.size();
    if (j > i) {
      std::string comp = abs.substr(i, j - i);
      MountOp op = Simple(K::kMkdir, r + "/" + (parent.empty() ? "" : parent + "/") + comp);
      op.in_root = parent.empty() ? "." : parent;
      op.name = comp;
      ops->push_back(op);
      parent += (parent.empty() ? "" : "/") + comp;
    }
    i = j + 1;
  }
}

}  // namespace

bool OverlayHasVolatile() {
  static const bool has = [] {
    utsname u;
    int major = 0, minor = 0;
    if (::uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
    return major > 5 || (major == 5 && minor >= 10);
  }();
  return has;
}

Result<std::vector<MountOp>> BuildRootfsPlan(const runtime::ContainerSpec& spec,
                                             const RootfsPaths& p) {
  if (!(spec.namespaces & CLONE_NEWNS))
    return MakeError("build root filesystem", spec.id,
                     "a container root filesystem needs a mount namespace (mnt)");
  const bool userns = spec.HasNamespace(CLONE_NEWUSER);  // created or joined
  const std::string& r = p.rootfs;
  std::vector<MountOp> ops;
  // Propagation: nothing we mount may propagate back to the host's namespace.
  ops.push_back(Mount("", "/", "", MS_REC | MS_PRIVATE));
  if (!spec.lower_dirs.empty()) {
    // overlayfs lists lowerdirs top first; images list layers bottom first.
    std::string lower;
    for (auto it = spec.lower_dirs.rbegin(); it != spec.lower_dirs.rend(); ++it)
      lower += (lower.empty() ? "" : ":") + *it;
    std::string data = "lowerdir=" + lower + ",upperdir=" + p.upper + ",workdir=" + p.work;
    // userxattr: inside a user namespace overlay cannot use trusted.* xattrs.
    if (userns) data += ",userxattr";
    if (OverlayHasVolatile()) data += ",volatile";
    if (data.size() >= 4096)
      return MakeError("build root filesystem", spec.id,
                       "overlay options exceed one page (too many or too deep layer paths)");
    ops.push_back(Mount("overlay", r, "overlay", 0, data));
  } else if (!spec.rootfs_dir.empty()) {
    ops.push_back(Mount(spec.rootfs_dir, r, "", MS_BIND | MS_REC));
  } else {
    return MakeError("build root filesystem", spec.id, "no image layers and no rootfs directory");
  }
  ops.push_back(Simple(K::kOpenRoot, r));
  const unsigned long kNoSuidDevExec = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  ops.push_back(Simple(K::kMkdir, r + "/proc"));
  ops.push_back(Mount("proc", r + "/proc", "proc", kNoSuidDevExec));
  ops.push_back(Simple(K::kMkdir, r + "/dev"));
  ops.push_back(
      Mount("tmpfs", r + "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"));
  struct Dev {
    const char* name;
    int major, minor;
  };
  for (const Dev& d : {Dev{"null", 1, 3}, Dev{"zero", 1, 5}, Dev{"full", 1, 7}, Dev{"random", 1, 8},
                       Dev{"urandom", 1, 9}, Dev{"tty", 5, 0}}) {
    std::string path = r + "/dev/" + d.name;
    if (userns) {
      // mknod is refused in a user namespace: bind the host's node instead (what runc does).
      ops.push_back(Simple(K::kTouch, path, 0666));
      ops.push_back(Mount(std::string("/dev/") + d.name, path, "", MS_BIND));
    } else {
      MountOp op = Simple(K::kMknod, path, 0666);
      op.dev = makedev(d.major, d.minor);
      ops.push_back(op);
    }
  }
  // OCI linux.devices: in our own /dev tmpfs (no symlink but ours can be on the way).
  for (const runtime::DeviceNode& d : spec.devices) {
    std::string rel = d.path.substr(5);  // after "/dev/"
    for (size_t k = rel.find('/'); k != std::string::npos; k = rel.find('/', k + 1))
      ops.push_back(Simple(K::kMkdir, r + "/dev/" + rel.substr(0, k)));
    std::string path = r + d.path;
    if (userns) {
      // As runc: mknod is refused in a user namespace, bind the host's node.
      ops.push_back(Simple(K::kTouch, path, 0666));
      ops.push_back(Mount(d.path, path, "", MS_BIND));
    } else {
      MountOp op = Simple(K::kMknod, path,
                          d.mode | (d.type == 'b'   ? S_IFBLK
                                    : d.type == 'p' ? S_IFIFO
                                                    : S_IFCHR));
      op.dev = makedev(d.major, d.minor);
      op.uid = d.uid;
      op.gid = d.gid;
      ops.push_back(op);
    }
  }
  for (auto [target, link] : {std::pair{"/proc/self/fd", "fd"},
                              {"/proc/self/fd/0", "stdin"},
                              {"/proc/self/fd/1", "stdout"},
                              {"/proc/self/fd/2", "stderr"},
                              {"pts/ptmx", "ptmx"}}) {
    MountOp op = Simple(K::kSymlink, r + "/dev/" + link);
    op.source = target;
    ops.push_back(op);
  }
  ops.push_back(Simple(K::kMkdir, r + "/dev/pts"));
  // gid=5 (tty) only when it certainly exists: in a user namespace it may be unmapped (EINVAL).
  ops.push_back(Mount("devpts", r + "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                      userns ? "newinstance,ptmxmode=0666,mode=0620"
                             : "newinstance,ptmxmode=0666,mode=0620,gid=5"));
  ops.push_back(Simple(K::kMkdir, r + "/dev/shm", 01777));
  ops.push_back(Mount("shm", r + "/dev/shm", "tmpfs", kNoSuidDevExec, "mode=1777,size=65536k"));
  if (spec.namespaces & CLONE_NEWIPC) {
    ops.push_back(Simple(K::kMkdir, r + "/dev/mqueue"));
    ops.push_back(Mount("mqueue", r + "/dev/mqueue", "mqueue", kNoSuidDevExec));
  }
  ops.push_back(Simple(K::kMkdir, r + "/sys"));
  // sysfs shows the network devices of the mounter's network namespace, and may be mounted only
  // by a user namespace owning it: ours when created, the host's (no user namespace) when joined.
  if ((spec.namespaces & CLONE_NEWNET) || ((spec.JoinedFlags() & CLONE_NEWNET) && !userns)) {
    ops.push_back(Mount("sysfs", r + "/sys", "sysfs", kNoSuidDevExec | MS_RDONLY));
  } else {
    ops.push_back(Mount("/sys", r + "/sys", "", MS_BIND | MS_REC));
    MountOp ro = Simple(K::kBindReadonly, r + "/sys");
    ro.flags = kNoSuidDevExec;
    ops.push_back(ro);
  }
  for (const runtime::Volume& v : spec.volumes) {
    if (v.host_path.empty() || v.host_path[0] != '/' || v.container_path.empty() ||
        v.container_path[0] != '/')
      return MakeError("add volume", v.host_path + ":" + v.container_path,
                       "both paths must be absolute (HOSTDIR:CTDIR[:ro])");
    if (v.container_path.find("/../") != std::string::npos || v.container_path.ends_with("/.."))
      return MakeError("add volume", v.container_path, "`..` is not allowed in a container path");
    AddInRootDirs(r, v.container_path, &ops);
    MountOp m = Mount(v.host_path, r + v.container_path, "", MS_BIND | MS_REC);
    m.in_root = Relative(v.container_path);
    ops.push_back(m);
    if (v.read_only) {
      MountOp ro = Simple(K::kBindReadonly, r + v.container_path);
      ro.in_root = m.in_root;
      ops.push_back(ro);
    }
  }
  for (const runtime::ExtraMount& m : spec.extra_mounts) {
    if (m.destination.empty() || m.destination[0] != '/' ||
        m.destination.find("..") != std::string::npos)
      return MakeError("add mount", m.destination, "destination must be absolute, without `..`");
    AddInRootDirs(r, m.destination, &ops);
    MountOp mo = Mount(m.source, r + m.destination, (m.flags & MS_BIND) ? "" : m.type,
                       m.flags & ~MS_RDONLY, m.data);
    mo.in_root = Relative(m.destination);
    ops.push_back(mo);
    if (m.flags & MS_RDONLY) {
      MountOp ro = Simple(K::kBindReadonly, r + m.destination);
      ro.in_root = mo.in_root;
      if (!(m.flags & MS_BIND)) {
        ro.kind = K::kMount;
        ro.flags = MS_REMOUNT | MS_RDONLY | (m.flags & ~MS_RDONLY);
        ro.data = m.data;
      }
      ops.push_back(ro);
    }
  }
  ops.push_back(Simple(K::kPivotRoot, r));
  if (spec.rootfs_propagation) ops.push_back(Mount("", "/", "", spec.rootfs_propagation));
  for (const std::string& m : spec.masked_paths) {
    MountOp op = Simple(K::kMask, m);
    op.optional = true;
    ops.push_back(op);
  }
  for (const std::string& m : spec.readonly_paths) {
    MountOp op = Simple(K::kReadonly, m);
    op.optional = true;
    ops.push_back(op);
  }
  if (spec.readonly_rootfs) ops.push_back(Simple(K::kBindReadonly, "/"));
  return ops;
}

std::string DescribeOp(const MountOp& op) {
  switch (op.kind) {
    case K::kMount:
      if (op.flags & MS_BIND) return "bind mount `" + op.source + "` on `" + op.target + "`";
      if (op.fstype.empty()) return "change propagation of `" + op.target + "`";
      return "mount " + op.fstype + " on `" + op.target + "`";
    case K::kMkdir:
      return "mkdir `" + op.target + "`";
    case K::kMknod:
      return "mknod `" + op.target + "`";
    case K::kTouch:
      return "create `" + op.target + "`";
    case K::kSymlink:
      return "symlink `" + op.target + "` -> `" + op.source + "`";
    case K::kPivotRoot:
      return "pivot_root to `" + op.target + "`";
    case K::kMask:
      return "mask `" + op.target + "`";
    case K::kReadonly:
      return "make `" + op.target + "` read-only";
    case K::kBindReadonly:
      return "remount `" + op.target + "` read-only";
    case K::kOpenRoot:
      return "open the new root `" + op.target + "`";
  }
  return "mount step";
}

int RunOp(const MountOp& op, int* root_fd) {
  const char* t = op.target.c_str();
  int r = 0;
  char fd_path[40];
  int target_fd = -1;
  if (!op.in_root.empty() && *root_fd >= 0) {
    if (op.kind == K::kMkdir) {
      int parent = fs::OpenInRoot(*root_fd, op.in_root.c_str(), O_PATH | O_DIRECTORY);
      if (parent < 0) return errno;
      r = ::mkdirat(parent, op.name.c_str(), op.mode);
      int err = r != 0 && errno != EEXIST ? errno : 0;
      ::close(parent);
      return err;
    }
    target_fd = fs::OpenInRoot(*root_fd, op.in_root.c_str(), O_PATH);
    if (target_fd < 0) return errno;
    t = FdPath(target_fd, fd_path);
  }
  struct CloseTarget {
    int fd;
    ~CloseTarget() {
      if (fd >= 0) ::close(fd);
    }
  } close_target{target_fd};
  switch (op.kind) {
    case K::kOpenRoot:
      *root_fd = ::open(t, O_PATH | O_DIRECTORY | O_CLOEXEC);
      return *root_fd < 0 ? errno : 0;
    case K::kMount:
      r = ::mount(op.source.empty() ? nullptr : op.source.c_str(), t,
                  op.fstype.empty() ? nullptr : op.fstype.c_str(), op.flags,
                  op.data.empty() ? nullptr : op.data.c_str());
      break;
    case K::kMkdir:
      r = ::mkdir(t, op.mode);
      if (r != 0 && errno == EEXIST) r = 0;
      break;
    case K::kMknod: {
      mode_t type = (op.mode & S_IFMT) ? (op.mode & S_IFMT) : S_IFCHR;
      r = ::mknod(t, type | (op.mode & 07777), op.dev);
      if (r != 0 && errno == EEXIST) {
        ::unlink(t);  // linux.devices may replace a default node (/dev/null...)
        r = ::mknod(t, type | (op.mode & 07777), op.dev);
      }
      if (r == 0) r = ::chmod(t, op.mode & 07777);
      if (r == 0 && (op.uid != 0 || op.gid != 0)) r = ::lchown(t, op.uid, op.gid);
      break;
    }
    case K::kTouch: {
      int fd = ::open(t, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, op.mode);
      if (fd < 0) return errno;
      ::close(fd);
      break;
    }
    case K::kSymlink:
      r = ::symlink(op.source.c_str(), t);
      if (r != 0 && errno == EEXIST) r = 0;
      break;
    case K::kPivotRoot:
      // pivot_root(".", "."): the old root ends up mounted on top of the new one; detaching it
      // leaves the new root alone, with no directory needed to park the old one in.
      if (*root_fd >= 0) {
        ::close(*root_fd);
        *root_fd = -1;
      }
      if (::chdir(t) != 0) return errno;
      if (::syscall(SYS_pivot_root, ".", ".") != 0) return errno;
      if (::umount2(".", MNT_DETACH) != 0) return errno;
      if (::chdir("/") != 0) return errno;
      return 0;
    case K::kMask: {
      struct stat st;
      if (::stat(t, &st) != 0) return op.optional && errno == ENOENT ? 0 : errno;
      if (S_ISDIR(st.st_mode))
        r = ::mount("tmpfs", t, "tmpfs", MS_RDONLY, "size=0");
      else
        r = ::mount("/dev/null", t, nullptr, MS_BIND, nullptr);
      break;
    }
    case K::kReadonly:
      if (::mount(t, t, nullptr, MS_BIND | MS_REC, nullptr) != 0)
        return op.optional && errno == ENOENT ? 0 : errno;
      r = ::mount(nullptr, t, nullptr,
                  MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
      break;
    case K::kBindReadonly:
      r = ::mount(nullptr, t, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | op.flags, nullptr);
      // A read-only remount must keep the locked flags (nosuid, nodev...) of the original mount,
      // or the kernel refuses with EPERM in a user namespace; retry adding them.
      if (r != 0 && errno == EPERM)
        r = ::mount(nullptr, t, nullptr,
                    MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | op.flags,
                    nullptr);
      break;
  }
  return r == 0 ? 0 : errno;
}

bool RootIsMountTreeRoot(const std::string& mountinfo) {
  // "<id> <parent> <maj:min> <root> <mount point> ...": a mount with no parent shows itself as
  // its parent. /proc/self/mountinfo lists only mounts below the reader's root, so the lines on
  // "/" are the reader's root and what is stacked on it.
  size_t pos = 0;
  while (pos < mountinfo.size()) {
    size_t end = mountinfo.find('\n', pos);
    if (end == std::string::npos) end = mountinfo.size();
    std::string line = mountinfo.substr(pos, end - pos);
    pos = end + 1;
    char id[32] = {}, parent[32] = {}, dev[32] = {}, root[4096] = {}, point[4096] = {};
    if (std::sscanf(line.c_str(), "%31s %31s %31s %4095s %4095s", id, parent, dev, root, point) !=
        5)
      continue;
    if (std::strcmp(point, "/") == 0 && std::strcmp(id, parent) == 0) return true;
  }
  return false;
}

std::string HostCauseOf(const MountOp& op, int err, const std::string& mountinfo_path) {
  if (op.kind == K::kMount && err == ENODEV && !op.fstype.empty() && !(op.flags & MS_BIND))
    return "the kernel has no " + op.fstype +
           " filesystem (not built in, and its module is not loaded: modprobe " + op.fstype + ")";
  if (op.kind == K::kPivotRoot && err == EINVAL) {
    std::string mountinfo;
    if (auto text = ReadFile(mountinfo_path)) mountinfo = std::move(text).value();
    if (RootIsMountTreeRoot(mountinfo))
      return "the current root is the initramfs (the root of the mount tree), which "
             "pivot_root(2) cannot move; run ctvrt from a root that is a mount: after switch_root, "
             "or bind-mount / onto a directory, move that mount onto / and chroot into it (as "
             "ctvbench's guest init does)";
  }
  return "";
}

}  // namespace ctv::fs
