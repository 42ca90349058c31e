// The syscall and cgroup report views on results built here: their charts, tables and claim
// verdicts, which must follow the numbers (each verdict is checked on data that should flip it).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "reports/claims.h"
#include "reports/suite_view.h"
#include "results/results.h"

namespace ctv::reports {
namespace {

using results::DriverResult;
using results::MakeMetric;
using results::RunResults;
using results::SuiteResult;

const std::vector<std::string> kOps = {"getppid", "clock", "pipe", "openclose",
                                       "stat",    "fault", "fork", "devwrite"};

DriverResult SyscallRow(const std::string& driver, const std::string& kind, double getppid_ns,
                        const std::string& seccomp = "", const std::string& accel = "none") {
  DriverResult d;
  d.driver = driver;
  d.kind = kind;
  d.accelerator = accel;
  if (!seccomp.empty()) d.parameters["seccomp"] = seccomp;
  for (const auto& op : kOps) {
    double base = op == "getppid" ? getppid_ns : 100;
    d.metrics.push_back(MakeMetric("syscall." + op + "_ns", "ns", "ns per op, loop",
                                   {base * 0.98, base, base * 1.02}));
  }
  return d;
}

RunResults SyscallRun(double filtered, double unconfined) {
  RunResults run;
  SuiteResult s;
  s.name = "syscall";
  s.results.push_back(SyscallRow("host", "host", 100));
  s.results.push_back(SyscallRow("ctvrt", "container", filtered, "1"));
  s.results.push_back(SyscallRow("ctvrt", "container", unconfined, "0"));
  s.results.push_back(SyscallRow("runsc", "sandbox", 2000, "1"));
  s.results.push_back(SyscallRow("qemu", "vm", 9000, "", "tcg"));
  DriverResult skipped;
  skipped.driver = "podman";
  skipped.kind = "container";
  skipped.skipped = "not installed";
  s.results.push_back(skipped);
  run.suites.push_back(s);
  return run;
}

ClaimCheck ClaimOf(const SuiteView& v, const RunResults& run, const std::string& id) {
  for (const auto& c : v.Claims(run))
    if (c.claim_id == id) return c;
  return {};
}

TEST(SyscallView, OneChartPerOpWithTheVmLabelledByItsAccelerator) {
  auto view = ViewFor("syscall");
  auto run = SyscallRun(110, 101);
  auto charts = view->Charts(run);
  ASSERT_EQ(charts.size(), kOps.size());
  EXPECT_EQ(charts[0].id, "syscall-getppid");
  ASSERT_EQ(charts[0].series.size(), 5u);  // the skipped row is not drawn
  EXPECT_NE(charts[0].series[4].label.find("tcg"), std::string::npos) << charts[0].series[4].label;
  EXPECT_TRUE(charts[0].log_y);  // 100 ns to 9 us
  EXPECT_NE(charts[0].caption.find("TCG"), std::string::npos);
  EXPECT_NE(charts[0].title.find("n=3"), std::string::npos);
  auto tables = view->Tables(run);
  ASSERT_EQ(tables.size(), 2u);
  ASSERT_EQ(tables[0].rows.size(), 5u);
  EXPECT_EQ(tables[0].rows[1][1].text, "110.0 (x1.10)");
  EXPECT_EQ(tables[0].rows[4][1].text, "9000 (x90.00)");
  EXPECT_EQ(tables[0].rows[4][1].tone, "warn");
}

TEST(SyscallView, ProcessSpeedClaimFollowsTheContainerRatios) {
  auto view = ViewFor("syscall");
  ClaimCheck holds = ClaimOf(*view, SyscallRun(110, 101), "syscall.process_speed");
  EXPECT_EQ(holds.verdict, ClaimVerdict::kHolds) << holds.explanation;
  EXPECT_NE(holds.measured.find("host getppid 100.0 ns"), std::string::npos) << holds.measured;
  EXPECT_NE(holds.measured.find("x1.10"), std::string::npos) << holds.measured;
  EXPECT_NE(holds.measured.find("runsc"), std::string::npos) << holds.measured;  // for contrast

  ClaimCheck filter = ClaimOf(*view, SyscallRun(180, 102), "syscall.process_speed");
  EXPECT_EQ(filter.verdict, ClaimVerdict::kNuanced);
  EXPECT_NE(filter.explanation.find("seccomp"), std::string::npos) << filter.explanation;
  EXPECT_NE(filter.explanation.find("x1.80"), std::string::npos) << filter.explanation;

  ClaimCheck slow = ClaimOf(*view, SyscallRun(300, 250), "syscall.process_speed");
  EXPECT_EQ(slow.verdict, ClaimVerdict::kDoesNotHold);
  EXPECT_NE(slow.explanation.find("x2.50"), std::string::npos) << slow.explanation;

  // The same medians with samples spread wider than the difference: noise, not a verdict.
  RunResults noisy = SyscallRun(300, 250);
  for (auto& d : noisy.suites[0].results)
    if (d.driver == "ctvrt" && !d.skipped)
      d.metrics[0] = MakeMetric("syscall.getppid_ns", "ns", "loop", {120, 300, 600});
  ClaimCheck noise = ClaimOf(*view, noisy, "syscall.process_speed");
  EXPECT_EQ(noise.verdict, ClaimVerdict::kNuanced) << noise.explanation;
  EXPECT_NE(noise.explanation.find("can be told from noise"), std::string::npos)
      << noise.explanation;

  // Read through the catalogue: the claim is no longer "not measured".
  for (const auto& row : EvaluateClaims(SyscallRun(110, 101)))
    if (row.claim.id == "syscall.process_speed") EXPECT_EQ(row.check.verdict, ClaimVerdict::kHolds);
}

DriverResult CgroupRow(const std::string& driver, const std::string& kind, double half,
                       std::vector<double> oom, double peak_mib, double throttled = 7) {
  DriverResult d;
  d.driver = driver;
  d.kind = kind;
  d.accelerator = kind == "vm" ? "tcg" : "none";
  auto add = [&](const std::string& name, const std::string& unit, std::vector<double> v) {
    d.metrics.push_back(MakeMetric(name, unit, "test", std::move(v)));
  };
  for (double q : {0.25, 0.5, 1.0, 1.5}) {
    std::string id = q == 1.0   ? "cpu_quota_1.0"
                     : q == 1.5 ? "cpu_quota_1.5"
                     : q == 0.5 ? "cpu_quota_0.5"
                                : "cpu_quota_0.25";
    double got = q == 0.5 ? half : q * 0.98;
    add("cgroup." + id + ".obtained_cores", "cores", {got, got, got});
    if (q == 0.5) add("cgroup." + id + ".nr_throttled", "count", {throttled, throttled, throttled});
  }
  if (!oom.empty()) {
    add("cgroup.memory.oom_killed", "count", oom);
    add("cgroup.memory.peak_mib", "MiB", {peak_mib, peak_mib, peak_mib});
  }
  if (driver == "ctvrt")  // as on a v2 host; the other rows skipped it, as on v1
    add("cgroup.memory_high.usage_peak_mib", "MiB", {66, 67, 68});
  add("cgroup.cpu_shares_1_2.obtained_ratio", "ratio", {1.9, 2.0, 2.1});
  add("cgroup.pids.forked", "count", {31, 31, 31});
  if (kind == "vm") {
    add("cgroup.memory.guest_oom_killed", "count", {1, 1, 1});
  } else {
    add("cgroup.io_read.obtained_mib_s", "MiB/s", {4.2, 4.4, 4.6});
  }
  d.details["requested"] = {{"memory_limit_mib", 64},
                            {"memory_high_mib", 64},
                            {"pids_limit", 32},
                            {"cpu_shares_ratio", 2},
                            {"io_read_limit_mib_s", 4}};
  d.details["cgroup_version"] = "v1";
  return d;
}

RunResults CgroupRun(double half, std::vector<double> oom, double throttled = 7) {
  RunResults run;
  SuiteResult s;
  s.name = "cgroup";
  s.results.push_back(CgroupRow("ctvrt", "container", half, oom, 63.9, throttled));
  s.results.push_back(CgroupRow("runc", "container", 0.5, {1, 1, 1}, 64));
  s.results.push_back(CgroupRow("vm", "vm", 0.3, {}, 0));
  run.suites.push_back(s);
  return run;
}

TEST(CgroupView, RequestedVsObtainedCharts) {
  auto view = ViewFor("cgroup");
  auto charts = view->Charts(CgroupRun(0.49, {1, 1, 1}));
  ASSERT_EQ(charts.size(), 2u);
  const ChartSpec& q = charts[0];
  EXPECT_EQ(q.kind, ChartKind::kTrend);
  ASSERT_EQ(q.x_labels.size(), 4u);
  EXPECT_EQ(q.series[0].label, "requested");
  EXPECT_EQ(q.series[0].values, (std::vector<double>{0.25, 0.5, 1.0, 1.5}));
  ASSERT_EQ(q.series.size(), 4u);
  EXPECT_DOUBLE_EQ(q.series[1].values[1], 0.49);
  const ChartSpec& all = charts[1];
  // memory, memory.high, four quotas, shares, pids, io
  ASSERT_EQ(all.x_labels.size(), 9u);
  EXPECT_EQ(all.x_labels[1], "memory.high peak");
  EXPECT_NEAR(all.series[1].values[0], 63.9 / 64, 1e-9);  // memory peak / limit
  EXPECT_NEAR(all.series[1].values[1], 67.0 / 64, 1e-9);  // peak / memory.high mark
  EXPECT_TRUE(std::isnan(all.series[2].values[1]));       // runc: skipped (a v1 host)
  EXPECT_NEAR(all.series[1].values[7], 1.0, 1e-9);        // (31 forked + the probe) / 32
  EXPECT_NEAR(all.series[1].values[8], 4.4 / 4, 1e-9);    // io read MiB/s / limit
  EXPECT_TRUE(std::isnan(all.series[3].values[0]));       // the VM has no memory peak
  EXPECT_TRUE(std::isnan(all.series[3].values[8]));       // nor an io case
  auto tables = view->Tables(CgroupRun(0.49, {1, 1, 1}));
  ASSERT_EQ(tables.size(), 2u);
  ASSERT_EQ(tables[0].rows.size(), 3u);
  EXPECT_EQ(tables[0].rows[0][1].text, "v1");
  EXPECT_EQ(tables[0].rows[0][2].text, "3/3");
  EXPECT_EQ(tables[0].rows[2][2].text, "3/3 (in the guest)");  // the VM's guest OOM killer
}

TEST(CgroupView, LimitsEnforcedClaimFollowsTheNumbers) {
  auto view = ViewFor("cgroup");
  ClaimCheck holds = ClaimOf(*view, CgroupRun(0.49, {1, 1, 1}), "cgroup.limits_enforced");
  EXPECT_EQ(holds.verdict, ClaimVerdict::kHolds) << holds.explanation;
  EXPECT_NE(holds.measured.find("cpu 0.5 -> 0.49 cores (-2.0%"), std::string::npos)
      << holds.measured;
  EXPECT_NE(holds.measured.find("OOM-killed 3/3"), std::string::npos) << holds.measured;
  EXPECT_NE(holds.measured.find("vm"), std::string::npos);  // for contrast, not judged
  EXPECT_NE(holds.measured.find("OOM-killed in the guest 3/3"), std::string::npos)
      << holds.measured;

  // More than the quota: not enforced.
  ClaimCheck over = ClaimOf(*view, CgroupRun(0.58, {1, 1, 1}), "cgroup.limits_enforced");
  EXPECT_EQ(over.verdict, ClaimVerdict::kDoesNotHold) << over.explanation;
  EXPECT_NE(over.explanation.find("1 of 2 kept"), std::string::npos) << over.explanation;

  // Less than the quota without a single throttled period: the host's load, not the cgroup.
  ClaimCheck short_by_load =
      ClaimOf(*view, CgroupRun(0.38, {1, 1, 1}, /*throttled=*/0), "cgroup.limits_enforced");
  EXPECT_EQ(short_by_load.verdict, ClaimVerdict::kNuanced) << short_by_load.explanation;
  EXPECT_NE(short_by_load.explanation.find("ctvrt obtained less than 0.5 cores without being "
                                           "throttled"),
            std::string::npos)
      << short_by_load.explanation;
  EXPECT_NE(short_by_load.measured.find("0 periods throttled"), std::string::npos)
      << short_by_load.measured;

  ClaimCheck no_oom = ClaimOf(*view, CgroupRun(0.5, {0, 1, 0}), "cgroup.limits_enforced");
  EXPECT_EQ(no_oom.verdict, ClaimVerdict::kDoesNotHold) << no_oom.explanation;
  EXPECT_NE(no_oom.explanation.find("1 of 2 had"), std::string::npos) << no_oom.explanation;
}

}  // namespace
}  // namespace ctv::reports
