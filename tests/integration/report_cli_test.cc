// The real ctvbench binary on fixture files: exit codes and messages of compare, report, history.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "core/fd.h"
#include "results/results.h"
#include "core/process.h"
#include "tests/test_util.h"

namespace {

const std::string kBin = CTVBENCH_BIN;
const std::string kFixtures = CTV_FIXTURES_DIR;

ctv::CommandOutput Ctvbench(std::vector<std::string> args) {
  args.insert(args.begin(), kBin);
  auto r = ctv::RunCommand(args, std::chrono::seconds(120));
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().ToString());
  return r ? *r : ctv::CommandOutput{};
}

std::string F(const std::string& name) { return kFixtures + "/" + name; }

TEST(CompareCli, RegressionExitsOne) {
  auto out = Ctvbench({"compare", F("base.json"), F("regressed.json")});
  EXPECT_EQ(out.status.code, 1) << out.out << out.err;
  EXPECT_NE(out.out.find("regressed"), std::string::npos);
}

// Two files with no metric in common: a gate must not pass on nothing.
TEST(CompareCli, NothingInCommonExitsThree) {
  ctv::test::TempDir dir;
  auto base = ctv::results::LoadResults(F("base.json"));
  ASSERT_TRUE(base);
  auto other = *base;
  for (auto& s : other.suites) s.name += "-renamed";
  ASSERT_TRUE(ctv::results::SaveResults(dir / "other.json", other));
  auto out = Ctvbench({"compare", F("base.json"), dir / "other.json"});
  EXPECT_EQ(out.status.code, 3) << out.out << out.err;
  EXPECT_NE(out.out.find("RESULT: nothing compared"), std::string::npos) << out.out;
  EXPECT_EQ(out.out.find("no regression"), std::string::npos) << out.out;
  EXPECT_NE(out.err.find("nothing compared"), std::string::npos) << out.err;
}

TEST(CompareCli, NoRegressionExitsZero) {
  EXPECT_EQ(Ctvbench({"compare", F("base.json"), F("unchanged.json")}).status.code, 0);
  // An improvement is not a failure.
  EXPECT_EQ(Ctvbench({"compare", F("base.json"), F("improved.json")}).status.code, 0);
}

TEST(CompareCli, NoiseExitsZeroAndSaysSo) {
  auto out = Ctvbench({"compare", F("noisy-base.json"), F("noisy-new.json")});
  EXPECT_EQ(out.status.code, 0) << out.out << out.err;
  EXPECT_NE(out.out.find("too noisy"), std::string::npos) << out.out;
}

TEST(CompareCli, ThresholdAboveTheChangeHidesTheRegression) {
  EXPECT_EQ(
      Ctvbench({"compare", F("base.json"), F("regressed.json"), "--threshold", "60%"}).status.code,
      0);
}

TEST(CompareCli, MarkdownAndJsonFormats) {
  auto md = Ctvbench({"compare", F("base.json"), F("regressed.json"), "--format", "markdown"});
  EXPECT_EQ(md.status.code, 1);
  EXPECT_NE(md.out.find("|---|"), std::string::npos);
  auto js = Ctvbench({"compare", F("base.json"), F("regressed.json"), "--format", "json"});
  EXPECT_EQ(js.status.code, 1);
  EXPECT_NE(js.out.find("\"regression\": true"), std::string::npos) << js.out;
}

TEST(CompareCli, BadInputExitsTwoWithAClearMessage) {
  auto wrong = Ctvbench({"compare", F("base.json"), F("wrong-version.json")});
  EXPECT_EQ(wrong.status.code, 2);
  EXPECT_NE(wrong.err.find("wrong-version.json"), std::string::npos) << wrong.err;
  EXPECT_NE(wrong.err.find("schema_version 2 is not supported"), std::string::npos) << wrong.err;
  auto bad = Ctvbench({"compare", F("malformed.json"), F("base.json")});
  EXPECT_EQ(bad.status.code, 2);
  EXPECT_NE(bad.err.find("suites[0].results[1].metrics[0].unit"), std::string::npos) << bad.err;
  auto missing = Ctvbench({"compare", F("base.json"), F("does-not-exist.json")});
  EXPECT_EQ(missing.status.code, 2);
  EXPECT_NE(missing.err.find("does-not-exist.json"), std::string::npos) << missing.err;
  EXPECT_EQ(Ctvbench({"compare", F("base.json")}).status.code, 2);  // usage
  EXPECT_EQ(Ctvbench({"compare", F("base.json"), F("base.json"), "--threshold", "ten"}).status.code,
            2);
}

TEST(CompareCli, EnvironmentMismatchIsRefusedUnlessAllowed) {
  auto host = Ctvbench({"compare", F("base.json"), F("other-host.json")});
  EXPECT_EQ(host.status.code, 2);
  EXPECT_NE(host.err.find("--allow-env-mismatch"), std::string::npos) << host.err;
  auto accel = Ctvbench({"compare", F("base.json"), F("other-accel.json")});
  EXPECT_EQ(accel.status.code, 2);
  EXPECT_NE(accel.err.find("accelerator"), std::string::npos) << accel.err;
  auto allowed =
      Ctvbench({"compare", F("base.json"), F("other-accel.json"), "--allow-env-mismatch"});
  EXPECT_EQ(allowed.status.code, 0) << allowed.err;
  EXPECT_NE(allowed.out.find("environment differs"), std::string::npos) << allowed.out;
}

TEST(ReportCli, WritesIndexAndPngs) {
  ctv::test::TempDir tmp;
  std::string dir = tmp / "report";
  auto out = Ctvbench({"report", F("startup-kvm.json"), F("startup-tcg.json"), "-o", dir});
  ASSERT_EQ(out.status.code, 0) << out.err;
  EXPECT_TRUE(ctv::ReadFile(dir + "/index.html").has_value());
  EXPECT_TRUE(ctv::ReadFile(dir + "/startup-total.png").has_value());
}

TEST(ReportCli, MalformedInputExitsTwo) {
  ctv::test::TempDir tmp;
  auto out = Ctvbench({"report", F("malformed.json"), "-o", tmp.Path()});
  EXPECT_EQ(out.status.code, 2);
  EXPECT_NE(out.err.find("malformed.json"), std::string::npos);
}

TEST(HistoryCli, WritesTrendsAndCountsRegressions) {
  ctv::test::TempDir tmp;
  std::string dir = tmp / "history";
  auto out = Ctvbench({"history", kFixtures + "/history", "-o", dir});
  ASSERT_EQ(out.status.code, 0) << out.err;
  EXPECT_NE(out.out.find("1 regression points"), std::string::npos) << out.out;
  auto html = ctv::ReadFile(dir + "/index.html");
  ASSERT_TRUE(html.has_value());
  EXPECT_NE(html->find("run-1.json"), std::string::npos);
}

TEST(HistoryCli, MalformedFileInDirExitsTwo) {
  ctv::test::TempDir tmp;
  const std::string& dir = tmp.Path();
  auto bad = ctv::ReadFile(F("malformed.json"));
  ASSERT_TRUE(bad.has_value());
  ASSERT_TRUE(ctv::WriteFile(dir + "/bad.json", *bad).has_value());
  auto out = Ctvbench({"history", dir, "-o", dir + "/out"});
  EXPECT_EQ(out.status.code, 2);
  EXPECT_NE(out.err.find("bad.json"), std::string::npos) << out.err;
}

}  // namespace
