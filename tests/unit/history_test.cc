// history: time ordering and regression marks against the previous point.
#include "reports/history.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "reports/chart.h"

namespace ctv::reports {
namespace {

const std::string kHistory = std::string(CTV_FIXTURES_DIR) + "/history";

TEST(History, OrdersByStartTimeNotFileName) {
  auto runs = LoadResultsDir(kHistory);
  ASSERT_TRUE(runs.has_value()) << runs.error().ToString();
  HistoryModel m = BuildHistory(*runs, {});
  ASSERT_EQ(m.runs.size(), 4u);
  for (size_t i = 1; i < m.runs.size(); ++i)
    EXPECT_LT(m.runs[i - 1].run.started_at, m.runs[i].run.started_at);
  EXPECT_NE(m.runs[0].name.find("run-3.json"), std::string::npos);  // names reversed on purpose
}

TEST(History, MarksOnlyTheRegressingPoint) {
  auto runs = LoadResultsDir(kHistory);
  ASSERT_TRUE(runs.has_value());
  HistoryModel m = BuildHistory(*runs, {});
  ASSERT_EQ(m.charts.size(), 1u);  // one metric: startup.total
  ASSERT_EQ(m.regressions.size(), 1u);
  EXPECT_NE(m.regressions[0].metric.find("ctvrt"), std::string::npos);
  EXPECT_NE(m.regressions[0].to_file.find("run-1.json"), std::string::npos);  // third in time
  for (const auto& s : m.charts[0].series) {
    ASSERT_EQ(s.marked.size(), 4u);
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(s.marked[i], s.label == "ctvrt" && i == 2) << s.label;
  }
}

// Two series of one driver (other parameters) get two colours; the legend sits above the plot,
// away from the x axis title.
TEST(History, SeriesOfOneDriverAreToldApart) {
  auto runs = LoadResultsDir(kHistory);
  ASSERT_TRUE(runs.has_value());
  for (auto& r : *runs)
    for (auto& s : r.run.suites) {
      auto copy = s.results;
      for (auto& d : copy) d.parameters["machine"] = "pc";
      s.results.insert(s.results.end(), copy.begin(), copy.end());
    }
  HistoryModel m = BuildHistory(*runs, {});
  ASSERT_EQ(m.charts.size(), 1u);
  std::set<std::string> colors;
  for (const auto& s : m.charts[0].series) colors.insert(s.color);
  EXPECT_EQ(colors.size(), m.charts[0].series.size());
  std::string g = GnuplotScript(m.charts[0], "/tmp/x.png");
  EXPECT_NE(g.find("set key outside top"), std::string::npos) << g;
  EXPECT_EQ(g.find("set key below"), std::string::npos) << g;
}

TEST(History, EmptyOrMissingDirectoryIsAnError) {
  auto r = LoadResultsDir("/nonexistent-ctv-history");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("/nonexistent-ctv-history"), std::string::npos);
}

}  // namespace
}  // namespace ctv::reports
