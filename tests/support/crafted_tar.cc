#include "tests/support/crafted_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/sysmacros.h>

#include <cstdio>
#include <cstring>

namespace ctv::testing {
namespace {

la_ssize_t Append(archive*, void* ud, const void* buf, size_t n) {
  static_cast<std::string*>(ud)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

}  // namespace

std::string RawTar(const std::vector<RawEntry>& entries, bool gzip) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  archive_write_open(a, &out, nullptr, Append, nullptr);
  for (const RawEntry& r : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, r.path.c_str());
    archive_entry_set_filetype(e, r.type);
    archive_entry_set_perm(e, r.perm ? r.perm : r.type == AE_IFDIR ? 0755 : 0644);
    if (r.type == AE_IFCHR || r.type == AE_IFBLK) archive_entry_set_rdev(e, makedev(1, 3));
    if (!r.symlink.empty()) archive_entry_set_symlink(e, r.symlink.c_str());
    if (!r.hardlink.empty()) archive_entry_set_hardlink(e, r.hardlink.c_str());
    for (const auto& [k, v] : r.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    const bool has_data = r.type == AE_IFREG && r.hardlink.empty();
    archive_entry_set_size(e, has_data ? r.data.size() : 0);
    archive_write_header(a, e);
    if (has_data) archive_write_data(a, r.data.data(), r.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

std::string UstarFile(const std::string& name, uint64_t declared_size, const std::string& data) {
  char h[512] = {};
  std::memcpy(h, name.data(), std::min<size_t>(name.size(), 100));
  std::snprintf(h + 100, 8, "%07o", 0644);
  std::snprintf(h + 108, 8, "%07o", 0);
  std::snprintf(h + 116, 8, "%07o", 0);
  if (declared_size < (1ull << 33)) {
    std::snprintf(h + 124, 12, "%011llo", static_cast<unsigned long long>(declared_size));
  } else {  // GNU base-256: high bit of the first byte set, big-endian value
    h[124] = static_cast<char>(0x80);
    for (int i = 0; i < 8; ++i)
      h[135 - i] = static_cast<char>((declared_size >> (8 * i)) & 0xff);
  }
  std::snprintf(h + 136, 12, "%011o", 0);
  h[156] = '0';
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h + 148, 8, "%06o", sum);
  h[155] = ' ';
  std::string out(h, sizeof h);
  out += data;
  out.append((512 - data.size() % 512) % 512, '\0');
  out.append(1024, '\0');
  return out;
}

std::string Gzip(const std::string& tar) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_raw(a);
  archive_write_add_filter_gzip(a);
  archive_write_open(a, &out, nullptr, Append, nullptr);
  archive_entry* e = archive_entry_new();
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, tar.size());
  archive_write_header(a, e);
  archive_write_data(a, tar.data(), tar.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

}  // namespace ctv::testing
