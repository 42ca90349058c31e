#include "tests/integration/vm_test_env.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "bench/image/probe_image.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/process.h"
#include "vm/gc.h"
#include "vm/guest/kernel.h"

namespace ctv::test {

namespace {
const TempDir& ProcessDir() {
  static TempDir* dir = new TempDir();  // removed by the atexit hook below
  static bool hooked = [] { return std::atexit([] { delete dir; }) == 0; }();
  (void)hooked;
  return *dir;
}
}  // namespace

VmTestEnv::VmTestEnv(bool own_state) {
  ctx_.probe_path = Bin("ctv-probe");
  ctx_.image_dir = ProcessDir() / "image";
  ctx_.state_dir = ProcessDir() / "state";
  if (own_state) ctx_.state_dir = own_.emplace() / "state";
  if (getuid() != 0) {
    missing_ = "VM integration tests need root (they start QEMU and the embedded libvirt)";
    return;
  }
  if (FindInPath("qemu-system-x86_64").empty()) {
    missing_ = "qemu-system-x86_64 not installed (Debian package qemu-system-x86)";
    return;
  }
  if (auto k = vm::FindKernel(""); !k) {
    missing_ = "no guest kernel: " + k.error().ToString();
    return;
  }
  if (::access((ctx_.image_dir + "/index.json").c_str(), R_OK) == 0) return;
  auto d = bench::BuildProbeImage({"/bin/busybox", ctx_.probe_path}, ctx_.image_dir);
  if (!d) missing_ = "cannot build the probe image: " + d.error().ToString();
}

VmTestEnv::~VmTestEnv() {
  // Whatever a failed test left: QEMUs, domains, instance dirs (RAII for the tests themselves).
  for (int pid : QemuPids()) ::kill(pid, SIGKILL);
  if (own_) {
    // Another process's embedded libvirt root: collect it from another process too.
    (void)RunCommand({Bin("vm-kill-helper"), "gc", ctx_.state_dir}, std::chrono::seconds(60));
  } else {
    (void)vm::CollectGarbage(VmRoot(), nullptr);
  }
}

std::vector<int> VmTestEnv::QemuPids() const {
  std::vector<int> out;
  auto entries = ctv::fs::ListDir("/proc");
  if (!entries) return out;
  for (const std::string& e : *entries) {
    int pid = std::atoi(e.c_str());
    if (pid <= 0) continue;
    auto c = ReadFile("/proc/" + e + "/cmdline");
    if (!c || c->find("qemu-system-") == std::string::npos) continue;
    if (c->find(ctx_.state_dir + "/") == std::string::npos) continue;
    auto stat = ReadFile("/proc/" + e + "/stat");
    if (stat && stat->find(") Z ") != std::string::npos) continue;  // exited, not yet reaped
    out.push_back(pid);
  }
  return out;
}

std::vector<std::string> VmTestEnv::LibvirtCgroupLeftovers() const {
  const std::string prefix = vm::MachineGroupPrefix(VmRoot() + "/libvirt");
  std::vector<std::string> out;
  auto hierarchies = ctv::fs::ListDir("/sys/fs/cgroup");
  if (!hierarchies) return out;
  for (const std::string& h : *hierarchies) {
    std::string machine = "/sys/fs/cgroup/" + h + "/machine";
    auto groups = ctv::fs::ListDir(machine);
    if (!groups || !ctv::fs::Exists(machine)) continue;
    bool has_group = false;
    for (const std::string& g : *groups) {
      struct stat st;
      if (::stat((machine + "/" + g).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
      has_group = true;
      // Only this root's groups ("qemu-embed-<its hash>-<n>-ctv..."): a system daemon's live
      // domains ("qemu-<n>-<name>") and other tests' embedded roots are not ours to judge.
      if (g.rfind(prefix, 0) == 0 && g.find("-ctv") != std::string::npos)
        out.push_back(machine + "/" + g);
    }
    if (!has_group) out.push_back(machine + " (empty)");
  }
  return out;
}

std::string VmTestEnv::MachineGroupOf(int pid) {
  auto text = ReadFile("/proc/" + std::to_string(pid) + "/cgroup");
  if (!text) return "";
  // "5:pids:/machine/qemu-embed-1a2b3c4d-1-ctv-x.libvirt-qemu/emulator"
  size_t at = text->find(":/machine/");
  if (at == std::string::npos) return "";
  size_t end = text->find_first_of("/\n", at + 10);
  return text->substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
}

std::vector<std::string> VmTestEnv::InstanceDirs() const {
  auto l = ctv::fs::ListDir(VmRoot() + "/inst");
  return l ? *l : std::vector<std::string>{};
}

}  // namespace ctv::test
