#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "core/fd.h"
#include "runtime/security/seccomp_cache.h"
#include "runtime/security/security.h"

namespace ctv::security {
namespace {

const char* const kDenied[] = {"mount",
                               "umount2",
                               "pivot_root",
                               "reboot",
                               "kexec_load",
                               "kexec_file_load",
                               "init_module",
                               "finit_module",
                               "delete_module",
                               "swapon",
                               "swapoff",
                               "settimeofday",
                               "clock_settime",
                               "clock_adjtime",
                               "process_vm_readv",
                               "process_vm_writev",
                               "keyctl",
                               "add_key",
                               "request_key",
                               "bpf",
                               "perf_event_open",
                               "open_by_handle_at",
                               "acct",
                               "quotactl",
                               "syslog",
                               "userfaultfd",
                               "setns",
                               "iopl",
                               "ioperm",
                               "fsopen",
                               "fsmount",
                               "fspick",
                               "move_mount",
                               "open_tree",
                               "lookup_dcookie",
                               "nfsservctl",
                               "vm86",
                               "vm86old",
                               "create_module",
                               "get_kernel_syms",
                               "query_module",
                               "uselib",
                               "stime",
                               "umount"};

struct CtxDeleter {
  void operator()(void* c) const { seccomp_release(c); }
};

Result<SeccompProgram> Compile(const SeccompOptions& o) {
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return MakeError("seccomp_init");
  auto add = [&](const char* name, uint32_t action, unsigned n,
                 const scmp_arg_cmp* args) -> Status {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) return Ok();  // not on this architecture
    int r = seccomp_rule_add_array(ctx.get(), action, nr, n, args);
    if (r < 0) return Error{-r, "add seccomp rule", name};
    return Ok();
  };
  for (const char* s : kDenied) CTV_CHECK(add(s, SCMP_ACT_ERRNO(EPERM), 0, nullptr));
  // ptrace of non-children: attaching (PTRACE_ATTACH, PTRACE_SEIZE) is how a process starts
  // tracing one that is not its volunteering child, so those two requests are denied; a child
  // that asks with PTRACE_TRACEME (gdb and strace start their inferiors that way) can still be
  // traced by its parent, and every other request needs such a tracee. The request is an int.
  for (long request : {long{PTRACE_ATTACH}, long{PTRACE_SEIZE}}) {
    scmp_arg_cmp attach = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, static_cast<uint64_t>(request));
    CTV_CHECK(add("ptrace", SCMP_ACT_ERRNO(EPERM), 1, &attach));
  }
  CTV_CHECK(add("clone3", SCMP_ACT_ERRNO(ENOSYS), 0, nullptr));
  if (!o.allow_user_namespaces) {
    scmp_arg_cmp newuser = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER);
    CTV_CHECK(add("unshare", SCMP_ACT_ERRNO(EPERM), 1, &newuser));
    // x86-64 clone(flags, ...): flags are the first argument.
    CTV_CHECK(add("clone", SCMP_ACT_ERRNO(EPERM), 1, &newuser));
  }
  return internal::ExportBpf(ctx.get());
}

// The cache file's name: a hash of everything the program depends on.
std::string CachePath(const std::string& key) {
  const scmp_version* v = seccomp_version();
  std::string full = key + ";libseccomp " + std::to_string(v->major) + "." +
                     std::to_string(v->minor) + "." + std::to_string(v->micro);
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : full) h = (h ^ c) * 1099511628211ull;
  const char* dir = ::getenv("CTVBENCH_CACHE");
  char name[64];
  std::snprintf(name, sizeof name, "/seccomp-%016llx.bpf", static_cast<unsigned long long>(h));
  return std::string(dir ? dir : kSeccompCacheDir) + name;
}

std::optional<SeccompProgram> LoadCached(const std::string& path) {
  auto data = ReadFile(path);
  if (!data || data->empty() || data->size() % sizeof(sock_filter) != 0) return std::nullopt;
  SeccompProgram p;
  p.code.resize(data->size() / sizeof(sock_filter));
  std::memcpy(p.code.data(), data->data(), data->size());
  return p;
}

void StoreCached(const std::string& path, const SeccompProgram& p) {
  std::string dir = path.substr(0, path.rfind('/'));
  ::mkdir(dir.substr(0, dir.rfind('/')).c_str(), 0755);
  ::mkdir(dir.c_str(), 0755);
  (void)WriteFileAtomic(path,
                        std::string_view(reinterpret_cast<const char*>(p.code.data()),
                                         p.code.size() * sizeof(sock_filter)),
                        0644);
}

}  // namespace

std::vector<std::string> DeniedSyscalls() {
  std::vector<std::string> v(std::begin(kDenied), std::end(kDenied));
  v.push_back("clone3");
  return v;
}

namespace internal {

Result<SeccompProgram> ExportBpf(scmp_filter_ctx ctx) {
  Fd mem(::memfd_create("ctv-seccomp", MFD_CLOEXEC));
  if (!mem.Valid()) return ErrnoError("memfd_create", "ctv-seccomp");
  int r = seccomp_export_bpf(ctx, mem.Get());
  if (r < 0) return Error{-r, "export seccomp filter"};
  struct stat st;
  if (::fstat(mem.Get(), &st) != 0) return ErrnoError("fstat", "ctv-seccomp");
  SeccompProgram p;
  p.code.resize(st.st_size / sizeof(sock_filter));
  if (::pread(mem.Get(), p.code.data(), st.st_size, 0) != st.st_size)
    return ErrnoError("read seccomp filter", "ctv-seccomp");
  return p;
}

Result<const SeccompProgram*> CachedProgram(
    const std::string& key, unsigned flags,
    const std::function<Result<SeccompProgram>()>& compile) {
  static std::mutex mu;
  static std::map<std::string, SeccompProgram> cache;
  std::lock_guard lock(mu);
  auto it = cache.find(key);
  if (it == cache.end()) {
    std::string path = CachePath(key);
    std::optional<SeccompProgram> p = LoadCached(path);
    if (!p) {
      p = CTV_TRY(compile());
      StoreCached(path, *p);
    }
    p->flags = flags;
    it = cache.emplace(key, std::move(*p)).first;
  }
  return &it->second;
}

}  // namespace internal

Result<const SeccompProgram*> DefaultSeccomp(const SeccompOptions& o) {
  // The key names everything the program depends on (the cache file is named by its hash).
  std::string key = std::string("rev2;") + (o.allow_user_namespaces ? "u" : "-");
  for (const char* s : kDenied) key += std::string(";") + s;
  return internal::CachedProgram(key, 0, [&] { return Compile(o); });
}

}  // namespace ctv::security
