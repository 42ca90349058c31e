// The regression rule's two options, shared by `compare` and `history` (one rule, one spelling):
//   --threshold  relative change of the median that matters ("10%" or "0.10")
//   --alpha      significance level of the two-sided Mann-Whitney U test
// Both are checked while parsing, so a bad value is a usage error (exit 2) naming the option.
#pragma once

#include <CLI/CLI.hpp>

#include "reports/compare.h"

namespace ctv::cli {

// Adds the options to `app`; parsed values land in opt->threshold and opt->alpha.
void AddRegressionRuleOptions(CLI::App& app, reports::CompareOptions* opt);

}  // namespace ctv::cli
