// ctv-probe breakout: the security suite's attempts (docs/suites/security.md). Each attempt runs
// in a child of its own (a seccomp profile that kills, a user namespace, a failed write leave the
// probe untouched) and reports "allowed" (the kernel did it), "denied" (with the errno, or what
// masked the file) or "skipped" (nothing to try here, and why).
//
// Every attempt is harmless when it is allowed, because the host driver runs the same attempts as
// a baseline, as root, on the host itself: values are written back unchanged (hostname, clock
// tick, cgroup limits, ctrl-alt-del flag, per-mount flags of /), files opened for writing are
// never written (runtime binaries), devices are only read (/dev/mem, the disk's first sector,
// /proc/kcore's ELF header), what is created is removed (tmpfs mount, device node, bpf map, fill
// file), the sysrq key is `h` (print help to the kernel log), ptrace seizes without stopping and
// detaches.
#include <dirent.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "bench/workload/probe.h"

namespace ctv::probe {
namespace {

struct Outcome {
  char result = 'd';  // 'a' allowed, 'd' denied, 's' skipped
  int err = 0;
  char detail[240] = {};
};

Outcome Make(char r, int err, const std::string& detail) {
  Outcome o;
  o.result = r;
  o.err = err;
  std::snprintf(o.detail, sizeof o.detail, "%s", detail.c_str());
  return o;
}
Outcome Allowed(const std::string& d) { return Make('a', 0, d); }
Outcome Denied(int err, const std::string& d = "") { return Make('d', err, d); }
Outcome Skipped(const std::string& d) { return Make('s', 0, d); }

// A scratch path for things the attempts create (removed again): /tmp when the image has one.
std::string Scratch(const char* what) {
  struct stat st;
  const char* dir = stat("/tmp", &st) == 0 && S_ISDIR(st.st_mode) ? "/tmp" : "";
  return std::string(dir) + "/ctvbreak-" + what + "-" + std::to_string(getpid());
}

std::vector<pid_t> OtherPids() {
  std::vector<pid_t> out;
  const pid_t self = getpid(), probe = getppid();
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      char* end = nullptr;
      long p = std::strtol(e->d_name, &end, 10);
      if (*end || p <= 0 || p == self || p == probe) continue;
      out.push_back(static_cast<pid_t>(p));
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Outcome Mount() {
  std::string dir = Scratch("mnt");
  if (mkdir(dir.c_str(), 0700) != 0) return Skipped("mkdir " + dir + ": " + strerror(errno));
  Outcome o;
  if (mount("ctvbreak", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k") == 0) {
    umount2(dir.c_str(), MNT_DETACH);
    o = Allowed("mounted a tmpfs (unmounted again)");
  } else {
    o = Denied(errno);
  }
  rmdir(dir.c_str());
  return o;
}

Outcome RemountRootRw() {
  struct statvfs sv;
  if (statvfs("/", &sv) != 0) return Skipped(std::string("statvfs /: ") + strerror(errno));
  // The per-mount flags / has now, minus read-only: a bind remount changes nothing else.
  unsigned long flags = MS_REMOUNT | MS_BIND;
  if (sv.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  const bool was_ro = sv.f_flag & ST_RDONLY;
  if (mount(nullptr, "/", nullptr, flags, nullptr) == 0)
    return Allowed(was_ro ? "remounted the read-only / read-write"
                          : "/ is read-write; a bind remount of it succeeded");
  return Denied(errno, was_ro ? "/ is read-only" : "/ is read-write");
}

Outcome Reboot() {
  // The ctrl-alt-del flag set to the value it has: the one reboot(2) command that changes nothing.
  std::string cad = ReadSmall("/proc/sys/kernel/ctrl-alt-del");
  if (cad != "0" && cad != "1")
    return Skipped("/proc/sys/kernel/ctrl-alt-del unreadable: its value could not be kept");
  int cmd = cad == "1" ? LINUX_REBOOT_CMD_CAD_ON : LINUX_REBOOT_CMD_CAD_OFF;
  if (syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, cmd, nullptr) == 0)
    return Allowed("reboot(CAD_" + std::string(cad == "1" ? "ON" : "OFF") +
                   ") accepted: the kernel's reboot command is reachable");
  int e = errno;
  return Denied(e, e == EINVAL ? "EINVAL: in a PID namespace reboot() only ends that namespace"
                               : "");
}

Outcome ModuleLoad() {
  // finit_module on a bad fd: EBADF means the capability check passed and a module would load.
  if (syscall(SYS_finit_module, -1, "", 0) == 0) return Allowed("finit_module succeeded");
  int e = errno;
  if (e == EBADF) return Allowed("finit_module passed the CAP_SYS_MODULE check (EBADF on fd -1)");
  return Denied(e);
}

// Opens `path`; a character device in its place (a /dev/null bind mount) counts as masked.
Outcome OpenMasked(const char* path, int flags, int* fd_out) {
  int fd = open(path, flags | O_CLOEXEC);
  if (fd < 0) return Denied(errno);
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) {
    close(fd);
    return Denied(0, std::string(path) + " is masked (/dev/null over it)");
  }
  *fd_out = fd;
  return Allowed("");
}

Outcome Sysrq() {
  int fd = -1;
  Outcome o = OpenMasked("/proc/sysrq-trigger", O_WRONLY, &fd);
  if (fd < 0) return o;
  ssize_t n = write(fd, "h", 1);  // h: print the sysrq help to the kernel log
  int e = errno;
  close(fd);
  if (n == 1) return Allowed("wrote sysrq key 'h' (help)");
  return Denied(e, "opened, write refused");
}

Outcome ProcKcore() {
  int fd = -1;
  Outcome o = OpenMasked("/proc/kcore", O_RDONLY, &fd);
  if (fd < 0) return o;
  char b[4] = {};
  ssize_t n = read(fd, b, sizeof b);
  int e = errno;
  close(fd);
  if (n == 4 && std::memcmp(b, "\x7f" "ELF", 4) == 0) return Allowed("read the kernel's ELF header");
  return Denied(n < 0 ? e : 0, "opened, no kernel memory read");
}

Outcome DevMem() {
  int fd = -1;
  Outcome o = OpenMasked("/dev/mem", O_RDONLY, &fd);
  if (fd < 0) {
    if (o.err == ENOENT) std::snprintf(o.detail, sizeof o.detail, "no /dev/mem in the root");
    return o;
  }
  char b;
  ssize_t n = pread(fd, &b, 1, 0);
  close(fd);
  return Allowed(n == 1 ? "opened and read physical address 0" : "opened");
}

// The first disk of /proc/partitions (not namespaced: a container sees the host's), opened where
// /dev has it, else through a node made for it. Only its first sector is read.
Outcome HostBlockDevice() {
  FILE* f = std::fopen("/proc/partitions", "re");
  if (!f) return Skipped(std::string("/proc/partitions: ") + strerror(errno));
  char line[256];
  unsigned maj = 0, min = 0;
  char name[64] = "";
  bool found = false;
  while (std::fgets(line, sizeof line, f)) {
    unsigned long long blocks;
    if (std::sscanf(line, " %u %u %llu %63s", &maj, &min, &blocks, name) != 4) continue;
    if (std::strncmp(name, "loop", 4) == 0 || std::strncmp(name, "ram", 3) == 0 ||
        std::strncmp(name, "zram", 4) == 0 || std::strncmp(name, "nbd", 3) == 0)
      continue;
    found = true;
    break;
  }
  std::fclose(f);
  if (!found) return Denied(0, "no disk in /proc/partitions");
  std::string dev = std::string("/dev/") + name, via = dev;
  int fd = open(dev.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    via = Scratch("blk");
    if (mknod(via.c_str(), S_IFBLK | 0600, makedev(maj, min)) != 0)
      return Denied(errno, dev + " absent; mknod of " + std::to_string(maj) + ":" +
                               std::to_string(min) + " refused");
    fd = open(via.c_str(), O_RDONLY | O_CLOEXEC);
    int e = errno;
    unlink(via.c_str());
    if (fd < 0) return Denied(e, dev + " absent; a node made for it cannot be opened");
  } else if (fd < 0) {
    return Denied(errno, "open " + dev);
  }
  char sector[512];
  ssize_t n = pread(fd, sector, sizeof sector, 0);
  close(fd);
  if (n == 512) return Allowed("read the first sector of " + dev + " (via " + via + ")");
  return Denied(errno, "opened " + via + ", read refused");
}

Outcome Mknod() {
  std::string p = Scratch("null");
  if (mknod(p.c_str(), S_IFCHR | 0600, makedev(1, 3)) != 0) return Denied(errno, "mknod 1:3");
  int fd = open(p.c_str(), O_WRONLY | O_CLOEXEC);
  int e = errno;
  unlink(p.c_str());
  if (fd < 0) return Denied(e, "node 1:3 created, opening it refused (device cgroup)");
  close(fd);
  return Allowed("created and opened a character device 1:3");
}

Outcome Hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return Skipped("gethostname failed");
  if (sethostname(name, std::strlen(name)) == 0)
    return Allowed("sethostname (the same name written back)");
  return Denied(errno);
}

Outcome Clock() {
  timex t{};
  if (clock_adjtime(CLOCK_REALTIME, &t) < 0) return Denied(errno, "reading the clock state");
  timex set{};
  set.modes = ADJ_TICK;  // the tick length it has: a write that changes nothing
  set.tick = t.tick;
  if (clock_adjtime(CLOCK_REALTIME, &set) >= 0)
    return Allowed("clock_adjtime(ADJ_TICK) on the real-time clock (value unchanged)");
  return Denied(errno);
}

Outcome PtraceOther() {
  std::vector<pid_t> others = OtherPids();
  if (others.empty())
    return Denied(ESRCH, "no process outside the probe is visible (own PID namespace)");
  pid_t target = others.front();
  if (ptrace(PTRACE_SEIZE, target, nullptr, nullptr) == 0) {
    ptrace(PTRACE_DETACH, target, nullptr, nullptr);
    return Allowed("seized pid " + std::to_string(target) + " (" +
                   ReadSmall(("/proc/" + std::to_string(target) + "/comm").c_str()) +
                   "), detached at once");
  }
  return Denied(errno, "PTRACE_SEIZE pid " + std::to_string(target));
}

Outcome RawSocket() {
  int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (s < 0) return Denied(errno);
  close(s);
  return Allowed("opened a raw ICMP socket");
}

// Opening an executable for writing (never written): a running one gives ETXTBSY.
Outcome OpenExeForWrite(const std::string& proc_exe) {
  int fd = open(proc_exe.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Denied(errno, proc_exe);
  close(fd);
  return Allowed("opened " + proc_exe + " for writing (nothing written)");
}

Outcome ProcSelfExe() { return OpenExeForWrite("/proc/self/exe"); }

Outcome ProcPidExe() {
  std::vector<pid_t> others = OtherPids();
  others.insert(others.begin(), getppid());  // the probe itself: PID 1 of a container
  std::string denied;
  int last = 0, tried = 0;
  for (pid_t p : others) {
    if (tried == 64) break;
    std::string exe = "/proc/" + std::to_string(p) + "/exe";
    char target[256];
    if (readlink(exe.c_str(), target, sizeof target) < 0) continue;  // kernel thread, gone
    ++tried;
    Outcome o = OpenExeForWrite(exe);
    if (o.result == 'a') return o;
    last = o.err;
  }
  if (tried == 0) return Denied(ESRCH, "no process with an executable visible");
  return Denied(last, "every visible process's executable (" + std::to_string(tried) + ") refused");
}

// CVE-2024-21626: a directory fd of the runtime's left open into the workload (its cwd set to
// /proc/self/fd/N) reaches the host's tree. Any inherited fd beyond stdio counts, and a working
// directory whose `..` chain does not end at our own root.
Outcome LeakedFd(int result_fd) {
  std::string leaked;
  if (DIR* d = opendir("/proc/self/fd")) {
    const int own = dirfd(d);
    while (dirent* e = readdir(d)) {
      char* end = nullptr;
      long fd = std::strtol(e->d_name, &end, 10);
      if (*end || e->d_name[0] == '.' || fd <= 2 || fd == own || fd == result_fd) continue;
      char target[256] = {};
      std::string link = std::string("/proc/self/fd/") + e->d_name;
      ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
      leaked += (leaked.empty() ? "" : ", ") + std::string(e->d_name) + "->" +
                (n > 0 ? std::string(target, n) : "?");
    }
    closedir(d);
  } else {
    return Skipped(std::string("/proc/self/fd: ") + strerror(errno));
  }
  struct stat root, cur, up;
  bool cwd_outside = false;
  if (stat("/", &root) == 0) {
    int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (int i = 0; fd >= 0 && i < 4096; ++i) {
      int parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (parent < 0 || fstat(fd, &cur) != 0 || fstat(parent, &up) != 0) {
        if (parent >= 0) close(parent);
        break;
      }
      close(fd);
      fd = parent;
      if (cur.st_dev == up.st_dev && cur.st_ino == up.st_ino) {  // the top of our tree
        cwd_outside = cur.st_dev != root.st_dev || cur.st_ino != root.st_ino;
        break;
      }
    }
    if (fd >= 0) close(fd);
  }
  if (!leaked.empty() || cwd_outside)
    return Allowed((cwd_outside ? std::string("working directory outside the root; ") : "") +
                   (leaked.empty() ? "" : "inherited fds: " + leaked));
  return Denied(0, "no fd beyond stdio, working directory inside the root");
}

Outcome UnshareUserns() {
  if (unshare(CLONE_NEWUSER) == 0)
    return Allowed("unshare(CLONE_NEWUSER): full capabilities inside a new user namespace");
  return Denied(errno);
}

Outcome Keyctl() {
  constexpr long kGetKeyringId = 0, kSessionKeyring = -3;
  long r = syscall(SYS_keyctl, kGetKeyringId, kSessionKeyring, 0);
  if (r >= 0 || errno == ENOKEY) return Allowed("keyctl(KEYCTL_GET_KEYRING_ID) answered");
  return Denied(errno);
}

Outcome Bpf() {
  union bpf_attr a;
  std::memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_ARRAY;
  a.key_size = 4;
  a.value_size = 4;
  a.max_entries = 1;
  long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a);
  if (fd < 0) return Denied(errno);
  close(static_cast<int>(fd));
  return Allowed("created a BPF array map (closed again)");
}

Outcome Userfaultfd() {
  long fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Denied(errno);
  close(static_cast<int>(fd));
  return Allowed("userfaultfd() returned a descriptor");
}

Outcome PerfEventOpen() {
  perf_event_attr a;
  std::memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.type = PERF_TYPE_SOFTWARE;
  a.config = PERF_COUNT_SW_TASK_CLOCK;
  a.disabled = 1;
  long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) return Denied(errno);
  close(static_cast<int>(fd));
  return Allowed("perf_event_open(task clock, kernel included) returned a descriptor");
}

// A limit file of our own cgroup (memory, then pids; v1 or v2 as /proc/self/cgroup says),
// rewritten with the value it has.
Outcome CgroupWrite() {
  std::string cg = ReadSmall("/proc/self/cgroup");
  std::vector<std::string> files;
  size_t pos = 0;
  while (pos < cg.size()) {
    size_t end = cg.find('\n', pos);
    if (end == std::string::npos) end = cg.size();
    std::string line = cg.substr(pos, end - pos);
    pos = end + 1;
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string ctrls = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (path == "/") path = "";
    if (ctrls.empty()) {
      files.push_back("/sys/fs/cgroup" + path + "/memory.max");
      files.push_back("/sys/fs/cgroup" + path + "/pids.max");
    } else if (ctrls == "memory") {
      files.insert(files.begin(), "/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes");
    } else if (ctrls == "pids") {
      files.push_back("/sys/fs/cgroup/pids" + path + "/pids.max");
    }
  }
  int last = ENOENT;
  std::string tried;
  for (const std::string& f : files) {
    std::string value = ReadSmall(f.c_str());
    if (value.empty()) continue;
    tried += (tried.empty() ? "" : ", ") + f;
    int fd = open(f.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      last = errno;
      continue;
    }
    value += "\n";
    bool ok = WriteFull(fd, value.data(), value.size());
    last = errno;
    close(fd);
    if (ok) return Allowed("rewrote " + f + " (value unchanged)");
  }
  if (tried.empty()) return Denied(ENOENT, "no limit file of our cgroup is visible");
  return Denied(last, tried);
}

Outcome DiskFill(int64_t mib) {
  std::string p = Scratch("fill");
  int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Denied(errno, "create " + p);
  std::string chunk(1 << 20, 'x');
  int64_t done = 0;
  int e = 0;
  for (; done < mib; ++done) {
    if (!WriteFull(fd, chunk.data(), chunk.size()) || fsync(fd) != 0) {
      e = errno;
      break;
    }
  }
  close(fd);
  unlink(p.c_str());
  std::string what = "wrote " + std::to_string(done) + " of " + std::to_string(mib) + " MiB";
  if (e == 0) return Allowed(what + " (no quota stopped it; removed again)");
  return Denied(e, what);
}

struct Attempt {
  const char* name;
  Outcome (*run)(int64_t arg, int result_fd);
};

const Attempt kAttempts[] = {
    {"mount", [](int64_t, int) { return Mount(); }},
    {"remount_root_rw", [](int64_t, int) { return RemountRootRw(); }},
    {"reboot", [](int64_t, int) { return Reboot(); }},
    {"module_load", [](int64_t, int) { return ModuleLoad(); }},
    {"sysrq", [](int64_t, int) { return Sysrq(); }},
    {"proc_kcore", [](int64_t, int) { return ProcKcore(); }},
    {"dev_mem", [](int64_t, int) { return DevMem(); }},
    {"host_block_device", [](int64_t, int) { return HostBlockDevice(); }},
    {"mknod", [](int64_t, int) { return Mknod(); }},
    {"hostname", [](int64_t, int) { return Hostname(); }},
    {"clock", [](int64_t, int) { return Clock(); }},
    {"ptrace_other_process", [](int64_t, int) { return PtraceOther(); }},
    {"raw_socket", [](int64_t, int) { return RawSocket(); }},
    {"proc_self_exe_write", [](int64_t, int) { return ProcSelfExe(); }},
    {"proc_pid_exe_write", [](int64_t, int) { return ProcPidExe(); }},
    {"leaked_fd_or_cwd", [](int64_t, int fd) { return LeakedFd(fd); }},
    {"unshare_userns", [](int64_t, int) { return UnshareUserns(); }},
    {"keyctl", [](int64_t, int) { return Keyctl(); }},
    {"bpf", [](int64_t, int) { return Bpf(); }},
    {"userfaultfd", [](int64_t, int) { return Userfaultfd(); }},
    {"perf_event_open", [](int64_t, int) { return PerfEventOpen(); }},
    {"cgroup_write", [](int64_t, int) { return CgroupWrite(); }},
    {"disk_fill", [](int64_t mib, int) { return DiskFill(mib); }},
};

// Runs `a` in a child; a child killed by a signal (a seccomp profile's kill) counts as denied.
Outcome RunIsolated(const Attempt& a, int64_t arg) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return Skipped(std::string("pipe: ") + strerror(errno));
  std::fflush(stdout);
  pid_t child = fork();
  if (child < 0) {
    close(p[0]);
    close(p[1]);
    return Skipped(std::string("fork: ") + strerror(errno));
  }
  if (child == 0) {
    close(p[0]);
    Outcome o = a.run(arg, p[1]);
    (void)!write(p[1], &o, sizeof o);
    _exit(0);
  }
  close(p[1]);
  Outcome o;
  ssize_t n = read(p[0], &o, sizeof o);
  close(p[0]);
  int status = 0;
  waitpid(child, &status, 0);
  if (n == static_cast<ssize_t>(sizeof o)) return o;
  if (WIFSIGNALED(status))
    return Denied(0, std::string("the attempt was killed by signal ") +
                         strsignal(WTERMSIG(status)) + " (a seccomp kill action?)");
  return Skipped("the attempt reported nothing");
}

// "EPERM" for EPERM; "" for 0.
const char* ErrnoName(int e) {
  if (e == 0) return "";
  const char* n = strerrorname_np(e);
  return n ? n : "unknown";
}

}  // namespace

int Breakout(const Options& o) {
  const int64_t mib = o.Int("--disk-mib", 32, 0, 1 << 20);
  std::string out = "{\"mode\":\"breakout\",\"pid\":" + std::to_string(getpid()) +
                    ",\"disk_mib\":" + std::to_string(mib) + ",\"boot_id\":" +
                    JsonString(ReadSmall("/proc/sys/kernel/random/boot_id")) +
                    ",\"attempts\":[";
  bool first = true;
  for (const Attempt& a : kAttempts) {
    Outcome r = RunIsolated(a, mib);
    const char* result = r.result == 'a' ? "allowed" : r.result == 's' ? "skipped" : "denied";
    out += std::string(first ? "" : ",") + "{\"name\":" + JsonString(a.name) +
           ",\"result\":\"" + result + "\",\"errno\":" + std::to_string(r.err) +
           ",\"errno_name\":" + JsonString(ErrnoName(r.err)) +
           ",\"detail\":" + JsonString(r.detail) + "}";
    first = false;
  }
  out += "]}\n";
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace ctv::probe
