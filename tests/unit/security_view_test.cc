// The security suite's view on hand-made results: the side-by-side table (an attempt per row, a
// driver per column), the per-driver counts, and the gaps between confined drivers, computed from
// the details whatever the drivers are called.
#include <gtest/gtest.h>

#include "reports/suite_view.h"

namespace ctv::reports {
namespace {

using nlohmann::json;

results::DriverResult Row(const std::string& driver, const std::string& kind,
                          std::vector<std::pair<std::string, std::string>> attempts) {
  results::DriverResult d;
  d.driver = driver;
  d.kind = kind;
  d.accelerator = kind == "vm" ? "tcg" : "none";
  json list = json::array();
  for (const auto& [name, result] : attempts)
    list.push_back({{"name", name},
                    {"result", result},
                    {"errno", result == "denied" ? 1 : 0},
                    {"errno_name", result == "denied" ? "EPERM" : ""},
                    {"detail", result == "skipped" ? "nothing to try" : ""}});
  d.details["breakout"] = {{"attempts", list}};
  d.details["own_kernel"] = kind == "vm";
  return d;
}

results::RunResults SampleRun() {
  results::RunResults run;
  results::SuiteResult s;
  s.name = "security";
  s.results.push_back(Row("alpha", "host", {{"mount", "allowed"}, {"bpf", "allowed"}}));
  s.results.push_back(Row("beta", "container", {{"mount", "denied"}, {"bpf", "allowed"}}));
  s.results.push_back(Row("gamma", "container", {{"mount", "denied"}, {"bpf", "denied"}}));
  s.results.push_back(Row("delta", "vm", {{"mount", "allowed"}, {"bpf", "skipped"}}));
  results::DriverResult off;
  off.driver = "epsilon";
  off.kind = "sandbox";
  off.skipped = "not installed";
  s.results.push_back(off);
  run.suites.push_back(s);
  return run;
}

TEST(SecurityView, SideBySideTableFromTheDetails) {
  auto view = ViewFor("security");
  std::vector<Table> tables = view->Tables(SampleRun());
  ASSERT_EQ(tables.size(), 2u);
  const Table& t = tables[0];
  EXPECT_EQ(t.header, (std::vector<std::string>{"attempt", "alpha", "beta", "gamma", "delta (tcg)"}));
  ASSERT_EQ(t.rows.size(), 3u);  // mount, bpf, the totals
  EXPECT_EQ(t.rows[0][0].text, "mount");
  EXPECT_EQ(t.rows[0][2].text, "denied (EPERM)");
  EXPECT_EQ(t.rows[0][2].tone, "good");
  EXPECT_EQ(t.rows[0][4].text, "allowed");
  EXPECT_EQ(t.rows[0][4].tone, "bad");
  EXPECT_EQ(t.rows[0][1].tone, "muted") << "the host row is the floor, not a failure";
  EXPECT_EQ(t.rows[1][4].text.rfind("skipped", 0), 0u);
  EXPECT_EQ(t.rows[2][0].text, "denied");
  EXPECT_EQ(t.rows[2][1].text, "0 of 2");
  EXPECT_EQ(t.rows[2][2].text, "1 of 2");
  EXPECT_EQ(t.rows[2][3].text, "2 of 2");
  EXPECT_EQ(t.rows[2][4].text, "0 of 1") << "a skipped attempt is not counted";
  EXPECT_NE(t.caption.find("epsilon: not installed"), std::string::npos) << t.caption;
  EXPECT_NE(t.caption.find("delta ran its own kernel"), std::string::npos) << t.caption;
}

TEST(SecurityView, GapsBetweenConfinedDrivers) {
  auto view = ViewFor("security");
  std::vector<Table> tables = view->Tables(SampleRun());
  ASSERT_EQ(tables.size(), 2u);
  const Table& g = tables[1];
  ASSERT_EQ(g.rows.size(), 2u) << "only container and sandbox rows that ran";
  EXPECT_EQ(g.rows[0][0].text, "beta");
  EXPECT_EQ(g.rows[0][1].text, "bpf (denied by gamma)");
  EXPECT_EQ(g.rows[0][1].tone, "bad");
  EXPECT_EQ(g.rows[1][0].text, "gamma");
  EXPECT_EQ(g.rows[1][1].text, "none");
}

}  // namespace
}  // namespace ctv::reports
