#include "cli/regression_rule.h"

#include "reports/format.h"

namespace ctv::cli {

void AddRegressionRuleOptions(CLI::App& app, reports::CompareOptions* opt) {
  opt->threshold = 0.10;
  opt->alpha = 0.05;
  app.add_option_function<std::string>(
         "--threshold",
         [opt](const std::string& text) { reports::ParseThreshold(text, &opt->threshold); },
         "relative change of the median that matters: 10% or 0.10 (default 10%)")
      ->check(
          [](const std::string& text) {
            double unused;
            return reports::ParseThreshold(text, &unused)
                       ? std::string()
                       : "\"" + text + "\": expected a percentage like 10% or a fraction like 0.10";
          },
          "PERCENT");
  app.add_option("--alpha", opt->alpha,
                 "significance level of the two-sided Mann-Whitney U test (default 0.05)")
      ->check(CLI::Range(0.0, 1.0));
}

}  // namespace ctv::cli
