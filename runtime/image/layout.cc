#include "runtime/image/layout.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/digest.h"
#include "core/fd.h"

namespace ctv::image {

using nlohmann::json;

namespace {

json DescriptorJson(const Descriptor& d) {
  json j = {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

Result<Descriptor> ParseDescriptor(const json& j, const std::string& where,
                                   const std::string& file) {
  auto bad = [&](const std::string& what) {
    return MakeError("read OCI layout", file, fmt::format("{}: {}", where, what));
  };
  if (!j.is_object()) return bad("not an object");
  Descriptor d;
  if (!j.contains("mediaType") || !j["mediaType"].is_string()) return bad("mediaType missing");
  if (!j.contains("digest") || !j["digest"].is_string()) return bad("digest missing");
  if (!j.contains("size") || !j["size"].is_number_integer()) return bad("size missing");
  d.media_type = j["mediaType"];
  d.digest = j["digest"];
  d.size = j["size"];
  if (!IsSha256Digest(d.digest))
    return bad(fmt::format("digest \"{}\" is not sha256:<64 lowercase hex>", d.digest));
  if (d.size < 0) return bad("negative size");
  if (j.contains("annotations") && j["annotations"].is_object())
    for (auto it = j["annotations"].begin(); it != j["annotations"].end(); ++it)
      if (it->is_string()) d.annotations[it.key()] = it->get<std::string>();
  return d;
}

std::vector<std::string> StringList(const json& j, const char* key) {
  std::vector<std::string> out;
  if (j.contains(key) && j[key].is_array())
    for (const auto& v : j[key])
      if (v.is_string()) out.push_back(v);
  return out;
}

// Reads a blob and checks it against its descriptor before parsing it.
Result<json> ReadVerifiedJsonBlob(const std::string& dir, const Descriptor& d) {
  CTV_CHECK(VerifyBlob(dir, d));
  std::string path = BlobPath(dir, d.digest);
  std::string text = CTV_TRY(ReadFile(path));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return MakeError("parse JSON blob", path, "not valid JSON");
  // Manifests and configs are objects: anything else (a number, a list) is refused here, before
  // field lookups that would throw on it.
  if (!j.is_object()) return MakeError("parse JSON blob", path, "not a JSON object");
  return j;
}

// The string at `key`, "" when absent; an error naming the field when present with another type
// (nlohmann's value() would throw).
Result<std::string> OptionalString(const json& j, const char* key, const std::string& path,
                                   const std::string& field) {
  if (!j.contains(key) || j[key].is_null()) return std::string();
  if (!j[key].is_string())
    return MakeError("read image config", path, "field `" + field + "` is not a string");
  return j[key].get<std::string>();
}

}  // namespace

std::string BlobPath(const std::string& dir, std::string_view digest) {
  std::string_view hex = digest.substr(digest.find(':') == std::string_view::npos
                                           ? 0
                                           : digest.find(':') + 1);
  return fmt::format("{}/blobs/sha256/{}", dir, hex);
}

std::pair<std::string, std::string> ParseImageRef(const std::string& spec) {
  size_t colon = spec.rfind(':');
  if (colon == std::string::npos || spec.find('/', colon) != std::string::npos) return {spec, ""};
  return {spec.substr(0, colon), spec.substr(colon + 1)};
}

Status VerifyBlob(const std::string& dir, const Descriptor& d) {
  std::string path = BlobPath(dir, d.digest);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoError("find blob", path);
  if (st.st_size != d.size)
    return MakeError("verify blob", path,
                     fmt::format("size {} does not match the descriptor's {}", st.st_size, d.size));
  std::string actual = CTV_TRY(Sha256OciOfFile(path));
  if (actual != d.digest)
    return MakeError("verify blob", path,
                     fmt::format("digest mismatch: content is {}, descriptor says {}", actual,
                                 d.digest));
  return Ok();
}

Result<Image> OpenImage(const std::string& dir, const std::string& ref) {
  std::string marker = dir + "/oci-layout";
  auto marker_read = ReadFile(marker);
  if (!marker_read && marker_read.error().code == ENOENT)
    return Error{ENOENT, "open image", dir,
                 ::access(dir.c_str(), F_OK) == 0
                     ? "no OCI image there (no oci-layout file: not an OCI image layout)"
                     : "no OCI image there (no such directory)"};
  std::string marker_text = CTV_TRY(std::move(marker_read));
  json mj = json::parse(marker_text, nullptr, false);
  if (mj.is_discarded() || !mj.contains("imageLayoutVersion"))
    return MakeError("read OCI layout", marker, "missing imageLayoutVersion");

  std::string index_path = dir + "/index.json";
  std::string index_text = CTV_TRY(ReadFile(index_path));
  json index = json::parse(index_text, nullptr, false);
  if (index.is_discarded()) return MakeError("read OCI layout", index_path, "not valid JSON");
  if (!index.contains("manifests") || !index["manifests"].is_array())
    return MakeError("read OCI layout", index_path, "field `manifests` missing");

  Image img;
  img.layout_dir = dir;
  img.ref = ref;
  std::vector<std::string> names;
  bool found = false;
  const json& ms = index["manifests"];
  for (size_t i = 0; i < ms.size(); ++i) {
    Descriptor d = CTV_TRY(ParseDescriptor(ms[i], fmt::format("manifests[{}]", i), index_path));
    auto it = d.annotations.find(kRefNameAnnotation);
    std::string name = it == d.annotations.end() ? "" : it->second;
    names.push_back(name.empty() ? d.digest : name);
    if ((ref.empty() && ms.size() == 1) || (!ref.empty() && name == ref)) {
      img.manifest_descriptor = d;
      found = true;
    }
  }
  if (!found) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    if (ref.empty())
      return MakeError("open image", dir,
                       fmt::format("index.json holds {} manifests: name one ({})", ms.size(), known));
    return MakeError("open image", dir,
                     fmt::format("no manifest named \"{}\" (index.json has: {})", ref,
                                 known.empty() ? "none" : known));
  }
  if (img.manifest_descriptor.media_type != kMediaTypeManifest)
    return MakeError("open image", dir,
                     fmt::format("manifest media type \"{}\" is not supported (want {})",
                                 img.manifest_descriptor.media_type, kMediaTypeManifest));

  json mf = CTV_TRY(ReadVerifiedJsonBlob(dir, img.manifest_descriptor));
  std::string mf_path = BlobPath(dir, img.manifest_descriptor.digest);
  if (!mf.contains("config")) return MakeError("read manifest", mf_path, "field `config` missing");
  img.manifest.config = CTV_TRY(ParseDescriptor(mf["config"], "config", mf_path));
  if (img.manifest.config.media_type != kMediaTypeConfig &&
      img.manifest.config.media_type != kMediaTypeDockerConfig)
    return MakeError("read manifest", mf_path,
                     fmt::format("config media type \"{}\" is not an image config (want {})",
                                 img.manifest.config.media_type, kMediaTypeConfig));
  if (!mf.contains("layers") || !mf["layers"].is_array())
    return MakeError("read manifest", mf_path, "field `layers` missing");
  for (size_t i = 0; i < mf["layers"].size(); ++i)
    img.manifest.layers.push_back(
        CTV_TRY(ParseDescriptor(mf["layers"][i], fmt::format("layers[{}]", i), mf_path)));

  json cf = CTV_TRY(ReadVerifiedJsonBlob(dir, img.manifest.config));
  std::string cf_path = BlobPath(dir, img.manifest.config.digest);
  img.config.architecture = CTV_TRY(OptionalString(cf, "architecture", cf_path, "architecture"));
  img.config.os = CTV_TRY(OptionalString(cf, "os", cf_path, "os"));
  if (cf.contains("config") && cf["config"].is_object()) {
    const json& c = cf["config"];
    img.config.env = StringList(c, "Env");
    img.config.entrypoint = StringList(c, "Entrypoint");
    img.config.cmd = StringList(c, "Cmd");
    img.config.working_dir = CTV_TRY(OptionalString(c, "WorkingDir", cf_path, "config.WorkingDir"));
    img.config.user = CTV_TRY(OptionalString(c, "User", cf_path, "config.User"));
  }
  if (cf.contains("rootfs")) img.config.diff_ids = StringList(cf["rootfs"], "diff_ids");
  if (img.config.diff_ids.size() != img.manifest.layers.size())
    return MakeError("read image config", cf_path,
                     fmt::format("rootfs.diff_ids has {} entries but the manifest has {} layers",
                                 img.config.diff_ids.size(), img.manifest.layers.size()));
  return img;
}

std::string EncodeConfig(const ImageConfig& c) {
  json cfg = json::object();
  if (!c.env.empty()) cfg["Env"] = c.env;
  if (!c.entrypoint.empty()) cfg["Entrypoint"] = c.entrypoint;
  if (!c.cmd.empty()) cfg["Cmd"] = c.cmd;
  if (!c.working_dir.empty()) cfg["WorkingDir"] = c.working_dir;
  if (!c.user.empty()) cfg["User"] = c.user;
  json j = {{"architecture", c.architecture},
            {"os", c.os},
            {"config", cfg},
            {"rootfs", {{"type", "layers"}, {"diff_ids", c.diff_ids}}}};
  return j.dump();
}

std::string EncodeManifest(const Manifest& m) {
  json layers = json::array();
  for (const auto& l : m.layers) layers.push_back(DescriptorJson(l));
  json j = {{"schemaVersion", 2},
            {"mediaType", kMediaTypeManifest},
            {"config", DescriptorJson(m.config)},
            {"layers", layers}};
  if (!m.annotations.empty()) j["annotations"] = m.annotations;
  return j.dump();
}

Result<LayoutWriter> LayoutWriter::Create(const std::string& dir) {
  for (const std::string& d : {dir, dir + "/blobs", dir + "/blobs/sha256"})
    if (::mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoError("create directory", d);
  CTV_CHECK(WriteFileAtomic(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  return LayoutWriter(dir);
}

Result<Descriptor> LayoutWriter::AddBlob(std::string_view data, std::string media_type) {
  Descriptor d;
  d.media_type = std::move(media_type);
  d.digest = Sha256Oci(data);
  d.size = static_cast<int64_t>(data.size());
  CTV_CHECK(WriteFileAtomic(BlobPath(dir_, d.digest), data));
  return d;
}

Result<Descriptor> LayoutWriter::Commit(const ImageConfig& config,
                                        const std::vector<Descriptor>& layers,
                                        const std::string& ref) {
  Manifest m;
  m.config = CTV_TRY(AddBlob(EncodeConfig(config), kMediaTypeConfig));
  m.layers = layers;
  Descriptor md = CTV_TRY(AddBlob(EncodeManifest(m), kMediaTypeManifest));
  md.annotations[kRefNameAnnotation] = ref;
  json index = {{"schemaVersion", 2},
                {"mediaType", kMediaTypeIndex},
                {"manifests", json::array({DescriptorJson(md)})}};
  CTV_CHECK(WriteFileAtomic(dir_ + "/index.json", index.dump()));
  return md;
}

}  // namespace ctv::image
