#include "reports/export.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "reports/format.h"

namespace ctv::reports {
namespace {

using results::DriverResult;
using results::Metric;
using results::RunResults;

// One CSV field: quoted when it holds a separator, a quote or a line break (RFC 4180).
std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string MarkdownCell(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
  return out;
}

std::string Num(double v) { return fmt::format("{:.6g}", v); }

// The name a chart tool shows: suite/driver (accel) params metric.
std::string SeriesName(const std::string& suite, const DriverResult& d, const Metric& m) {
  return suite + "/" + SeriesLabel(d) + " " + m.name;
}

const std::vector<std::string> kColumns = {
    "suite",  "driver", "kind", "accelerator", "parameters", "metric", "unit", "n",
    "median", "p95",    "min",  "max",         "mean",       "stddev", "cv",   "lower_is_better",
    "interval", "skipped", "kernel", "cgroup", "ctvbench_revision"};

std::vector<std::vector<std::string>> Rows(const RunResults& run) {
  std::vector<std::vector<std::string>> rows;
  const auto& env = run.environment;
  for (const auto& s : run.suites)
    for (const auto& d : s.results) {
      auto base = [&](const std::string& metric, const std::string& unit) {
        return std::vector<std::string>{s.name, d.driver, d.kind, d.accelerator,
                                        ParamsString(d.parameters), metric, unit};
      };
      if (d.skipped || d.metrics.empty()) {
        auto row = base("", "");
        row.resize(kColumns.size());
        row[17] = d.skipped.value_or("no metric");
        row[18] = env.kernel_release;
        row[19] = env.cgroup_mode;
        row[20] = env.ctvbench_revision;
        rows.push_back(row);
        continue;
      }
      for (const auto& m : d.metrics) {
        auto row = base(m.name, m.unit);
        const Summary& st = m.stats;
        for (std::string v :
             {std::to_string(st.n), Num(st.median), Num(st.p95), Num(st.min), Num(st.max),
              Num(st.mean), Num(st.stddev), Num(st.cv), std::string(m.lower_is_better ? "true" : "false"),
              m.interval, std::string(), env.kernel_release, env.cgroup_mode, env.ctvbench_revision})
          row.push_back(v);
        rows.push_back(row);
      }
    }
  return rows;
}

std::string Csv(const RunResults& run) {
  std::string out;
  for (size_t i = 0; i < kColumns.size(); ++i) out += (i ? "," : "") + kColumns[i];
  out += "\n";
  for (const auto& row : Rows(run)) {
    for (size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + CsvField(row[i]);
    out += "\n";
  }
  return out;
}

std::string Markdown(const RunResults& run) {
  const auto& env = run.environment;
  std::string out = fmt::format(
      "ctvbench results, {} ({} CPUs, kernel {}, cgroup {}, /dev/kvm {}), revision {}\n\n",
      run.started_at, env.cpu_count, env.kernel_release, env.cgroup_mode,
      env.kvm.device_present ? env.kvm.module : "absent", env.ctvbench_revision);
  out += "| suite | driver | kind | accelerator | metric | n | median | p95 | min | max | CV |\n";
  out += "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& s : run.suites)
    for (const auto& d : s.results) {
      std::string driver = MarkdownCell(SeriesLabel(d));
      if (d.skipped || d.metrics.empty()) {
        out += fmt::format("| {} | {} | {} | {} | skipped: {} | | | | | | |\n", s.name, driver,
                           d.kind, d.accelerator, MarkdownCell(d.skipped.value_or("no metric")));
        continue;
      }
      for (const auto& m : d.metrics) {
        const Summary& st = m.stats;
        out += fmt::format("| {} | {} | {} | {} | {} [{}] | {} | {} | {} | {} | {} | {:.1f}% |\n",
                           s.name, driver, d.kind, d.accelerator, m.name, m.unit, st.n,
                           Num(st.median), Num(st.p95), Num(st.min), Num(st.max), st.cv * 100);
      }
    }
  if (!run.suites.empty() && run.suites[0].interrupted)
    out += "\nThe run was interrupted: figures hold the samples gathered until then.\n";
  return out;
}

std::string GithubBenchmark(const RunResults& run, bool lower_is_better) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& s : run.suites)
    for (const auto& d : s.results) {
      if (d.skipped) continue;
      for (const auto& m : d.metrics) {
        if (m.lower_is_better != lower_is_better || m.stats.n == 0) continue;
        entries.push_back(
            {{"name", SeriesName(s.name, d, m)},
             {"unit", m.unit},
             {"value", m.stats.median},
             {"range", fmt::format("± {}", Num(m.stats.stddev))},
             {"extra", fmt::format("median of n={}, CV {:.1f}%, accelerator {}, {}: {}",
                                   m.stats.n, m.stats.cv * 100, d.accelerator, d.kind,
                                   m.interval)}});
      }
    }
  return entries.dump(2) + "\n";
}

}  // namespace

Result<std::string> ExportResults(const RunResults& run, const std::string& format) {
  if (format == "csv") return Csv(run);
  if (format == "markdown") return Markdown(run);
  if (format == "github-smaller") return GithubBenchmark(run, /*lower_is_better=*/true);
  if (format == "github-bigger") return GithubBenchmark(run, /*lower_is_better=*/false);
  return MakeError("export results as", format,
                   "unknown format (formats: csv, markdown, github-smaller, github-bigger)");
}

}  // namespace ctv::reports
