// `ctvbench run --suite isolation --driver host --driver ctvrt` end to end (root): the real
// binary, real containers, a real results file; the verdicts read from it the way the report
// computes them (reports/isolation_view.h). One run serves every test (it takes ~15 s).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/fd.h"
#include "reports/isolation_view.h"
#include "results/results.h"
#include "tests/test_util.h"

namespace ctv {
namespace {

using nlohmann::json;

class IsolationSuiteRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) {
      skip_ = "needs root (the ctvrt driver: namespaces, overlay, cgroups, bridge network)";
      return;
    }
    dir_ = new test::TempDir();
    // The userns case's container root is uid 100000 on the host: it must be able to traverse
    // to its state dir, as under the default /run/ctvbench (a temp dir is 0700).
    ::chmod(dir_->Path().c_str(), 0711);
    // An image and state dir of the test's own: other runs on this host use the default ones.
    std::string out = *dir_ / "r.json";
    output_ = new CommandOutput(
        test::RunOrDie({"env", "CTVBENCH_IMAGE_DIR=" + (*dir_ / "image"), test::Bin("ctvbench"),
                        "run", "--suite", "isolation", "--driver", "host", "--driver", "ctvrt",
                        "--quiet", "--state-dir", *dir_ / "state", "--out", out},
                       300));
    auto r = results::LoadResults(out);
    if (r) run_ = new results::RunResults(std::move(*r));
  }
  static void TearDownTestSuite() {
    delete run_;
    delete output_;
    delete dir_;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_TRUE(output_->status.Success()) << output_->out << output_->err;
    ASSERT_NE(run_, nullptr) << output_->err;
  }

  // The row of `driver` and `c`, asserted measured.
  static const results::DriverResult* Find(const std::string& driver, const std::string& c) {
    for (const auto& s : run_->suites)
      for (const auto& d : s.results)
        if (d.driver == driver && d.parameters.count("case") && d.parameters.at("case") == c)
          return &d;
    return nullptr;
  }
  static double Value(const results::DriverResult& d, const std::string& metric) {
    for (const auto& m : d.metrics)
      if (m.name == metric && !m.samples.empty()) return m.samples[0];
    ADD_FAILURE() << d.driver << ": no metric " << metric;
    return -1;
  }
  static std::string Verdict(const results::DriverResult& d, const std::string& aspect) {
    for (const auto& r : reports::IsolationRows(d.details.at("isolation")))
      if (r.aspect == aspect) return r.verdict;
    return "(no row)";
  }

  static inline test::TempDir* dir_ = nullptr;
  static inline CommandOutput* output_ = nullptr;
  static inline results::RunResults* run_ = nullptr;
  static inline std::string skip_;
};

#define MEASURED(d)      \
  ASSERT_NE(d, nullptr); \
  ASSERT_FALSE(d->skipped.has_value()) << d->driver << ": " << *d->skipped

TEST_F(IsolationSuiteRun, UtsIsolatedForCtvrtSharedForHost) {
  const auto* ctvrt = Find("ctvrt", "namespaces");
  const auto* host = Find("host", "namespaces");
  MEASURED(ctvrt);
  MEASURED(host);
  EXPECT_EQ(Verdict(*ctvrt, "uts"), reports::kIsolated);
  EXPECT_EQ(Verdict(*ctvrt, "pid"), reports::kIsolated);
  EXPECT_EQ(Verdict(*ctvrt, "kernel"), reports::kShared);
  EXPECT_EQ(Verdict(*host, "uts"), reports::kShared);
  EXPECT_EQ(Verdict(*host, "pid"), reports::kShared);
  EXPECT_EQ(reports::CountRows(reports::IsolationRows(host->details.at("isolation"))).isolated, 0);
  // The raw evidence behind it: PID 1 inside, an ordinary PID from the host, whose namespace is
  // the one the probe reported.
  const json& iso = ctvrt->details.at("isolation");
  EXPECT_EQ(iso["inside"]["pid"], 1);
  EXPECT_EQ(iso["outside"]["pid_source"], "workload");
  EXPECT_GT(iso["outside"]["pid"].get<int>(), 1);
  EXPECT_EQ(iso["outside"]["ns"]["uts"], iso["inside"]["ns"]["uts"]);
  EXPECT_NE(iso["inside"]["hostname"], iso["host"]["hostname"]);
}

TEST_F(IsolationSuiteRun, UserNamespaceIsolatedOnlyWithTheOption) {
  const auto* plain = Find("ctvrt", "namespaces");
  const auto* userns = Find("ctvrt", "userns");
  MEASURED(plain);
  MEASURED(userns);
  EXPECT_EQ(Verdict(*plain, "user"), reports::kShared);
  EXPECT_EQ(Verdict(*userns, "user"), reports::kIsolated);
  // Root inside, uid 100000 outside.
  const json& in = userns->details.at("isolation")["inside"];
  EXPECT_EQ(in["uid"], 0);
  EXPECT_NE(in["uid_map"].get<std::string>().find("100000"), std::string::npos) << in.dump();
  const auto* host = Find("host", "userns");
  ASSERT_NE(host, nullptr);
  EXPECT_TRUE(host->skipped.has_value());
}

TEST_F(IsolationSuiteRun, Pid1ExitStopsTheContainerAndItsOtherProcess) {
  const auto* ctvrt = Find("ctvrt", "pid1_exit");
  const auto* host = Find("host", "pid1_exit");
  MEASURED(ctvrt);
  MEASURED(host);
  const json& e = ctvrt->details.at("pid1_exit");
  ASSERT_TRUE(e.contains("child_host_pid")) << e.dump();
  EXPECT_FALSE(e["child_survived"].get<bool>());
  EXPECT_EQ(Value(*ctvrt, "lifecycle.survivors"), 0);
  EXPECT_EQ(::kill(e["child_host_pid"].get<pid_t>(), 0), -1);
  // A plain process's orphan lives on (the suite ended it after counting).
  EXPECT_TRUE(host->details.at("pid1_exit")["child_survived"].get<bool>());
  EXPECT_GE(Value(*host, "lifecycle.survivors"), 1);
}

TEST_F(IsolationSuiteRun, WritableLayerGoneAfterRemovalVolumeKeepsItsData) {
  const auto* ctvrt = Find("ctvrt", "storage");
  MEASURED(ctvrt);
  const json& e = ctvrt->details.at("storage");
  EXPECT_TRUE(e["layer_file_while_running"].get<bool>()) << e.dump();
  EXPECT_FALSE(e["layer_file_after_removal"].get<bool>());
  EXPECT_FALSE(std::filesystem::exists(e["writable_layer"].get<std::string>()));
  EXPECT_EQ(Value(*ctvrt, "storage.volume_files_kept"), 1);
  EXPECT_NE(e["volume_file_after_removal"].get<std::string>().find("ctv-probe persist"),
            std::string::npos);
  // The host process has no writable layer: skipped, saying so.
  const auto* host = Find("host", "storage");
  ASSERT_NE(host, nullptr);
  ASSERT_TRUE(host->skipped.has_value());
  EXPECT_NE(host->skipped->find("volumes"), std::string::npos);
}

TEST_F(IsolationSuiteRun, SecondContainerOnTheSameHostPortFailsClearly) {
  const auto* ctvrt = Find("ctvrt", "port_conflict");
  MEASURED(ctvrt);
  EXPECT_EQ(Value(*ctvrt, "network.port_conflict_refused"), 1);
  std::string err = ctvrt->details.at("port_conflict")["second_error"];
  // The port is the run's own (chosen by the kernel and held: held_port.h), in the details.
  ASSERT_TRUE(ctvrt->details.contains("host_port")) << ctvrt->details.dump();
  EXPECT_NE(err.find(std::to_string(ctvrt->details.at("host_port").get<int>())), std::string::npos)
      << err;
  EXPECT_NE(err.find("already"), std::string::npos) << err;
}

TEST_F(IsolationSuiteRun, NothingLeftBehind) {
  // Only what this run made: its state dir, its volumes, its probes, its cgroups.
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(*dir_ / "state/containers", ec))
    ADD_FAILURE() << "container state left: " << e.path();
  for (const auto& e : std::filesystem::directory_iterator("/tmp", ec))
    if (e.path().filename().string().rfind("ctviso-volume-", 0) == 0) {
      // Another run of this suite may be going on; ours are gone once our run ended.
      auto json_dir = run_->suites[0].results;
      for (const auto& d : json_dir)
        if (d.details.contains("storage") &&
            d.details["storage"].value("volume_host_dir", "") == e.path().string())
          ADD_FAILURE() << "volume left: " << e.path();
    }
  auto left = test::RunOrDie(
      {"sh", "-c", "pgrep -af '[c]tv-probe (orphan|persist|hostinfo --hold)' || true"});
  EXPECT_EQ(left.out, "") << "probes still running: " << left.out;
  auto cg = test::RunOrDie(
      {"sh", "-c", "find /sys/fs/cgroup -maxdepth 4 -type d -name 'ctviso*' 2>/dev/null || true"});
  EXPECT_EQ(cg.out, "") << "cgroups left: " << cg.out;
}

}  // namespace
}  // namespace ctv
