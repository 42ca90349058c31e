#include "bench/suites/cgroup_suite.h"
#include "bench/suites/density_suite.h"
#include "bench/suites/devices_suite.h"
#include "bench/suites/footprint_suite.h"
#include "bench/suites/isolation_suite.h"
#include "bench/suites/micro_suite.h"
#include "bench/suites/network_suite.h"
#include "bench/suites/security_suite.h"
#include "bench/suites/startup_suite.h"
#include "bench/suites/suite.h"
#include "bench/suites/syscall_suite.h"

namespace ctv::bench {

std::vector<std::unique_ptr<Suite>> MakeAllSuites() {
  std::vector<std::unique_ptr<Suite>> suites;
  suites.push_back(MakeStartupSuite());
  suites.push_back(MakeNetworkSuite());
  suites.push_back(MakeDevicesSuite());
  suites.push_back(MakeFootprintSuite());
  suites.push_back(MakeDensitySuite());
  suites.push_back(MakeIsolationSuite());
  suites.push_back(MakeSyscallSuite());
  suites.push_back(MakeCgroupSuite());
  suites.push_back(MakeSecuritySuite());
  suites.push_back(MakeMicroSuite());
  return suites;
}

}  // namespace ctv::bench
