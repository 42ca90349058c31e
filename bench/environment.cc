#include "bench/environment.h"

#include <dirent.h>
#include <libvirt/libvirt.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "core/fd.h"
#include "core/process.h"
#include "runtime/cgroup/detect.h"
#include "vm/accel.h"

#include "ctv_git_revision.h"  // CTV_GIT_REVISION, written at build time (cmake/git_revision.cmake)

namespace ctv::bench {
namespace {

std::string FieldFromProcFile(const std::string& path, const std::string& key) {
  auto text = ReadFile(path);
  if (!text) return "";
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string v = line.substr(colon + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    return v;
  }
  return "";
}

// First "X.Y[.Z]" in a tool's --version output.
std::string VersionOf(const std::vector<std::string>& argv) {
  if (FindInPath(argv[0]).empty()) return "";
  auto out = RunCommand(argv, std::chrono::seconds(5));
  if (!out || !out->status.Success()) return "";
  std::smatch m;
  std::string text = out->out + out->err;
  if (std::regex_search(text, m, std::regex(R"((\d+\.\d+(\.\d+)?))"))) return m[1];
  return "";
}

std::string LibvirtVersion() {
  unsigned long v = 0;
  if (virGetVersion(&v, nullptr, nullptr) != 0) return "";
  return fmt::format("{}.{}.{}", v / 1000000, v / 1000 % 1000, v % 1000);
}

}  // namespace

std::string CtvbenchRevision() { return CTV_GIT_REVISION; }

std::vector<std::string> FindGuestKernels() {
  std::vector<std::string> out;
  if (DIR* d = ::opendir("/boot")) {
    while (dirent* e = ::readdir(d))
      if (std::string(e->d_name).rfind("vmlinuz-", 0) == 0) out.push_back("/boot/" + std::string(e->d_name));
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

results::Environment CollectEnvironment(bool probe_kvm_boot) {
  results::Environment e;
  utsname u;
  ::uname(&u);
  e.hostname = u.nodename;
  e.kernel_release = u.release;
  e.kernel_version = u.version;
  e.arch = u.machine;
  e.cpu_model = FieldFromProcFile("/proc/cpuinfo", "model name");
  e.cpu_count = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  std::string mem = FieldFromProcFile("/proc/meminfo", "MemTotal");
  e.memory_bytes = mem.empty() ? 0 : std::stoull(mem) * 1024;
  if (auto cg = cgroup::DetectCgroups()) {
    e.cgroup_mode = cg->mode;
    e.cgroup_controllers = cg->controllers;
  } else {
    e.cgroup_mode = "none";
  }
  vm::KvmInfo kvm = vm::ProbeKvm(probe_kvm_boot);
  e.kvm = {kvm.device_present, kvm.module, kvm.usable, kvm.why};
  if (auto ksm = ReadFile("/sys/kernel/mm/ksm/run")) e.ksm_enabled = !ksm->empty() && (*ksm)[0] != '0';
  struct Tool {
    const char* name;
    std::vector<std::string> argv;
  };
  for (const Tool& t : {Tool{"qemu", {"qemu-system-x86_64", "--version"}},
                        Tool{"runc", {"runc", "--version"}}, Tool{"crun", {"crun", "--version"}},
                        Tool{"gnuplot", {"gnuplot", "--version"}}}) {
    std::string v = VersionOf(t.argv);
    if (!v.empty()) e.tools[t.name] = v;
  }
  if (std::string v = LibvirtVersion(); !v.empty()) e.tools["libvirt"] = v;
  e.ctvbench_revision = CtvbenchRevision();
  return e;
}

}  // namespace ctv::bench
