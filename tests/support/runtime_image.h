// Test support: small OCI image layouts built on the fly (busybox-static base layer, an optional
// layer with ctv-probe, and arbitrary extra/hostile layers), and RAII guards that make tests
// leave nothing behind.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/image/layer_writer.h"
#include "runtime/image/layout.h"

namespace ctv::testing {

// Layer with /bin/busybox (host's busybox-static) and symlinks for common applets.
Result<image::BuiltLayer> BusyboxLayer();
// Writes a layout at `dir` with the given layers (bottom first) under ref "test".
Result<image::Descriptor> WriteImage(const std::string& dir,
                                     const std::vector<image::BuiltLayer>& layers,
                                     const std::vector<std::string>& cmd = {"/bin/sh"});
// busybox + (when probe_path is not empty) /usr/local/bin/ctv-probe.
Status BuildBusyboxImage(const std::string& dir, const std::string& probe_path = "");
// Path of the built ctv-probe (build/bin/ctv-probe next to the test binary), "" if absent.
std::string ProbePath();

// A temp dir removed (recursively, never across mounts) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& Path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace ctv::testing
