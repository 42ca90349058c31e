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
#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>
#include <tuple>
#include <vector>

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

// Is `s` valid UTF-8 (no overlongs, no surrogates)? Entry names must be: a name the terminal,
// the results JSON and every tool can show unambiguously.
bool ValidUtf8(const std::string& s) {
  static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n;  // continuation bytes
    if (c < 0x80) n = 0;
    else if ((c >> 5) == 0x6) n = 1;
    else if ((c >> 4) == 0xe) n = 2;
    else if ((c >> 3) == 0x1e) n = 3;
    else return false;
    if (i + n >= s.size() && n > 0) return false;
    uint32_t cp = n == 0 ? c : c & (0x3f >> n);
    for (size_t k = 1; k <= n; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

// `s` with every byte outside printable ASCII as \xHH, for error messages.
std::string Printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    }
  }
  return out.size() > 200 ? out.substr(0, 200) + "..." : out;
}

// The first directory on the way to `rel` (its proper prefixes, inside `dest`) that is a symlink
// on disk, or "". lstat, not a set of the links this layer made: a hard link to a symlink is a
// symlink too, and an entry (or a whiteout we create ourselves) below one would be written
// through it, anywhere on the host.
std::string SymlinkOnTheWay(const std::string& dest, const std::string& rel) {
  for (size_t slash = rel.find('/'); slash != std::string::npos;
       slash = rel.find('/', slash + 1)) {
    struct stat st;
    std::string prefix = rel.substr(0, slash);
    if (::lstat((dest + "/" + prefix).c_str(), &st) != 0) return "";  // not there: created as dir
    if (S_ISLNK(st.st_mode)) return prefix;
  }
  return "";
}

// libarchive restores xattrs with ARCHIVE_EXTRACT_XATTR; file capabilities are dropped like
// setuid bits (see the header): a host user could run them straight from the store.
void DropFileCapabilities(archive_entry* e) {
  if (archive_entry_xattr_reset(e) == 0) return;
  std::vector<std::tuple<std::string, std::string>> keep;
  const char* name;
  const void* value;
  size_t size;
  bool dropped = false;
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    if (std::string_view(name) == "security.capability") {
      dropped = true;
      continue;
    }
    keep.emplace_back(name, std::string(static_cast<const char*>(value), size));
  }
  if (!dropped) return;
  archive_entry_xattr_clear(e);
  for (const auto& [n, v] : keep) archive_entry_xattr_add_entry(e, n.c_str(), v.data(), v.size());
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

  std::set<std::string> seen;  // entries so far: a second one with the same path is refused
  int64_t declared = 0;        // the sizes the entries' headers claim, summed
  for (;;) {
    archive_entry* entry = nullptr;
    int r = archive_read_next_header(in.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN)
      return MakeError("read layer", what,
                       "corrupt or truncated archive: " + ArchiveError(in.get()));
    const char* raw_name = archive_entry_pathname(entry);
    if (!raw_name || !*raw_name)
      return MakeError("unpack layer", what, "an entry has no (readable) name");
    std::string name = raw_name;
    if (!ValidUtf8(name))
      return MakeError("unpack layer", what,
                       "entry `" + Printable(name) + "`: name is not valid UTF-8 (refused)");
    std::string rel = CTV_TRY(CleanEntryPath(name, what));
    if (rel.empty()) continue;  // "./" itself
    const size_t depth = std::count(rel.begin(), rel.end(), '/') + 1;
    if (depth > kMaxEntryDepth || rel.size() > kMaxEntryPathBytes)
      return MakeError("unpack layer", what,
                       "entry `" + Printable(rel.substr(0, 64)) + "...` is " +
                           std::to_string(depth) + " levels and " + std::to_string(rel.size()) +
                           " bytes deep (at most " + std::to_string(kMaxEntryDepth) +
                           " levels and " + std::to_string(kMaxEntryPathBytes) + " bytes)");
    if (!seen.insert(rel).second)
      return MakeError("unpack layer", what,
                       "entry `" + Printable(name) + "` appears twice in the layer (refused: a "
                       "later duplicate could change a directory into a symlink under entries "
                       "already checked)");
    if (std::string link = SymlinkOnTheWay(dest, rel); !link.empty())
      return MakeError("unpack layer", what,
                       "entry `" + Printable(name) + "` would be written through symlink `" +
                           link + "`");
    const int64_t claimed = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
    if (claimed < 0 || claimed > options.max_unpacked_bytes - declared)
      return MakeError("unpack layer", what,
                       "entry `" + Printable(name) + "` claims " + std::to_string(claimed) +
                           " bytes: the layer would unpack to more than " +
                           std::to_string(options.max_unpacked_bytes) + " bytes (refused)");
    declared += claimed;
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
      std::string target = base.substr(kWhiteoutPrefix.size());
      if (target.empty() || target == "." || target == "..")
        return MakeError("unpack layer", what,
                         "whiteout `" + Printable(name) + "` names no file in its directory");
      std::string hidden = parent + "/" + target;
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
      // link(2) follows symlinks on the way to its target: a link to `sym/passwd` with `sym` ->
      // /etc would hard-link the host's file into the layer.
      std::string via = SymlinkOnTheWay(dest, target);
      struct stat tst;
      if (!via.empty() || !ValidUtf8(target) ||
          ::lstat((dest + "/" + target).c_str(), &tst) != 0 || S_ISDIR(tst.st_mode))
        return MakeError("unpack layer", what,
                         "hard link `" + Printable(name) + "` -> `" + Printable(target) + "`: " +
                             (via.empty() ? "target is no earlier file of this layer"
                                          : "target is reached through symlink `" + via + "`"));
      archive_entry_set_hardlink(entry, (dest + "/" + target).c_str());
    }
    if (type == AE_IFLNK) {
      const char* t = archive_entry_symlink(entry);
      std::string target = t ? t : "";
      if (!ValidUtf8(target))
        return MakeError("unpack layer", what,
                         "symlink `" + Printable(name) + "` -> `" + Printable(target) +
                             "`: target is not valid UTF-8 (refused)");
      // Absolute targets are resolved inside the container's root at run time, so they cannot
      // escape; relative ones are checked lexically against the layer's root.
      if (!target.empty() && target[0] != '/' && !RelativeLinkStaysInside(rel, target))
        return MakeError("unpack layer", what,
                         "symlink `" + name + "` -> `" + target + "` escapes the layer");
    }
    // setuid/setgid files and file capabilities are stripped (documented in the header).
    if (type != AE_IFDIR) archive_entry_set_perm(entry, archive_entry_perm(entry) & 01777);
    DropFileCapabilities(entry);
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
        // A gzip bomb: far more out than in. Checked as the data comes, before it is written.
        const int64_t out_bytes = archive_filter_bytes(in.get(), 0);
        const int64_t in_bytes = std::max<int64_t>(1, archive_filter_bytes(in.get(), -1));
        if (out_bytes > options.max_unpacked_bytes ||
            (out_bytes > kExpansionCheckAfter && out_bytes / in_bytes > options.max_expansion))
          return MakeError("unpack layer", what,
                           "entry `" + Printable(name) + "`: " + std::to_string(in_bytes) +
                               " compressed bytes expand to " + std::to_string(out_bytes) +
                               " and more (limit " + std::to_string(options.max_unpacked_bytes) +
                               " bytes, at most " + std::to_string(options.max_expansion) +
                               " times the compressed size): a decompression bomb (refused)");
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
