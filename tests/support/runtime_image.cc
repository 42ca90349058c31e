#include "tests/support/runtime_image.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <set>
#include <sstream>

#include "core/digest.h"
#include "core/fs_tree.h"
#include "core/process.h"

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

namespace {

using image::LayerEntry;

// Directory entries for every parent of `path` ("a/b/c" -> "a", "a/b") not listed yet.
void AddParents(const std::string& path, std::set<std::string>* seen,
                std::vector<LayerEntry>* out) {
  for (size_t i = path.find('/'); i != std::string::npos; i = path.find('/', i + 1)) {
    std::string d = path.substr(0, i);
    if (seen->insert(d).second) out->push_back({LayerEntry::Type::kDirectory, d, 0755});
  }
}

std::string Relative(const std::string& p) { return p.substr(p.find_first_not_of('/')); }

}  // namespace

Result<image::Descriptor> DeriveImage(const image::Image& base,
                                      const std::vector<image::BuiltLayer>& layers,
                                      const std::vector<std::string>& entrypoint,
                                      const std::vector<std::string>& cmd,
                                      const std::string& out_dir) {
  image::LayoutWriter w = CTV_TRY(image::LayoutWriter::Create(out_dir));
  image::ImageConfig cfg = base.config;
  cfg.entrypoint = entrypoint;
  cfg.cmd = cmd;
  std::vector<image::Descriptor> ds;
  for (const image::Descriptor& d : base.manifest.layers) {
    std::string blob = CTV_TRY(ReadFile(image::BlobPath(base.layout_dir, d.digest)));
    ds.push_back(CTV_TRY(w.AddBlob(blob, d.media_type)));
  }
  for (const image::BuiltLayer& l : layers) {
    ds.push_back(CTV_TRY(w.AddBlob(l.tar_gz, image::kMediaTypeLayerGzip)));
    cfg.diff_ids.push_back(Sha256Oci(l.tar));
  }
  return w.Commit(cfg, ds, "test");
}

Result<std::vector<LayerEntry>> ExecutableEntries(const std::string& host_path,
                                                  const std::string& path) {
  std::vector<LayerEntry> out;
  std::set<std::string> dirs;
  LayerEntry exe{LayerEntry::Type::kFile, Relative(path), 0755};
  exe.data = CTV_TRY(ReadFile(host_path));
  if (!FindInPath("strip").empty()) {
    TempDir tmp;
    std::string stripped = tmp.Path() + "/exe";
    auto r = RunCommand({"strip", "-o", stripped, host_path});
    if (r && r->status.Success()) exe.data = CTV_TRY(ReadFile(stripped));
  }
  AddParents(exe.path, &dirs, &out);
  out.push_back(std::move(exe));
  // "\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)", "\t/lib64/ld-linux-x86-64.so.2
  // (0x...)"; the vDSO has no path. A static executable has no such line (ldd fails).
  auto ldd = RunCommand({"ldd", host_path});
  if (!ldd) return std::move(ldd).error();
  std::istringstream in(ldd->out);
  for (std::string line; std::getline(in, line);) {
    size_t arrow = line.find("=> ");
    size_t start = arrow != std::string::npos ? arrow + 3 : line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] != '/') continue;
    std::string lib = line.substr(start, line.find(' ', start) - start);
    LayerEntry e{LayerEntry::Type::kFile, Relative(lib), 0755};
    e.data = CTV_TRY(ReadFile(lib));  // follows the symlink chain to the real file
    AddParents(e.path, &dirs, &out);
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<LayerEntry>> TreeEntries(const std::string& host_dir, const std::string& path) {
  std::vector<LayerEntry> out;
  std::set<std::string> dirs;
  std::string top = Relative(path);
  AddParents(top + "/", &dirs, &out);
  std::function<Status(const std::string&, const std::string&)> walk =
      [&](const std::string& from, const std::string& to) -> Status {
    DIR* d = ::opendir(from.c_str());
    if (!d) return ErrnoError("opendir", from);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d))
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
        names.push_back(e->d_name);
    ::closedir(d);
    std::sort(names.begin(), names.end());  // reproducible layers
    for (const std::string& n : names) {
      struct stat st;
      std::string src = from + "/" + n, dst = to + "/" + n;
      if (::lstat(src.c_str(), &st) != 0) return ErrnoError("stat", src);
      if (S_ISDIR(st.st_mode)) {
        out.push_back({LayerEntry::Type::kDirectory, dst, 0755});
        CTV_CHECK(walk(src, dst));
      } else if (S_ISREG(st.st_mode)) {
        LayerEntry e{LayerEntry::Type::kFile, dst, 0644};
        e.data = CTV_TRY(ReadFile(src));
        out.push_back(std::move(e));
      } else {
        return MakeError("copy tree", src, "only directories and regular files are copied");
      }
    }
    return Ok();
  };
  CTV_CHECK(walk(host_dir, top));
  return out;
}

}  // namespace ctv::testing
