// libFuzzer target: an OCI bundle's config.json (runtime/oci/config.h ParseConfig), the document
// `ctvrt create` reads from any bundle it is given.
#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/oci/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)ctv::runtime::oci::ParseConfig(std::string(reinterpret_cast<const char*>(data), size),
                                       "/nonexistent-ctvfuzz-bundle");
  return 0;
}
