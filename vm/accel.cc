#include "vm/accel.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "core/clock.h"
#include "core/fd.h"
#include "core/line_reader.h"
#include "core/process.h"
#include "vm/guest/kernel.h"

namespace ctv::vm {
namespace {

bool Exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

std::string KvmModule() {
  // kvm_pvm first: when it is loaded it is the one /dev/kvm talks to on the hosts we know.
  for (const char* m : {"kvm_pvm", "kvm_intel", "kvm_amd"})
    if (Exists(std::string("/sys/module/") + m)) return m;
  return "";
}

// Does the guest kernel's config (/boot/config-<release>) say CONFIG_PVM_GUEST=y?
// nullopt when the config is not available.
std::optional<bool> KernelHasPvmGuest(const std::string& kernel) {
  auto k = FindKernel(kernel);
  if (!k) return std::nullopt;
  auto cfg = ReadFile("/boot/config-" + k->release);
  if (!cfg) return std::nullopt;
  return cfg->find("\nCONFIG_PVM_GUEST=y") != std::string::npos;
}

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

results::KvmInfo ProbeKvm(bool boot_probe, const std::string& kernel,
                          std::chrono::milliseconds timeout) {
  results::KvmInfo info;
  info.device_present = Exists("/dev/kvm");
  info.module = KvmModule();
  if (!info.device_present) {
    info.usable = "no";
    info.why = "/dev/kvm is absent (no hardware virtualisation, or the kvm module is not loaded)";
    return info;
  }
  int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    info.usable = "no";
    info.why = std::string("cannot open /dev/kvm: ") + strerror(errno);
    return info;
  }
  Fd kvm(fd);
  int api = ::ioctl(kvm.Get(), KVM_GET_API_VERSION, 0);
  if (api != KVM_API_VERSION) {
    info.usable = "no";
    info.why = "/dev/kvm reports API version " + std::to_string(api);
    return info;
  }
  int vm = ::ioctl(kvm.Get(), KVM_CREATE_VM, 0);
  if (vm < 0) {
    info.usable = "no";
    info.why = std::string("KVM_CREATE_VM failed: ") + strerror(errno);
    return info;
  }
  ::close(vm);
  kvm.Reset();

  std::string pvm_note;
  if (info.module == "kvm_pvm") {
    pvm_note =
        "/dev/kvm is kvm_pvm (pagetable-based software virtualisation): only guest kernels built "
        "with CONFIG_PVM_GUEST run; stock kernels fault on int3 in early boot";
    auto has = KernelHasPvmGuest(kernel);
    if (has && !*has) {
      info.usable = "no";
      info.why = pvm_note + "; the guest kernel has no CONFIG_PVM_GUEST";
      return info;
    }
  }
  if (!boot_probe) {
    info.usable = pvm_note.empty() ? "yes" : "unknown";
    info.why = pvm_note.empty() ? "KVM_CREATE_VM works (" + info.module + "); no boot probe run"
                                : pvm_note + "; no boot probe run";
    return info;
  }
  std::string k = kernel;
  if (k.empty()) {
    auto found = FindKernel("");
    if (!found) {
      info.usable = "unknown";
      info.why = "no kernel for a boot probe: " + found.error().ToString();
      return info;
    }
    k = found->path;
  }
  std::string why;
  auto ok = BootProbeKvm(k, timeout, &why);
  if (!ok) {
    info.usable = "unknown";
    info.why = "boot probe failed to run: " + ok.error().ToString();
  } else {
    info.usable = *ok ? "yes" : "no";
    info.why = pvm_note.empty() ? why : pvm_note + "; " + why;
  }
  return info;
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
