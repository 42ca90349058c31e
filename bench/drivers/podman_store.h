// A private podman storage for one ctvbench process: images, containers, runtime state, locks,
// events and network config all under "<state>/peers/podman/store-<pid>/", so ctvbench never
// lists, touches or removes a user's podman containers or images (nor /var/lib/containers'
// storage, /run/containers, /run/libpod, /run/crun or /etc/cni/net.d's lock).
//
// Every podman command gets: --root R/root --runroot R/runroot --tmpdir R/tmp
// --network-config-dir R/net --storage-driver overlay --cgroup-manager cgroupfs (no systemd
// here) --events-backend file (no journald) --runtime crun|runc --runtime-flag root=R/oci (the
// OCI runtime's own state too). With crun on a cgroup v1 hybrid host, podman (and so conmon and
// crun) runs with the cgroup2 mount hidden (ns_spawn.h), as the crun driver does.
//
// The image is imported from the project's OCI layout with no registry and no network:
// `podman pull oci:<layout>:<ref>` (with a signature policy of our own, accepting that local
// layout), tagged "localhost/ctvbench-probe:<digest12>", skipped when that tag already has the
// layout's manifest digest. The store is per process and removed with it, so a run pays the
// import once (about 2 s here). containers/image records blobs it copied in a host-wide cache,
// /var/lib/containers/cache (no podman 4.3 flag moves it): the import runs in a private mount
// namespace where /var/lib/containers is a directory of the store (the mount point is made, and
// removed again, when the host has none).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "bench/drivers/ns_spawn.h"
#include "core/error.h"
#include "core/process.h"

namespace ctv::bench {

struct PodmanStore {
  std::string dir;  // "<state>/peers/podman/store-<pid>"
  // R/runroot, or when that is longer than the 50 characters podman 4.3 accepts (its conmon's
  // socket paths must stay short), a symlink to it: /run/ctvbench-podman-<pid>, recorded in
  // R/runroot-link so that gc removes it too.
  std::string runroot;
  std::string runtime;   // the OCI runtime podman uses: "crun" (its default) or "runc"
  PrivateMounts mounts;  // what podman must not see (crun on a hybrid host)

  // The store of this process under `driver_dir` (made, with its owner file, if absent).
  static Result<PodmanStore> Open(const std::string& driver_dir, const std::string& runtime);
  // An existing store `dir` (of any process), for gc: its runroot link made again if missing.
  static PodmanStore Attach(const std::string& dir, const std::string& runtime);
  // The same directory for another OCI runtime (what podman runs is per command).
  PodmanStore WithRuntime(const std::string& runtime) const;

  std::vector<std::string> Argv(const std::vector<std::string>& args) const;
  Result<Child> Spawn(SpawnOptions options) const;  // options.argv = Argv(...)
  Result<CommandOutput> Run(const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

  // Imports the OCI layout at `layout_dir` (see above); returns the tag.
  Result<std::string> ImportImage(const std::string& layout_dir) const;
  // podman's version and the OCI runtime it really uses (`podman info`): keys podman_version,
  // oci_runtime, oci_runtime_version.
  Result<std::map<std::string, std::string>> Facts() const;
};

// Removes a store whose owner is gone or is this process: `podman rm -af`, then any process
// still naming the store, the mounts under it, the cgroups of the instances it recorded
// (R/instances/<id>), the directory. Appends a line per removed object.
Status DestroyPodmanStore(const std::string& dir, std::vector<std::string>* removed);

}  // namespace ctv::bench
