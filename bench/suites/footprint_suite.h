// footprint: what one idle instance (`ctv-probe ready`) costs the host in memory, per driver.
//
// Two parts per driver (docs/suites/footprint.md says how each figure is read):
//  1. One instance at a time, n repetitions, each measured once it is ready and settled:
//       footprint.pss_kib          KiB  PSS summed over the instance's host processes
//                                       (Instance::HostPids: workload, shim, conmon, gVisor's
//                                       sentry and gofer, QEMU); .rss_kib and .uss_kib beside it
//       footprint.cgroup_kib       KiB  usage of the memory cgroup(s) the instance has to itself
//       footprint.cgroup_kernel_kib KiB kernel memory in it, where the kernel reports it
//       footprint.vm_guest_ram_kib KiB  VMs: guest RAM configured
//       footprint.vm_touched_kib   KiB  VMs: host-resident part of the guest-RAM mapping
//       footprint.vm_overhead_kib  KiB  VMs: the VMM's own PSS (QEMU's PSS minus its guest RAM)
//  2. A batch of K instances of the same image started one after another and kept running:
//       footprint.memavailable_drop_kib  KiB  host MemAvailable drop per instance started (n=K):
//                                             counts kernel objects (namespaces, page tables,
//                                             mounts) too; host-wide, so noisy
//       footprint.pss_at_k_kib           KiB  PSS per instance with K running (shared pages
//                                             divided among them)
//       footprint.image_shared_pct       %    of the resident pages of the instance's image
//                                             (container: its files' mappings; VM: guest RAM
//                                             holding its own kernel and initramfs) shared with
//                                             the other K-1
//       footprint.upper_dir_bytes        B    containers: disk bytes of its writable layer
// Parameters: --batch K (default 10), --ksm on|off (KSM merging during the run, restored after).
#pragma once

#include <memory>

#include "bench/suites/suite.h"

namespace ctv::bench {

std::unique_ptr<Suite> MakeFootprintSuite();

}  // namespace ctv::bench
