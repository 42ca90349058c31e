#include "bench/drivers/oci_runtime_cli.h"

#include <sstream>

#include "bench/drivers/peer_common.h"
#include "core/fs_tree.h"

namespace ctv::bench {
namespace {

bool SaysGone(const CommandOutput& o) {
  for (const char* s : {"not exist", "not found", "No such file", "not running", "is stopped",
                        "container not running", "no such process"}) {
    if (o.err.find(s) != std::string::npos || o.out.find(s) != std::string::npos) return true;
  }
  return false;
}

std::string Said(const CommandOutput& o) {
  std::string s = peers::FirstLine(o.err.empty() ? o.out : o.err);
  return o.status.ToString() + (s.empty() ? "" : ": " + s);
}

}  // namespace

OciRuntimeCli OciRuntimeCli::For(const std::string& name, const std::string& root) {
  OciRuntimeCli c;
  c.name = name;
  c.root = root;
  if (name == "crun") {
    std::string unified = peers::HybridUnifiedMount();
    if (!unified.empty()) c.mounts.hide.push_back(unified);
  }
  return c;
}

std::vector<std::string> OciRuntimeCli::Argv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {name, "--root", root};
  if (!args.empty() && args[0] == "run")
    argv.insert(argv.end(), run_flags.begin(), run_flags.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Result<Child> OciRuntimeCli::Spawn(SpawnOptions options) const {
  return SpawnWithMounts(options, mounts);
}

Result<CommandOutput> OciRuntimeCli::Run(const std::vector<std::string>& args,
                                         std::chrono::milliseconds timeout) const {
  return RunWithMounts(Argv(args), mounts, timeout);
}

Status OciRuntimeCli::Kill(const std::string& id, const std::string& signal) const {
  auto o = CTV_TRY(Run({"kill", id, signal}));
  if (o.status.Success() || SaysGone(o)) return Ok();
  return MakeError(name + " kill " + signal, id, Said(o));
}

Status OciRuntimeCli::Delete(const std::string& id) const {
  auto o = CTV_TRY(Run({"delete", "--force", id}));
  if (o.status.Success() || SaysGone(o)) return Ok();
  return MakeError(name + " delete --force", id, Said(o));
}

Result<std::vector<std::string>> OciRuntimeCli::List() const {
  if (!fs::Exists(root)) return std::vector<std::string>{};
  auto o = CTV_TRY(Run({"list", "--quiet"}));
  if (!o.status.Success()) return MakeError(name + " list", root, Said(o));
  std::vector<std::string> ids;
  std::istringstream in(o.out);
  std::string id;
  while (in >> id) ids.push_back(id);
  return ids;
}

bool OciRuntimeCli::HasState(const std::string& id) const {
  auto names = fs::ListDir(root);
  if (!names) return false;
  for (const std::string& n : *names) {
    if (n == id || n.rfind(id + "_", 0) == 0 || n.find(":" + id + ".") != std::string::npos)
      return true;
  }
  return false;
}

}  // namespace ctv::bench
