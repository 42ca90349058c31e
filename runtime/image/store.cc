#include "runtime/image/store.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <set>

#include "core/digest.h"
#include "core/fs_tree.h"

namespace ctv::image {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

struct ReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};

// Normalises an entry name to a relative path with no "." components. Refuses absolute paths and
// any ".." component: tar readers historically resolved them, and a layer must never write
// outside its directory.
Result<std::string> CleanEntryPath(const std::string& name, const std::string& what) {
  if (!name.empty() && name[0] == '/')
    return MakeError("unpack layer", what, "entry `" + name + "` has an absolute path");
  std::string out;
  size_t i = 0;
  while (i <= name.size()) {
    size_t j = name.find('/', i);
    if (j == std::string::npos) j = name.size();
    std::string comp = name.substr(i, j - i);
    if (comp == "..")
      return MakeError("unpack layer", what,
                       "entry `" + name + "` escapes the layer (path traversal with `..`)");
    if (!comp.empty() && comp != ".") out += (out.empty() ? "" : "/") + comp;
    i = j + 1;
  }
  return out;
}

// Does a relative symlink at `entry` pointing to `target` stay inside the layer? Lexical check:
// count the depth while walking the target's components from the link's directory.
bool RelativeLinkStaysInside(const std::string& entry, const std::string& target) {
  int depth = 0;
  for (char c : entry)
    if (c == '/') ++depth;  // depth of the link's directory
  size_t i = 0;
  while (i <= target.size()) {
    size_t j = target.find('/', i);
    if (j == std::string::npos) j = target.size();
    std::string comp = target.substr(i, j - i);
    if (comp == "..") {
      if (--depth < 0) return false;
    } else if (!comp.empty() && comp != ".") {
      ++depth;
    }
    i = j + 1;
  }
  return true;
}

std::string ArchiveError(archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unknown libarchive error";
}

}  // namespace

Status UnpackLayer(const std::string& blob_path, const std::string& dest,
                   const UnpackOptions& options, const std::string& what) {
  std::unique_ptr<archive, ReadDeleter> in(archive_read_new());
  archive_read_support_filter_gzip(in.get());
  archive_read_support_filter_none(in.get());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_gnutar(in.get());
  if (archive_read_open_filename(in.get(), blob_path.c_str(), 1 << 16) != ARCHIVE_OK)
    return MakeError("open layer", blob_path, ArchiveError(in.get()));

  std::unique_ptr<archive, WriteDeleter> out(archive_write_disk_new());
  // SECURE_SYMLINKS: never write through a symlink created earlier (defence in depth on top of
  // our own checks); NODOTDOT likewise. Absolute output paths are ours (dest + entry).
  archive_write_disk_set_options(
      out.get(), ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                     ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                     ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_UNLINK);

  // Symlinks this layer created: an entry below one would be written through it (libarchive's
  // SECURE_SYMLINKS would quietly replace the link instead; a layer doing this is hostile).
  std::set<std::string> symlinks;
  for (;;) {
    archive_entry* entry = nullptr;
    int r = archive_read_next_header(in.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN)
      return MakeError("read layer", what,
                       "corrupt or truncated archive: " + ArchiveError(in.get()));
    const char* raw_name = archive_entry_pathname(entry);
    std::string name = raw_name ? raw_name : "";
    std::string rel = CTV_TRY(CleanEntryPath(name, what));
    if (rel.empty()) continue;  // "./" itself
    for (size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1))
      if (symlinks.count(rel.substr(0, slash)))
        return MakeError(
            "unpack layer", what,
            "entry `" + name + "` would be written through symlink `" + rel.substr(0, slash) + "`");
    std::string full = dest + "/" + rel;
    std::string base = rel.substr(rel.rfind('/') == std::string::npos ? 0 : rel.rfind('/') + 1);
    std::string parent = full.substr(0, full.size() - base.size() - 1);

    // Whiteouts, converted to overlayfs format.
    if (base == kOpaqueMarker) {
      CTV_CHECK(fs::MakeDirs(parent));
      if (::setxattr(parent.c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0)
        return ErrnoError("set opaque xattr on", parent, "entry `" + name + "`");
      continue;
    }
    if (base.rfind(kWhiteoutPrefix, 0) == 0) {
      std::string hidden = parent + "/" + base.substr(kWhiteoutPrefix.size());
      CTV_CHECK(fs::MakeDirs(parent));
      if (::mknod(hidden.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0)
        return ErrnoError("create whiteout", hidden, "entry `" + name + "`");
      continue;
    }

    mode_t type = archive_entry_filetype(entry);
    if ((type == AE_IFCHR || type == AE_IFBLK) && !options.allow_devices)
      return MakeError("unpack layer", what, "entry `" + name + "` is a device node (refused)");
    if (const char* hl = archive_entry_hardlink(entry)) {
      std::string target = CTV_TRY(CleanEntryPath(hl, what));
      if (target.empty())
        return MakeError("unpack layer", what, "hard link `" + name + "` has an empty target");
      archive_entry_set_hardlink(entry, (dest + "/" + target).c_str());
    }
    if (type == AE_IFLNK) {
      const char* t = archive_entry_symlink(entry);
      std::string target = t ? t : "";
      // Absolute targets are resolved inside the container's root at run time, so they cannot
      // escape; relative ones are checked lexically against the layer's root.
      if (!target.empty() && target[0] != '/' && !RelativeLinkStaysInside(rel, target))
        return MakeError("unpack layer", what,
                         "symlink `" + name + "` -> `" + target + "` escapes the layer");
    }
    if (type == AE_IFLNK)
      symlinks.insert(rel);
    else
      symlinks.erase(rel);
    archive_entry_set_pathname(entry, full.c_str());
    r = archive_write_header(out.get(), entry);
    if (r < ARCHIVE_WARN)
      return MakeError("extract", full, "entry `" + name + "`: " + ArchiveError(out.get()));
    if (archive_entry_size(entry) > 0) {
      const void* buf;
      size_t size;
      la_int64_t offset;
      for (;;) {
        r = archive_read_data_block(in.get(), &buf, &size, &offset);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN)
          return MakeError(
              "read layer", what,
              "entry `" + name + "`: corrupt or truncated archive: " + ArchiveError(in.get()));
        if (archive_write_data_block(out.get(), buf, size, offset) < ARCHIVE_WARN)
          return MakeError("extract", full, ArchiveError(out.get()));
      }
    }
    if (archive_write_finish_entry(out.get()) < ARCHIVE_WARN)
      return MakeError("extract", full, ArchiveError(out.get()));
  }
  if (archive_write_close(out.get()) < ARCHIVE_WARN)
    return MakeError("finish layer", what, ArchiveError(out.get()));
  return Ok();
}

std::string LayerStore::LayerDir(const std::string& digest) const {
  std::string hex = digest.substr(digest.find(':') + 1);
  return root_ + "/layers/sha256/" + hex;
}

Result<std::string> LayerStore::EnsureLayer(const std::string& layout_dir, const Descriptor& layer,
                                            const UnpackOptions& options) {
  if (!IsSha256Digest(layer.digest))
    return MakeError("unpack layer", layer.digest, "not a sha256 digest");
  std::string dir = LayerDir(layer.digest);
  if (fs::Exists(dir)) return dir;
  if (layer.media_type != kMediaTypeLayerGzip && layer.media_type != kMediaTypeLayerTar &&
      layer.media_type != "application/vnd.docker.image.rootfs.diff.tar.gzip")
    return MakeError("unpack layer", layer.digest,
                     "unsupported media type `" + layer.media_type + "` (tar or tar+gzip)");
  CTV_CHECK(VerifyBlob(layout_dir, layer));
  // 0755: a user-namespaced container's root (an unprivileged host uid) must reach the layers.
  CTV_CHECK(fs::MakeDirs(root_ + "/layers/sha256", 0755));
  std::string tmp = CTV_TRY(fs::MakeTempDir(root_ + "/tmp", layer.digest.substr(7, 12) + "."));
  ::chmod(tmp.c_str(), 0755);
  Status s = UnpackLayer(BlobPath(layout_dir, layer.digest), tmp, options, layer.digest);
  if (!s) {
    (void)fs::RemoveTree(tmp);
    return std::move(s).error();
  }
  if (::rename(tmp.c_str(), dir.c_str()) != 0) {
    int e = errno;
    (void)fs::RemoveTree(tmp);
    // Someone else unpacked the same layer meanwhile: theirs is as good as ours.
    if ((e == EEXIST || e == ENOTEMPTY) && fs::Exists(dir)) return dir;
    return Error{e, "rename", tmp, "to " + dir};
  }
  return dir;
}

Result<std::vector<std::string>> LayerStore::EnsureImage(const Image& image,
                                                         const UnpackOptions& options) {
  std::vector<std::string> dirs;
  for (const Descriptor& d : image.manifest.layers)
    dirs.push_back(CTV_TRY(EnsureLayer(image.layout_dir, d, options)));
  return dirs;
}

Result<std::string> LayerStore::EnsureInitLayer() {
  std::string dir = root_ + "/init";
  if (fs::Exists(dir + "/sys")) return dir;
  CTV_CHECK(fs::MakeDirs(root_, 0755));
  std::string tmp = CTV_TRY(fs::MakeTempDir(root_ + "/tmp", "init."));
  ::chmod(tmp.c_str(), 0755);
  for (const char* d : {"/proc", "/dev", "/sys"}) {
    std::string p = tmp + d;
    if (::mkdir(p.c_str(), 0755) != 0) {
      Error e = ErrnoError("mkdir", p);
      (void)fs::RemoveTree(tmp);
      return e;
    }
  }
  if (::rename(tmp.c_str(), dir.c_str()) != 0) {
    int e = errno;
    (void)fs::RemoveTree(tmp);
    if (!fs::Exists(dir + "/sys")) return Error{e, "rename", tmp, "to " + dir};
  }
  return dir;
}

Result<std::vector<std::string>> LayerStore::ListLayers() const {
  std::vector<std::string> out;
  std::string dir = root_ + "/layers/sha256";
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    return ErrnoError("opendir", dir);
  }
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.size() == 64) out.push_back("sha256:" + n);
  }
  ::closedir(d);
  return out;
}

Status LayerStore::RemoveLayer(const std::string& digest) {
  return fs::RemoveTree(LayerDir(digest));
}

Status LayerStore::CollectGarbage(std::vector<std::string>* removed) {
  std::string dir = root_ + "/tmp";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return Ok();
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(dir + "/" + n);
  }
  ::closedir(d);
  for (auto& n : names) {
    CTV_CHECK(fs::RemoveTree(n));
    if (removed) removed->push_back(n);
  }
  return Ok();
}

}  // namespace ctv::image
