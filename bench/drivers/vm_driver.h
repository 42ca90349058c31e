// Driver "vm": the guest as a libvirt domain. Default URI qemu:///embed?root=<state>/vm/libvirt
// (libvirt's QEMU driver inside this process: no daemon needed); VmDriverConfig::libvirt_uri
// takes qemu:///system or qemu+ssh://host/system instead (the marker socket and guest files must
// then be reachable by that libvirt's QEMU: same host).
//
// Instance options as for "qemu" (vm/spec.h), same defaults (microvm, emulated devices: libvirt
// 9.0 runs microvm, but places virtio devices on PCI only, so microvm + virtio is refused);
// Limits::cpus -> <cputune> quota, Limits::memory_bytes -> <memtune> hard_limit.
// Domains are transient (created, never defined) and auto-destroyed with the connection.
#pragma once

#include <memory>

#include "bench/driver.h"
#include "vm/setup.h"

namespace ctv::bench {

std::unique_ptr<Driver> MakeVmDriver(const DriverContext& ctx,
                                     const vm::VmDriverConfig& config = {});

}  // namespace ctv::bench
