// The line protocol between ctv-probe (and ctv-init in guests) and the harness.
//
// Lines starting with "CTV-" are markers; everything else on the probe's stdout is its result
// output (one JSON object for the measuring modes). Markers:
//   CTV-READY <pid> <monotonic_ns>   the workload is ready (mode `ready`); the timestamp is the
//                                    probe's own clock: comparable to the host's only outside VMs
// The harness timestamps each marker on arrival with the host's monotonic clock: that arrival
// time, not the probe's stamp, is what startup figures use.
#pragma once

namespace ctv::protocol {

inline constexpr const char* kMarkerPrefix = "CTV-";
inline constexpr const char* kReady = "CTV-READY";

}  // namespace ctv::protocol
