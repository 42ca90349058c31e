#include "bench/image/probe_image.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "core/digest.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/process.h"
#include "runtime/image/layer_writer.h"

namespace ctv::bench {
namespace {

using image::LayerEntry;

bool IsStaticElf(const std::string& data) {
  // A static executable has no PT_INTERP program header; checking the ELF header and searching for
  // the loader path is enough to catch the common mistake (the dynamic busybox package).
  return data.size() > 4 &&
         data.compare(0, 4,
                      "\x7f"
                      "ELF") == 0 &&
         data.find("/lib64/ld-linux") == std::string::npos;
}

Result<std::vector<LayerEntry>> BaseLayer(const std::string& busybox) {
  std::string bin = CTV_TRY(ReadFile(busybox));
  if (!IsStaticElf(bin))
    return MakeError("build base layer", busybox,
                     "not a static executable: install Debian's busybox-static");
  // The applet list comes from the busybox binary itself, so the image matches what is installed.
  CommandOutput list = CTV_TRY(RunCommand({busybox, "--list"}));
  if (!list.status.Success())
    return MakeError("list busybox applets", busybox, list.status.ToString());

  std::vector<LayerEntry> e;
  auto dir = [&](const char* p, uint32_t mode = 0755) {
    e.push_back({LayerEntry::Type::kDirectory, p, mode});
  };
  for (const char* d :
       {"bin", "dev", "etc", "proc", "root", "sys", "usr", "usr/local", "usr/local/bin", "var"})
    dir(d);
  dir("tmp", 01777);
  LayerEntry bb{LayerEntry::Type::kFile, "bin/busybox", 0755};
  bb.data = std::move(bin);
  e.push_back(std::move(bb));
  std::istringstream applets(list.out);
  for (std::string a; std::getline(applets, a);)
    if (!a.empty() && a != "busybox" && a.find('/') == std::string::npos)
      e.push_back({LayerEntry::Type::kSymlink, "bin/" + a, 0777, "", "", "busybox"});
  auto file = [&](const char* p, const char* content) {
    LayerEntry f{LayerEntry::Type::kFile, p, 0644};
    f.data = content;
    e.push_back(std::move(f));
  };
  file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
  file("etc/group", "root:x:0:\nnogroup:x:65534:\n");
  file("etc/hostname", "ctv\n");
  return e;
}

Result<std::vector<LayerEntry>> ProbeLayer(const std::string& probe) {
  std::string bin = CTV_TRY(ReadFile(probe));
  if (!IsStaticElf(bin))
    return MakeError("build probe layer", probe, "ctv-probe must be a static executable");
  LayerEntry p{LayerEntry::Type::kFile, std::string(kProbeInImage).substr(1), 0755};
  p.data = std::move(bin);
  return std::vector<LayerEntry>{std::move(p)};
}

}  // namespace

std::string DefaultImageDir() {
  const char* env = std::getenv("CTVBENCH_IMAGE_DIR");
  return env && *env ? env : "/var/lib/ctvbench/images/probe";
}

Result<image::Descriptor> BuildProbeImage(const ProbeImageInputs& in, const std::string& out_dir) {
  // SOURCE_DATE_EPOCH-style fixed time: the digests depend only on the two binaries.
  constexpr int64_t kEpoch = 0;
  image::BuiltLayer base = CTV_TRY(image::BuildLayer(CTV_TRY(BaseLayer(in.busybox_path)), kEpoch));
  image::BuiltLayer probe = CTV_TRY(image::BuildLayer(CTV_TRY(ProbeLayer(in.probe_path)), kEpoch));

  CTV_CHECK(fs::MakeDirs(out_dir));
  image::LayoutWriter w = CTV_TRY(image::LayoutWriter::Create(out_dir));
  image::ImageConfig cfg;
  cfg.env = {"PATH=/usr/local/bin:/bin"};
  cfg.entrypoint = {kProbeInImage};
  cfg.cmd = {"hostinfo"};
  cfg.working_dir = "/";
  std::vector<image::Descriptor> layers;
  for (const image::BuiltLayer* l : {&base, &probe}) {
    cfg.diff_ids.push_back(Sha256Oci(l->tar));
    layers.push_back(CTV_TRY(w.AddBlob(l->tar_gz, image::kMediaTypeLayerGzip)));
  }
  return w.Commit(cfg, layers, kProbeImageRef);
}

}  // namespace ctv::bench
