// Comparing two results files metric by metric: the CI gate behind `ctvbench compare` and the
// regression marks of `ctvbench history`.
//
// Matching: a metric of BASE and one of NEW are the same when suite name, driver, parameters and
// metric name are equal. The accelerator is NOT part of the key: a result matched across
// different accelerators (kvm in BASE, tcg in NEW) is refused, because the change would be the
// accelerator's, not the code's.
//
// Verdict of one metric (documented in docs/reports.md), with change = (median_new -
// median_base) / |median_base| and "worse" read through lower_is_better:
//   unchanged  |change| < threshold (whatever the p-value: a significant 2% is not news);
//   too noisy  |change| >= threshold but the two-sided Mann–Whitney p >= alpha, or either side
//              has fewer than 2 samples: the medians moved but the samples cannot tell it apart
//              from noise (the reason says which, and when n is too small to ever be significant);
//   regressed / improved  |change| >= threshold and p < alpha, in the worse / better direction.
// Only "regressed" makes the comparison fail.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/stats.h"
#include "reports/mann_whitney.h"
#include "results/results.h"

namespace ctv::reports {

struct CompareOptions {
  double threshold = 0.10;  // relative change of the median that matters (0.10 = 10%)
  double alpha = 0.05;      // significance level of the two-sided test
  bool allow_env_mismatch = false;
};

enum class Verdict {
  kUnchanged,
  kImproved,
  kRegressed,
  kTooNoisy,
  kOnlyInBase,
  kOnlyInNew,
  kSkipped
};
const char* VerdictName(Verdict v);  // "unchanged", "improved", "regressed", "too noisy", ...

struct Judgement {
  Verdict verdict = Verdict::kUnchanged;
  double change = 0;  // relative change of the median, signed (+0.2 = NEW is 20% higher)
  MannWhitney test;
  std::string reason;  // one sentence
};

// The verdict rule above, for two sample sets of one metric.
Judgement Judge(const std::vector<double>& base, const std::vector<double>& now,
                bool lower_is_better, const CompareOptions& options);

struct MetricComparison {
  std::string suite, driver, metric, unit;
  std::map<std::string, std::string> parameters;
  std::string accelerator;  // the (common) accelerator, or "kvm -> tcg" when allowed to differ
  bool lower_is_better = true;
  Summary base, now;  // n = 0 on the side where the metric is absent
  Judgement judgement;
  std::string Label() const;  // "startup/ctvrt machine=microvm startup.total"
};

struct Comparison {
  std::string base_name, new_name;
  CompareOptions options;
  std::vector<std::string> env_differences;  // non-empty only with allow_env_mismatch
  std::vector<MetricComparison> rows;
  bool HasRegression() const;
  // Rows measured on both sides (judged: unchanged, improved, regressed or too noisy). Zero
  // means the two files have nothing in common to compare: not "no regression".
  size_t Compared() const;
};

// Refuses (Error naming both files and the difference) when hosts or matched accelerators differ,
// unless options.allow_env_mismatch.
Result<Comparison> Compare(const results::RunResults& base, const std::string& base_name,
                           const results::RunResults& now, const std::string& new_name,
                           const CompareOptions& options);

std::string FormatText(const Comparison& c);
std::string FormatMarkdown(const Comparison& c);
nlohmann::json FormatJson(const Comparison& c);

}  // namespace ctv::reports
