#include "bench/drivers/podman_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bench/drivers/peer_common.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/text.h"
#include "runtime/image/layout.h"

namespace ctv::bench {
namespace {

using namespace std::chrono_literals;

constexpr const char* kImageName = "localhost/ctvbench-probe";
constexpr const char* kVarLibContainers = "/var/lib/containers";
// Present while the import's mount point /var/lib/containers is one ctvbench made: gc removes it
// (if still empty) when the importing process died in between.
constexpr const char* kLayoutMountName = "ctvbench-probe-layout";
constexpr const char* kMadeMountPointMarker = "made-var-lib-containers";

// Only the local OCI layout transport is accepted: the import cannot fetch anything.
constexpr const char* kPolicy =
    R"({"default":[{"type":"reject"}],"transports":{"oci":{"":[{"type":"insecureAcceptAnything"}]}}})";

std::string Said(const CommandOutput& o) {
  std::string s = peers::FirstLine(o.err.empty() ? o.out : o.err);
  return o.status.ToString() + (s.empty() ? "" : ": " + s);
}

constexpr size_t kMaxRunroot = 50;  // podman 4.3: "the specified runroot is longer than 50 ..."

// `dir`/runroot, or the short link to it that `dir`/runroot-link names (made if missing).
Result<std::string> Runroot(const std::string& dir, bool make) {
  std::string real = dir + "/runroot";
  if (real.size() <= kMaxRunroot) return real;
  std::string record = dir + "/runroot-link";
  std::string link;
  if (auto r = ReadFile(record)) link = peers::FirstLine(*r);
  if (link.empty()) {
    if (!make) return MakeError("find the runroot link of podman store", dir);
    link = "/run/ctvbench-podman-" + std::to_string(::getpid());
    CTV_CHECK(WriteFile(record, link + "\n"));
  }
  char target[4096];
  ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  if (n < 0 || std::string(target, static_cast<size_t>(n)) != real) {
    ::unlink(link.c_str());
    if (::symlink(real.c_str(), link.c_str()) != 0) return ErrnoError("create symlink", link);
  }
  return link;
}

}  // namespace

Result<PodmanStore> PodmanStore::Open(const std::string& driver_dir, const std::string& runtime) {
  PodmanStore s;
  s.dir = driver_dir + "/store-" + std::to_string(::getpid());
  if (!fs::Exists(s.dir + "/owner")) {
    CTV_CHECK(fs::MakeDirs(s.dir, 0700));
    CTV_CHECK(peers::WriteOwner(s.dir));
  }
  for (const char* sub : {"root", "runroot", "tmp", "net", "oci", "instances"})
    CTV_CHECK(fs::MakeDirs(s.dir + "/" + sub, 0700));
  CTV_CHECK(WriteFile(s.dir + "/policy.json", kPolicy));
  s.runroot = CTV_TRY(Runroot(s.dir, true));
  return s.WithRuntime(runtime);
}

PodmanStore PodmanStore::Attach(const std::string& dir, const std::string& runtime) {
  PodmanStore s;
  s.dir = dir;
  auto rr = Runroot(dir, false);
  s.runroot = rr ? *rr : dir + "/runroot";
  return s.WithRuntime(runtime);
}

PodmanStore PodmanStore::WithRuntime(const std::string& rt) const {
  PodmanStore s;
  s.dir = dir;
  s.runroot = runroot;
  s.runtime = rt;
  if (rt == "crun") {
    std::string unified = peers::HybridUnifiedMount();
    if (!unified.empty()) s.mounts.hide.push_back(unified);
  }
  return s;
}

std::vector<std::string> PodmanStore::Argv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"podman",
                                   "--root=" + dir + "/root",
                                   "--runroot=" + runroot,
                                   "--tmpdir=" + dir + "/tmp",
                                   "--network-config-dir=" + dir + "/net",
                                   "--storage-driver=overlay",
                                   "--cgroup-manager=cgroupfs",
                                   "--events-backend=file",
                                   "--runtime=" + runtime,
                                   "--runtime-flag=root=" + dir + "/oci"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Result<Child> PodmanStore::Spawn(SpawnOptions options) const {
  return SpawnWithMounts(options, mounts);
}

Result<CommandOutput> PodmanStore::Run(const std::vector<std::string>& args,
                                       std::chrono::milliseconds timeout) const {
  return RunWithMounts(Argv(args), mounts, timeout);
}

Result<std::string> PodmanStore::ImportImage(const std::string& layout_dir) const {
  image::Image img = CTV_TRY(image::OpenImage(layout_dir));
  const std::string& digest = img.manifest_descriptor.digest;
  std::string tag = std::string(kImageName) + ":" + digest.substr(digest.find(':') + 1, 12);
  auto digest_of = [&]() -> std::string {
    auto o = Run({"image", "inspect", "--format", "{{.Digest}}", tag});
    return o && o->status.Success() ? Trim(o->out) : "";
  };
  if (digest_of() == digest) return tag;

  // The import sees the layout at a fixed path: podman names what it pulls from "oci:" after
  // the directory's path, and refuses a path with capitals ("repository name must be
  // lowercase"), as a test's temp dir has.
  std::string cache = dir + "/image-cache";
  CTV_CHECK(fs::MakeDirs(cache + "/" + kLayoutMountName, 0700));
  std::string seen_at = std::string(kVarLibContainers) + "/" + kLayoutMountName;
  auto ref = img.manifest_descriptor.annotations.find(image::kRefNameAnnotation);
  std::string source = "oci:" + seen_at;
  if (ref != img.manifest_descriptor.annotations.end()) source += ":" + ref->second;
  bool made_mount_point = false;
  if (!fs::Exists(kVarLibContainers)) {
    CTV_CHECK(WriteFile(dir + "/" + kMadeMountPointMarker, ""));
    if (::mkdir(kVarLibContainers, 0700) != 0 && errno != EEXIST)
      return ErrnoError("create mount point", kVarLibContainers);
    made_mount_point = true;
  }
  PrivateMounts m = mounts;
  m.binds.push_back({cache, kVarLibContainers});
  m.binds.push_back({layout_dir, seen_at});
  auto pull = RunWithMounts(
      Argv({"pull", "--quiet", "--signature-policy", dir + "/policy.json", source}), m, 300s);
  (void)fs::RemoveTree(cache);  // the blob-info cache of this import: nothing reads it again
  if (made_mount_point) {
    ::rmdir(kVarLibContainers);
    ::unlink((dir + "/" + kMadeMountPointMarker).c_str());
  }
  if (!pull) return std::move(pull).error();
  if (!pull->status.Success()) return MakeError("podman pull", source, Said(*pull));
  std::string id = peers::FirstLine(pull->out);
  auto t = CTV_TRY(Run({"tag", id, tag}));
  if (!t.status.Success()) return MakeError("podman tag " + id, tag, Said(t));
  if (std::string got = digest_of(); got != digest)
    return MakeError("import image", tag,
                     "podman reports digest \"" + got + "\", the layout has " + digest);
  return tag;
}

Result<std::map<std::string, std::string>> PodmanStore::Facts() const {
  auto o = CTV_TRY(Run({"info", "--format", "json"}));
  if (!o.status.Success()) return MakeError("podman info", dir, Said(o));
  auto j = nlohmann::json::parse(o.out, nullptr, false);
  if (j.is_discarded()) return MakeError("parse podman info", dir, "not JSON");
  std::map<std::string, std::string> f;
  auto str = [&](const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : ""; };
  if (j.contains("version"))
    f["podman_version"] = str(j["version"].value("Version", nlohmann::json()));
  if (j.contains("host") && j["host"].contains("ociRuntime")) {
    const auto& rt = j["host"]["ociRuntime"];
    f["oci_runtime"] = str(rt.value("name", nlohmann::json()));
    f["oci_runtime_version"] = peers::FirstLine(str(rt.value("version", nlohmann::json())));
  }
  return f;
}

Status DestroyPodmanStore(const std::string& dir, std::vector<std::string>* removed) {
  if (!fs::Exists(dir)) return Ok();
  Status first;
  auto note = [&](Status s) {
    if (!s && first) first = s;
  };
  // podman's own removal first (crun state, its mounts, its database), then what it left.
  PodmanStore store = PodmanStore::Attach(dir, "crun");
  if (fs::Exists(dir + "/root/libpod"))
    (void)store.Run({"rm", "--all", "--force", "--time=0"}, 60s);
  peers::KillProcessesMentioning(dir, removed);
  if (auto ids = fs::ListDir(dir + "/instances")) {
    for (const std::string& id : *ids) {
      note(peers::RemoveInstanceCgroups(id, removed));
      if (removed) removed->push_back("podman container " + id);
    }
  }
  note(peers::UnmountUnder(dir, removed));
  if (fs::Exists(dir + "/" + kMadeMountPointMarker)) {
    if (::rmdir(kVarLibContainers) == 0 && removed)
      removed->push_back(std::string("mount point ") + kVarLibContainers);
  }
  if (store.runroot.compare(0, dir.size(), dir) != 0) {
    // The short link to the runroot (see Runroot), outside the store.
    if (::unlink(store.runroot.c_str()) == 0 && removed)
      removed->push_back("symlink " + store.runroot);
  }
  Status rm = fs::RemoveTree(dir);
  note(rm);
  if (rm && removed) removed->push_back("podman store " + dir);
  return first;
}

}  // namespace ctv::bench
