// `ctvbench history`: trend charts per metric across many results files, ordered by time.
//
// Order: started_at (RFC 3339 UTC sorts as text), then ctvbench revision, then file name.
// A series is one (suite, driver, accelerator, parameters, metric); a point is its median with
// min-max whiskers. A point is marked as a regression when compare's rule (compare.h: Judge)
// says "regressed" against the previous point of the same series.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "reports/chart.h"
#include "reports/compare.h"
#include "reports/report.h"

namespace ctv::reports {

struct HistoryRegression {
  std::string metric;  // series label
  std::string from_file, to_file;
  std::string reason;
};

struct HistoryModel {
  std::vector<NamedRun> runs;  // ordered
  std::vector<ChartSpec> charts;
  std::vector<HistoryRegression> regressions;
};

// Orders `runs` and builds the trend charts.
HistoryModel BuildHistory(std::vector<NamedRun> runs, const CompareOptions& options);

// Loads every *.json in `dir` (a malformed one fails the whole command, naming it).
Result<std::vector<NamedRun>> LoadResultsDir(const std::string& dir);

struct HistoryOutput {
  std::string index_html;
  std::vector<std::string> pngs;
  size_t regressions = 0;
};

// `source` names where the runs came from (the directory), for the page subtitle.
Result<HistoryOutput> WriteHistory(std::vector<NamedRun> runs, const std::string& source,
                                   const std::string& out_dir, const CompareOptions& options);

}  // namespace ctv::reports
