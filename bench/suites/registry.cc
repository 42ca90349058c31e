#include "bench/suites/startup_suite.h"
#include "bench/suites/suite.h"

namespace ctv::bench {

std::vector<std::unique_ptr<Suite>> MakeAllSuites() {
  std::vector<std::unique_ptr<Suite>> suites;
  suites.push_back(MakeStartupSuite());
  return suites;
}

}  // namespace ctv::bench
