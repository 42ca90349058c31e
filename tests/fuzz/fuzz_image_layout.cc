// libFuzzer target: the OCI image layout readers (runtime/image/layout.h OpenImage). The input is
// one of the three JSON documents, the others made honest around it, chosen by the build
// (CTV_FUZZ_DOC): index.json, the manifest blob (index.json pointing at it with the right digest
// and size), or the config blob (an honest manifest pointing at it). Never crashes, never
// accepts a document whose digest chain is broken.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/digest.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/image/layout.h"
#include "tests/fuzz/fuzz_util.h"

using namespace ctv;

namespace {

std::string Desc(const std::string& media, const std::string& blob, const std::string& extra = "") {
  return R"({"mediaType":")" + media + R"(","digest":")" + Sha256Oci(blob) + R"(","size":)" +
         std::to_string(blob.size()) + extra + "}";
}

const std::string& Layout() {
  static const std::string dir = [] {
    std::string d = fuzz::ScratchDir() + "/layout";
    (void)fs::MakeDirs(d + "/blobs/sha256");
    (void)WriteFile(d + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    return d;
  }();
  return dir;
}

[[maybe_unused]] void Blob(const std::string& data) {
  (void)WriteFile(image::BlobPath(Layout(), Sha256Oci(data)), data);
}

[[maybe_unused]] void Index(const std::string& manifest_blob) {
  (void)WriteFile(Layout() + "/index.json",
                  R"({"schemaVersion":2,"manifests":[)" +
                      Desc(image::kMediaTypeManifest, manifest_blob,
                           R"(,"annotations":{"org.opencontainers.image.ref.name":"t"})") +
                      "]}");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const std::string dir = Layout();
#if CTV_FUZZ_DOC == 0
  (void)WriteFile(dir + "/index.json", in);
  (void)image::OpenImage(dir);
  (void)image::OpenImage(dir, "t");
#elif CTV_FUZZ_DOC == 1
  Blob(in);
  Index(in);
  (void)image::OpenImage(dir, "t");
  ::unlink(image::BlobPath(dir, Sha256Oci(in)).c_str());
#else
  Blob(in);
  const std::string manifest = R"({"schemaVersion":2,"mediaType":")" +
                               std::string(image::kMediaTypeManifest) + R"(","config":)" +
                               Desc(image::kMediaTypeConfig, in) + R"(,"layers":[]})";
  Blob(manifest);
  Index(manifest);
  (void)image::OpenImage(dir, "t");
  ::unlink(image::BlobPath(dir, Sha256Oci(in)).c_str());
  ::unlink(image::BlobPath(dir, Sha256Oci(manifest)).c_str());
#endif
  return 0;
}
