// security: breakout attempts from inside a default instance of each driver (issue 15).
//
// Each selected driver runs one instance of `ctv-probe breakout` with the driver's defaults (no
// option added: the point is what a default container or VM denies). The probe tries each
// attempt of BreakoutAttempts() in a child of its own and reports allowed / denied with the
// errno (bench/workload/probe_breakout.cc says why each attempt is harmless when allowed, which
// is why the host driver runs them too: the unconfined floor, as root on the host).
//
// One result row per driver. Metrics: breakout.<attempt> (unit "denied": 1 denied, 0 allowed; a
// skipped attempt has no metric), breakout.denied and breakout.allowed (counts). Details:
// breakout.attempts (name, result, errno, errno_name, detail per attempt), own_kernel (the
// instance's boot id differs from the host's: a VM's "allowed" acted on its guest kernel only).
// Schema and reading: docs/suites/security.md.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bench/suites/suite.h"

namespace ctv::bench {

// The attempts, in the probe's (and the report's) order.
const std::vector<std::string>& BreakoutAttempts();

// MiB the disk_fill attempt writes (and removes) inside each instance.
inline constexpr int kBreakoutDiskMib = 32;

std::unique_ptr<Suite> MakeSecuritySuite();

}  // namespace ctv::bench
