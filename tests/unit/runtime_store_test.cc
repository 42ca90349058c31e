// Layer store: unpacking and caching (hostile layers and images: image_crafted_test.cc).
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
#include "tests/support/crafted_tar.h"
#include "tests/support/runtime_image.h"

namespace ctv::image {
namespace {

using testing::TempDir;

using testing::RawEntry;
using testing::RawTar;

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

// A record whose layout was deleted (a test's temp image) can never be run again: gc drops it,
// keeps the records of layouts that still exist, and leaves the layers to `rmi`.
TEST(LayerStore, GcDropsRecordsOfLayoutsThatAreGone) {
  TempDir store_dir, kept;
  LayerStore store(store_dir.Path());
  ASSERT_TRUE(testing::BuildBusyboxImage(kept.Path()).has_value());
  ASSERT_TRUE(PrepareImage(store, kept.Path()).has_value());
  std::string layer_dir;
  std::string gone_path;
  {
    TempDir gone;
    ASSERT_TRUE(testing::BuildBusyboxImage(gone.Path()).has_value());
    auto img = PrepareImage(store, gone.Path());
    ASSERT_TRUE(img.has_value()) << img.error().ToString();
    layer_dir = img->layer_dirs[0];
    gone_path = gone.Path();
  }
  ASSERT_EQ(ListImages(store)->size(), 2u);
  std::vector<std::string> removed;
  ASSERT_TRUE(DropRecordsOfMissingLayouts(store, &removed).has_value());
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_NE(removed[0].find(gone_path), std::string::npos) << removed[0];
  auto left = ListImages(store);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].layout_dir, kept.Path());
  EXPECT_TRUE(fs::Exists(layer_dir)) << "gc removed a layer";
  removed.clear();
  ASSERT_TRUE(DropRecordsOfMissingLayouts(store, &removed).has_value());
  EXPECT_TRUE(removed.empty());
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
