#include "runtime/net/scratch_netns.h"

#include <dirent.h>

#include <utility>

#include "core/log.h"
#include "core/process.h"

namespace ctv::net {

Result<ScratchNetns> ScratchNetns::Create(const std::string& name) {
  if (name.rfind("ctv", 0) != 0)
    return MakeError("create network namespace", name, "must start with ctv");
  auto r = CTV_TRY(RunCommand({"ip", "netns", "add", name}));
  if (!r.status.Success())
    return MakeError("create network namespace", name, "ip netns add: " + r.err);
  return ScratchNetns(name);
}

ScratchNetns::~ScratchNetns() {
  if (name_.empty()) return;
  auto r = RunCommand({"ip", "netns", "delete", name_});
  if (!r || !r->status.Success())
    Log(LogLevel::kWarn, "ip netns delete {}: {}", name_, r ? r->err : r.error().ToString());
}

std::vector<std::string> ScratchNetns::ExecPrefix() const {
  return {"nsenter", "--net=" + Path(), "--"};
}

std::vector<std::string> ListNamedNetns(const std::string& prefix) {
  std::vector<std::string> out;
  DIR* d = ::opendir("/run/netns");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind(prefix, 0) == 0) out.push_back(n);
  }
  ::closedir(d);
  return out;
}

}  // namespace ctv::net
