// How every suite fills a results::DriverResult, without knowing which driver it ran: the row is
// named after the driver and its kind (NewResult), and an instance's facts (Instance::Facts(),
// bench/driver.h) go where reports look for them (RecordFacts): the accelerator really used
// replaces the driver's expectation, a scratch disk's cache mode is a parameter (it changes the
// figure), everything else is evidence in `details`.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "bench/driver.h"
#include "bench/suites/suite.h"
#include "results/results.h"

namespace ctv::bench {

// driver, kind and the parameters the options really mean (Driver::EffectiveParameters).
results::DriverResult NewResult(const Driver& d, const std::map<std::string, std::string>& options);

// The options the user gave `d` (`--option DRIVER.KEY=VALUE`), empty when none.
std::map<std::string, std::string> UserOptions(const SuiteOptions& o, const Driver& d);

// Fills `r.accelerator` from Driver::Check() and prepares the driver: "" when it can run, else
// why not (Check's reason, or "preparation failed: ..."), the text a skipped result carries.
std::string CheckAndPrepare(Driver& d, results::DriverResult& r);

// Appends `run(driver, drivers_left)` for each selected driver in order (drivers_left counts the
// driver itself, for OutOfBudget); after a Ctrl-C the drivers not reached yet are left out and
// `out` is marked interrupted.
void RunEachDriver(const SuiteOptions& o, results::SuiteResult& out,
                   const std::function<results::DriverResult(Driver&, int)>& run);

void RecordFacts(const std::map<std::string, std::string>& facts, results::DriverResult& r);

}  // namespace ctv::bench
