// Modes that report what the process sees: hostinfo (namespaces' evidence), ptrace (what the
// seccomp profile lets a debugger do), procinfo (what a runtime set up for the process), and the
// isolation suite's lifecycle workloads: orphan (PID 1 exits while a child lives), persist (a
// file in the writable layer and one in a volume).
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/workload/probe.h"
#include "core/markers.h"

namespace ctv::probe {

namespace {

// "uts:[4026531838]" -> 4026531838; 0 when the link is unreadable (no such namespace kind).
unsigned long long NsInode(const char* kind) {
  char link[64], path[64];
  std::snprintf(path, sizeof path, "/proc/self/ns/%s", kind);
  ssize_t n = readlink(path, link, sizeof link - 1);
  if (n <= 0) return 0;
  link[n] = '\0';
  const char* open = std::strchr(link, '[');
  return open ? std::strtoull(open + 1, nullptr, 10) : 0;
}

// Lines of /proc/sysvipc/NAME after its header: the System V IPC objects this IPC namespace holds.
int SysvIpcCount(const char* name) {
  std::string path = std::string("/proc/sysvipc/") + name;
  FILE* f = std::fopen(path.c_str(), "re");
  if (!f) return -1;
  int lines = 0;
  for (int c; (c = std::fgetc(f)) != EOF;) lines += c == '\n';
  std::fclose(f);
  return lines > 0 ? lines - 1 : 0;
}

// The value of "Key:\t..." in /proc/self/status.
std::string StatusField(const std::string& status, const char* key) {
  std::string k = std::string("\n") + key + ":";
  size_t at = ("\n" + status).find(k);
  if (at == std::string::npos) return "";
  size_t b = at + k.size() - 1, e = status.find('\n', b);
  std::string v = status.substr(b, e == std::string::npos ? std::string::npos : e - b);
  while (!v.empty() && (v[0] == '\t' || v[0] == ' ')) v.erase(0, 1);
  return v;
}

std::string ReadStatus() {
  std::string status;
  if (FILE* f = std::fopen("/proc/self/status", "re")) {
    char buf[8192];
    status.assign(buf, std::fread(buf, 1, sizeof buf, f));
    std::fclose(f);
  }
  return status;
}

// Prints the ready marker, then waits `hold_ms` or until SIGTERM/SIGINT/SIGHUP, whichever comes
// first: the harness looks at the process from outside meanwhile. Blocked before the marker, as in
// `ready`, so a stop sent right after it is never lost.
void HoldAfterReady(int64_t hold_ms) {
  sigset_t set = BlockStopSignals();
  std::fflush(stdout);
  PrintReady();
  timespec ts{static_cast<time_t>(hold_ms / 1000), static_cast<long>(hold_ms % 1000) * 1000000L};
  sigtimedwait(&set, nullptr, &ts);
}

}  // namespace

int HostInfo(const Options& o) {
  utsname u;
  uname(&u);
  std::string ifs, addrs;
  ifaddrs* list = nullptr;
  std::vector<std::string> seen;
  if (getifaddrs(&list) == 0) {
    for (ifaddrs* a = list; a; a = a->ifa_next) {
      std::string name = a->ifa_name;
      if (a->ifa_addr &&
          (a->ifa_addr->sa_family == AF_INET || a->ifa_addr->sa_family == AF_INET6)) {
        char host[INET6_ADDRSTRLEN] = "";
        const void* src =
            a->ifa_addr->sa_family == AF_INET
                ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr)
                : &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr;
        inet_ntop(a->ifa_addr->sa_family, src, host, sizeof host);
        addrs += (addrs.empty() ? "" : ",") + JsonString(name + " " + host);
      }
      bool dup = false;
      for (const auto& s : seen) dup |= s == name;
      if (dup) continue;
      seen.push_back(name);
      ifs += (ifs.empty() ? "" : ",") + JsonString(name);
    }
    freeifaddrs(list);
  }
  // mountinfo: "id parent maj:min root mountpoint options optional... - fstype source super".
  int mounts = 0;
  std::string root_dev, root_fs, root_source;
  if (FILE* f = std::fopen("/proc/self/mountinfo", "re")) {
    char line[4096];
    while (std::fgets(line, sizeof line, f)) {
      ++mounts;
      char dev[64], mp[1024];
      if (std::sscanf(line, "%*s %*s %63s %*s %1023s", dev, mp) != 2 || std::string(mp) != "/")
        continue;
      root_dev = dev;  // the last mount on / is the one the process sees
      const char* dash = std::strstr(line, " - ");
      char fstype[64] = "", source[1024] = "";
      if (dash) std::sscanf(dash + 3, "%63s %1023s", fstype, source);
      root_fs = fstype;
      root_source = source;
    }
    std::fclose(f);
  }
  int pids = 0;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) pids += e->d_name[0] >= '1' && e->d_name[0] <= '9';
    closedir(d);
  }
  std::string ns;
  for (const char* kind : {"pid", "uts", "ipc", "net", "mnt", "user", "cgroup", "time"})
    ns += (ns.empty() ? "" : ",") + JsonString(kind) + ":" + std::to_string(NsInode(kind));
  std::string status = ReadStatus();
  std::string seccomp = StatusField(status, "Seccomp");
  std::string nnp = StatusField(status, "NoNewPrivs");
  // The keys up to "cgroup" are the original ones (other code reads them); the rest came with
  // the isolation suite (docs/suites/isolation.md).
  std::printf(
      "{\"mode\":\"hostinfo\",\"pid\":%d,\"ppid\":%d,\"hostname\":%s,\"uid\":%d,\"gid\":%d,"
      "\"kernel_release\":%s,\"kernel_version\":%s,\"interfaces\":[%s],\"mount_count\":%d,"
      "\"visible_pids\":%d,\"pid1_comm\":%s,\"uid_map\":%s,\"cgroup\":%s,"
      "\"gid_map\":%s,\"ns\":{%s},\"addresses\":[%s],\"root_dev\":%s,\"root_fs\":%s,"
      "\"root_source\":%s,\"ipc_shm\":%d,\"ipc_sem\":%d,\"ipc_msg\":%d,\"cap_eff\":%s,"
      "\"seccomp\":%d,\"no_new_privs\":%d,\"boot_id\":%s}\n",
      getpid(), getppid(), JsonString(u.nodename).c_str(), getuid(), getgid(),
      JsonString(u.release).c_str(), JsonString(u.version).c_str(), ifs.c_str(), mounts, pids,
      JsonString(ReadSmall("/proc/1/comm")).c_str(),
      JsonString(ReadSmall("/proc/self/uid_map")).c_str(),
      JsonString(ReadSmall("/proc/self/cgroup")).c_str(),
      JsonString(ReadSmall("/proc/self/gid_map")).c_str(), ns.c_str(), addrs.c_str(),
      JsonString(root_dev).c_str(), JsonString(root_fs).c_str(), JsonString(root_source).c_str(),
      SysvIpcCount("shm"), SysvIpcCount("sem"), SysvIpcCount("msg"),
      JsonString(StatusField(status, "CapEff")).c_str(),
      seccomp.empty() ? -1 : std::atoi(seccomp.c_str()), nnp.empty() ? -1 : std::atoi(nnp.c_str()),
      JsonString(ReadSmall("/proc/sys/kernel/random/boot_id")).c_str());
  if (o.Get("--hold")) HoldAfterReady(o.Int("--hold", 0, 0, 3600 * 1000));
  return 0;
}

int Orphan(const Options& o) {
  int64_t hold = o.Int("--hold", 1000, 0, 3600 * 1000);
  int64_t child_s = o.Int("--child-seconds", 60, 1, 3600);
  std::fflush(stdout);
  pid_t child = fork();
  if (child < 0) {
    std::fprintf(stderr, "ctv-probe: orphan: fork: %s\n", std::strerror(errno));
    return 1;
  }
  if (child == 0) {
    // The child must not hold the harness's stream open: its end is the parent's exit.
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
    }
    SleepMs(static_cast<int>(child_s * 1000));  // bounded: never lingers for long anywhere
    _exit(0);
  }
  std::printf("{\"mode\":\"orphan\",\"pid\":%d,\"child_pid\":%d}\n", getpid(), child);
  HoldAfterReady(hold);
  return 0;  // without waiting for the child: PID 1 (when we are it) exits while it lives
}

int Persist(const Options& o) {
  const char* layer = o.Get("--layer");
  const char* volume = o.Get("--volume");
  if (!layer) UsageError(o.mode, "--layer PATH is required");
  int64_t hold = o.Int("--hold", 1000, 0, 3600 * 1000);
  std::string content = "ctv-probe persist " + std::to_string(getpid()) + "\n";
  auto write_to = [&](const char* path) -> int {
    if (!path) return 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    bool ok = WriteFull(fd, content.data(), content.size()) && fsync(fd) == 0;
    int err = ok ? 0 : errno;
    close(fd);
    return err;
  };
  int layer_err = write_to(layer);
  int volume_err = write_to(volume);
  std::printf(
      "{\"mode\":\"persist\",\"layer\":%s,\"layer_errno\":%d,\"volume\":%s,"
      "\"volume_errno\":%d,\"content\":%s}\n",
      JsonString(layer).c_str(), layer_err, JsonString(volume ? volume : "").c_str(), volume_err,
      JsonString(content).c_str());
  HoldAfterReady(hold);
  return layer_err || volume_err ? 1 : 0;
}

// What a container's seccomp profile lets a debugger do: tracing its own child (which volunteers
// with PTRACE_TRACEME, as gdb's and strace's children do) versus attaching to a process that is
// not its child (the parent here). The attach attempts detach again at once when they succeed.
int Ptrace() {
  int traceme = 0;
  pid_t child = ::fork();
  if (child < 0) return 1;
  if (child == 0) {
    if (::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) ::_exit(100 + errno % 100);
    ::raise(SIGSTOP);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (WIFSTOPPED(status)) {
    // Stopped under our trace: PTRACE_CONT works only for a real tracer.
    if (::ptrace(PTRACE_CONT, child, nullptr, nullptr) != 0) traceme = errno;
    ::waitpid(child, &status, 0);
  } else if (WIFEXITED(status) && WEXITSTATUS(status) >= 100) {
    traceme = WEXITSTATUS(status) - 100;
  }
  auto try_attach = [](long request) {
    pid_t parent = ::getppid();
    if (::ptrace(static_cast<__ptrace_request>(request), parent, nullptr, nullptr) != 0)
      return errno;
    int st = 0;
    if (request == PTRACE_ATTACH) ::waitpid(parent, &st, __WALL);
    ::ptrace(PTRACE_DETACH, parent, nullptr, nullptr);
    return 0;
  };
  int attach = try_attach(PTRACE_ATTACH);
  int seize = try_attach(PTRACE_SEIZE);
  std::printf("{\"mode\":\"ptrace\",\"traceme_errno\":%d,\"attach_errno\":%d,\"seize_errno\":%d}\n",
              traceme, attach, seize);
  return 0;
}

namespace {

std::string Rlim(int resource) {
  rlimit r{};
  getrlimit(resource, &r);
  auto v = [](rlim_t x) { return x == RLIM_INFINITY ? -1LL : static_cast<long long>(x); };
  return "[" + std::to_string(v(r.rlim_cur)) + "," + std::to_string(v(r.rlim_max)) + "]";
}

// "shared:N master:M unbindable" optional fields of a mountinfo line -> "shared", "slave",
// "unbindable" or "private".
std::string Propagation(const std::string& optional) {
  if (optional.find("shared:") != std::string::npos) return "shared";
  if (optional.find("master:") != std::string::npos) return "slave";
  if (optional.find("unbindable") != std::string::npos) return "unbindable";
  return "private";
}

}  // namespace

int ProcInfo() {
  std::string status = ReadStatus();
  std::string caps;
  for (const char* k : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    caps += (caps.empty() ? "" : ",") + JsonString(k) + ":" + JsonString(StatusField(status, k));
  gid_t groups[256];
  int ng = getgroups(256, groups);
  std::string gl;
  for (int i = 0; i < ng; ++i) gl += (i ? "," : "") + std::to_string(groups[i]);
  std::string devs;
  if (DIR* d = opendir("/dev")) {
    while (dirent* e = readdir(d)) {
      struct stat st;
      std::string path = std::string("/dev/") + e->d_name;
      if (lstat(path.c_str(), &st) != 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) continue;
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    "%s{\"path\":%s,\"type\":\"%c\",\"major\":%u,\"minor\":%u,\"mode\":%u,"
                    "\"uid\":%u,\"gid\":%u}",
                    devs.empty() ? "" : ",", JsonString(path).c_str(),
                    S_ISCHR(st.st_mode) ? 'c' : 'b', major(st.st_rdev), minor(st.st_rdev),
                    st.st_mode & 07777, st.st_uid, st.st_gid);
      devs += buf;
    }
    closedir(d);
  }
  // mountinfo: "id parent maj:min root mountpoint options optional... - fstype source super".
  std::string root_prop, mounts;
  if (FILE* f = std::fopen("/proc/self/mountinfo", "re")) {
    char line[4096];
    while (std::fgets(line, sizeof line, f)) {
      char mp[1024], opts[512];
      int n = 0;
      if (std::sscanf(line, "%*s %*s %*s %*s %1023s %511s %n", mp, opts, &n) < 2) continue;
      std::string rest = line + n;
      std::string prop = Propagation(rest.substr(0, rest.find(" - ")));
      if (std::string(mp) == "/") root_prop = prop;
      mounts += (mounts.empty() ? "" : ",") + JsonString(mp) + ":" + JsonString(prop);
    }
    std::fclose(f);
  }
  std::string mem = ReadSmall("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  if (mem.empty()) mem = ReadSmall("/sys/fs/cgroup/memory.max");
  std::printf(
      "{\"mode\":\"procinfo\",\"caps\":{%s},\"no_new_privs\":%d,\"oom_score_adj\":%s,"
      "\"rlimits\":{\"nofile\":%s,\"nproc\":%s,\"core\":%s},\"uid\":%d,\"gid\":%d,\"euid\":%d,"
      "\"egid\":%d,\"groups\":[%s],\"umask\":%s,\"devices\":[%s],\"root_propagation\":%s,"
      "\"mounts\":{%s},\"cgroup\":%s,\"memory_limit\":%s,\"cpus_allowed\":%s,"
      "\"mems_allowed\":%s}\n",
      caps.c_str(), prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0),
      JsonString(ReadSmall("/proc/self/oom_score_adj")).c_str(), Rlim(RLIMIT_NOFILE).c_str(),
      Rlim(RLIMIT_NPROC).c_str(), Rlim(RLIMIT_CORE).c_str(), getuid(), getgid(), geteuid(),
      getegid(), gl.c_str(), JsonString(StatusField(status, "Umask")).c_str(), devs.c_str(),
      JsonString(root_prop).c_str(), mounts.c_str(),
      JsonString(ReadSmall("/proc/self/cgroup")).c_str(), JsonString(mem).c_str(),
      JsonString(StatusField(status, "Cpus_allowed_list")).c_str(),
      JsonString(StatusField(status, "Mems_allowed_list")).c_str());
  return 0;
}

}  // namespace ctv::probe
