// startup: how long from the launch call until the workload is ready, per driver.
//
// Interval: from the harness's timestamp just before the driver's launch call to the moment the
// harness reads ctv-probe's "CTV-READY" line (host CLOCK_MONOTONIC both ends). Metrics:
//   startup.total              ms, launch call -> ready marker seen by the host
//   startup.phase.<name>       ms, previous mark -> this mark (phases the driver reports; they
//                              sum to the total: ctvrt's bridge network adds net.state,
//                              net.bridge, net.sysctl, net.veth, net.netns, net.addresses,
//                              net.routes, net.nft between cloned and mounts)
// --variants 'K=V[+K=V]|...': each driver that accepts every option set gets one row per set,
// its repetitions interleaved across the sets (set 1, set 2, ..., set 1, ...) so their ratios
// are taken under the same load; details.interleaved_with says so.
#pragma once

#include <memory>

#include "bench/suites/suite.h"

namespace ctv::bench {

std::unique_ptr<Suite> MakeStartupSuite();

}  // namespace ctv::bench
