// The micro suite's merge of Google Benchmark JSON into metrics, its report table, and the
// regression gate on launch-path figures: `compare` flags the one primitive (and the one startup
// phase) that slowed down, and nothing else.
#include <gtest/gtest.h>

#include <string>

#include "bench/suites/micro_suite.h"
#include "core/fd.h"
#include "reports/compare.h"
#include "reports/format.h"
#include "reports/suite_view.h"

namespace ctv::bench {
namespace {

const std::string kFixture = std::string(CTV_SOURCE_DIR) + "/tests/fixtures/micro/gbench.json";

const results::Metric* Find(const results::DriverResult& r, const std::string& name) {
  for (const auto& m : r.metrics)
    if (m.name == name) return &m;
  return nullptr;
}

results::DriverResult Merged(int warmup) {
  auto text = ReadFile(kFixture);
  EXPECT_TRUE(text) << text.error().ToString();
  results::DriverResult r;
  r.driver = "host";
  r.kind = "host";
  r.accelerator = "none";
  Status s = MergeBenchmarkJson(text ? *text : "", warmup, kFixture, r);
  EXPECT_TRUE(s) << s.error().ToString();
  return r;
}

TEST(MicroSuite, MergesRepetitionsDropsWarmupAndAggregates) {
  results::DriverResult r = Merged(/*warmup=*/1);
  ASSERT_EQ(r.metrics.size(), 2u);  // the skipped v2 benchmark and the BigO row are no metrics
  const results::Metric* clone = Find(r, "micro.BM_Clone/none");
  ASSERT_NE(clone, nullptr);
  EXPECT_EQ(clone->unit, "us");
  // Repetition 0 (990 us: the warm-up) is dropped; the mean/median aggregates are not samples.
  EXPECT_EQ(clone->samples, (std::vector<double>{101, 99, 100}));
  EXPECT_EQ(clone->stats.n, 3u);
  EXPECT_DOUBLE_EQ(clone->stats.median, 100);
  const results::Metric* sec = Find(r, "micro.BM_SeccompLoadCached");
  ASSERT_NE(sec, nullptr);
  EXPECT_DOUBLE_EQ(sec->stats.median, 130);
  ASSERT_TRUE(r.details["skipped"].contains("BM_CgroupCreateJoinRemove/v2"));
  EXPECT_NE(r.details["skipped"]["BM_CgroupCreateJoinRemove/v2"].get<std::string>().find("hybrid"),
            std::string::npos);
  EXPECT_EQ(r.details["iterations"]["BM_Clone/none"].get<int64_t>(), 500);
  EXPECT_EQ(r.details["context"]["library_version"].get<std::string>(), "v1.7.1");
  // Without warm-up every repetition is a sample.
  EXPECT_EQ(Find(Merged(0), "micro.BM_Clone/none")->stats.n, 4u);
}

TEST(MicroSuite, RefusesTextThatIsNotBenchmarkJson) {
  results::DriverResult r;
  for (const char* bad : {"", "not json", "{\"context\": {}}", "[1, 2]"}) {
    Status s = MergeBenchmarkJson(bad, 0, "/x/ctv-micro", r);
    ASSERT_FALSE(s) << bad;
    EXPECT_NE(s.error().ToString().find("/x/ctv-micro"), std::string::npos) << s.error().ToString();
  }
  EXPECT_TRUE(r.metrics.empty());
}

TEST(MicroView, TableGivesEachPrimitiveItsCostAboveTheBareClone) {
  results::RunResults run;
  results::SuiteResult s;
  s.name = "micro";
  s.results.push_back(Merged(1));
  run.suites.push_back(s);
  auto view = reports::ViewFor("micro");
  ASSERT_EQ(view->Title(), "Launch-path primitives (micro-benchmarks)");
  auto tables = view->Tables(run);
  ASSERT_GE(tables.size(), 2u);  // the figures, then the skipped benchmark with its reason
  bool seccomp = false;
  for (const auto& row : tables[0].rows)
    if (row[0].text == "BM_SeccompLoadCached") {
      seccomp = true;
      EXPECT_EQ(row[5].text, reports::Num(30));  // 130 us - the bare clone's 100 us
    } else if (row[0].text == "BM_Clone/none") {
      EXPECT_EQ(row[5].text, "-");
    }
  EXPECT_TRUE(seccomp);
  EXPECT_EQ(tables[1].rows.at(0)[0].text, "BM_CgroupCreateJoinRemove/v2");
  EXPECT_EQ(view->Charts(run).size(), 2u);  // the clone flags, the other primitives
}

// Two synthetic runs of the same host: one launch primitive and one network sub-phase of the
// startup suite slowed by ~50%, everything else the same. The gate must name exactly those two.
results::RunResults SyntheticRun(double veth_from, double net_veth_from) {
  auto range = [](double from, double step) {
    std::vector<double> v;
    for (int i = 0; i < 10; ++i) v.push_back(from + step * i);
    return v;
  };
  results::RunResults run;
  run.environment.hostname = "ci";
  run.environment.kernel_release = "6.1.0";
  results::SuiteResult micro;
  micro.name = "micro";
  results::DriverResult host;
  host.driver = "host";
  host.kind = "host";
  host.accelerator = "none";
  host.metrics.push_back(results::MakeMetric("micro.BM_Clone/none", "us", "i", range(100, 1)));
  host.metrics.push_back(
      results::MakeMetric("micro.BM_VethCreateDelete", "us", "i", range(veth_from, 2)));
  micro.results.push_back(host);
  results::SuiteResult startup;
  startup.name = "startup";
  results::DriverResult ctvrt;
  ctvrt.driver = "ctvrt";
  ctvrt.kind = "container";
  ctvrt.accelerator = "none";
  ctvrt.parameters = {{"net", "bridge"}};
  ctvrt.metrics.push_back(results::MakeMetric("startup.phase.cloned", "ms", "i", range(1, 0.01)));
  ctvrt.metrics.push_back(
      results::MakeMetric("startup.phase.net.veth", "ms", "i", range(net_veth_from, 0.02)));
  startup.results.push_back(ctvrt);
  run.suites = {startup, micro};
  return run;
}

TEST(RegressionGate, CompareFlagsTheSlowedPrimitiveAndPhaseOnly) {
  auto c = reports::Compare(SyntheticRun(200, 2), "base.json", SyntheticRun(300, 3), "new.json", {});
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_TRUE(c->HasRegression());
  std::vector<std::string> regressed;
  for (const auto& row : c->rows) {
    EXPECT_NE(row.judgement.verdict, reports::Verdict::kTooNoisy) << row.Label();
    if (row.judgement.verdict == reports::Verdict::kRegressed) regressed.push_back(row.Label());
  }
  EXPECT_EQ(regressed, (std::vector<std::string>{"startup/ctvrt net=bridge startup.phase.net.veth",
                                                 "micro/host micro.BM_VethCreateDelete"}));
  std::string text = reports::FormatText(*c);
  EXPECT_NE(text.find("RESULT: 2 regression(s)"), std::string::npos) << text;
  // The same runs in the other order: an improvement, no regression.
  auto back = reports::Compare(SyntheticRun(300, 3), "a", SyntheticRun(200, 2), "b", {});
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->HasRegression());
}

}  // namespace
}  // namespace ctv::bench
