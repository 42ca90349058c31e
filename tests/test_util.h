// Helpers shared by tests: run ctvbench's own binaries, make and remove temp dirs.
#pragma once

#include <string>
#include <vector>

#include "core/process.h"

namespace ctv::test {

inline std::string Bin(const std::string& name) { return std::string(CTV_BIN_DIR) + "/" + name; }
inline std::string Source(const std::string& rel) { return std::string(CTV_SOURCE_DIR) + "/" + rel; }

// Runs a command to completion; fails the test (via the returned status) only on spawn errors.
CommandOutput RunOrDie(const std::vector<std::string>& argv, int timeout_s = 120);

// A fresh directory under /tmp, removed (recursively, not following symlinks, not crossing into
// other filesystems mounted inside) when the object dies. The one temp dir class of the tests.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& Path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

}  // namespace ctv::test
