// Results in the formats other tools read, from a results file only (like report and compare):
//   csv       one row per driver x parameters x metric: the statistics, n, CV, unit, interval
//             and the environment (kernel, cgroup, accelerator), for spreadsheets and pandas
//   markdown  the same rows as a table (hyperfine's --export-markdown habit), for PRs and notes
//   github-smaller / github-bigger
//             the JSON of github-action-benchmark's `customSmallerIsBetter` and
//             `customBiggerIsBetter` tools: [{name, unit, value, range, extra}], one entry per
//             metric whose direction matches (a CI charts ctvbench figures with a tool it has)
// Skipped rows carry no figure: csv and markdown list them with the reason, the github formats
// leave them out. `value` is the median; `range` is "± <sample standard deviation>"; `extra`
// says n, CV, the accelerator and the interval measured, so the figure keeps its meaning.
#pragma once

#include <string>

#include "core/error.h"
#include "results/results.h"

namespace ctv::reports {

// "csv", "markdown", "github-smaller", "github-bigger"; an unknown format is an Error naming
// the accepted ones.
Result<std::string> ExportResults(const results::RunResults& run, const std::string& format);

}  // namespace ctv::reports
