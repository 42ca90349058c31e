#include "vm/state.h"

#include <unistd.h>

#include <atomic>
#include <sstream>

#include "core/fd.h"
#include "core/fs_tree.h"

namespace ctv::vm {
namespace {

// Field 22 of /proc/PID/stat: start time in clock ticks since boot ("" when the process is gone
// or a zombie: a killed harness whose parent has not reaped it yet owns nothing any more).
std::string StartTime(pid_t pid) {
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return "";
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream in(stat->substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && (in >> field); ++i) {
    if (i == 3 && (field == "Z" || field == "X")) return "";
  }
  return field;
}

}  // namespace

std::string VmStateRoot(const std::string& state_dir) {
  return (state_dir.empty() ? std::string("/run/ctvbench") : state_dir) + "/vm";
}

std::string OwnerToken() { return std::to_string(getpid()) + " " + StartTime(getpid()); }

bool OwnerAlive(const std::string& token) {
  std::istringstream in(token);
  pid_t pid = 0;
  std::string start;
  if (!(in >> pid >> start) || pid <= 0) return false;
  return !start.empty() && StartTime(pid) == start;
}

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
