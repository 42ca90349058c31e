// compare's verdict rule, matching, environment refusal, and results-file errors.
#include "reports/compare.h"

#include <gtest/gtest.h>

#include <string>

#include "core/fd.h"
#include "reports/format.h"

namespace ctv::reports {
namespace {

const std::string kFixtures = CTV_FIXTURES_DIR;

results::RunResults Load(const std::string& name) {
  auto r = results::LoadResults(kFixtures + "/" + name);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().ToString());
  return r ? *r : results::RunResults{};
}

std::vector<double> Range(double from, double step, int n) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(from + step * i);
  return v;
}

TEST(Judge, SmallChangeIsUnchangedEvenWhenSignificant) {
  // 10.0..10.9 vs 10.5..11.4: fully shifted (significant) but the median moves only ~5%.
  CompareOptions o;
  Judgement j = Judge(Range(10, 0.1, 10), Range(10.5, 0.1, 10), true, o);
  EXPECT_LT(j.test.p_value, 0.05);
  EXPECT_EQ(j.verdict, Verdict::kUnchanged);
}

TEST(Judge, LargeSignificantIncreaseIsARegressionWhenLowerIsBetter) {
  CompareOptions o;
  Judgement j = Judge(Range(10, 0.1, 10), Range(15, 0.1, 10), true, o);
  EXPECT_EQ(j.verdict, Verdict::kRegressed);
  EXPECT_NEAR(j.change, 5.0 / 10.45, 1e-9);  // medians 15.45 vs 10.45
}

TEST(Judge, HigherIsBetterFlipsTheDirection) {
  CompareOptions o;
  EXPECT_EQ(Judge(Range(10, 0.1, 10), Range(15, 0.1, 10), false, o).verdict, Verdict::kImproved);
  EXPECT_EQ(Judge(Range(15, 0.1, 10), Range(10, 0.1, 10), false, o).verdict, Verdict::kRegressed);
}

TEST(Judge, OverlappingSamplesAreTooNoisy) {
  CompareOptions o;
  Judgement j = Judge({3, 9, 5, 12, 4, 8}, {4, 11, 6, 13, 5, 10}, true, o);
  EXPECT_GE(std::abs(j.change), o.threshold);
  EXPECT_EQ(j.verdict, Verdict::kTooNoisy);
  EXPECT_NE(j.reason.find("overlap"), std::string::npos) << j.reason;
}

TEST(Judge, TooFewSamplesCanNeverBeSignificant) {
  CompareOptions o;
  // 3 vs 3 fully separated: the smallest attainable p is 0.1 > 0.05.
  Judgement j = Judge({1, 2, 3}, {10, 11, 12}, true, o);
  EXPECT_EQ(j.verdict, Verdict::kTooNoisy);
  EXPECT_NE(j.reason.find("can never reach"), std::string::npos) << j.reason;
  EXPECT_EQ(Judge({1}, {10, 11, 12}, true, o).verdict, Verdict::kTooNoisy);
}

TEST(Compare, FindsTheRegressionInTheFixture) {
  auto c = Compare(Load("base.json"), "base.json", Load("regressed.json"), "regressed.json", {});
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_TRUE(c->HasRegression());
  int regressed = 0;
  for (const auto& r : c->rows)
    if (r.judgement.verdict == Verdict::kRegressed) {
      ++regressed;
      EXPECT_EQ(r.driver, "ctvrt");
      EXPECT_EQ(r.metric, "startup.total");
    }
  EXPECT_EQ(regressed, 1);
  EXPECT_NE(FormatText(*c).find("RESULT: 1 regression"), std::string::npos);
  EXPECT_NE(FormatMarkdown(*c).find("| startup/ctvrt startup.total | ms | 20/20 |"),
            std::string::npos);
  EXPECT_TRUE(FormatJson(*c)["regression"].get<bool>());
}

TEST(Compare, UnchangedFixtureHasNoRegression) {
  auto c = Compare(Load("base.json"), "b", Load("unchanged.json"), "u", {});
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->HasRegression());
  EXPECT_EQ(c->rows.size(), 3u);
}

TEST(Compare, RefusesAnotherHost) {
  auto c = Compare(Load("base.json"), "base.json", Load("other-host.json"), "other-host.json", {});
  ASSERT_FALSE(c.has_value());
  std::string msg = c.error().ToString();
  EXPECT_NE(msg.find("hostname"), std::string::npos) << msg;
  EXPECT_NE(msg.find("elsewhere"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--allow-env-mismatch"), std::string::npos) << msg;
}

TEST(Compare, RefusesAnotherAcceleratorUnlessAllowed) {
  auto c = Compare(Load("base.json"), "b", Load("other-accel.json"), "o", {});
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().ToString().find("accelerator \"kvm\" vs \"tcg\""), std::string::npos)
      << c.error().ToString();
  CompareOptions allow;
  allow.allow_env_mismatch = true;
  auto ok = Compare(Load("base.json"), "b", Load("other-accel.json"), "o", allow);
  ASSERT_TRUE(ok.has_value());
  ASSERT_EQ(ok->env_differences.size(), 1u);
}

TEST(Compare, MetricsOnOneSideAreListedNotJudged) {
  results::RunResults base = Load("base.json"), now = Load("base.json");
  now.suites[0].results.pop_back();  // drop vm
  auto c = Compare(base, "b", now, "n", {});
  ASSERT_TRUE(c.has_value());
  bool only_base = false;
  for (const auto& r : c->rows) only_base |= r.judgement.verdict == Verdict::kOnlyInBase;
  EXPECT_TRUE(only_base);
  EXPECT_FALSE(c->HasRegression());
}

TEST(LoadResults, WrongVersionNamesFileAndVersion) {
  auto r = results::LoadResults(kFixtures + "/wrong-version.json");
  ASSERT_FALSE(r.has_value());
  std::string msg = r.error().ToString();
  EXPECT_NE(msg.find("wrong-version.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("schema_version 2"), std::string::npos) << msg;
}

TEST(LoadResults, MalformedNamesTheField) {
  auto r = results::LoadResults(kFixtures + "/malformed.json");
  ASSERT_FALSE(r.has_value());
  std::string msg = r.error().ToString();
  EXPECT_NE(msg.find("malformed.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("suites[0].results[1].metrics[0].unit"), std::string::npos) << msg;
}

}  // namespace
}  // namespace ctv::reports

namespace ctv::reports {
namespace {

TEST(ParseThreshold, PercentOrFraction) {
  double v = -1;
  EXPECT_TRUE(ParseThreshold("10%", &v));
  EXPECT_DOUBLE_EQ(v, 0.10);
  EXPECT_TRUE(ParseThreshold("0.25", &v));
  EXPECT_DOUBLE_EQ(v, 0.25);
  EXPECT_FALSE(ParseThreshold("10", &v));  // ambiguous
  EXPECT_FALSE(ParseThreshold("ten%", &v));
  EXPECT_FALSE(ParseThreshold("", &v));
  EXPECT_FALSE(ParseThreshold("-5%", &v));
}

// Fields of the wrong type are errors naming the field, never exceptions.
TEST(FromJson, WrongTypesAreErrorsNotExceptions) {
  auto doc =
      nlohmann::json::parse(ctv::ReadFile(std::string(CTV_FIXTURES_DIR) + "/base.json").value());
  auto bad_kvm = doc;
  bad_kvm["environment"]["kvm"]["device_present"] = "yes";
  auto r = results::FromJson(bad_kvm, "mem.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("environment.kvm.device_present"), std::string::npos)
      << r.error().ToString();
  auto bad_lib = doc;
  bad_lib["suites"][0]["results"][0]["metrics"][0]["lower_is_better"] = "no";
  r = results::FromJson(bad_lib, "mem.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("lower_is_better"), std::string::npos);
}

}  // namespace
}  // namespace ctv::reports
