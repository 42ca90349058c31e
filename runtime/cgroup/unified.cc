// OCI linux.resources.unified: raw cgroup v2 files, for what the structured fields cannot say
// (memory.high, memory.oom.group, cpu.idle...). Keys are checked before anything is written: a
// key is a file name of the container's own directory ("memory.high"), never a path that could
// reach another cgroup ("../x", "a/b"), and never one of the files that move processes or change
// the tree's shape, which belong to the runtime (runc refuses the same ones).
#include <unistd.h>

#include <cctype>

#include "runtime/cgroup/manager.h"

namespace ctv::cgroup::controller {
namespace {

Status KeyError(const std::string& key, const std::string& why) {
  return MakeError("apply", "linux.resources.unified[\"" + key + "\"]", why);
}

Status CheckKey(const std::string& key) {
  size_t dot = key.find('.');
  if (key.find('/') != std::string::npos || dot == std::string::npos || dot == 0 ||
      dot + 1 == key.size())
    return KeyError(key, "expected a cgroup file name CONTROLLER.NAME, e.g. memory.high");
  for (char c : key)
    if (!std::islower(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c)) &&
        c != '.' && c != '_')
      return KeyError(key, "expected a cgroup file name CONTROLLER.NAME, e.g. memory.high");
  for (const char* own : {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control",
                          "cgroup.type", "cgroup.kill", "cgroup.freeze"})
    if (key == own) return KeyError(key, "the runtime manages this file itself");
  return Ok();
}

}  // namespace

std::string UnifiedController(const std::string& key) {
  std::string c = key.substr(0, key.find('.'));
  return c == "cgroup" ? "" : c;
}

Status ApplyUnified(const std::string& dir, const Limits& l) {
  // Every key is checked before the first write: a refused set leaves the group as it was.
  for (const auto& [key, value] : l.unified) {
    CTV_CHECK(CheckKey(key));
    if (::access((dir + "/" + key).c_str(), F_OK) != 0)
      return KeyError(key, "no such file in " + dir + " (the " + UnifiedController(key) +
                               " controller is not enabled there, or this kernel has no such "
                               "file)");
  }
  for (const auto& [key, value] : l.unified) {
    std::string path = dir + "/" + key;
    if (Status s = WriteValue(path, value); !s)
      return KeyError(key, "the kernel refused `" + value + "`: " + s.error().ToString());
  }
  return Ok();
}

}  // namespace ctv::cgroup::controller
