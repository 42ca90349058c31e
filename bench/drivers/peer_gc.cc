#include "bench/drivers/peer_gc.h"

#include <unistd.h>

#include <algorithm>

#include "bench/drivers/oci_runtime_cli.h"
#include "bench/drivers/peer_common.h"
#include "bench/drivers/podman_store.h"
#include "core/fs_tree.h"

namespace ctv::bench {
namespace {

const char* const kOciRuntimes[] = {"runc", "crun", "runsc"};

// One dead instance of an OCI runtime driver, in the order its destructor would have gone.
Status CollectInstance(const OciRuntimeCli& cli, const std::string& dir, const std::string& id,
                       std::vector<std::string>* removed) {
  Status first;
  auto note = [&](Status s) {
    if (!s && first) first = s;
  };
  peers::KillProcessesMentioning(dir, removed);
  if (cli.HasState(id) && FindInPath(cli.name) != "") {
    Status d = cli.Delete(id);
    note(d);
    if (d && removed) removed->push_back(cli.name + " container " + id);
  }
  note(peers::RemoveInstanceCgroups(id, removed));
  note(peers::UnmountUnder(dir, removed));
  Status rm = fs::RemoveTree(dir);
  note(rm);
  if (rm && removed) removed->push_back("bundle " + dir);
  return first;
}

Status CollectOciRuntime(const std::string& driver_dir, const std::string& runtime,
                         std::vector<std::string>* removed) {
  Status first;
  auto note = [&](Status s) {
    if (!s && first) first = s;
  };
  OciRuntimeCli cli = OciRuntimeCli::For(runtime, driver_dir + "/state");
  std::vector<std::string> live;  // ids whose owner still runs
  for (const std::string& b : CTV_TRY(fs::ListDir(driver_dir))) {
    if (b.rfind("bundle-", 0) != 0) continue;
    std::string bundle_root = driver_dir + "/" + b;
    for (const std::string& id : CTV_TRY(fs::ListDir(bundle_root))) {
      std::string dir = bundle_root + "/" + id;
      if (peers::OwnerAlive(dir)) {
        live.push_back(id);
        continue;
      }
      note(CollectInstance(cli, dir, id, removed));
    }
    ::rmdir(bundle_root.c_str());
  }
  // Containers the runtime still knows under our root without a live bundle (a crash between
  // removing the bundle and the runtime's own state cannot leave one, but the runtime says).
  if (fs::Exists(cli.root) && !FindInPath(runtime).empty()) {
    auto ids = cli.List();
    if (!ids) {
      note(std::move(ids).error());
    } else {
      for (const std::string& id : *ids) {
        if (std::find(live.begin(), live.end(), id) != live.end()) continue;
        Status d = cli.Delete(id);
        note(d);
        if (d && removed) removed->push_back(runtime + " container " + id);
        note(peers::RemoveInstanceCgroups(id, removed));
      }
    }
  }
  ::rmdir(cli.root.c_str());
  return first;
}

Status CollectPodman(const std::string& driver_dir, std::vector<std::string>* removed) {
  Status first;
  for (const std::string& s : CTV_TRY(fs::ListDir(driver_dir))) {
    std::string dir = driver_dir + "/" + s;
    if (s.rfind("store-", 0) != 0 || peers::OwnerAlive(dir)) continue;
    Status st = DestroyPodmanStore(dir, removed);
    if (!st && first) first = st;
  }
  return first;
}

}  // namespace

Status CollectPeerGarbage(const std::string& state_dir, std::vector<std::string>* removed) {
  Status first;
  auto note = [&](Status s) {
    if (!s && first) first = s;
  };
  std::string peers_dir = peers::PeersDir(state_dir);
  if (fs::Exists(peers_dir)) {
    for (const char* rt : kOciRuntimes) {
      std::string d = peers_dir + "/" + rt;
      if (!fs::Exists(d)) continue;
      note(CollectOciRuntime(d, rt, removed));
      ::rmdir(d.c_str());
    }
    std::string podman = peers_dir + "/podman";
    if (fs::Exists(podman)) {
      note(CollectPodman(podman, removed));
      ::rmdir(podman.c_str());
    }
    ::rmdir(peers_dir.c_str());
  }
  peers::RemoveEmptyCgroupParents(removed);
  return first;
}

}  // namespace ctv::bench
