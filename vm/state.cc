#include "vm/state.h"

#include <unistd.h>

#include <atomic>
#include <sstream>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/process.h"

namespace ctv::vm {

std::string VmStateRoot(const std::string& state_dir) {
  return (state_dir.empty() ? std::string("/run/ctvbench") : state_dir) + "/vm";
}

std::string OwnerToken() { return ctv::OwnerToken(); }

bool OwnerAlive(const std::string& token) { return ctv::OwnerAlive(token); }

Result<std::string> MakeInstanceDir(const std::string& root, const std::string& name) {
  static std::atomic<int> counter{0};
  std::string dir =
      root + "/inst/" + name + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  CTV_CHECK(ctv::fs::MakeDirs(root + "/inst", 0700));
  CTV_CHECK(ctv::fs::RemoveTree(dir));
  CTV_CHECK(ctv::fs::MakeDirs(dir, 0700));
  CTV_CHECK(WriteFile(dir + "/owner", OwnerToken() + "\n", 0600));
  return dir;
}

}  // namespace ctv::vm
