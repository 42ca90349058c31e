// Test support: small OCI image layouts built on the fly (busybox-static base layer, an optional
// layer with ctv-probe, and arbitrary extra/hostile layers), and RAII guards that make tests
// leave nothing behind.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/image/layer_writer.h"
#include "runtime/image/layout.h"
#include "tests/test_util.h"

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

// Images that carry a runtime and images of their own (a container runtime inside a VM guest).
//
// `FROM base` + layers on top: a layout at `out_dir` (ref "test") with `base`'s layers (the same
// blobs) followed by `layers`, `base`'s config with `entrypoint` and `cmd` replaced.
Result<image::Descriptor> DeriveImage(const image::Image& base,
                                      const std::vector<image::BuiltLayer>& layers,
                                      const std::vector<std::string>& entrypoint,
                                      const std::vector<std::string>& cmd,
                                      const std::string& out_dir);
// Layer entries installing the host executable `host_path` at `path` (without its symbols, when
// binutils' strip is there: ctvrt is ~50 MB with debug info) plus every shared library it loads
// (ldd), at the paths the dynamic loader looks for them. Directories leading to each are included.
Result<std::vector<image::LayerEntry>> ExecutableEntries(const std::string& host_path,
                                                         const std::string& path);
// Layer entries copying the host directory `host_dir` (regular files and directories) to `path`.
Result<std::vector<image::LayerEntry>> TreeEntries(const std::string& host_dir,
                                                   const std::string& path);

// The tests' one temp dir class (tests/test_util.h), under the name runtime tests use.
using TempDir = ::ctv::test::TempDir;

}  // namespace ctv::testing
