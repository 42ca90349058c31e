// Which cache entry of scripts/build-distro-guest the drivers boot (vm/guest/distro_root.h): only
// a complete one, built from the recipe files this binary was compiled with, for the kernel it
// boots; the newest of those.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "tests/test_util.h"
#include "vm/guest/distro_root.h"

namespace ctv::vm {
namespace {

// An entry as the script leaves it; `complete` false: a build that did not finish.
void Entry(const std::string& root, const std::string& key, const std::string& recipe_sha,
           const std::string& release, bool complete, time_t mtime) {
  std::string d = root + "/" + key;
  ASSERT_TRUE(fs::MakeDirs(d));
  ASSERT_TRUE(WriteFile(d + "/root.ext4", "ext4"));
  ASSERT_TRUE(WriteFile(d + "/recipe.sha256", recipe_sha + "\n"));
  ASSERT_TRUE(WriteFile(d + "/release", release + "\n"));
  if (!complete) return;
  ASSERT_TRUE(WriteFile(d + "/complete", ""));
  utimbuf t{mtime, mtime};
  ASSERT_EQ(::utime((d + "/complete").c_str(), &t), 0);
}

TEST(DistroRoot, TakesTheNewestCompleteEntryOfThisRecipeAndKernel) {
  test::TempDir tmp;
  const std::string root = tmp.Path() + "/distro";
  const std::string sha = DistroRecipeSha256();
  ASSERT_EQ(sha.size(), 64u);
  Entry(root, "older", sha, "6.1.0-57-amd64", true, 1000);
  Entry(root, "newer", sha, "6.1.0-57-amd64", true, 2000);
  Entry(root, "unfinished", sha, "6.1.0-57-amd64", false, 0);
  Entry(root, "otherrecipe", std::string(64, '0'), "6.1.0-57-amd64", true, 3000);
  Entry(root, "otherkernel", sha, "6.1.0-99-amd64", true, 4000);
  Entry(root, ".build-x", sha, "6.1.0-57-amd64", true, 5000);  // a build in progress
  auto r = FindDistroRoot("6.1.0-57-amd64", root);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->dir, root + "/newer");
  EXPECT_EQ(r->image, root + "/newer/root.ext4");
  EXPECT_EQ(r->release, "6.1.0-57-amd64");
  EXPECT_EQ(FindDistroRoot("6.1.0-99-amd64", root)->dir, root + "/otherkernel");
  auto none = FindDistroRoot("5.10.0-1-amd64", root);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().ToString().find("scripts/build-distro-guest"), std::string::npos);
  EXPECT_NE(none.error().ToString().find("5.10.0-1-amd64"), std::string::npos);
  auto missing = FindDistroRoot("6.1.0-57-amd64", tmp.Path() + "/nothing");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().ToString().find("scripts/build-distro-guest"), std::string::npos);
}

}  // namespace
}  // namespace ctv::vm
