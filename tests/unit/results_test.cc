#include "results/results.h"

#include <gtest/gtest.h>

namespace ctv::results {
namespace {

RunResults Sample() {
  RunResults r;
  r.started_at = "2026-11-22T14:00:00Z";
  r.finished_at = "2026-11-22T14:01:00Z";
  r.command = {"ctvbench", "run", "--suite", "startup"};
  r.environment.hostname = "h";
  r.environment.kernel_release = "6.1.0";
  r.environment.cpu_model = "cpu";
  r.environment.cpu_count = 2;
  r.environment.memory_bytes = 1ull << 34;
  r.environment.cgroup_mode = "hybrid";
  r.environment.cgroup_controllers = {"cpu", "memory"};
  r.environment.kvm = {true, "kvm_pvm", "no", "stock kernels fault"};
  r.environment.ksm_enabled = false;
  r.environment.tools = {{"qemu", "7.2.22"}};
  SuiteResult s;
  s.name = "startup";
  s.repetitions = 3;
  s.warmup = 1;
  DriverResult d;
  d.driver = "host";
  d.accelerator = "none";
  d.parameters = {{"mode", "ready"}};
  d.metrics.push_back(MakeMetric("startup.total", "ms", "launch -> ready", {3.0, 1.0, 2.0}));
  s.results.push_back(d);
  DriverResult skipped;
  skipped.driver = "vm";
  skipped.accelerator = "tcg";
  skipped.skipped = "no guest kernel";
  s.results.push_back(skipped);
  r.suites.push_back(s);
  return r;
}

TEST(Results, RoundTripKeepsEverything) {
  RunResults in = Sample();
  auto out = FromJson(ToJson(in), "mem");
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(ToJson(*out), ToJson(in));
  const Metric& m = out->suites[0].results[0].metrics[0];
  EXPECT_EQ(m.samples, (std::vector<double>{3.0, 1.0, 2.0}));  // raw order kept
  EXPECT_DOUBLE_EQ(m.stats.median, 2.0);
  EXPECT_EQ(out->suites[0].results[1].skipped.value(), "no guest kernel");
  EXPECT_EQ(out->environment.kvm.module, "kvm_pvm");
  EXPECT_EQ(out->environment.ksm_enabled, std::optional<bool>(false));
}

TEST(Results, StatsAreRecomputedFromSamples) {
  nlohmann::json j = ToJson(Sample());
  j["suites"][0]["results"][0]["metrics"][0]["stats"]["median"] = 999;
  auto out = FromJson(j, "mem");
  ASSERT_TRUE(out);
  EXPECT_DOUBLE_EQ(out->suites[0].results[0].metrics[0].stats.median, 2.0);
}

TEST(Results, MissingFieldIsNamedWithItsPath) {
  nlohmann::json j = ToJson(Sample());
  j["suites"][0]["results"][0]["metrics"][0].erase("unit");
  auto out = FromJson(j, "base.json");
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().ToString(),
            "read results `base.json`: field `suites[0].results[0].metrics[0].unit`: missing");
}

TEST(Results, WrongTypeIsNamed) {
  nlohmann::json j = ToJson(Sample());
  j["suites"][0]["results"][0]["metrics"][0]["samples"][1] = "fast";
  auto out = FromJson(j, "x.json");
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().ToString().find("`suites[0].results[0].metrics[0].samples[1]`: expected a number"),
            std::string::npos);
}

TEST(Results, WrongVersionIsRefused) {
  nlohmann::json j = ToJson(Sample());
  j["schema_version"] = 7;
  auto out = FromJson(j, "new.json");
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().ToString().find("schema_version 7 is not supported"), std::string::npos);
}

TEST(Results, ForeignJsonIsRefused) {
  auto out = FromJson(nlohmann::json{{"hello", 1}}, "other.json");
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().ToString().find("not a ctvbench results file"), std::string::npos);
}

TEST(Results, LoadReportsInvalidJson) {
  char path[] = "/tmp/ctv-results-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "{\n  \"a\": 1,\n  oops\n}", 20), 20);
  close(fd);
  auto out = LoadResults(path);
  unlink(path);
  ASSERT_FALSE(out);
  // Where, as an editor shows it: line 3, column 3 ("oops").
  EXPECT_NE(out.error().ToString().find("not valid JSON at line 3, column 3"), std::string::npos)
      << out.error().ToString();
}

}  // namespace
}  // namespace ctv::results
