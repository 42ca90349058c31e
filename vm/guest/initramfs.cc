#include "vm/guest/initramfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <set>

#include "core/atomic_file.h"
#include "core/fd.h"

namespace ctv::vm {
namespace {

struct ReadCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteCloser {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using ReadArchive = std::unique_ptr<archive, ReadCloser>;
using WriteArchive = std::unique_ptr<archive, WriteCloser>;
using Entry = std::unique_ptr<archive_entry, EntryFree>;

// "./usr/bin/" -> "usr/bin"; "" for the root.
std::string CleanPath(std::string p) {
  while (p.rfind("./", 0) == 0) p.erase(0, 2);
  while (!p.empty() && p[0] == '/') p.erase(0, 1);
  while (!p.empty() && p.back() == '/') p.pop_back();
  if (p == ".") p.clear();
  return p;
}

std::string Dirname(const std::string& p) {
  size_t s = p.rfind('/');
  return s == std::string::npos ? std::string() : p.substr(0, s);
}

std::string Basename(const std::string& p) { return p.substr(p.rfind('/') + 1); }

bool Under(const std::string& path, const std::string& dir) {
  return dir.empty() || path == dir ||
         (path.size() > dir.size() && path.rfind(dir, 0) == 0 && path[dir.size()] == '/');
}

Result<ReadArchive> OpenLayer(const std::string& blob) {
  ReadArchive a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), blob.c_str(), 1 << 16) != ARCHIVE_OK)
    return MakeError("open layer", blob, archive_error_string(a.get()));
  return a;
}

// Where each final path comes from: the layer index and whether it is a directory.
struct Origin {
  size_t layer;
  bool dir;
};

// Pass 1: apply the layers in order to a path map, honouring whiteouts.
Result<std::map<std::string, Origin>> MergeLayers(const image::Image& img) {
  std::map<std::string, Origin> tree;
  auto erase_under = [&](const std::string& dir, bool keep_dir, size_t below_layer) {
    for (auto it = tree.lower_bound(dir); it != tree.end() && Under(it->first, dir);) {
      if ((keep_dir && it->first == dir) || it->second.layer >= below_layer)
        ++it;
      else
        it = tree.erase(it);
    }
  };
  for (size_t i = 0; i < img.manifest.layers.size(); ++i) {
    std::string blob = image::BlobPath(img.layout_dir, img.manifest.layers[i].digest);
    ReadArchive a = CTV_TRY(OpenLayer(blob));
    archive_entry* e;
    int r;
    while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
      std::string path = CleanPath(archive_entry_pathname(e));
      if (path.empty()) continue;
      std::string base = Basename(path);
      if (base == ".wh..wh..opq") {  // opaque directory: hide everything lower layers put there
        erase_under(Dirname(path), true, i);
      } else if (base.rfind(".wh.", 0) == 0) {  // whiteout: delete the named path
        std::string victim = Dirname(path);
        victim = (victim.empty() ? "" : victim + "/") + base.substr(4);
        erase_under(victim, false, i + 1);
      } else {
        bool dir = archive_entry_filetype(e) == AE_IFDIR;
        // A non-directory replacing a directory hides the directory's lower contents.
        if (!dir) erase_under(path, false, i + 1);
        tree[path] = Origin{i, dir};
      }
      archive_read_data_skip(a.get());
    }
    if (r != ARCHIVE_EOF) return MakeError("read layer", blob, archive_error_string(a.get()));
  }
  return tree;
}

class CpioWriter {
 public:
  // Writes to `fd` (not closed by the writer); `path` names it in errors.
  static Result<CpioWriter> Open(int fd, const std::string& path) {
    CpioWriter w;
    w.path_ = path;
    w.a_.reset(archive_write_new());
    archive_write_set_format_cpio_newc(w.a_.get());
    archive_write_set_bytes_in_last_block(w.a_.get(), 1);
    if (archive_write_open_fd(w.a_.get(), fd) != ARCHIVE_OK)
      return MakeError("create initramfs", path, archive_error_string(w.a_.get()));
    return w;
  }

  // Writes `e` with normalised ownership and time; `data` for regular files.
  Status Put(archive_entry* e, const std::string& path, const std::string& data = {}) {
    if (!written_.insert(path).second) return Ok();
    archive_entry_set_pathname(e, path.c_str());
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_mtime(e, 0, 0);
    archive_entry_set_ino(e, ++ino_);  // unique inodes: no accidental hard links in the guest
    archive_entry_set_nlink(e, archive_entry_filetype(e) == AE_IFDIR ? 2 : 1);
    archive_entry_set_size(e, archive_entry_filetype(e) == AE_IFREG ? data.size() : 0);
    if (archive_write_header(a_.get(), e) != ARCHIVE_OK)
      return MakeError("write initramfs entry", path, archive_error_string(a_.get()));
    if (!data.empty() && archive_write_data(a_.get(), data.data(), data.size()) !=
                             static_cast<la_ssize_t>(data.size()))
      return MakeError("write initramfs data", path, archive_error_string(a_.get()));
    return Ok();
  }

  Status Dir(const std::string& path, int mode = 0755) {
    Entry e(archive_entry_new());
    archive_entry_set_filetype(e.get(), AE_IFDIR);
    archive_entry_set_perm(e.get(), mode);
    return Put(e.get(), path);
  }
  // Directories leading to `path` that were not written yet.
  Status Parents(const std::string& path) {
    std::string d = Dirname(path);
    if (d.empty() || written_.count(d)) return Ok();
    CTV_CHECK(Parents(d));
    return Dir(d);
  }
  Status File(const std::string& path, const std::string& data, int mode) {
    CTV_CHECK(Parents(path));
    Entry e(archive_entry_new());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), mode);
    return Put(e.get(), path, data);
  }
  Status CharDev(const std::string& path, int major_no, int minor_no, int mode) {
    CTV_CHECK(Parents(path));
    Entry e(archive_entry_new());
    archive_entry_set_filetype(e.get(), AE_IFCHR);
    archive_entry_set_perm(e.get(), mode);
    archive_entry_set_rdev(e.get(), makedev(major_no, minor_no));
    return Put(e.get(), path);
  }
  Status Close() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK)
      return MakeError("finish initramfs", path_, archive_error_string(a_.get()));
    return Ok();
  }
  bool Has(const std::string& p) const { return written_.count(p) != 0; }
  archive* Raw() { return a_.get(); }

 private:
  std::string path_;
  WriteArchive a_;
  std::set<std::string> written_;
  int64_t ino_ = 0;
};

// Paths ctvbench itself puts into the guest; an image's version of them is left out.
bool Reserved(const std::string& path) { return path == "init" || path == kInitPath; }

}  // namespace

Status WriteInitramfs(const InitramfsInputs& in, const std::string& out_path) {
  if (!in.image) return MakeError("build initramfs", out_path, "no image");
  const image::Image& img = *in.image;
  for (const auto& layer : img.manifest.layers) CTV_CHECK(image::VerifyBlob(img.layout_dir, layer));
  std::map<std::string, Origin> tree = CTV_TRY(MergeLayers(img));

  // Whole or not at all (core/atomic_file.h): several ctvbench processes sharing a state dir may
  // build the same cached initramfs at once (each renames its complete file into place; the last
  // wins, all are equal), and a killed builder leaves no temp file.
  AtomicFile out = CTV_TRY(AtomicFile::Create(out_path, 0644));
  CpioWriter w = CTV_TRY(CpioWriter::Open(out.Get(), out_path));
  // 1. Every directory, sorted, so parents precede children whatever layer they came from.
  std::map<std::string, int> dir_modes;
  for (size_t i = 0; i < img.manifest.layers.size(); ++i) {
    ReadArchive a =
        CTV_TRY(OpenLayer(image::BlobPath(img.layout_dir, img.manifest.layers[i].digest)));
    archive_entry* e;
    while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK) {
      std::string path = CleanPath(archive_entry_pathname(e));
      auto it = tree.find(path);
      if (it != tree.end() && it->second.layer == i && it->second.dir)
        dir_modes[path] = archive_entry_perm(e);
      archive_read_data_skip(a.get());
    }
  }
  for (const auto& [path, mode] : dir_modes) {
    CTV_CHECK(w.Parents(path));
    CTV_CHECK(w.Dir(path, mode));
  }
  // 2. Everything else, layer by layer.
  for (size_t i = 0; i < img.manifest.layers.size(); ++i) {
    std::string blob = image::BlobPath(img.layout_dir, img.manifest.layers[i].digest);
    ReadArchive a = CTV_TRY(OpenLayer(blob));
    archive_entry* e;
    int r;
    while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
      std::string path = CleanPath(archive_entry_pathname(e));
      auto it = tree.find(path);
      if (it == tree.end() || it->second.layer != i || it->second.dir || Reserved(path)) {
        archive_read_data_skip(a.get());
        continue;
      }
      CTV_CHECK(w.Parents(path));
      Entry out(archive_entry_clone(e));
      if (const char* hl = archive_entry_hardlink(e)) {
        archive_entry_set_hardlink(out.get(), nullptr);
        archive_entry_set_filetype(out.get(), AE_IFLNK);
        archive_entry_set_perm(out.get(), 0777);
        archive_entry_set_symlink(out.get(), ("/" + CleanPath(hl)).c_str());
        archive_entry_set_size(out.get(), 0);
        CTV_CHECK(w.Put(out.get(), path));
        continue;
      }
      std::string data;
      if (archive_entry_filetype(e) == AE_IFREG) {
        data.resize(static_cast<size_t>(archive_entry_size(e)));
        la_ssize_t n = data.empty() ? 0 : archive_read_data(a.get(), data.data(), data.size());
        if (n != static_cast<la_ssize_t>(data.size()))
          return MakeError("read layer entry", blob + ":" + path, archive_error_string(a.get()));
      }
      CTV_CHECK(w.Put(out.get(), path, data));
    }
    if (r != ARCHIVE_EOF) return MakeError("read layer", blob, archive_error_string(a.get()));
  }
  // 3. What every guest needs.
  for (const char* d : {"dev", "proc", "sys", "tmp", "run"})
    if (!w.Has(d)) CTV_CHECK(w.Dir(d, std::string(d) == "tmp" ? 01777 : 0755));
  // The kernel opens /dev/console for init's stdio before devtmpfs is mounted.
  CTV_CHECK(w.CharDev("dev/console", 5, 1, 0600));
  std::string init = CTV_TRY(ReadFile(in.init_binary));
  CTV_CHECK(w.File(kInitPath, init, 0755));
  // The kernel runs /init unless told otherwise (rdinit=/sbin/ctv-init, which keeps the name).
  {
    Entry e(archive_entry_new());
    archive_entry_set_filetype(e.get(), AE_IFLNK);
    archive_entry_set_perm(e.get(), 0777);
    archive_entry_set_symlink(e.get(), (std::string("/") + kInitPath).c_str());
    CTV_CHECK(w.Put(e.get(), "init"));
  }
  std::string mod_root = "lib/modules/" + in.release;
  for (const std::string& f : in.module_files) {
    std::string data = CTV_TRY(ReadFile(in.modules_release_dir + "/" + f));
    CTV_CHECK(w.File(mod_root + "/" + f, data, 0644));
  }
  if (!in.release.empty()) CTV_CHECK(w.File(mod_root + "/modules.dep", in.modules_dep, 0644));
  CTV_CHECK(w.Close());
  return out.Commit();
}

Result<std::vector<std::string>> ListCpio(const std::string& path) {
  ReadArchive a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_cpio(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
    return MakeError("open cpio", path, archive_error_string(a.get()));
  std::vector<std::string> out;
  archive_entry* e;
  int r;
  while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    out.push_back(archive_entry_pathname(e));
    archive_read_data_skip(a.get());
  }
  if (r != ARCHIVE_EOF) return MakeError("read cpio", path, archive_error_string(a.get()));
  return out;
}

}  // namespace ctv::vm
