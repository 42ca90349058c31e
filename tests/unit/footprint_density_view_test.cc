// The footprint and density views on hand-made results: the claims they judge and the numbers
// they put in the verdict, charts and tables as a reader sees them.
#include <gtest/gtest.h>

#include "reports/claims.h"
#include "reports/suite_view.h"

namespace ctv::reports {
namespace {

results::DriverResult Driver(const std::string& name, const std::string& kind,
                             const std::string& accel = "none") {
  results::DriverResult d;
  d.driver = name;
  d.kind = kind;
  d.accelerator = accel;
  return d;
}

void Add(results::DriverResult& d, const std::string& metric, const std::string& unit,
         std::vector<double> samples) {
  d.metrics.push_back(results::MakeMetric(metric, unit, "test", std::move(samples)));
}

const ClaimRow& Row(const std::vector<ClaimRow>& rows, const std::string& id) {
  for (const auto& r : rows)
    if (r.claim.id == id) return r;
  ADD_FAILURE() << "no claim " << id;
  return rows.front();
}

results::RunResults FootprintRun(double container_shared_pct, double upper_bytes) {
  results::SuiteResult s;
  s.name = "footprint";
  auto c = Driver("ctvrt", "container");
  Add(c, "footprint.pss_kib", "KiB", {900, 910, 920});
  Add(c, "footprint.image_shared_pct", "%", {container_shared_pct, container_shared_pct});
  Add(c, "footprint.upper_dir_bytes", "bytes", {upper_bytes, upper_bytes});
  c.details["batch"] = 10;
  auto v = Driver("qemu", "vm", "tcg");
  Add(v, "footprint.pss_kib", "KiB", {240000, 241000, 242000});
  Add(v, "footprint.image_shared_pct", "%", {0, 0});
  v.details["batch"] = 10;
  s.results = {c, v};
  results::RunResults run;
  run.suites.push_back(s);
  return run;
}

TEST(FootprintClaims, LighterGivesBothFiguresAndTheRatio) {
  auto rows = EvaluateClaims(FootprintRun(89, 4096));
  const auto& r = Row(rows, "footprint.lighter");
  EXPECT_EQ(r.check.verdict, ClaimVerdict::kHolds);
  EXPECT_NE(r.check.measured.find("ctvrt 0.889 MiB"), std::string::npos) << r.check.measured;
  EXPECT_NE(r.check.measured.find("qemu (tcg) 235.4 MiB"), std::string::npos) << r.check.measured;
  EXPECT_NE(r.check.measured.find("265x lighter"), std::string::npos) << r.check.measured;
}

TEST(FootprintClaims, LayersSharedNeedsSharedPagesAndAThinWritableLayer) {
  auto rows = EvaluateClaims(FootprintRun(89, 4096));
  const auto& held = Row(rows, "footprint.layers_shared");
  EXPECT_EQ(held.check.verdict, ClaimVerdict::kHolds);
  EXPECT_NE(held.check.measured.find("ctvrt 89% of the image's resident pages shared (all 10 = "
                                     "90%), writable layer 4 KiB"),
            std::string::npos)
      << held.check.measured;
  EXPECT_NE(held.check.measured.find("qemu (tcg): 0% of its guest RAM shared"), std::string::npos)
      << held.check.measured;
  // Nothing shared and a 50 MiB writable layer: the claim does not hold.
  auto bad = EvaluateClaims(FootprintRun(2, 50.0 * 1024 * 1024));
  EXPECT_EQ(Row(bad, "footprint.layers_shared").check.verdict, ClaimVerdict::kDoesNotHold);
}

results::DriverResult Ramp(const std::string& name, const std::string& kind, int n,
                           double per_instance_kib, const std::string& stopped_by) {
  auto d = Driver(name, kind, kind == "vm" ? "tcg" : "none");
  d.details["budget_kib"] = 1024.0 * 1024;  // 1 GiB
  d.details["stopped_by"] = stopped_by;
  d.details["steps"] = nlohmann::json::array();
  for (int k = 1; k <= n; k *= 2)
    d.details["steps"].push_back({{"n", k},
                                  {"pss_kib_per_instance", per_instance_kib},
                                  {"memavailable_drop_kib_per_instance", per_instance_kib / 2},
                                  {"launch_ms", 10.0 * k}});
  d.metrics.push_back(results::MakeMetric("density.instances", "instances", "test",
                                          {static_cast<double>(n)}, false));
  return d;
}

TEST(DensityView, ClaimProjectsTheBudgetAndNamesWhyEachStopped) {
  results::SuiteResult s;
  s.name = "density";
  s.results = {Ramp("ctvrt", "container", 8, 64, "max: --max 8 reached"),
               Ramp("qemu", "vm", 4, 200 * 1024, "time: --ramp-time 30 s spent")};
  results::RunResults run;
  run.suites.push_back(s);
  auto rows = EvaluateClaims(run);
  const auto& r = Row(rows, "density.more_instances");
  EXPECT_EQ(r.check.verdict, ClaimVerdict::kHolds);
  // 1 GiB / 64 KiB = 16384 containers; 1 GiB / 200 MiB = 5 VMs.
  EXPECT_NE(r.check.measured.find("ctvrt: 8 running (max: --max 8 reached), 64 KiB each -> ~16384"),
            std::string::npos)
      << r.check.measured;
  EXPECT_NE(r.check.measured.find("qemu (tcg): 4 running (time: --ramp-time 30 s spent)"),
            std::string::npos)
      << r.check.measured;
  EXPECT_NE(r.check.measured.find("-> ~5"), std::string::npos) << r.check.measured;

  auto charts = ViewFor("density")->Charts(run);
  ASSERT_EQ(charts.size(), 3u);
  // One x position per N seen, in order; the VM, which stopped at 4, has no point at 8.
  EXPECT_EQ(charts[0].x_labels, (std::vector<std::string>{"1", "2", "4", "8"}));
  ASSERT_EQ(charts[0].series.size(), 2u);
  EXPECT_EQ(charts[0].series[0].label, "ctvrt");
  EXPECT_EQ(charts[0].series[1].label, "qemu (tcg)");
  EXPECT_TRUE(std::isnan(charts[0].series[1].values[3]));
  EXPECT_TRUE(charts[0].log_y);  // 64 KiB vs 200 MiB
  EXPECT_NE(charts[2].title.find("launch -> ready"), std::string::npos) << charts[2].title;

  auto tables = ViewFor("density")->Tables(run);
  ASSERT_GE(tables.size(), 1u);
  ASSERT_EQ(tables[0].rows.size(), 2u);
  EXPECT_EQ(tables[0].rows[0][3].text, "max: --max 8 reached");
  EXPECT_EQ(tables[0].rows[0][7].text, "16384");
}

// One container and one VM (a short --budget-time share): a 300 MiB MemAvailable swing from other
// activity must not make the container look as heavy as the VM; below 10 instances the cost is PSS.
TEST(DensityView, FewInstancesIgnoreTheHostWideMemAvailableDrop) {
  results::SuiteResult s;
  s.name = "density";
  auto podman = Ramp("podman", "container", 1, 35 * 1024, "time");
  podman.details["steps"][0]["memavailable_drop_kib_per_instance"] = 294000.0;
  s.results = {podman, Ramp("vm", "vm", 1, 236 * 1024, "time")};
  results::RunResults run;
  run.suites.push_back(s);
  const auto& r = Row(EvaluateClaims(run), "density.more_instances");
  EXPECT_EQ(r.check.verdict, ClaimVerdict::kHolds) << r.check.measured;
  EXPECT_NE(r.check.measured.find("podman: 1 running (time), 35840 KiB each"), std::string::npos)
      << r.check.measured;
  // From 10 instances on, the drop counts again (here it is the larger of the two).
  auto many = Ramp("ctvrt", "container", 16, 64, "max");
  many.details["steps"].back()["memavailable_drop_kib_per_instance"] = 200.0;
  s.results = {many, Ramp("vm", "vm", 1, 236 * 1024, "time")};
  run.suites = {s};
  EXPECT_NE(Row(EvaluateClaims(run), "density.more_instances").check.measured.find("200 KiB each"),
            std::string::npos);
}

TEST(DensityView, WithoutAVmTheClaimSaysWhatIsMissing) {
  results::SuiteResult s;
  s.name = "density";
  s.results = {Ramp("ctvrt", "container", 8, 64, "max")};
  results::RunResults run;
  run.suites.push_back(s);
  auto rows = EvaluateClaims(run);
  const auto& r = Row(rows, "density.more_instances");
  EXPECT_EQ(r.check.verdict, ClaimVerdict::kNotMeasured);
  EXPECT_NE(r.check.explanation.find("no VM driver"), std::string::npos) << r.check.explanation;
}

}  // namespace
}  // namespace ctv::reports
