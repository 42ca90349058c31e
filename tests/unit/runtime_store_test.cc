// Layer store: unpacking, caching, and refusal of hostile layers (no root needed).
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/process.h"
#include "runtime/image/images.h"
#include "runtime/image/store.h"
#include "tests/support/runtime_image.h"

namespace ctv::image {
namespace {

using testing::TempDir;

struct RawEntry {
  std::string path;
  mode_t type = AE_IFREG;
  std::string data;
  std::string symlink, hardlink;
};

// A tar built with libarchive directly, so tests can write what LayerWriter never would.
std::string RawTar(const std::vector<RawEntry>& entries, bool gzip = false) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  archive_write_open(
      a, &out, nullptr,
      [](archive*, void* ud, const void* buf, size_t n) -> la_ssize_t {
        static_cast<std::string*>(ud)->append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  for (const RawEntry& r : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, r.path.c_str());
    archive_entry_set_filetype(e, r.type);
    archive_entry_set_perm(e, r.type == AE_IFDIR ? 0755 : 0644);
    if (r.type == AE_IFCHR) archive_entry_set_rdev(e, makedev(1, 3));
    if (!r.symlink.empty()) archive_entry_set_symlink(e, r.symlink.c_str());
    if (!r.hardlink.empty()) archive_entry_set_hardlink(e, r.hardlink.c_str());
    archive_entry_set_size(e, r.type == AE_IFREG && r.hardlink.empty() ? r.data.size() : 0);
    archive_write_header(a, e);
    if (r.type == AE_IFREG && r.hardlink.empty())
      archive_write_data(a, r.data.data(), r.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// Writes a single-layer image whose layer blob is `blob`; returns its descriptor.
Descriptor OneLayerImage(const std::string& dir, const std::string& blob, const char* media) {
  auto w = LayoutWriter::Create(dir);
  EXPECT_TRUE(w.has_value());
  auto d = w->AddBlob(blob, media);
  EXPECT_TRUE(d.has_value());
  ImageConfig cfg;
  cfg.cmd = {"/bin/sh"};
  EXPECT_TRUE(w->Commit(cfg, {*d}, "test").has_value());
  return *d;
}

bool DirEmpty(const std::string& dir) {
  auto r = RunCommand({"sh", "-c", "ls -A '" + dir + "' 2>/dev/null | wc -l"});
  return r && r->out == "0\n";
}

TEST(LayerStore, UnpacksOnceIntoContentAddressedCache) {
  TempDir store_dir, layout;
  ASSERT_TRUE(testing::BuildBusyboxImage(layout.Path()).has_value());
  LayerStore store(store_dir.Path());
  auto img = PrepareImage(store, layout.Path());
  ASSERT_TRUE(img.has_value()) << img.error().ToString();
  ASSERT_EQ(img->layer_dirs.size(), 1u);
  const std::string& dir = img->layer_dirs[0];
  EXPECT_EQ(dir, store.LayerDir(img->image.manifest.layers[0].digest));
  struct stat st;
  ASSERT_EQ(::lstat((dir + "/bin/busybox").c_str(), &st), 0);
  ASSERT_EQ(::lstat((dir + "/bin/sh").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  // Second use: same directory, not unpacked again (its inode is unchanged).
  struct stat before, after;
  ASSERT_EQ(::stat(dir.c_str(), &before), 0);
  auto again = PrepareImage(store, layout.Path());
  ASSERT_TRUE(again.has_value());
  ASSERT_EQ(::stat(again->layer_dirs[0].c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_TRUE(DirEmpty(store_dir.Path() + "/tmp"));
  auto list = ListImages(store);
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(list->size(), 1u);
  std::vector<std::string> removed;
  ASSERT_TRUE(RemoveImage(store, layout.Path(), &removed).has_value());
  EXPECT_EQ(removed.size(), 1u);
  EXPECT_FALSE(fs::Exists(dir));
}

TEST(LayerStore, PlainTarLayer) {
  TempDir store_dir, layout;
  Descriptor d = OneLayerImage(
      layout.Path(), RawTar({{"etc", AE_IFDIR}, {"etc/x", AE_IFREG, "hi"}}), kMediaTypeLayerTar);
  LayerStore store(store_dir.Path());
  auto dir = store.EnsureLayer(layout.Path(), d);
  ASSERT_TRUE(dir.has_value()) << dir.error().ToString();
  EXPECT_EQ(ReadFile(*dir + "/etc/x").value(), "hi");
}

struct Hostile {
  const char* name;
  std::vector<RawEntry> entries;
  const char* expect;  // substring of the error
};

class HostileLayer : public ::testing::TestWithParam<int> {};

std::vector<Hostile> HostileCases() {
  return {
      {"dotdot", {{"a", AE_IFDIR}, {"a/../../evil", AE_IFREG, "x"}}, "a/../../evil"},
      {"absolute", {{"/etc/evil", AE_IFREG, "x"}}, "/etc/evil"},
      {"escaping_symlink", {{"a", AE_IFDIR}, {"a/link", AE_IFLNK, "", "../../../etc"}}, "a/link"},
      {"escaping_hardlink", {{"h", AE_IFREG, "", "", "../../etc/passwd"}}, "../../etc/passwd"},
      {"device_node", {{"dev", AE_IFDIR}, {"dev/mem", AE_IFCHR}}, "dev/mem"},
      {"write_through_symlink",
       {{"etc", AE_IFLNK, "", "/tmp"}, {"etc/evil", AE_IFREG, "x"}},
       "etc/evil"},
  };
}

TEST_P(HostileLayer, RefusedWithEntryNamedAndNothingUnpacked) {
  Hostile h = HostileCases()[GetParam()];
  TempDir store_dir, layout;
  Descriptor d = OneLayerImage(layout.Path(), RawTar(h.entries, true), kMediaTypeLayerGzip);
  LayerStore store(store_dir.Path());
  auto dir = store.EnsureLayer(layout.Path(), d);
  ASSERT_FALSE(dir.has_value()) << h.name;
  std::string msg = dir.error().ToString();
  EXPECT_NE(msg.find(h.expect), std::string::npos) << h.name << ": " << msg;
  EXPECT_FALSE(fs::Exists(store.LayerDir(d.digest))) << h.name;
  EXPECT_TRUE(DirEmpty(store_dir.Path() + "/tmp")) << h.name;
  EXPECT_FALSE(fs::Exists("/tmp/evil"));
}

INSTANTIATE_TEST_SUITE_P(All, HostileLayer, ::testing::Range(0, 6));

TEST(LayerStore, BadDigestRefusedBeforeUnpack) {
  TempDir store_dir, layout;
  Descriptor d =
      OneLayerImage(layout.Path(), RawTar({{"x", AE_IFREG, "data"}}, true), kMediaTypeLayerGzip);
  // Tamper with the blob (same size).
  std::string path = BlobPath(layout.Path(), d.digest);
  std::string blob = ReadFile(path).value();
  blob[blob.size() / 2] ^= 0x55;
  ASSERT_TRUE(WriteFile(path, blob).has_value());
  LayerStore store(store_dir.Path());
  auto dir = store.EnsureLayer(layout.Path(), d);
  ASSERT_FALSE(dir.has_value());
  EXPECT_NE(dir.error().ToString().find(d.digest.substr(7, 12)), std::string::npos)
      << dir.error().ToString();
  EXPECT_FALSE(fs::Exists(store.LayerDir(d.digest)));
  EXPECT_FALSE(fs::Exists(store_dir.Path() + "/tmp"));
}

TEST(LayerStore, TruncatedArchiveRefused) {
  TempDir store_dir, layout;
  std::string big(200000, 'z');
  std::string tar = RawTar({{"big", AE_IFREG, big}, {"after", AE_IFREG, "x"}});
  tar.resize(100000);  // cut in the middle of "big"; its digest is still right
  Descriptor d = OneLayerImage(layout.Path(), tar, kMediaTypeLayerTar);
  LayerStore store(store_dir.Path());
  auto dir = store.EnsureLayer(layout.Path(), d);
  ASSERT_FALSE(dir.has_value());
  EXPECT_NE(dir.error().ToString().find("truncated"), std::string::npos) << dir.error().ToString();
  EXPECT_FALSE(fs::Exists(store.LayerDir(d.digest)));
  EXPECT_TRUE(DirEmpty(store_dir.Path() + "/tmp"));
}

TEST(LayerStore, WhiteoutsBecomeOverlayWhiteouts) {
  if (::geteuid() != 0) GTEST_SKIP() << "creating 0:0 char devices and trusted.* xattrs needs root";
  TempDir store_dir, layout;
  Descriptor d = OneLayerImage(layout.Path(),
                               RawTar({{"etc", AE_IFDIR},
                                       {"etc/.wh.passwd", AE_IFREG},
                                       {"opt", AE_IFDIR},
                                       {"opt/.wh..wh..opq", AE_IFREG}}),
                               kMediaTypeLayerTar);
  LayerStore store(store_dir.Path());
  auto dir = store.EnsureLayer(layout.Path(), d);
  ASSERT_TRUE(dir.has_value()) << dir.error().ToString();
  struct stat st;
  ASSERT_EQ(::lstat((*dir + "/etc/passwd").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(fs::Exists(*dir + "/etc/.wh.passwd"));
  char v[4] = {};
  EXPECT_EQ(::getxattr((*dir + "/opt").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  EXPECT_EQ(v[0], 'y');
}

}  // namespace
}  // namespace ctv::image
