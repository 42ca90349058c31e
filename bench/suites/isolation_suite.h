// isolation: evidence of what each driver isolates, read inside the instance and outside it, and
// the lifecycle cases the lecture notes claim. One result row per driver and case, parameters
// {"case": ...}; the schema is in docs/suites/isolation.md.
//
//   namespaces     ctv-probe hostinfo --hold inside the instance (namespace inode numbers,
//                  hostname, interfaces, mounts, IPC objects, ids, kernel and boot id, CapEff,
//                  seccomp, no_new_privs) and, while it holds, the host's view of its PID 1
//                  (Instance::WorkloadHostPid: /proc/PID/ns/*, /proc/PID/cgroup, NSpid) or, where
//                  the workload is no host process (VM: qemu; gVisor: the sandbox), of the
//                  instance's first host process (Instance::HostPids), said so in the data. The
//                  host's own view is the same probe run as a child of the harness.
//   pid1_exit      ctv-probe orphan: PID 1 forks a sleeping child and exits; which of the
//                  instance's host processes (and the child) are still alive afterwards.
//   storage        ctv-probe persist: a file in the root file system (the writable layer) and
//                  one in a volume; after the instance is removed, is the layer gone and the
//                  volume file kept? Needs Driver::SupportsVolumes; the writable layer is the overlay upper dir of the
//                  workload's root, read from its mountinfo while it runs.
//   port_conflict  two instances of one driver with options net=bridge, ports=PORT:7000: the
//                  second must fail, and its error is recorded. PORT is chosen by the kernel and
//                  held by the run (held_port.h), so two runs at once do not collide. Drivers
//                  that refuse the options are skipped with their own words.
// The report computes "isolated / shared" from these data (reports/isolation_view.cc); the suite
// never types a verdict in. Each case runs once per driver: it is evidence, not statistics
// (--repetitions does not multiply it).
#pragma once

#include <memory>
#include <string>

#include "bench/suites/suite.h"

namespace ctv::bench {

struct IsolationSuiteOptions {
  std::string probe_path;  // empty: ctv-probe next to the running binary
  int hold_ms = 1500;      // how long the probe holds after its ready marker
  // The host port both port_conflict instances ask for; 0: one chosen by the kernel and held for
  // the case (held_port.h).
  int port = 0;
};

std::unique_ptr<Suite> MakeIsolationSuite(IsolationSuiteOptions options = {});

}  // namespace ctv::bench
