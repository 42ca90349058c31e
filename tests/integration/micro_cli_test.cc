// The micro suite through the CLI on the real ctv-micro binary (root: namespaces, netlink,
// cgroups): every selected launch-path primitive becomes a metric, nothing it created outlives
// the run, `list` shows the suite, and a driver other than host gets a stated skip.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "core/fs_tree.h"
#include "results/results.h"
#include "tests/test_util.h"

namespace ctv {
namespace {

const results::Metric* Find(const results::DriverResult& r, const std::string& name) {
  for (const auto& m : r.metrics)
    if (m.name == name) return &m;
  return nullptr;
}

TEST(MicroCli, ListShowsTheSuite) {
  auto out = test::RunOrDie({test::Bin("ctvbench"), "list"});
  EXPECT_TRUE(out.status.Success()) << out.err;
  EXPECT_NE(out.out.find("micro"), std::string::npos) << out.out;
}

TEST(MicroCli, PrimitivesBecomeMetricsAndLeaveNothing) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, netlink, cgroups)";
  test::TempDir dir;
  auto out = test::RunOrDie(
      {test::Bin("ctvbench"), "run", "--suite", "micro", "--driver", "host", "-n", "3", "-w", "1",
       "--micro-filter",
       "BM_Clone/(none|newnet)$|BM_OverlayMountUmount|BM_CgroupCreateJoinRemove|BM_VethCreateDelete|"
       "BM_NftTransaction/port_change|BM_NftFreshProcess",
       "--micro-min-time", "0.01", "--quiet", "--out", dir / "micro.json"},
      300);
  ASSERT_TRUE(out.status.Success()) << out.out << out.err;
  auto r = results::LoadResults(dir / "micro.json");
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->suites.size(), 1u);
  ASSERT_EQ(r->suites[0].name, "micro");
  const auto& host = r->suites[0].results.at(0);
  ASSERT_FALSE(host.skipped) << *host.skipped;
  EXPECT_EQ(host.driver, "host");
  // Native primitives: the row names its accelerator as every row does ("none", not empty: an
  // empty one printed a stray "(host)" in the report's "accelerators used").
  EXPECT_EQ(host.accelerator, "none");
  for (const char* name :
       {"micro.BM_Clone/none", "micro.BM_Clone/newnet", "micro.BM_OverlayMountUmount",
        "micro.BM_CgroupCreateJoinRemove/v1", "micro.BM_VethCreateDelete",
        "micro.BM_NftTransaction/port_change",
        "micro.BM_NftFreshProcess/iterations:5/manual_time"}) {
    const results::Metric* m = Find(host, name);
    ASSERT_NE(m, nullptr) << name << " missing; details: " << host.details.dump();
    EXPECT_EQ(m->unit, "us") << name;
    EXPECT_EQ(m->stats.n, 3u) << name;  // the warm-up repetition dropped
    EXPECT_GT(m->stats.median, 0) << name;
  }
  // This host is hybrid: containers use v1 and the v2 benchmark says why it did not run.
  if (!Find(host, "micro.BM_CgroupCreateJoinRemove/v2")) {
    ASSERT_TRUE(host.details["skipped"].contains("BM_CgroupCreateJoinRemove/v2"))
        << host.details.dump();
  }
  // Nothing of ctv-micro's is left: its links and table lived in its own namespaces, its cgroups
  // were removed.
  auto links = test::RunOrDie({"sh", "-c", "ip -o link | grep -c ctvmicro || true"});
  EXPECT_EQ(std::atoi(links.out.c_str()), 0) << "a ctvmicro link is on the host";
  auto tables = test::RunOrDie({"sh", "-c", "nft list tables 2>/dev/null | grep -c ctvmicro || true"});
  EXPECT_EQ(std::atoi(tables.out.c_str()), 0) << "the ctvmicro nft table is on the host";
  auto cgroups =
      test::RunOrDie({"sh", "-c", "ls -d /sys/fs/cgroup/*/ctvbench/ctvmicro* 2>/dev/null | wc -l"});
  EXPECT_EQ(std::atoi(cgroups.out.c_str()), 0) << "a ctvmicro cgroup is left";
  auto mounts = test::RunOrDie({"sh", "-c", "grep -c ctvmicro /proc/self/mountinfo || true"});
  EXPECT_EQ(std::atoi(mounts.out.c_str()), 0);
}

TEST(MicroCli, OtherDriversGetAStatedSkip) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (the ctvrt driver's check)";
  test::TempDir dir;
  auto out = test::RunOrDie({test::Bin("ctvbench"), "run", "--suite", "micro", "--driver",
                             "ctvrt", "-n", "3", "--quiet", "--out", dir / "r.json"},
                            120);
  EXPECT_EQ(out.status.code, 3) << out.out << out.err;  // nothing measured
  auto r = results::LoadResults(dir / "r.json");
  ASSERT_TRUE(r) << r.error().ToString();
  const auto& row = r->suites.at(0).results.at(0);
  ASSERT_TRUE(row.skipped);
  EXPECT_NE(row.skipped->find("host driver's row only"), std::string::npos) << *row.skipped;
}

}  // namespace
}  // namespace ctv
