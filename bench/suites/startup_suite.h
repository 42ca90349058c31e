// startup: how long from the launch call until the workload is ready, per driver.
//
// Interval: from the harness's timestamp just before the driver's launch call to the moment the
// harness reads ctv-probe's "CTV-READY" line (host CLOCK_MONOTONIC both ends). Metrics:
//   startup.total              ms, launch call -> ready marker seen by the host
//   startup.phase.<name>       ms, previous mark -> this mark (phases the driver reports)
#pragma once

#include <memory>

#include "bench/suites/suite.h"

namespace ctv::bench {

std::unique_ptr<Suite> MakeStartupSuite();

}  // namespace ctv::bench
