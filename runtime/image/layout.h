// OCI image layout (image-spec v1.0): reading and writing index.json, manifests, configs, blobs.
//
// Contract: OpenImage verifies, before anything is used, that the manifest and the config blobs
// match their descriptors' digest and size; layer blobs are verified by VerifyBlob (the unpacker
// calls it before extracting). Errors name the layout directory and the blob or field at fault.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace ctv::image {

inline constexpr const char* kMediaTypeManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kMediaTypeIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kMediaTypeConfig = "application/vnd.oci.image.config.v1+json";
// What Docker writes for the same JSON (accepted: same schema).
inline constexpr const char* kMediaTypeDockerConfig =
    "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kMediaTypeLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kMediaTypeLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  int64_t size = 0;
  std::map<std::string, std::string> annotations;
};

struct ImageConfig {
  std::string architecture = "amd64";
  std::string os = "linux";
  std::vector<std::string> env;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::string user;
  std::vector<std::string> diff_ids;  // sha256 of each layer's uncompressed tar, in order
};

struct Manifest {
  Descriptor config;
  std::vector<Descriptor> layers;  // bottom first
  std::map<std::string, std::string> annotations;
};

struct Image {
  std::string layout_dir;
  std::string ref;  // the ref.name it was opened by ("" when the index has a single manifest)
  Descriptor manifest_descriptor;
  Manifest manifest;
  ImageConfig config;
};

// "<layout>/blobs/sha256/<hex>".
std::string BlobPath(const std::string& layout_dir, std::string_view digest);

// Opens the manifest named `ref` (annotation org.opencontainers.image.ref.name); with an empty
// ref, the index must hold exactly one manifest. "DIR:REF" syntax is parsed by ParseImageRef.
Result<Image> OpenImage(const std::string& layout_dir, const std::string& ref = "");
// Splits "DIR:REF" (REF optional) the way umoci and skopeo's oci: transport do.
std::pair<std::string, std::string> ParseImageRef(const std::string& spec);

// Checks a blob's size and sha256 against its descriptor.
Status VerifyBlob(const std::string& layout_dir, const Descriptor& d);

// Writes a new layout. Blobs are content-addressed, so adding one twice is harmless.
class LayoutWriter {
 public:
  // Creates DIR (and blobs/sha256) with the oci-layout marker file.
  static Result<LayoutWriter> Create(const std::string& dir);
  Result<Descriptor> AddBlob(std::string_view data, std::string media_type);
  // Writes the config and manifest blobs and an index.json naming the manifest `ref`.
  Result<Descriptor> Commit(const ImageConfig& config, const std::vector<Descriptor>& layers,
                            const std::string& ref);
  const std::string& Dir() const { return dir_; }

 private:
  explicit LayoutWriter(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

// JSON encodings, exposed for tests (digests must be computed over these exact bytes).
std::string EncodeConfig(const ImageConfig& c);
std::string EncodeManifest(const Manifest& m);

}  // namespace ctv::image
