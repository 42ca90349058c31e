// density: how many idle instances (`ctv-probe ready`) of one driver fit on this host.
//
// Per driver, instances are started and kept running, P at a time (--parallel, default 1),
// until the first of these stops the ramp (recorded in details.stopped_by):
//   max       --max N instances (default 1000 for containers, sandboxes and host processes, 64 for
//             VMs)
//   budget    the next step would take the instances past --budget BYTES of host memory (default:
//             half of MemAvailable at the start), as estimated from the cost per instance so far
//   reserve   MemAvailable would drop below 10% of MemTotal
//   swap, oom the host started swapping (pswpout grew), or the OOM killer killed (oom_kill grew)
//   time      --ramp-time S of ramping for this driver (default 30 s; 0 = no limit)
//   failure   a launch failed (its error is kept)
//   interrupt Ctrl-C
// At N = 1, 2, 4, 8... (and where it stopped) a step records, in details.steps: N, the host
// MemAvailable drop per instance, the summed PSS of the instances' host processes per instance,
// and the launch -> ready time of the instance(s) just started. Everything is stopped and
// destroyed at the end (also after Ctrl-C; `ctvbench gc` after a SIGKILL).
// Metrics: density.instances (N reached), density.launch_ms (every launch, in order),
// density.memavailable_drop_kib and density.pss_kib (per instance at N), and with --parallel P
// density.parallel_start_ms (first start call -> all P ready, per group).
#pragma once

#include <memory>

#include "bench/suites/suite.h"

namespace ctv::bench {

std::unique_ptr<Suite> MakeDensitySuite();

}  // namespace ctv::bench
