// libFuzzer target: the layer unpacker (runtime/image/store.h UnpackLayer): the input is a layer
// blob (tar, or gzip'd tar) unpacked into a fresh directory under /dev/shm that is removed again.
// The limits are lowered (1 MiB out) so a bomb costs a fuzzing run no time.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/image/store.h"
#include "tests/fuzz/fuzz_util.h"

using namespace ctv;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string blob = fuzz::ScratchDir() + "/layer.blob";
  if (!WriteFile(blob, std::string_view(reinterpret_cast<const char*>(data), size))) return 0;
  auto dest = fs::MakeTempDir(fuzz::ScratchDir(), "unpack.");
  if (!dest) return 0;
  image::UnpackOptions o;
  o.max_unpacked_bytes = 1 << 20;
  (void)image::UnpackLayer(blob, *dest, o, "fuzz");
  (void)fs::RemoveTree(*dest);
  return 0;
}
