// The project's own OCI image, built locally (no registry, no network): two layers,
//   1. base:  Debian's static busybox at /bin/busybox, its applets as symlinks, a minimal /etc;
//   2. probe: the static ctv-probe at /usr/local/bin/ctv-probe.
// Entrypoint ctv-probe, Cmd ["hostinfo"]. Containers and VM guests are built from this one image,
// so every driver runs byte-identical workload code.
#pragma once

#include <string>

#include "core/error.h"
#include "runtime/image/layout.h"

namespace ctv::bench {

inline constexpr const char* kProbeImageRef = "latest";
inline constexpr const char* kProbeInImage = "/usr/local/bin/ctv-probe";

struct ProbeImageInputs {
  std::string busybox_path = "/bin/busybox";  // must be static (busybox-static)
  std::string probe_path;                     // build/bin/ctv-probe
};

// Writes the layout into `out_dir` (created if needed) and returns the manifest descriptor.
// Deterministic: same inputs, same digests.
Result<image::Descriptor> BuildProbeImage(const ProbeImageInputs& in, const std::string& out_dir);

// Default location of the image: $CTVBENCH_IMAGE_DIR, else /var/lib/ctvbench/images/probe.
std::string DefaultImageDir();

}  // namespace ctv::bench
