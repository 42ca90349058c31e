// Secure defaults: Docker's default capability set, no_new_privs, and a default seccomp profile.
//
// Contract: everything here is prepared in the parent (it may allocate); the child applies the
// prepared values with raw system calls only (see runtime/launch.h).
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::security {

// Bit set of capabilities (bit n = capability n).
using CapSet = uint64_t;

// Docker's default set minus CAP_MKNOD (ctvrt does not program a devices cgroup, so mknod of
// host disks must be impossible by capability instead): CHOWN, DAC_OVERRIDE, FSETID, FOWNER,
// NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE.
CapSet DefaultCaps();
// Every capability the running kernel knows (/proc/sys/kernel/cap_last_cap).
CapSet AllCaps();
// "CAP_NET_ADMIN" or "NET_ADMIN" -> bit; Error names the unknown capability.
Result<int> ParseCap(const std::string& name);
std::string CapName(int cap);

// A compiled seccomp filter (classic BPF), ready for prctl(PR_SET_SECCOMP).
struct SeccompProgram {
  std::vector<sock_filter> code;
  // SECCOMP_FILTER_FLAG_* for seccomp(2); 0 loads with prctl(PR_SET_SECCOMP) as before.
  unsigned flags = 0;
  sock_fprog Prog() { return {static_cast<unsigned short>(code.size()), code.data()}; }
};

inline constexpr const char* kSeccompCacheDir = "/run/ctvbench/cache";

struct SeccompOptions {
  bool allow_user_namespaces = false;  // unshare/clone with CLONE_NEWUSER
};

// The default profile: allow everything except (EPERM) mount, umount2, pivot_root, reboot,
// kexec_load, kexec_file_load, init_module, finit_module, delete_module, swapon, swapoff,
// settimeofday, clock_settime, clock_adjtime, ptrace ATTACH/SEIZE (tracing non-children; a
// PTRACE_TRACEME child stays traceable by its parent), process_vm_readv/writev, keyctl, add_key,
// request_key, bpf, perf_event_open, open_by_handle_at, acct, quotactl, syslog, userfaultfd,
// setns, iopl, ioperm, the new mount API (fsopen, fsmount, fspick, move_mount, open_tree),
// unshare/clone of a user namespace, and clone3 (ENOSYS: its flags live in memory a filter cannot
// read, so libc falls back to clone, which the filter can check — Docker does the same).
// Non-native architectures are killed. Compiled once per process, and cached on disk (in
// $CTVBENCH_CACHE, default kSeccompCacheDir) keyed by profile, options and libseccomp version.
Result<const SeccompProgram*> DefaultSeccomp(const SeccompOptions& options = {});
// The syscall names the default profile denies outright (for tests and `ctvrt` docs); ptrace is
// denied only for attaching, so it is not listed.
std::vector<std::string> DeniedSyscalls();
// A user-given profile (an OCI bundle's linux.seccomp): see seccomp_profile.h.
struct SeccompProfile;

}  // namespace ctv::security
