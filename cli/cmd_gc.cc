// ctvbench gc: reclaim what an interrupted or killed run left behind — the peers' containers,
// bundles and podman stores (bench/drivers/peer_gc.h), container processes, cgroups and state
// (runtime), veths, addresses and nft rules (network), qemu processes, libvirt domains, sockets
// and temp files (VMs), suites' scratch directories. Live instances, whose monitor still runs, are kept.
#include <cstdio>
#include <functional>

#include "bench/drivers/peer_gc.h"
#include "cli/command.h"
#include "cli/context.h"
#include "core/owned_dir.h"
#include "runtime/gc.h"
#include "runtime/image/images.h"
#include "runtime/net/gc.h"
#include "runtime/net/scratch_netns.h"
#include "vm/gc.h"

namespace ctv::cli {
namespace {

struct Collector {
  const char* what;
  std::string root;
  std::function<Status(const std::string&, std::vector<std::string>*)> collect;
};

int Gc(const std::string& state_dir, bool quiet) {
  // Order matters: the peers' containers (runc, crun, runsc, podman) and ctvrt's first (their
  // veths go with their netns), then the network state that referred to them, then VMs.
  const Collector collectors[] = {
      {"peers", state_dir,
       [](const std::string& root, std::vector<std::string>* removed) {
         return bench::CollectPeerGarbage(root, removed);
       }},
      {"containers", state_dir + "/containers",
       [](const std::string& root, std::vector<std::string>* removed) {
         return runtime::CollectGarbage(root, removed);
       }},
      // A dead run's scratch namespaces (network suite) before the network state: their veths
      // go with them, and the network collector then drops the endpoints and nft rules.
      {"network namespaces", state_dir,
       [](const std::string&, std::vector<std::string>* removed) {
         return net::CollectDeadScratchNetns("net", removed);
       }},
      {"network", state_dir,
       [](const std::string& root, std::vector<std::string>* removed) {
         return net::CollectGarbage(root, removed);
       }},
      {"vms", state_dir + "/vm",
       [](const std::string& root, std::vector<std::string>* removed) {
         return vm::CollectGarbage(root, removed);
       }},
      // Records of images whose layout is gone (tests' and suites' temp layouts): they can never
      // be run again. Layers stay (runtime/image/images.h).
      {"image records", image::kDefaultStoreRoot,
       [](const std::string& root, std::vector<std::string>* removed) {
         return image::DropRecordsOfMissingLayouts(image::LayerStore(root), removed);
       }},
      // Suites' scratch directories (volumes on /tmp) of dead runs (core/owned_dir.h).
      {"temp dirs", state_dir,
       [](const std::string&, std::vector<std::string>* removed) {
         return CollectDeadOwnedDirs(removed);
       }},
  };
  int failures = 0;
  size_t total = 0;
  for (const Collector& c : collectors) {
    std::vector<std::string> removed;
    Status s = c.collect(c.root, &removed);
    for (const auto& r : removed)
      if (!quiet) std::printf("removed (%s): %s\n", c.what, r.c_str());
    total += removed.size();
    if (!s) {
      ++failures;
      std::fprintf(stderr, "ctvbench: gc %s: %s\n", c.what, s.error().ToString().c_str());
    }
  }
  if (!quiet) std::printf("gc: %zu object(s) removed%s\n", total, failures ? ", with errors" : "");
  return failures ? kExitFailure : 0;
}

}  // namespace

Command RegisterGc(CLI::App& root) {
  auto* gc = root.add_subcommand(
      "gc", "Remove what crashed or interrupted runs left behind (container processes, cgroups, "
            "mounts, runc/crun/runsc containers and podman stores of the peer drivers, veths, nft "
            "rules, qemu processes, libvirt domains, state files, suites' temp dirs). Instances whose monitor is "
            "still alive are kept.");
  auto ctx = std::make_shared<ContextOptions>();
  auto quiet = std::make_shared<bool>(false);
  gc->add_option("--state-dir", ctx->state_dir, "state root the runs used")->capture_default_str();
  gc->add_flag("-q,--quiet", *quiet, "print nothing unless something fails");
  return {gc, [ctx, quiet]() { return Gc(ctx->state_dir, *quiet); }};
}

}  // namespace ctv::cli
