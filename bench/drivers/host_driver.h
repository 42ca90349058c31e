// The `host` driver: ctv-probe as a plain host process, no isolation at all. The floor every other
// driver is compared to ("a container is just a process": how much does the rest cost?).
#pragma once

#include <memory>

#include "bench/driver.h"

namespace ctv::bench {

std::unique_ptr<Driver> MakeHostDriver(const DriverContext& context);

}  // namespace ctv::bench
