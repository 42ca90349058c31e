// Driver "vm": the guest as a libvirt domain. Default URI qemu:///embed?root=<state>/vm/libvirt
// (libvirt's QEMU driver inside this process: no daemon needed; QEMU reads the guest files from
// the local cache and connects to the marker socket). VmDriverConfig::libvirt_uri takes a daemon
// instead, on this host (qemu:///system) or another (qemu+ssh://host/system): then everything
// goes through the libvirt connection, so the daemon's host needs nothing from this one. The
// guest's kernel and initramfs are uploaded once into a storage pool there (vm/libvirt/volumes.h),
// and the console and marker channel are ptys read as libvirt streams (vm/libvirt/stream_bridge.h;
// marker arrival times then include that relay, and the results say so: marker_transport). On
// another host `accel=auto` is resolved there (KVM offered and a boot under it reaches ready, or
// TCG), and its TSC rate comes from libvirt's capabilities.
//
// Instance options as for "qemu" (vm/spec.h), same defaults (microvm, emulated devices: libvirt
// 9.0 runs microvm, but places virtio devices on PCI only, so microvm + virtio is refused);
// Limits::cpus -> <cputune> quota, Limits::memory_bytes -> <memtune> hard_limit.
// Domains are transient (created, never defined); under a daemon they are auto-destroyed when
// the connection goes (the harness killed, the ssh link lost).
#pragma once

#include <memory>

#include "bench/driver.h"
#include "bench/drivers/guest_driver.h"

namespace ctv::bench {

std::unique_ptr<Driver> MakeVmDriver(const DriverContext& ctx,
                                     const VmDriverConfig& config = {});

}  // namespace ctv::bench
