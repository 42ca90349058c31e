// Clocks. Every interval ctvbench reports is measured with CLOCK_MONOTONIC on the host, so figures
// from the host process, a container (same kernel, same clock) and the harness compare directly.
#pragma once

#include <cstdint>
#include <string>

namespace ctv {

// CLOCK_MONOTONIC in nanoseconds.
int64_t MonotonicNs();
// Wall-clock time as RFC 3339 UTC ("2026-11-22T14:46:34Z"), for labelling runs only.
std::string WallClockRfc3339();

}  // namespace ctv
