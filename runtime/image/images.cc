#include "runtime/image/images.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "core/digest.h"
#include "core/fd.h"
#include "core/fs_tree.h"

namespace ctv::image {
namespace {

using nlohmann::json;

std::string RecordPath(const LayerStore& s, const std::string& reference) {
  // Records are keyed by a hash of the reference (any path becomes a valid file name). FNV-1a, not
  // sha256: it is only a name, and libcrypto's first digest costs ~0.3 ms on every launch.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : reference) h = (h ^ c) * 1099511628211ull;
  char name[32];
  std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(h));
  return s.Root() + "/images/" + name + ".json";
}

// The manifest digest index.json names for `ref` (same rules as OpenImage), or "" when the
// fast path should not be tried.
std::string ManifestDigestFor(const std::string& dir, const std::string& ref) {
  auto text = ReadFile(dir + "/index.json");
  if (!text) return "";
  json index = json::parse(*text, nullptr, false);
  if (index.is_discarded() || !index.contains("manifests") || !index["manifests"].is_array())
    return "";
  const json& ms = index["manifests"];
  for (const json& m : ms) {
    if (!m.is_object()) return "";
    std::string name;
    if (m.contains("annotations") && m["annotations"].is_object())
      name = m["annotations"].value(kRefNameAnnotation, "");
    if ((ref.empty() && ms.size() == 1) || (!ref.empty() && name == ref)) {
      if (m.value("mediaType", "") != kMediaTypeManifest) return "";
      std::string d = m.value("digest", "");
      return IsSha256Digest(d) ? d : "";
    }
  }
  return "";
}

std::string VerifiedPath(const LayerStore& s, const std::string& manifest_digest) {
  return s.Root() + "/images/verified/" + manifest_digest.substr(7) + ".json";
}

// What OpenImage found in a manifest and config it verified, keyed by the manifest's digest:
// content addressing makes it valid for any layout holding that manifest.
void SaveVerified(const LayerStore& s, const Image& img) {
  json layers = json::array();
  for (const Descriptor& l : img.manifest.layers)
    layers.push_back({{"digest", l.digest}, {"mediaType", l.media_type}, {"size", l.size}});
  json j = {{"config_digest", img.manifest.config.digest},
            {"layers", layers},
            {"env", img.config.env},
            {"entrypoint", img.config.entrypoint},
            {"cmd", img.config.cmd},
            {"working_dir", img.config.working_dir},
            {"user", img.config.user},
            {"diff_ids", img.config.diff_ids}};
  if (!fs::MakeDirs(s.Root() + "/images/verified", 0700)) return;
  (void)WriteFileAtomic(VerifiedPath(s, img.manifest_descriptor.digest), j.dump(), 0600);
}

std::optional<PreparedImage> LoadVerified(const LayerStore& s, const std::string& dir,
                                          const std::string& ref, const std::string& digest) {
  auto text = ReadFile(VerifiedPath(s, digest));
  if (!text) return std::nullopt;
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.contains("layers") || !j["layers"].is_array()) return std::nullopt;
  PreparedImage p;
  p.image.layout_dir = dir;
  p.image.ref = ref;
  p.image.manifest_descriptor.digest = digest;
  p.image.manifest_descriptor.media_type = kMediaTypeManifest;
  p.image.manifest.config.digest = j.value("config_digest", "");
  for (const json& l : j["layers"]) {
    Descriptor d;
    d.digest = l.value("digest", "");
    d.media_type = l.value("mediaType", "");
    d.size = l.value("size", int64_t{0});
    std::string layer_dir = s.LayerDir(d.digest);
    if (!IsSha256Digest(d.digest) || !fs::Exists(layer_dir)) return std::nullopt;
    p.image.manifest.layers.push_back(d);
    p.layer_dirs.push_back(layer_dir);
  }
  p.image.config.env = j.value("env", std::vector<std::string>{});
  p.image.config.entrypoint = j.value("entrypoint", std::vector<std::string>{});
  p.image.config.cmd = j.value("cmd", std::vector<std::string>{});
  p.image.config.working_dir = j.value("working_dir", "");
  p.image.config.user = j.value("user", "");
  p.image.config.diff_ids = j.value("diff_ids", std::vector<std::string>{});
  return p;
}

}  // namespace

Result<PreparedImage> PrepareImage(LayerStore& store, const std::string& reference) {
  auto [dir, ref] = ParseImageRef(reference);
  PreparedImage p;
  // Fast path (on every launch): index.json names a manifest this store already verified and
  // whose layers are unpacked. Nothing unverified is used: the manifest and config contents come
  // from the record written after their digests were checked.
  std::string digest = ManifestDigestFor(dir, ref);
  if (!digest.empty()) {
    if (auto cached = LoadVerified(store, dir, ref, digest)) {
      if (fs::Exists(RecordPath(store, reference))) return std::move(*cached);
      p = std::move(*cached);
    }
  }
  if (p.layer_dirs.empty()) {
    p.image = CTV_TRY(OpenImage(dir, ref));
    p.layer_dirs = CTV_TRY(store.EnsureImage(p.image));
    SaveVerified(store, p.image);
  }
  std::string path = RecordPath(store, reference);
  if (!fs::Exists(path)) {
    json j = {{"name", reference},
              {"layout_dir", dir},
              {"ref", ref},
              {"manifest_digest", p.image.manifest_descriptor.digest}};
    std::vector<std::string> layers;
    int64_t bytes = 0;
    for (auto& l : p.image.manifest.layers) {
      layers.push_back(l.digest);
      bytes += l.size;
    }
    j["layers"] = layers;
    j["blob_bytes"] = bytes;
    CTV_CHECK(fs::MakeDirs(store.Root() + "/images", 0700));
    CTV_CHECK(WriteFileAtomic(path, j.dump(2), 0600));
  }
  return p;
}

Result<std::vector<ImageRecord>> ListImages(const LayerStore& store) {
  std::vector<ImageRecord> out;
  std::string dir = store.Root() + "/images";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  std::vector<std::string> files;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 5 && n.ends_with(".json")) files.push_back(dir + "/" + n);
  }
  ::closedir(d);
  for (auto& f : files) {
    auto text = ReadFile(f);
    if (!text) continue;
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded()) continue;
    ImageRecord r;
    r.name = j.value("name", "");
    r.layout_dir = j.value("layout_dir", "");
    r.ref = j.value("ref", "");
    r.manifest_digest = j.value("manifest_digest", "");
    r.layers = j.value("layers", std::vector<std::string>{});
    r.unpacked_bytes = j.value("blob_bytes", int64_t{0});
    out.push_back(r);
  }
  return out;
}

Status RemoveImage(LayerStore& store, const std::string& reference,
                   std::vector<std::string>* removed_layers) {
  std::string path = RecordPath(store, reference);
  if (!fs::Exists(path))
    return MakeError("remove image", reference, "no such image (see `ctvrt images`)");
  std::vector<ImageRecord> all = CTV_TRY(ListImages(store));
  std::set<std::string> mine, others;
  for (auto& r : all)
    (r.name == reference ? mine : others).insert(r.layers.begin(), r.layers.end());
  if (::unlink(path.c_str()) != 0) return ErrnoError("unlink", path);
  for (auto& l : mine) {
    if (others.count(l)) continue;
    CTV_CHECK(store.RemoveLayer(l));
    if (removed_layers) removed_layers->push_back(l);
  }
  return Ok();
}

Status DropRecordsOfMissingLayouts(const LayerStore& store, std::vector<std::string>* removed) {
  for (const ImageRecord& r : CTV_TRY(ListImages(store))) {
    if (r.layout_dir.empty() || fs::Exists(r.layout_dir + "/index.json")) continue;
    std::string path = RecordPath(store, r.name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("unlink", path);
    if (removed) removed->push_back("image record " + r.name + " (its layout is gone)");
  }
  return Ok();
}

}  // namespace ctv::image
