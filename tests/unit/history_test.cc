// history: time ordering and regression marks against the previous point.
#include "reports/history.h"

#include <gtest/gtest.h>

#include <cmath>

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

TEST(History, EmptyOrMissingDirectoryIsAnError) {
  auto r = LoadResultsDir("/nonexistent-ctv-history");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("/nonexistent-ctv-history"), std::string::npos);
}

}  // namespace
}  // namespace ctv::reports
