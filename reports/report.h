// `ctvbench report`: results files in, a self-contained HTML report (index.html, claims.html) and
// one PNG per chart out.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "results/results.h"

namespace ctv::reports {

struct NamedRun {
  std::string name;  // the file it came from
  results::RunResults run;
};

// Several runs as one: suites with the same name are concatenated. When two files hold a result
// with the same suite, driver, accelerator and parameters, every result gets a parameter
// "run" = the file's base name, so no two series share a label.
results::RunResults MergeRuns(const std::vector<NamedRun>& runs);

struct ReportOutput {
  std::string index_html;
  std::string claims_html;
  std::vector<std::string> pngs;
};

// Renders the charts with gnuplot into `out_dir` (created if needed) and writes the pages.
Result<ReportOutput> WriteReport(const std::vector<NamedRun>& runs, const std::string& out_dir);

}  // namespace ctv::reports
