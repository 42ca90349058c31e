// cgroup: resource limits requested against what each instance really obtained.
//
// For each selected driver and repetition, the cases (docs/suites/cgroup.md):
//   memory      limit 64 MiB, the probe touches 128 MiB (memtouch --ready 1): peak usage, OOM kill
//               seen (the probe ended by SIGKILL / exit 137, the cgroup's oom_kill count), time
//               from the first touch to the kill;
//   memory_high cgroup v2 only: memory.high 64 MiB (no max), the probe tries to touch 128 MiB for
//               at most 3 s (memtouch --seconds 3): killed or not (it should be throttled, not
//               killed), memory.events `high`, peak usage, MiB touched. Skipped on a v1 host with
//               the reason (the runtime side is tested in a v2 guest);
//   cpu_quota   0.25, 0.5, 1.0, 1.5 cores on a 2-thread spinner (cpuspin --ready 1): obtained
//               cores = the cgroup's CPU usage over a 500 ms window while it spins (a VM without
//               groups of ours: its QEMU threads' CPU time), throttled periods;
//   cpu_shares  two instances pinned to CPU 0 (cpuset), cpu.shares 512 and 1024, spinning at
//               once: the obtained ratio of their CPU usage (requested 2); the cpuset case is
//               the same run: sched_getaffinity inside equals "0";
//   pids        pids limit 32, a fork bomb of up to 256 children: forks obtained (the probe is
//               one of the 32), and a host fork right after still works;
//   io_read     a read limit of 4 MiB/s on the disk under a fresh host directory mounted as a
//               volume; the probe reads an 8 MiB file there with O_DIRECT (blkread --path):
//               MiB/s obtained. Skipped where the directory is on no block device, or the
//               driver mounts no volumes.
// A case a driver cannot apply (Create refuses the limit: a plain host process, QEMU without a
// group) is skipped for that driver with its reason. A VM's memory case is its analogue: no host
// limit, the probe touches twice the guest's RAM and the guest kernel's OOM killer should end it
// (cgroup.memory.guest_oom_killed). Metrics: cgroup.<case>.<figure>; details: requested values,
// error %, cgroup_version (the hierarchy read: "v1" here; v2 enforcement is covered in a guest
// by tests/integration/runtime_cgroup_v2_test.cc) and the accounting source.
#pragma once

#include <memory>

#include "bench/suites/suite.h"

namespace ctv::bench {

std::unique_ptr<Suite> MakeCgroupSuite();

}  // namespace ctv::bench
