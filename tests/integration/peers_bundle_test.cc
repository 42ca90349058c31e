// The image exported as an OCI bundle (bench/drivers/oci_bundle.h): the overlay rootfs holds the
// probe, config.json is shaped as `runc spec` writes it (same mounts, masked and read-only paths)
// and carries the limits, and destroying the bundle leaves no mount and no directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "bench/drivers/oci_bundle.h"
#include "bench/drivers/peer_common.h"
#include "bench/image/probe_image.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/image/store.h"
#include "tests/integration/peers_env.h"

namespace ctv {
namespace {

using nlohmann::json;

TEST(PeersBundle, ExportedRootfsConfigAndCleanup) {
  testing::PeersEnv env;
  if (!env.Missing().empty()) GTEST_SKIP() << env.Missing();
  std::string driver_dir = env.StateDir() + "/peers/test";
  auto img = bench::ExportImage(env.Context().image_dir, image::kDefaultStoreRoot, driver_dir);
  ASSERT_TRUE(img.has_value()) << img.error().ToString();
  EXPECT_EQ(img->bundle_root.rfind(driver_dir + "/bundle-", 0), 0u);
  EXPECT_EQ(img->bundle_root.size(), driver_dir.size() + 8 + 12);
  EXPECT_NE(std::find(img->env.begin(), img->env.end(), "PATH=/usr/local/bin:/bin"),
            img->env.end());

  bench::OciConfigSpec spec;
  spec.args = {bench::kProbeInImage, "ready"};
  spec.env = img->env;
  spec.hostname = "ctv-bundle-test";
  spec.cgroups_path = "/ctvbench/ctv-bundle-test";
  spec.limits.memory_bytes = 64 << 20;
  spec.limits.pids = 32;
  std::string dir;
  {
    auto b = bench::InstanceBundle::Create(*img, "ctv-bundle-test", spec);
    ASSERT_TRUE(b.has_value()) << b.error().ToString();
    dir = (*b)->Dir();
    EXPECT_EQ(::access(((*b)->Rootfs() + bench::kProbeInImage).c_str(), X_OK), 0);
    EXPECT_EQ(::access(((*b)->Rootfs() + "/bin/busybox").c_str(), X_OK), 0);
    for (const char* m : {"/proc", "/dev", "/sys"})  // the store's init layer
      EXPECT_TRUE(fs::Exists((*b)->Rootfs() + m)) << m;
    EXPECT_EQ(bench::peers::MountsUnder(dir), std::vector<std::string>{(*b)->Rootfs()});
    EXPECT_TRUE(bench::peers::OwnerAlive(dir));
    auto text = ReadFile(dir + "/config.json");
    ASSERT_TRUE(text.has_value());
    json ours = json::parse(*text);
    EXPECT_EQ(ours["linux"]["resources"]["memory"]["limit"], 64 << 20);
    EXPECT_EQ(ours["linux"]["resources"]["pids"]["limit"], 32);

    // `runc spec`'s shape: the same mount destinations and types, masked and read-only paths.
    if (FindInPath("runc").empty()) GTEST_SKIP() << "runc not installed: no `runc spec` to compare";
    test::TempDir spec_dir;
    auto o = test::RunOrDie({"runc", "spec", "--bundle", spec_dir.Path()});
    ASSERT_TRUE(o.status.Success()) << o.err;
    json theirs = json::parse(*ReadFile(spec_dir / "config.json"));
    ASSERT_EQ(ours["mounts"].size(), theirs["mounts"].size());
    for (size_t i = 0; i < ours["mounts"].size(); ++i) {
      EXPECT_EQ(ours["mounts"][i]["destination"], theirs["mounts"][i]["destination"]);
      EXPECT_EQ(ours["mounts"][i]["type"], theirs["mounts"][i]["type"]);
      EXPECT_EQ(ours["mounts"][i]["options"], theirs["mounts"][i]["options"]);
    }
    EXPECT_EQ(ours["linux"]["maskedPaths"], theirs["linux"]["maskedPaths"]);
    EXPECT_EQ(ours["linux"]["readonlyPaths"], theirs["linux"]["readonlyPaths"]);
    for (const auto& [key, value] : theirs.items()) EXPECT_TRUE(ours.contains(key)) << key;
    for (const auto& [key, value] : theirs["process"].items()) {
      if (key != "rlimits" && key != "capabilities") {  // ours: inherited; ctvrt's set
        EXPECT_TRUE(ours["process"].contains(key)) << key;
      }
    }
  }
  EXPECT_FALSE(fs::Exists(dir));
  EXPECT_TRUE(bench::peers::MountsUnder(env.StateDir()).empty());
}

}  // namespace
}  // namespace ctv
