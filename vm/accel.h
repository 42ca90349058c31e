// Which accelerator a guest really gets: KVM when it is present AND can run our guest kernel,
// else TCG (QEMU's emulator), and why. Every VM figure carries the answer.
//
// Why a boot probe: /dev/kvm existing proves little. On this project's CI host /dev/kvm belongs
// to kvm_pvm (pagetable-based software virtualisation), which only runs kernels built with
// CONFIG_PVM_GUEST; a stock kernel dies on int3 early in boot and QEMU just hangs. On a normal
// host (kvm_intel/kvm_amd) KVM works. Only running the kernel tells the cases apart reliably.
//
// Testable edges: what the host shows (KvmFacts) is read from paths a test can point at fixtures
// (KvmHostPaths), and judged by a pure function (JudgeKvm), so every case is a unit test whatever
// the machine running it has; only the boot probe needs the real thing.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/error.h"

namespace ctv::vm {

enum class Accel { kAuto, kKvm, kTcg };
std::string AccelName(Accel a);  // "auto", "kvm", "tcg"
Result<Accel> ParseAccel(const std::string& s);

// Where the facts about KVM are read. The defaults are the real host's.
struct KvmHostPaths {
  std::string device = "/dev/kvm";
  std::string sys_module = "/sys/module";  // a loaded module is a directory: kvm_intel/, kvm_pvm/
  std::string cpuinfo = "/proc/cpuinfo";   // the CPU's vmx (Intel) or svm (AMD) flag
  std::string boot_dir = "/boot";          // config-<release> of the guest kernel
};

// What the host shows about KVM, before any judgement.
struct KvmFacts {
  bool device_present = false;
  int open_errno = 0;           // open(device, O_RDWR) failed with this (0: opened)
  int api_errno = 0;            // KVM_GET_API_VERSION failed with this (e.g. ENOTTY: not KVM)
  int api_version = -1;         // what it returned when it worked
  int create_vm_errno = 0;      // KVM_CREATE_VM failed with this (0: a VM was created)
  std::string module;           // "kvm_pvm", "kvm_intel", "kvm_amd", "" when none is loaded
  bool cpu_virt_flag = false;   // vmx or svm among the CPU flags
  std::optional<bool> guest_pvm;  // the guest kernel has CONFIG_PVM_GUEST=y (nullopt: unknown)
};

// Reads the facts; `guest_release` ("6.1.0-56-amd64", may be "") names the guest kernel whose
// config answers guest_pvm. Opens the device and creates (and closes) one VM when it can.
KvmFacts ReadKvmFacts(const KvmHostPaths& paths, const std::string& guest_release);

struct KvmInfo {
  bool device_present = false;
  std::string module;  // as in KvmFacts
  std::string usable;  // "yes", "no", "unknown" (not decidable without a boot probe)
  std::string why;     // the reason behind `usable`, naming what was seen
};

// The verdict without a boot probe: "no" with the first obstacle named (absent device, and
// whether the CPU offers virtualisation at all; open, API or KVM_CREATE_VM failures; kvm_pvm with
// a guest kernel lacking CONFIG_PVM_GUEST), "unknown" for kvm_pvm otherwise, "yes" when a VM
// could be created on kvm_intel/kvm_amd.
KvmInfo JudgeKvm(const KvmFacts& facts);

// JudgeKvm of this host (or of `paths`); with `boot_probe` and a verdict other than "no", a
// kernel is booted under KVM with `timeout` (`kernel`: the guest kernel; "" = newest
// /boot/vmlinuz-*) and the answer is what happened.
KvmInfo ProbeKvm(bool boot_probe, const std::string& kernel = "",
                 std::chrono::milliseconds timeout = std::chrono::seconds(8),
                 const KvmHostPaths& paths = {});

// Boots `kernel` under KVM without a root filesystem and waits for the kernel to reach the
// point where it looks for one (proof that guest ring-0 code runs). Ok(true) when it did.
Result<bool> BootProbeKvm(const std::string& kernel, std::chrono::milliseconds timeout,
                          std::string* why);

struct ResolvedAccel {
  Accel accel = Accel::kTcg;  // kKvm or kTcg
  std::string note;           // e.g. "auto: KVM not usable (...); using TCG"
};

// kKvm and kTcg are taken as asked. kAuto probes KVM (ProbeKvm with a boot probe of `kernel`,
// bounded by a timeout) once per process and kernel, and falls back to TCG saying why.
ResolvedAccel ResolveAccel(Accel requested, const std::string& kernel);

// What `accel=auto` instances will use, for a driver's availability check: "tcg" at once when KVM
// is absent or known unusable (kvm_pvm with a stock kernel); when KVM looks usable, the answer of
// the (cached) boot probe of `kernel`, so a figure is never labelled kvm on a host where KVM
// cannot boot it.
std::string ExpectedAccelerator(const std::string& kernel = "", std::string* why = nullptr);

// The TSC frequency of the host in kHz (0 when unknown). Passed to TCG microvm guests as
// tsc_early_khz: without it their TSC calibration hangs intermittently under emulation.
uint64_t HostTscKhz();

}  // namespace ctv::vm
