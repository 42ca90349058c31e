// Which accelerator a guest really gets: KVM when it is present AND can run our guest kernel,
// else TCG (QEMU's emulator), and why. Every VM figure carries the answer.
//
// Why a boot probe: /dev/kvm existing proves little. On this project's CI host /dev/kvm belongs
// to kvm_pvm (pagetable-based software virtualisation), which only runs kernels built with
// CONFIG_PVM_GUEST; a stock kernel dies on int3 early in boot and QEMU just hangs. On a normal
// host (kvm_intel/kvm_amd) KVM works. Only running the kernel tells the cases apart reliably.
#pragma once

#include <chrono>
#include <string>

#include "core/error.h"
#include "reports/results.h"

namespace ctv::vm {

enum class Accel { kAuto, kKvm, kTcg };
std::string AccelName(Accel a);  // "auto", "kvm", "tcg"
Result<Accel> ParseAccel(const std::string& s);

// device_present, module, usable ("yes"/"no"/"unknown") and why.
// Without a boot probe, a present and openable KVM (KVM_CREATE_VM works) is "yes" for
// kvm_intel/kvm_amd and "no" for kvm_pvm (named precisely). With boot_probe, a kernel is booted
// under KVM with a timeout (`kernel`: the guest kernel; "" = newest /boot/vmlinuz-*) and the answer
// is what happened.
results::KvmInfo ProbeKvm(bool boot_probe, const std::string& kernel = "",
                          std::chrono::milliseconds timeout = std::chrono::seconds(8));

// Boots `kernel` under KVM without a root filesystem and waits for the kernel to reach the
// point where it looks for one (proof that guest ring-0 code runs). Ok(true) when it did.
Result<bool> BootProbeKvm(const std::string& kernel, std::chrono::milliseconds timeout,
                          std::string* why);

// The TSC frequency of the host in kHz (0 when unknown). Passed to TCG microvm guests as
// tsc_early_khz: without it their TSC calibration hangs intermittently under emulation.
uint64_t HostTscKhz();

}  // namespace ctv::vm
