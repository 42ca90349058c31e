// scripts/check-layers, the build's guard on the include direction (DESIGN.md, Layers), on small
// trees made here: it must refuse an include that points up and accept the allowed ones.
#include <gtest/gtest.h>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "tests/test_util.h"

namespace ctv {
namespace {

using test::RunOrDie;
using test::Source;
using test::TempDir;

void Write(const TempDir& dir, const std::string& rel, const std::string& text) {
  std::string path = dir / rel;
  ASSERT_TRUE(fs::MakeDirs(path.substr(0, path.rfind('/'))));
  ASSERT_TRUE(WriteFile(path, text));
}

CommandOutput Check(const TempDir& dir) {
  return RunOrDie({Source("scripts/check-layers"), dir.Path()});
}

TEST(LayerCheck, AcceptsIncludesThatPointDown) {
  TempDir t;
  Write(t, "core/a.h", "#include <string>\n");
  Write(t, "vm/b.cc", "#include \"core/a.h\"\n#include \"runtime/image/layout.h\"\n");
  Write(t, "runtime/image/layout.h", "#include \"core/a.h\"\n");
  Write(t, "bench/c.cc", "#include \"vm/b.h\"\n#include \"results/results.h\"\n");
  Write(t, "reports/d.cc", "#include \"results/results.h\"\n#include <linux/kvm.h>\n");
  Write(t, "cli/e.cc", "#include \"bench/c.h\"\n#include \"reports/d.h\"\n");
  CommandOutput out = Check(t);
  EXPECT_TRUE(out.status.Success()) << out.err;
}

TEST(LayerCheck, RefusesAnIncludeThatPointsUpAndNamesIt) {
  for (auto [file, text, named] :
       {std::tuple{"vm/channel.h", "#include \"bench/driver.h\"\n", "vm/channel.h:1 includes bench/driver.h"},
        std::tuple{"vm/accel.h", "#include \"reports/results.h\"\n", "includes reports/results.h"},
        std::tuple{"reports/view.cc", "  #  include \"bench/x.h\"\n", "reports/view.cc:1"},
        std::tuple{"results/r.cc", "#include \"reports/format.h\"\n", "results/r.cc:1"},
        std::tuple{"vm/gc.cc", "#include \"runtime/lifecycle.h\"\n", "includes runtime/lifecycle.h"}}) {
    TempDir t;
    Write(t, "core/a.h", "");
    Write(t, "runtime/lifecycle.h", "");
    Write(t, "bench/driver.h", "");
    Write(t, "reports/format.h", "");
    Write(t, file, text);
    CommandOutput out = Check(t);
    EXPECT_FALSE(out.status.Success()) << file;
    EXPECT_NE(out.err.find(named), std::string::npos) << out.err;
  }
}

TEST(LayerCheck, ThisProjectPasses) {
  CommandOutput out = RunOrDie({Source("scripts/check-layers")});
  EXPECT_TRUE(out.status.Success()) << out.err;
}

}  // namespace
}  // namespace ctv
