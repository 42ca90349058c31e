#include "tests/support/runtime_image.h"

#include <unistd.h>

#include "core/digest.h"
#include "core/process.h"
#include "runtime/fs/tree.h"

namespace ctv::testing {

Result<image::BuiltLayer> BusyboxLayer() {
  using image::LayerEntry;
  std::vector<LayerEntry> e;
  for (const char* d : {"bin", "etc", "tmp", "usr", "usr/local", "usr/local/bin", "root"})
    e.push_back({LayerEntry::Type::kDirectory, d, 0755});
  e.push_back({LayerEntry::Type::kFile, "bin/busybox", 0755, "/bin/busybox"});
  for (const char* a :
       {"sh",    "ls", "cat",  "echo", "hostname", "id",       "sleep", "mount", "touch",
        "mkdir", "rm", "ps",   "true", "false",    "wc",       "grep",  "head",  "ipcmk",
        "ipcs",  "dd", "test", "env",  "kill",     "readlink", "stat",  "uname"}) {
    LayerEntry l{LayerEntry::Type::kSymlink, std::string("bin/") + a, 0777};
    l.link_target = "busybox";
    e.push_back(l);
  }
  e.push_back({LayerEntry::Type::kFile, "etc/passwd", 0644, "", "root:x:0:0:root:/root:/bin/sh\n"});
  e.push_back({LayerEntry::Type::kFile, "etc/hostname", 0644, "", "image\n"});
  return image::BuildLayer(e);
}

Result<image::Descriptor> WriteImage(const std::string& dir,
                                     const std::vector<image::BuiltLayer>& layers,
                                     const std::vector<std::string>& cmd) {
  image::LayoutWriter w = CTV_TRY(image::LayoutWriter::Create(dir));
  image::ImageConfig cfg;
  cfg.cmd = cmd;
  cfg.env = {"PATH=/usr/local/bin:/bin"};
  std::vector<image::Descriptor> ds;
  for (const auto& l : layers) {
    ds.push_back(CTV_TRY(w.AddBlob(l.tar_gz, image::kMediaTypeLayerGzip)));
    cfg.diff_ids.push_back(Sha256Oci(l.tar));
  }
  return w.Commit(cfg, ds, "test");
}

Status BuildBusyboxImage(const std::string& dir, const std::string& probe_path) {
  std::vector<image::BuiltLayer> layers = {CTV_TRY(BusyboxLayer())};
  if (!probe_path.empty()) {
    using image::LayerEntry;
    layers.push_back(CTV_TRY(image::BuildLayer(
        {{LayerEntry::Type::kDirectory, "usr", 0755},
         {LayerEntry::Type::kDirectory, "usr/local", 0755},
         {LayerEntry::Type::kDirectory, "usr/local/bin", 0755},
         {LayerEntry::Type::kFile, "usr/local/bin/ctv-probe", 0755, probe_path}})));
  }
  CTV_TRY(WriteImage(dir, layers));
  return Ok();
}

std::string ProbePath() {
  std::string p = SelfDir() + "/ctv-probe";
  return ::access(p.c_str(), X_OK) == 0 ? p : "";
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/ctvtest.XXXXXX";
  path_ = ::mkdtemp(tmpl) ? tmpl : "";
}
TempDir::~TempDir() {
  if (!path_.empty()) (void)fs::RemoveTree(path_);
}

}  // namespace ctv::testing
