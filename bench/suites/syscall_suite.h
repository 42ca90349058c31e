// syscall: nanoseconds per operation inside each instance, against the host process.
//
// For each selected driver, warm-up + n instances each run `ctv-probe syscall --op <all ops>
// --ms 100`: every op loops for ~100 ms in doubling batches (the loop count adapts to the
// platform: a TCG guest is 10-100x slower) and reports ns per op on the instance's own clock.
// Ops (docs/suites/syscall.md): getppid (the bare syscall), clock (clock_gettime through the
// vDSO: no syscall at all), pipe (1-byte write + read), openclose, stat, fault (first touch of
// a fresh page), fork (fork + wait), devwrite (a 64-byte line to stdout: in a guest the console
// device, which leaves the guest; on the host and in containers a pipe to the harness).
//
// A driver with a `seccomp` option (ctvrt, the OCI runtimes) gets a second row with seccomp=0
// unless the user set it: the difference is the filter's cost alone.
//
// Metrics per row: syscall.<op>_ns (unit ns, one sample per instance). Details: loop_iters (op ->
// loop count of the last sample), ratio_to_host (op -> median / the host row's median, when the
// host driver ran in the same suite).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bench/suites/suite.h"

namespace ctv::bench {

// The ops in report order.
const std::vector<std::string>& SyscallOps();

std::unique_ptr<Suite> MakeSyscallSuite();

}  // namespace ctv::bench
