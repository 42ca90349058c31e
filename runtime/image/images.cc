#include "runtime/image/images.h"

#include <dirent.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>

#include "core/fd.h"
#include "core/digest.h"
#include "runtime/fs/tree.h"

namespace ctv::image {
namespace {

using nlohmann::json;

std::string RecordPath(const LayerStore& s, const std::string& reference) {
  // Records are keyed by the digest of the reference: any path is a valid file name then.
  return s.Root() + "/images/" + Sha256Oci(reference).substr(7, 32) + ".json";
}

}  // namespace

Result<PreparedImage> PrepareImage(LayerStore& store, const std::string& reference) {
  auto [dir, ref] = ParseImageRef(reference);
  PreparedImage p;
  p.image = CTV_TRY(OpenImage(dir, ref));
  p.layer_dirs = CTV_TRY(store.EnsureImage(p.image));
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
  for (auto& r : all) (r.name == reference ? mine : others).insert(r.layers.begin(), r.layers.end());
  if (::unlink(path.c_str()) != 0) return ErrnoError("unlink", path);
  for (auto& l : mine) {
    if (others.count(l)) continue;
    CTV_CHECK(store.RemoveLayer(l));
    if (removed_layers) removed_layers->push_back(l);
  }
  return Ok();
}

}  // namespace ctv::image
