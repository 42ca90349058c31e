#include "vm/accel.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>

#include "core/clock.h"
#include "core/fd.h"
#include "core/line_reader.h"
#include "core/log.h"
#include "core/process.h"
#include "vm/guest/kernel.h"

namespace ctv::vm {
namespace {

bool Exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

std::string KvmModule(const std::string& sys_module) {
  // kvm_pvm first: when it is loaded it is the one /dev/kvm talks to on the hosts we know.
  for (const char* m : {"kvm_pvm", "kvm_intel", "kvm_amd"})
    if (Exists(sys_module + "/" + m)) return m;
  return "";
}

// Does any "flags" line of /proc/cpuinfo name vmx or svm?
bool CpuHasVirtFlag(const std::string& cpuinfo) {
  auto text = ReadFile(cpuinfo);
  if (!text) return false;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') == std::string::npos ? line.size()
                                                                              : line.find(':') + 1));
    std::string w;
    while (words >> w)
      if (w == "vmx" || w == "svm") return true;
  }
  return false;
}

std::string ErrnoName(int e) { return std::string(strerrorname_np(e) ? strerrorname_np(e) : "?"); }

}  // namespace

std::string AccelName(Accel a) {
  switch (a) {
    case Accel::kAuto:
      return "auto";
    case Accel::kKvm:
      return "kvm";
    case Accel::kTcg:
      return "tcg";
  }
  return "?";
}

Result<Accel> ParseAccel(const std::string& s) {
  if (s == "auto" || s.empty()) return Accel::kAuto;
  if (s == "kvm") return Accel::kKvm;
  if (s == "tcg") return Accel::kTcg;
  return MakeError("parse accelerator", s, "expected auto, kvm or tcg");
}

Result<bool> BootProbeKvm(const std::string& kernel, std::chrono::milliseconds timeout,
                          std::string* why) {
  std::string qemu = FindInPath("qemu-system-x86_64");
  if (qemu.empty()) {
    *why = "qemu-system-x86_64 not found";
    return false;
  }
  PipePair out = CTV_TRY(MakePipe());
  SpawnOptions so;
  so.argv = {qemu,
             "-accel",
             "kvm",
             "-machine",
             "pc",
             "-cpu",
             "host",
             "-nodefaults",
             "-no-user-config",
             "-display",
             "none",
             "-no-reboot",
             "-m",
             "256",
             "-serial",
             "stdio",
             "-kernel",
             kernel,
             "-append",
             "console=ttyS0 panic=-1 loglevel=4"};
  so.stdout_fd = out.write.Get();
  so.stderr_fd = out.write.Get();
  so.new_process_group = true;
  Child child = CTV_TRY(Spawn(so));
  out.write.Reset();
  LineReader reader(out.read.Get());
  int64_t deadline = MonotonicNs() + timeout.count() * 1'000'000;
  std::string last;
  for (;;) {
    int64_t left = (deadline - MonotonicNs()) / 1'000'000;
    if (left <= 0) {
      *why = "a kernel booted under KVM gave no sign of life within " +
             std::to_string(timeout.count()) + " ms" +
             (last.empty() ? "" : " (last: " + last + ")");
      return false;
    }
    auto line = reader.Next(std::chrono::milliseconds(left));
    if (!line || !*line) {
      if (line)
        *why = "qemu exited during the KVM boot probe" + (last.empty() ? "" : ": " + last);
      else
        *why = "a kernel booted under KVM gave no sign of life within " +
               std::to_string(timeout.count()) + " ms";
      return false;
    }
    const std::string& t = (*line)->text;
    if (!t.empty()) last = t;
    // The kernel got as far as looking for a root filesystem: guest ring-0 code runs under KVM.
    if (t.find("VFS:") != std::string::npos || t.find("Kernel panic") != std::string::npos) {
      *why = "a kernel booted under KVM up to mounting its root filesystem";
      return true;
    }
  }
}

KvmFacts ReadKvmFacts(const KvmHostPaths& paths, const std::string& guest_release) {
  KvmFacts f;
  f.module = KvmModule(paths.sys_module);
  f.cpu_virt_flag = CpuHasVirtFlag(paths.cpuinfo);
  if (!guest_release.empty()) {
    if (auto cfg = ReadFile(paths.boot_dir + "/config-" + guest_release))
      f.guest_pvm = cfg->find("\nCONFIG_PVM_GUEST=y") != std::string::npos;
  }
  f.device_present = Exists(paths.device);
  if (!f.device_present) return f;
  int fd = ::open(paths.device.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    f.open_errno = errno;
    return f;
  }
  Fd kvm(fd);
  f.api_version = ::ioctl(kvm.Get(), KVM_GET_API_VERSION, 0);
  if (f.api_version < 0) {
    f.api_errno = errno;
    return f;
  }
  if (f.api_version != KVM_API_VERSION) return f;
  int vm = ::ioctl(kvm.Get(), KVM_CREATE_VM, 0);
  if (vm < 0) {
    f.create_vm_errno = errno;
    return f;
  }
  Fd created(vm);
  return f;
}

KvmInfo JudgeKvm(const KvmFacts& f) {
  KvmInfo info;
  info.device_present = f.device_present;
  info.module = f.module;
  info.usable = "no";
  if (!f.device_present) {
    if (!f.module.empty())
      info.why = "/dev/kvm is absent although " + f.module +
                 " is loaded (this machine has no device node for it)";
    else if (!f.cpu_virt_flag)
      info.why = "/dev/kvm is absent and the CPU shows no vmx/svm flag (no hardware "
                 "virtualisation offered to this machine)";
    else
      info.why = "/dev/kvm is absent (the CPU has vmx/svm: load kvm_intel or kvm_amd)";
    return info;
  }
  if (f.open_errno) {
    info.why = "cannot open /dev/kvm: " + ErrnoName(f.open_errno) + " (" +
               strerror(f.open_errno) + ")";
    return info;
  }
  if (f.api_errno) {
    info.why = "/dev/kvm is not a KVM device (KVM_GET_API_VERSION: " + ErrnoName(f.api_errno) + ")";
    return info;
  }
  if (f.api_version != KVM_API_VERSION) {
    info.why = "/dev/kvm reports API version " + std::to_string(f.api_version) + ", not " +
               std::to_string(KVM_API_VERSION);
    return info;
  }
  if (f.create_vm_errno) {
    info.why = "KVM_CREATE_VM failed: " + ErrnoName(f.create_vm_errno) + " (" +
               strerror(f.create_vm_errno) + ")";
    return info;
  }
  if (f.module == "kvm_pvm") {
    std::string pvm_note =
        "/dev/kvm is kvm_pvm (pagetable-based software virtualisation): only guest kernels built "
        "with CONFIG_PVM_GUEST run; stock kernels fault on int3 in early boot";
    if (f.guest_pvm && !*f.guest_pvm) {
      info.why = pvm_note + "; the guest kernel has no CONFIG_PVM_GUEST";
      return info;
    }
    info.usable = "unknown";
    info.why = pvm_note + "; no boot probe run";
    return info;
  }
  info.usable = "yes";
  info.why = "KVM_CREATE_VM works (" + (f.module.empty() ? "module unknown" : f.module) +
             "); no boot probe run";
  return info;
}

KvmInfo ProbeKvm(bool boot_probe, const std::string& kernel, std::chrono::milliseconds timeout,
                 const KvmHostPaths& paths) {
  // The guest kernel is looked up (and hashed) only when its answer matters: for the boot probe,
  // or to read its CONFIG_PVM_GUEST under kvm_pvm.
  std::optional<Result<KernelFile>> k;
  if (boot_probe || KvmModule(paths.sys_module) == "kvm_pvm") k = FindKernel(kernel);
  KvmInfo info = JudgeKvm(ReadKvmFacts(paths, k && *k ? (*k)->release : ""));
  if (!boot_probe || info.usable == "no") return info;
  if (!*k) {
    info.usable = "unknown";
    info.why += "; no kernel for a boot probe: " + k->error().ToString();
    return info;
  }
  // The judgement without a probe ends in "; no boot probe run" or is plain "yes": keep what it
  // says about the device (kvm_pvm's note) and add what the probe saw.
  std::string prefix = info.module == "kvm_pvm"
                           ? info.why.substr(0, info.why.rfind("; no boot probe run")) + "; "
                           : "";
  std::string why;
  auto ok = BootProbeKvm((*k)->path, timeout, &why);
  if (!ok) {
    info.usable = "unknown";
    info.why = prefix + "boot probe failed to run: " + ok.error().ToString();
  } else {
    info.usable = *ok ? "yes" : "no";
    info.why = prefix + why;
  }
  return info;
}

ResolvedAccel ResolveAccel(Accel requested, const std::string& kernel) {
  if (requested == Accel::kKvm) return {Accel::kKvm, "kvm (requested)"};
  if (requested == Accel::kTcg) return {Accel::kTcg, "tcg (requested)"};
  static std::mutex mu;
  static std::map<std::string, ResolvedAccel> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(kernel);
  if (it != cache.end()) return it->second;
  KvmInfo info = ProbeKvm(/*boot_probe=*/true, kernel);
  ResolvedAccel r;
  if (info.usable == "yes") {
    r = {Accel::kKvm, "auto: kvm (" + info.why + ")"};
  } else {
    r = {Accel::kTcg, "auto: KVM not usable (" + info.why + "); using TCG (emulation)"};
    Log(LogLevel::kWarn, "vm: {}", r.note);
  }
  cache[kernel] = r;
  return r;
}

std::string ExpectedAccelerator(const std::string& kernel, std::string* why) {
  std::string sink;
  if (!why) why = &sink;
  KvmInfo info = ProbeKvm(/*boot_probe=*/false, kernel);
  if (info.usable == "no") {
    *why = "KVM not usable, guests run under TCG emulation: " + info.why;
    return "tcg";
  }
  auto found = FindKernel(kernel);
  if (!found) {
    *why = "no guest kernel to probe KVM with: " + found.error().ToString();
    return "tcg";
  }
  ResolvedAccel r = ResolveAccel(Accel::kAuto, found->path);
  *why = r.note;
  return r.accel == Accel::kKvm ? "kvm" : "tcg";
}

uint64_t HostTscKhz() {
  auto cpuinfo = ReadFile("/proc/cpuinfo");
  if (!cpuinfo) return 0;
  // With constant_tsc/tsc_known_freq the reported "cpu MHz" is the TSC rate.
  std::istringstream in(*cpuinfo);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("cpu MHz", 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) break;
    double mhz = std::strtod(line.c_str() + colon + 1, nullptr);
    return mhz > 0 ? static_cast<uint64_t>(mhz * 1000.0 + 0.5) : 0;
  }
  return 0;
}

}  // namespace ctv::vm
