// Modes that report what the process sees: hostinfo (namespaces' evidence), ptrace (what the
// seccomp profile lets a debugger do), procinfo (what a runtime set up for the process).
#include <dirent.h>
#include <ifaddrs.h>
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

int HostInfo() {
  utsname u;
  uname(&u);
  std::string ifs;
  ifaddrs* list = nullptr;
  std::vector<std::string> seen;
  if (getifaddrs(&list) == 0) {
    for (ifaddrs* a = list; a; a = a->ifa_next) {
      std::string name = a->ifa_name;
      bool dup = false;
      for (const auto& s : seen) dup |= s == name;
      if (dup) continue;
      seen.push_back(name);
      ifs += (ifs.empty() ? "" : ",") + JsonString(name);
    }
    freeifaddrs(list);
  }
  int mounts = 0;
  if (FILE* f = std::fopen("/proc/self/mountinfo", "re")) {
    for (int c; (c = std::fgetc(f)) != EOF;) mounts += c == '\n';
    std::fclose(f);
  }
  int pids = 0;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) pids += e->d_name[0] >= '1' && e->d_name[0] <= '9';
    closedir(d);
  }
  std::printf(
      "{\"mode\":\"hostinfo\",\"pid\":%d,\"ppid\":%d,\"hostname\":%s,\"uid\":%d,\"gid\":%d,"
      "\"kernel_release\":%s,\"kernel_version\":%s,\"interfaces\":[%s],\"mount_count\":%d,"
      "\"visible_pids\":%d,\"pid1_comm\":%s,\"uid_map\":%s,\"cgroup\":%s}\n",
      getpid(), getppid(), JsonString(u.nodename).c_str(), getuid(), getgid(),
      JsonString(u.release).c_str(), JsonString(u.version).c_str(), ifs.c_str(), mounts, pids,
      JsonString(ReadSmall("/proc/1/comm")).c_str(),
      JsonString(ReadSmall("/proc/self/uid_map")).c_str(),
      JsonString(ReadSmall("/proc/self/cgroup")).c_str());
  return 0;
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
  std::string status;
  if (FILE* f = std::fopen("/proc/self/status", "re")) {
    char buf[8192];
    status.assign(buf, std::fread(buf, 1, sizeof buf, f));
    std::fclose(f);
  }
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
