// Every driver ctvbench knows, in the order reports list them (floor first, then containers,
// then VMs). Adding a driver = one line in registry.cc.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bench/driver.h"

namespace ctv::bench {

std::vector<std::unique_ptr<Driver>> MakeAllDrivers(const DriverContext& context);

}  // namespace ctv::bench
