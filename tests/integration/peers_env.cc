#include "tests/integration/peers_env.h"

#include <dirent.h>
#include <unistd.h>

#include "bench/drivers/peer_common.h"
#include "bench/drivers/peer_gc.h"
#include "bench/image/probe_image.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/process.h"

namespace ctv::testing {
namespace {

// Every path below `dir` (files and directories), relative, depth first.
void Walk(const std::string& dir, const std::string& rel, std::vector<std::string>& out) {
  auto names = fs::ListDir(dir);
  if (!names) return;
  for (const auto& n : *names) {
    out.push_back(rel + n);
    Walk(dir + "/" + n, rel + n + "/", out);
  }
}

}  // namespace

PeersEnv::PeersEnv() {
  ctx_.state_dir = dir_ / "state";
  ctx_.image_dir = dir_ / "image";
  ctx_.probe_path = test::Bin("ctv-probe");
  if (::geteuid() != 0) {
    missing_ = "the peer tests need root (runtimes as root: namespaces, overlay mounts, cgroups)";
    return;
  }
  auto fs = ReadFile("/proc/filesystems");
  if (!fs || fs->find("overlay") == std::string::npos) {
    missing_ = "overlayfs is not available";
    return;
  }
  auto d = bench::BuildProbeImage({"/bin/busybox", ctx_.probe_path}, ctx_.image_dir);
  if (!d) missing_ = "cannot build the probe image: " + d.error().ToString();
}

PeersEnv::~PeersEnv() { (void)bench::CollectPeerGarbage(ctx_.state_dir, nullptr); }

std::string PeerMissing(const bench::Driver& driver) {
  bench::Availability a = driver.Check();
  return a.available ? "" : driver.Name() + " unavailable here: " + a.reason;
}

std::vector<std::string> PeerLeftovers(const std::string& state_dir, const std::string& id) {
  std::vector<std::string> out;
  // Processes: anything naming the state dir (runtimes, conmon, podman, runsc's sandbox).
  if (DIR* proc = ::opendir("/proc")) {
    while (dirent* e = ::readdir(proc)) {
      char* end = nullptr;
      long pid = std::strtol(e->d_name, &end, 10);
      if (*end != '\0' || pid <= 0 || pid == ::getpid()) continue;
      auto cmd = ReadFile("/proc/" + std::string(e->d_name) + "/cmdline");
      if (cmd && cmd->find(state_dir) != std::string::npos) {
        for (char& c : *cmd)
          if (c == '\0') c = ' ';
        out.push_back("process " + std::to_string(pid) + ": " + *cmd);
      }
    }
    ::closedir(proc);
  }
  for (const auto& d : bench::peers::InstanceCgroupDirs(id)) out.push_back("cgroup " + d);
  for (const auto& m : bench::peers::MountsUnder(state_dir)) out.push_back("mount " + m);
  // podman's short runroot links (bench/drivers/podman_store.h) pointing into the state dir.
  if (auto names = fs::ListDir("/run")) {
    for (const auto& n : *names) {
      char target[4096];
      ssize_t len = ::readlink(("/run/" + n).c_str(), target, sizeof target - 1);
      std::string to = len > 0 ? std::string(target, static_cast<size_t>(len)) : "";
      // While its store lives the link is the driver's, not the instance's: only a link that
      // outlived its store is a leftover.
      if (n.rfind("ctvbench-podman-", 0) == 0 && to.rfind(state_dir, 0) == 0 && !fs::Exists(to))
        out.push_back("symlink /run/" + n);
    }
  }
  // The instance's directories and the runtimes' state naming it.
  std::vector<std::string> paths;
  Walk(bench::peers::PeersDir(state_dir), "", paths);
  for (const auto& p : paths)
    if (p.find(id) != std::string::npos) out.push_back("path " + p);
  return out;
}

}  // namespace ctv::testing
