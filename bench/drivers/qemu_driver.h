// Driver "qemu": the guest as a plain qemu-system-x86_64 process (no libvirt). It is the fastest
// VM configuration (microvm is available here) and the yardstick for libvirt's own cost.
//
// Instance options (InstanceSpec::options, see vm/spec.h): machine (microvm|pc|q35, default
// microvm), accel (auto|kvm|tcg), devices (emulated|virtio), boot (pvh|bzimage), vcpus, memory
// (MiB), cmdline. Limits are not applied by this driver (QEMU has no cgroup of its own here).
#pragma once

#include <memory>

#include "bench/driver.h"
#include "bench/drivers/guest_driver.h"

namespace ctv::bench {

std::unique_ptr<Driver> MakeQemuDriver(const DriverContext& ctx,
                                       const VmDriverConfig& config = {});

}  // namespace ctv::bench
