#include "tests/test_util.h"

#include <ftw.h>
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace ctv::test {

CommandOutput RunOrDie(const std::vector<std::string>& argv, int timeout_s) {
  auto r = RunCommand(argv, std::chrono::seconds(timeout_s));
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().ToString());
  return r ? r.value() : CommandOutput{{true, 9}, "", ""};
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/ctvbench-test-XXXXXX";
  char* p = ::mkdtemp(tmpl);
  path_ = p ? p : "";
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  ::nftw(
      path_.c_str(),
      [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }, 16,
      FTW_DEPTH | FTW_PHYS | FTW_MOUNT);  // never into a mount left inside
}

}  // namespace ctv::test
