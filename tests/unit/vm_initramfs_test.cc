// The guest initramfs: layers applied with OCI whiteouts, ctv-init and modules added, directories
// before their contents; module dependency resolution; the kernel header parser.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>

#include "bench/image/probe_image.h"
#include "core/digest.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/image/layer_writer.h"
#include "runtime/image/layout.h"
#include "tests/test_util.h"
#include "vm/guest/builder.h"
#include "vm/guest/initramfs.h"
#include "vm/guest/kernel.h"
#include "vm/guest/modules.h"

namespace ctv::vm {
namespace {

using image::LayerEntry;

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
size_t IndexOf(const std::vector<std::string>& v, const std::string& s) {
  return static_cast<size_t>(std::find(v.begin(), v.end(), s) - v.begin());
}

// A fake /lib/modules/<release> with three modules: c depends on b, b on a.
void WriteModulesFixture(const std::string& dir) {
  ASSERT_TRUE(ctv::fs::MakeDirs(dir + "/kernel/drivers"));
  for (const char* m : {"a", "b", "c_x"})
    ASSERT_TRUE(WriteFile(dir + "/kernel/drivers/" + std::string(m) + ".ko", m));
  ASSERT_TRUE(WriteFile(dir + "/modules.dep",
                        "kernel/drivers/a.ko:\n"
                        "kernel/drivers/b.ko: kernel/drivers/a.ko\n"
                        "kernel/drivers/c_x.ko: kernel/drivers/b.ko kernel/drivers/a.ko\n"));
}

TEST(Modules, DependenciesComeFirst) {
  test::TempDir dir;
  WriteModulesFixture(dir.Path());
  auto set = ResolveModules(dir.Path(), {"c-x", "a"});
  ASSERT_TRUE(set) << set.error().ToString();
  EXPECT_EQ(set->files, (std::vector<std::string>{"kernel/drivers/a.ko", "kernel/drivers/b.ko",
                                                  "kernel/drivers/c_x.ko"}));
  EXPECT_NE(set->modules_dep.find("kernel/drivers/c_x.ko: kernel/drivers/b.ko"), std::string::npos);
  auto missing = ResolveModules(dir.Path(), {"nope"});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().ToString().find("nope"), std::string::npos);
}

class InitramfsTest : public testing::Test {
 protected:
  void SetUp() override {
    WriteModulesFixture(dir_ / "modules");
    ASSERT_TRUE(WriteFile(dir_ / "ctv-init", "#init"));
  }
  // Writes an initramfs for `img` and lists it.
  std::vector<std::string> Build(const image::Image& img) {
    InitramfsInputs in;
    in.image = &img;
    in.init_binary = dir_ / "ctv-init";
    in.modules_release_dir = dir_ / "modules";
    in.release = "6.1.0-test";
    auto mods = ResolveModules(in.modules_release_dir, {"c_x"});
    EXPECT_TRUE(mods);
    in.module_files = mods->files;
    in.modules_dep = mods->modules_dep;
    auto st = WriteInitramfs(in, dir_ / "initrd.cpio");
    EXPECT_TRUE(st) << st.error().ToString();
    auto list = ListCpio(dir_ / "initrd.cpio");
    EXPECT_TRUE(list) << list.error().ToString();
    return list ? *list : std::vector<std::string>{};
  }
  test::TempDir dir_;
};

TEST_F(InitramfsTest, WhiteoutsAndOpaqueDirectoriesApply) {
  auto w = image::LayoutWriter::Create(dir_ / "layout");
  ASSERT_TRUE(w);
  using T = LayerEntry::Type;
  auto l1 = image::BuildLayer({{T::kDirectory, "a", 0755},
                               {T::kFile, "a/x", 0644, "", "x"},
                               {T::kFile, "a/y", 0644, "", "y"},
                               {T::kDirectory, "b", 0755},
                               {T::kFile, "b/z", 0644, "", "z"},
                               {T::kFile, "init", 0755, "", "image's own init"}});
  auto l2 = image::BuildLayer({{T::kDirectory, "a", 0755},
                               {T::kFile, "a/.wh.x", 0644, "", ""},
                               {T::kDirectory, "b", 0755},
                               {T::kFile, "b/.wh..wh..opq", 0644, "", ""},
                               {T::kFile, "b/w", 0644, "", "w"},
                               {T::kSymlink, "c", 0777, "", "", "a/y"}});
  ASSERT_TRUE(l1 && l2);
  auto d1 = w->AddBlob(l1->tar_gz, image::kMediaTypeLayerGzip);
  auto d2 = w->AddBlob(l2->tar_gz, image::kMediaTypeLayerGzip);
  ASSERT_TRUE(d1 && d2);
  image::ImageConfig cfg;
  cfg.diff_ids = {Sha256Oci(l1->tar), Sha256Oci(l2->tar)};
  ASSERT_TRUE(w->Commit(cfg, {*d1, *d2}, "latest"));
  auto img = image::OpenImage(dir_ / "layout", "latest");
  ASSERT_TRUE(img) << img.error().ToString();

  auto list = Build(*img);
  EXPECT_TRUE(Has(list, "a/y"));
  EXPECT_FALSE(Has(list, "a/x")) << "whiteout ignored";
  EXPECT_FALSE(Has(list, "a/.wh.x"));
  EXPECT_TRUE(Has(list, "b/w"));
  EXPECT_FALSE(Has(list, "b/z")) << "opaque directory ignored";
  EXPECT_TRUE(Has(list, "c"));
  // ctvbench's own entries.
  EXPECT_TRUE(Has(list, "sbin/ctv-init"));
  EXPECT_TRUE(Has(list, "init"));
  EXPECT_EQ(std::count(list.begin(), list.end(), "init"), 1) << "image's /init must be replaced";
  EXPECT_TRUE(Has(list, "dev/console"));
  EXPECT_TRUE(Has(list, "proc"));
  EXPECT_TRUE(Has(list, "lib/modules/6.1.0-test/modules.dep"));
  EXPECT_TRUE(Has(list, "lib/modules/6.1.0-test/kernel/drivers/a.ko"));
  EXPECT_TRUE(Has(list, "lib/modules/6.1.0-test/kernel/drivers/c_x.ko"));
  // Parents before children.
  EXPECT_LT(IndexOf(list, "a"), IndexOf(list, "a/y"));
  EXPECT_LT(IndexOf(list, "b"), IndexOf(list, "b/w"));
  EXPECT_LT(IndexOf(list, "sbin"), IndexOf(list, "sbin/ctv-init"));
}

TEST_F(InitramfsTest, ProjectImageGivesBusyboxAndTheProbe) {
  auto d = bench::BuildProbeImage({"/bin/busybox", test::Bin("ctv-probe")}, dir_ / "probe");
  ASSERT_TRUE(d) << d.error().ToString();
  auto img = image::OpenImage(dir_ / "probe", "latest");
  ASSERT_TRUE(img) << img.error().ToString();
  auto list = Build(*img);
  EXPECT_TRUE(Has(list, "bin/busybox"));
  EXPECT_TRUE(Has(list, "bin/sh"));
  EXPECT_TRUE(Has(list, "usr/local/bin/ctv-probe"));
  EXPECT_TRUE(Has(list, "sbin/ctv-init"));
  // Same inputs, same bytes: the cache key can trust the content.
  std::string first = ReadFile(dir_ / "initrd.cpio").value();
  Build(*img);
  EXPECT_EQ(first, ReadFile(dir_ / "initrd.cpio").value());
}

TEST(Kernel, ReleaseFromTheSetupHeader) {
  test::TempDir dir;
  std::string bz(0x400, '\0');
  bz.replace(0x202, 4, "HdrS");
  // kernel_version at 0x20E points 0x200 bytes before the string (here at 0x300).
  bz[0x20E] = 0x00;
  bz[0x20F] = 0x01;
  std::string v = "6.1.0-99-amd64 (debian-kernel@lists.debian.org) #1 SMP";
  bz.replace(0x300, v.size(), v);
  ASSERT_TRUE(WriteFile(dir / "bz", bz));
  auto r = ReadKernelRelease(dir / "bz");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(*r, "6.1.0-99-amd64");

  ASSERT_TRUE(WriteFile(dir / "notbz", "hello"));
  EXPECT_FALSE(ReadKernelRelease(dir / "notbz"));
  KernelFile k{dir / "bz", "6.1.0-99-amd64", "sha256:00112233445566778899"};
  auto x = ExtractVmlinux(k, dir / "cache");
  ASSERT_FALSE(x);
  EXPECT_NE(x.error().ToString().find("XZ"), std::string::npos);
}

// The cache keeps the newest `keep` files and every one made or used within the last hour: a
// run with several boot modes uses more initramfs files at once than `keep` (the demo lost one a
// libvirt domain was still launching with).
TEST(GuestCache, PruneSparesRecentFilesAndDropsOldOnesBeyondKeep) {
  test::TempDir dir;
  auto make = [&](const std::string& name, int64_t age_s) {
    std::string path = dir / name;
    ASSERT_TRUE(WriteFile(path, "x").has_value());
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    timespec t[2] = {{now.tv_sec - age_s, 0}, {now.tv_sec - age_s, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), t, 0), 0);
  };
  for (int i = 0; i < 5; ++i) make("initrd-recent" + std::to_string(i) + ".cpio", 60 + i);
  make("initrd-old1.cpio", 2 * 3600);
  make("initrd-old2.cpio", 3 * 3600);
  make("other.cpio", 5 * 3600);
  PruneCache(dir.Path(), "initrd-", ".cpio", 3);
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(fs::Exists(dir / ("initrd-recent" + std::to_string(i) + ".cpio"))) << i;
  EXPECT_FALSE(fs::Exists(dir / "initrd-old1.cpio"));
  EXPECT_FALSE(fs::Exists(dir / "initrd-old2.cpio"));
  EXPECT_TRUE(fs::Exists(dir / "other.cpio"));  // not this cache's name
}

}  // namespace
}  // namespace ctv::vm
