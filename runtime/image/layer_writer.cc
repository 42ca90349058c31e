#include "runtime/image/layer_writer.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

#include "core/fd.h"

namespace ctv::image {
namespace {

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

// Writes all entries into `out` through libarchive, with or without the gzip filter.
Status WriteTar(const std::vector<LayerEntry>& entries, int64_t mtime, bool gzip,
                std::string& out) {
  std::unique_ptr<archive, ArchiveDeleter> a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  if (gzip) {
    archive_write_add_filter_gzip(a.get());
    // No name/timestamp in the gzip header: reproducible digests.
    archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr);
  }
  archive_write_set_bytes_in_last_block(a.get(), 1);
  auto writer = [](archive*, void* ctx, const void* buf, size_t n) -> la_ssize_t {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  };
  if (archive_write_open2(a.get(), &out, nullptr, writer, nullptr, nullptr) != ARCHIVE_OK)
    return MakeError("start layer archive", "", archive_error_string(a.get()));

  for (const LayerEntry& le : entries) {
    std::string content;
    if (le.type == LayerEntry::Type::kFile)
      content = le.source_file.empty() ? le.data : CTV_TRY(ReadFile(le.source_file));
    std::unique_ptr<archive_entry, EntryDeleter> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), le.path.c_str());
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    archive_entry_set_uname(e.get(), "root");
    archive_entry_set_gname(e.get(), "root");
    archive_entry_set_mtime(e.get(), mtime, 0);
    switch (le.type) {
      case LayerEntry::Type::kDirectory:
        archive_entry_set_filetype(e.get(), AE_IFDIR);
        archive_entry_set_perm(e.get(), le.mode);
        break;
      case LayerEntry::Type::kSymlink:
        archive_entry_set_filetype(e.get(), AE_IFLNK);
        archive_entry_set_perm(e.get(), 0777);
        archive_entry_set_symlink(e.get(), le.link_target.c_str());
        break;
      case LayerEntry::Type::kFile:
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_perm(e.get(), le.mode);
        archive_entry_set_size(e.get(), static_cast<la_int64_t>(content.size()));
        break;
    }
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK)
      return MakeError("write layer entry", le.path, archive_error_string(a.get()));
    if (!content.empty() &&
        archive_write_data(a.get(), content.data(), content.size()) !=
            static_cast<la_ssize_t>(content.size()))
      return MakeError("write layer entry", le.path, archive_error_string(a.get()));
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK)
    return MakeError("finish layer archive", "", archive_error_string(a.get()));
  return Ok();
}

}  // namespace

Result<BuiltLayer> BuildLayer(const std::vector<LayerEntry>& entries, int64_t mtime) {
  BuiltLayer out;
  CTV_CHECK(WriteTar(entries, mtime, false, out.tar));
  CTV_CHECK(WriteTar(entries, mtime, true, out.tar_gz));
  return out;
}

}  // namespace ctv::image
