// How suites start and stop instances they keep running (footprint, density): one to its ready
// marker, a group at once, and a whole set stopped and destroyed. Through the Driver/Instance
// contract only.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/driver.h"
#include "core/error.h"

namespace ctv::bench {

// Generous: a TCG guest boots in seconds, slower still with many guests already running.
inline constexpr std::chrono::seconds kIdleReadyTimeout{120};
inline constexpr std::chrono::seconds kIdleStopTimeout{30};

// Creates `name` running `ctv-probe ready` and waits for its ready marker. The instance is
// destroyed (released) when any step fails; the error names the instance.
Result<std::unique_ptr<Instance>> StartIdle(Driver& d, const std::string& name,
                                            const std::map<std::string, std::string>& options);

struct GroupStart {
  std::vector<std::unique_ptr<Instance>> started;  // those that reached ready
  std::vector<double> launch_ms;                   // launch mark -> ready mark, per started one
  double wall_ms = 0;                              // first Start() call -> last ready seen
  std::vector<Error> failures;
};
// Creates `names.size()` instances, starts them back to back (Start() returns once a launch is
// under way) and waits for all of them at once, one thread each, until each is ready or failed.
GroupStart StartIdleGroup(Driver& d, const std::vector<std::string>& names,
                          const std::map<std::string, std::string>& options);

// ready - launch of an instance's marks, in ms; 0 without both marks.
double LaunchToReadyMs(const Instance& inst);

// Stops every instance (SIGTERM to the probe, at most `per_instance` each), newest first, then
// destroys them all: everything they held is released. Errors of single stops are ignored; their
// destructors clean up regardless.
void StopAll(std::vector<std::unique_ptr<Instance>>& instances,
             std::chrono::milliseconds per_instance = kIdleStopTimeout);

}  // namespace ctv::bench
