// devices: paravirtual (virtio) against emulated devices, measured through a guest's disk.
//
// For each VM driver selected (qemu, vm) and each device model (emulated, virtio), boots
// warm-up + n guests with a scratch disk (VM option disk=MiB, default kDefaultDiskMib) on
// machine=pc unless the driver's options name another machine, and runs `ctv-probe blkread
// --mib <disk>` in each: the whole disk read with O_DIRECT in 1 MiB blocks. The models alternate
// within each repetition (emulated, virtio, emulated, ...), so a change in the host's load hits
// both alike. Devices by machine: pc IDE (PIIX) vs virtio-blk-pci, q35 SATA (AHCI) vs
// virtio-blk-pci, microvm virtio-mmio only (no emulated disk bus: that row is skipped, saying so).
//
// Metric: devices.disk_read, MiB/s, higher is better = MiB read / the guest's CLOCK_MONOTONIC
// from the first read to the last; one sample per boot. One row per (driver, devices), with the
// parameters machine, devices, disk_model (ide|sata|virtio-blk), read_mib; details name the guest's
// device, its drivers (e.g. sd + ata_piix, virtio_blk + virtio-pci) and QEMU's host cache mode.
// Non-VM drivers come back skipped, with the reason.
//
// Under TCG (no usable KVM) every guest instruction and both devices run in software, so the
// ratio differs from a KVM host's, where an emulated device costs a VM exit per register access
// and virtio batches requests in shared memory: results say which accelerator ran.
#pragma once

#include <memory>

#include "bench/suites/suite.h"

namespace ctv::bench {

inline constexpr int kDefaultDiskMib = 256;

std::unique_ptr<Suite> MakeDevicesSuite();

}  // namespace ctv::bench
