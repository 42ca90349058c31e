// Libvirt domain XML for a VmSpec: the same guest the direct QEMU driver runs (vm/qemu/argv.h),
// expressed for libvirt, plus what only libvirt offers here: <cputune> (CPU quota, the VM
// analogue of `--cpus 0.5`) and <memtune> (host-side memory hard limit).
#pragma once

#include <string>

#include "vm/spec.h"

namespace ctv::vm {

struct DomainLaunch {
  std::string emulator = "/usr/bin/qemu-system-x86_64";
  std::string kernel;
  std::string initrd;
  std::string cmdline;
  std::string console_log;     // ttyS0 -> file
  std::string channel_socket;  // marker channel; QEMU connects (mode='connect')
  // Run QEMU as root:root (a static DAC <seclabel>). For a system daemon (qemu:///system), whose
  // QEMUs run as its own user (libvirt-qemu on Debian) and cannot reach the root-only state dir
  // with the marker socket; the embedded driver already runs QEMU as root (its qemu.conf).
  bool qemu_as_root = false;
};

// libvirt's QEMU namespace (<qemu:capabilities>, <qemu:commandline>).
inline constexpr char kQemuXmlNamespace[] = "http://libvirt.org/schemas/domain/qemu/1.0";

// `accel` kKvm gives <domain type='kvm'> with host-passthrough CPU, kTcg <domain type='qemu'>.
// Every domain drops libvirt's "cpu-unavailable-features" capability (<qemu:capabilities>) so
// that libvirt reads the started guest's CPU back in 2 QMP calls instead of ~400; see the .cc.
std::string DomainXml(const VmSpec& s, Accel accel, const DomainLaunch& l);


}  // namespace ctv::vm
