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

// A named instant on the host's CLOCK_MONOTONIC: the end of a phase ("launch", "cgroup", "kernel",
// "ready"...). An instance's marks, in order, are its timeline (bench/driver.h).
struct Mark {
  std::string name;
  int64_t t_ns;
};

}  // namespace ctv
