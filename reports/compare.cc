#include "reports/compare.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "reports/format.h"

namespace ctv::reports {

using results::DriverResult;
using results::Metric;
using results::RunResults;

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kUnchanged:
      return "unchanged";
    case Verdict::kImproved:
      return "improved";
    case Verdict::kRegressed:
      return "regressed";
    case Verdict::kTooNoisy:
      return "too noisy";
    case Verdict::kOnlyInBase:
      return "only in base";
    case Verdict::kOnlyInNew:
      return "only in new";
    case Verdict::kSkipped:
      return "skipped";
  }
  return "?";
}

Judgement Judge(const std::vector<double>& base, const std::vector<double>& now,
                bool lower_is_better, const CompareOptions& o) {
  Judgement j;
  Summary sb = Summarize(base), sn = Summarize(now);
  if (sb.median != 0)
    j.change = (sn.median - sb.median) / std::fabs(sb.median);
  else
    j.change =
        sn.median == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), sn.median);
  j.test = MannWhitneyU(base, now);
  if (base.size() < 2 || now.size() < 2) {
    j.verdict = Verdict::kTooNoisy;
    j.reason = fmt::format("too few samples to test ({} vs {}; need at least 2 each)", base.size(),
                           now.size());
    return j;
  }
  if (std::fabs(j.change) < o.threshold) {
    j.verdict = Verdict::kUnchanged;
    j.reason = fmt::format("median moved {} (within the {} threshold)", Percent(j.change),
                           Percent(o.threshold).substr(1));
    return j;
  }
  if (j.test.p_value >= o.alpha) {
    j.verdict = Verdict::kTooNoisy;
    double floor = MinAttainablePValue(base.size(), now.size());
    if (floor >= o.alpha)
      j.reason = fmt::format(
          "median moved {} but {} vs {} samples can never reach p < {} (smallest p is {})",
          Percent(j.change), base.size(), now.size(), Num(o.alpha), Num(floor));
    else
      j.reason = fmt::format("median moved {} but the samples overlap: p = {} >= {}",
                             Percent(j.change), Num(j.test.p_value), Num(o.alpha));
    return j;
  }
  bool worse = lower_is_better ? j.change > 0 : j.change < 0;
  j.verdict = worse ? Verdict::kRegressed : Verdict::kImproved;
  j.reason = fmt::format("median moved {} ({} is better), p = {} < {}", Percent(j.change),
                         lower_is_better ? "lower" : "higher", Num(j.test.p_value), Num(o.alpha));
  return j;
}

std::string MetricComparison::Label() const {
  std::string s = suite + "/" + driver;
  std::string p = ParamsString(parameters);
  if (!p.empty()) s += " " + p;
  return s + " " + metric;
}

size_t Comparison::Compared() const {
  size_t n = 0;
  for (const auto& r : rows)
    if (r.judgement.verdict != Verdict::kOnlyInBase && r.judgement.verdict != Verdict::kOnlyInNew &&
        r.judgement.verdict != Verdict::kSkipped)
      ++n;
  return n;
}

bool Comparison::HasRegression() const {
  for (const auto& r : rows)
    if (r.judgement.verdict == Verdict::kRegressed) return true;
  return false;
}

namespace {

struct Located {
  const results::SuiteResult* suite;
  const DriverResult* result;
};

std::string ResultKey(const std::string& suite, const DriverResult& d) {
  return suite + "\x1f" + d.driver + "\x1f" + ParamsString(d.parameters);
}

std::vector<std::string> HostDifferences(const RunResults& a, const RunResults& b) {
  std::vector<std::string> out;
  auto check = [&](const char* field, const std::string& x, const std::string& y) {
    if (x != y) out.push_back(fmt::format("environment.{}: \"{}\" vs \"{}\"", field, x, y));
  };
  check("hostname", a.environment.hostname, b.environment.hostname);
  check("cpu_model", a.environment.cpu_model, b.environment.cpu_model);
  check("kernel_release", a.environment.kernel_release, b.environment.kernel_release);
  return out;
}

}  // namespace

Result<Comparison> Compare(const RunResults& base, const std::string& base_name,
                           const RunResults& now, const std::string& new_name,
                           const CompareOptions& o) {
  Comparison c;
  c.base_name = base_name;
  c.new_name = new_name;
  c.options = o;
  std::vector<std::string> diffs = HostDifferences(base, now);

  // Index NEW by (suite, driver, parameters); the first occurrence wins.
  std::map<std::string, Located> new_index;
  for (const auto& s : now.suites)
    for (const auto& d : s.results) new_index.emplace(ResultKey(s.name, d), Located{&s, &d});
  std::map<std::string, bool> matched;

  auto add_one_sided = [&](const std::string& suite, const DriverResult& d, const Metric& m,
                           bool in_base) {
    MetricComparison row;
    row.suite = suite;
    row.driver = d.driver;
    row.parameters = d.parameters;
    row.metric = m.name;
    row.unit = m.unit;
    row.accelerator = d.accelerator;
    row.lower_is_better = m.lower_is_better;
    (in_base ? row.base : row.now) = m.stats;
    row.judgement.verdict = in_base ? Verdict::kOnlyInBase : Verdict::kOnlyInNew;
    row.judgement.reason = in_base ? "absent from the new file" : "absent from the base file";
    c.rows.push_back(std::move(row));
  };

  for (const auto& s : base.suites) {
    for (const auto& d : s.results) {
      std::string key = ResultKey(s.name, d);
      auto it = new_index.find(key);
      if (it == new_index.end()) {
        for (const auto& m : d.metrics) add_one_sided(s.name, d, m, true);
        continue;
      }
      if (matched[key]) continue;  // duplicate in BASE: the first one was compared
      matched[key] = true;
      const DriverResult& nd = *it->second.result;
      std::string label = fmt::format("{}/{}{}", s.name, d.driver,
                                      d.parameters.empty() ? "" : " " + ParamsString(d.parameters));
      if (d.accelerator != nd.accelerator) {
        std::string what =
            fmt::format("{}: accelerator \"{}\" vs \"{}\"", label, d.accelerator, nd.accelerator);
        diffs.push_back(what);
      }
      if (d.skipped || nd.skipped) {
        MetricComparison row;
        row.suite = s.name;
        row.driver = d.driver;
        row.parameters = d.parameters;
        row.metric = "(all)";
        row.accelerator = d.accelerator;
        row.judgement.verdict = Verdict::kSkipped;
        row.judgement.reason = fmt::format("skipped in {}: {}", d.skipped ? "base" : "new",
                                           d.skipped ? *d.skipped : *nd.skipped);
        c.rows.push_back(std::move(row));
        continue;
      }
      for (const auto& m : d.metrics) {
        const Metric* nm = nullptr;
        for (const auto& x : nd.metrics)
          if (x.name == m.name) {
            nm = &x;
            break;
          }
        if (!nm) {
          add_one_sided(s.name, d, m, true);
          continue;
        }
        MetricComparison row;
        row.suite = s.name;
        row.driver = d.driver;
        row.parameters = d.parameters;
        row.metric = m.name;
        row.unit = m.unit;
        row.accelerator = d.accelerator == nd.accelerator ? d.accelerator
                                                          : d.accelerator + " -> " + nd.accelerator;
        row.lower_is_better = m.lower_is_better;
        row.base = m.stats;
        row.now = nm->stats;
        if (m.unit != nm->unit) {
          row.judgement.verdict = Verdict::kTooNoisy;
          row.judgement.reason =
              fmt::format("units differ (\"{}\" vs \"{}\"): not comparable", m.unit, nm->unit);
        } else {
          row.judgement = Judge(m.samples, nm->samples, m.lower_is_better, o);
        }
        c.rows.push_back(std::move(row));
      }
      for (const auto& x : nd.metrics) {
        bool in_base = false;
        for (const auto& m : d.metrics) in_base = in_base || m.name == x.name;
        if (!in_base) add_one_sided(s.name, nd, x, false);
      }
    }
  }
  // Results present only in NEW.
  std::map<std::string, bool> base_keys;
  for (const auto& s : base.suites)
    for (const auto& d : s.results) base_keys[ResultKey(s.name, d)] = true;
  for (const auto& s : now.suites)
    for (const auto& d : s.results)
      if (!base_keys.count(ResultKey(s.name, d)))
        for (const auto& m : d.metrics) add_one_sided(s.name, d, m, false);

  if (!diffs.empty()) {
    if (!o.allow_env_mismatch) {
      std::string list;
      for (const auto& d : diffs) list += (list.empty() ? "" : "; ") + d;
      return MakeError("compare", base_name + "` with `" + new_name,
                       "results come from different environments (" + list +
                           "); the difference would be the environment's, not the code's. Pass "
                           "--allow-env-mismatch to compare anyway");
    }
    c.env_differences = std::move(diffs);
  }
  return c;
}

namespace {

std::string Median(const Summary& s) { return s.n ? Num(s.median) : "-"; }

std::string PValue(const MetricComparison& r) {
  if (r.base.n == 0 || r.now.n == 0) return "-";
  return Num(r.judgement.test.p_value) + (r.judgement.test.exact ? " (exact)" : "");
}

std::string Change(const MetricComparison& r) {
  if (r.base.n == 0 || r.now.n == 0) return "-";
  return Percent(r.judgement.change);
}

std::string Header(const Comparison& c) {
  return fmt::format(
      "base: {}\nnew:  {}\nrule: |median change| >= {} and two-sided Mann-Whitney "
      "p < {} -> improved/regressed\n",
      c.base_name, c.new_name, Percent(c.options.threshold).substr(1), Num(c.options.alpha));
}

}  // namespace

std::string FormatText(const Comparison& c) {
  std::string out = Header(c);
  for (const auto& d : c.env_differences) out += "warning: environment differs: " + d + "\n";
  out += "\n";
  std::vector<std::vector<std::string>> table = {
      {"metric", "unit", "n", "base median", "new median", "change", "p", "verdict"}};
  for (const auto& r : c.rows)
    table.push_back({r.Label(), r.unit, fmt::format("{}/{}", r.base.n, r.now.n), Median(r.base),
                     Median(r.now), Change(r), PValue(r), VerdictName(r.judgement.verdict)});
  std::vector<size_t> width(table[0].size(), 0);
  for (const auto& row : table)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  for (const auto& row : table) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i)
      line += fmt::format("{:<{}}", row[i], i + 1 < row.size() ? width[i] + 2 : 0);
    out += line + "\n";
  }
  out += "\n";
  int regressions = 0;
  for (const auto& r : c.rows) {
    if (r.judgement.verdict == Verdict::kRegressed) ++regressions;
    if (r.judgement.verdict != Verdict::kUnchanged)
      out += fmt::format("{}: {}: {}\n", VerdictName(r.judgement.verdict), r.Label(),
                         r.judgement.reason);
  }
  out += regressions       ? fmt::format("RESULT: {} regression(s)\n", regressions)
         : c.Compared() == 0 ? "RESULT: nothing compared: no metric was measured in both files\n"
                             : fmt::format("RESULT: no regression ({} metric(s) compared)\n",
                                           c.Compared());
  return out;
}

std::string FormatMarkdown(const Comparison& c) {
  std::string out = "### ctvbench compare\n\n";
  out += fmt::format(
      "Base `{}` vs new `{}`. Rule: |median change| >= {} and two-sided "
      "Mann–Whitney p < {}.\n\n",
      c.base_name, c.new_name, Percent(c.options.threshold).substr(1), Num(c.options.alpha));
  for (const auto& d : c.env_differences) out += "> **Environment differs:** " + d + "\n\n";
  out +=
      "| metric | unit | n (base/new) | base median | new median | change | p | verdict | why |\n";
  out += "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : c.rows) {
    std::string verdict = VerdictName(r.judgement.verdict);
    if (r.judgement.verdict == Verdict::kRegressed) verdict = "**" + verdict + "**";
    out += fmt::format("| {} | {} | {}/{} | {} | {} | {} | {} | {} | {} |\n", r.Label(), r.unit,
                       r.base.n, r.now.n, Median(r.base), Median(r.now), Change(r), PValue(r),
                       verdict, r.judgement.reason);
  }
  out += c.HasRegression() ? "\n**Result: regression.**\n" : "\nResult: no regression.\n";
  return out;
}

nlohmann::json FormatJson(const Comparison& c) {
  using nlohmann::json;
  auto stats = [](const Summary& s) -> json {
    if (s.n == 0) return nullptr;
    return {{"n", s.n}, {"median", s.median}, {"p95", s.p95}, {"cv", s.cv}};
  };
  json rows = json::array();
  for (const auto& r : c.rows) {
    bool both = r.base.n && r.now.n;
    rows.push_back({{"suite", r.suite},
                    {"driver", r.driver},
                    {"parameters", r.parameters},
                    {"metric", r.metric},
                    {"unit", r.unit},
                    {"accelerator", r.accelerator},
                    {"lower_is_better", r.lower_is_better},
                    {"base", stats(r.base)},
                    {"new", stats(r.now)},
                    {"change", both && std::isfinite(r.judgement.change) ? json(r.judgement.change)
                                                                         : json(nullptr)},
                    {"u", both ? json(r.judgement.test.u_a) : json(nullptr)},
                    {"p_value", both ? json(r.judgement.test.p_value) : json(nullptr)},
                    {"exact", r.judgement.test.exact},
                    {"verdict", VerdictName(r.judgement.verdict)},
                    {"reason", r.judgement.reason}});
  }
  return {{"base", c.base_name},
          {"new", c.new_name},
          {"threshold", c.options.threshold},
          {"alpha", c.options.alpha},
          {"environment_differences", c.env_differences},
          {"regression", c.HasRegression()},
          {"metrics", rows}};
}

}  // namespace ctv::reports
