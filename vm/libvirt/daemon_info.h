// What a libvirt daemon's host offers, asked through the connection (so it holds for a host
// reached with qemu+ssh:// as for this one): for `ctvbench doctor --libvirt-uri` and for the `vm`
// driver, which must not apply this host's facts (its KVM, its TSC rate) to another.
#pragma once

#include <libvirt/libvirt.h>

#include <cstdint>
#include <string>

#include "core/error.h"

namespace ctv::vm::lv {

// Whether the daemon offers KVM domains for x86_64 (virConnectGetDomainCapabilities with
// virttype "kvm"); `why` gets libvirt's answer when not. Offered is not proof that a guest boots:
// see vm/accel.h (kvm_pvm).
bool KvmOffered(virConnectPtr conn, std::string* why);

// The host's TSC rate in kHz: from libvirt's capabilities (<counter name='tsc' frequency='HZ'/>),
// which libvirt reads from KVM and so reports only where /dev/kvm exists; else from the node's
// CPU frequency (virNodeGetInfo: the host's /proc/cpuinfo "cpu MHz", the TSC rate on CPUs with
// constant_tsc, to 1 MHz), as vm::HostTscKhz reads it locally. 0 when neither is known.
uint64_t TscKhz(virConnectPtr conn);

struct DaemonInfo {
  std::string hostname;
  std::string libvirt_version;  // the daemon's, "9.0.0"
  std::string qemu_version;     // its hypervisor's, "7.2.22"
  bool kvm_offered = false;
  std::string kvm_why;          // libvirt's reason when not offered
  uint64_t tsc_khz = 0;
};

Result<DaemonInfo> DescribeDaemon(virConnectPtr conn);

}  // namespace ctv::vm::lv
