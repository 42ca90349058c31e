#include "reports/history.h"

#include <dirent.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "reports/format.h"
#include "reports/html_writer.h"
#include "reports/suite_view.h"

namespace ctv::reports {

using results::DriverResult;
using results::Metric;

Result<std::vector<NamedRun>> LoadResultsDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return ErrnoError("open results directory", dir);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 5 && n.substr(n.size() - 5) == ".json") names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  if (names.empty()) return MakeError("read results directory", dir, "no *.json results files");
  std::vector<NamedRun> runs;
  for (const auto& n : names) {
    std::string path = dir + "/" + n;
    runs.push_back({path, CTV_TRY(results::LoadResults(path))});
  }
  return runs;
}

namespace {

std::string BaseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Slug(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? std::tolower(c) : '-';
  return out;
}

struct Point {
  size_t run;
  const DriverResult* d;
  const Metric* m;
};

}  // namespace

HistoryModel BuildHistory(std::vector<NamedRun> runs, const CompareOptions& options) {
  std::stable_sort(runs.begin(), runs.end(), [](const NamedRun& a, const NamedRun& b) {
    if (a.run.started_at != b.run.started_at) return a.run.started_at < b.run.started_at;
    if (a.run.environment.ctvbench_revision != b.run.environment.ctvbench_revision)
      return a.run.environment.ctvbench_revision < b.run.environment.ctvbench_revision;
    return a.name < b.name;
  });
  HistoryModel model;
  model.runs = std::move(runs);
  const auto& rs = model.runs;

  std::vector<std::string> x_labels;
  for (const auto& r : rs) {
    std::string rev = r.run.environment.ctvbench_revision.substr(0, 12);
    std::string when = r.run.started_at.substr(0, 16);
    std::replace(when.begin(), when.end(), 'T', ' ');
    x_labels.push_back(fmt::format("{}\n{}", when, rev));
  }

  // chart key (suite, metric) -> series key -> points in run order
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::vector<Point>>> groups;
  std::vector<std::pair<std::string, std::string>> order;
  for (size_t i = 0; i < rs.size(); ++i)
    for (const auto& s : rs[i].run.suites)
      for (const auto& d : s.results) {
        if (d.skipped) continue;
        for (const auto& m : d.metrics) {
          auto key = std::make_pair(s.name, m.name);
          if (!groups.count(key)) order.push_back(key);
          std::string series = SeriesLabel(d);
          groups[key][series].push_back({i, &d, &m});
        }
      }

  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& key : order) {
    const auto& series_map = groups[key];
    ChartSpec c;
    c.id = "history-" + Slug(key.first + "-" + key.second);
    c.kind = ChartKind::kTrend;
    c.x_labels = x_labels;
    c.x_label = "run (started_at UTC, ctvbench revision)";
    std::string unit;
    std::vector<double> all;
    std::set<size_t> ns;
    std::vector<const DriverResult*> ds;
    std::set<std::string> used_colors;
    size_t next_palette = 0;
    for (const auto& [label, points] : series_map) {
      Series s;
      s.label = label;
      // The driver's colour for its first series; its other series (other parameters) one of
      // their own each: two lines of one colour cannot be told apart.
      s.color = DriverColor(*points.front().d);
      for (int tries = 0; used_colors.count(s.color) && tries < 10; ++tries)
        s.color = PaletteColor(next_palette++);
      used_colors.insert(s.color);
      s.values.assign(rs.size(), nan);
      s.low.assign(rs.size(), nan);
      s.high.assign(rs.size(), nan);
      s.marked.assign(rs.size(), false);
      for (size_t k = 0; k < points.size(); ++k) {
        const Point& p = points[k];
        unit = p.m->unit;
        s.values[p.run] = p.m->stats.median;
        s.low[p.run] = p.m->stats.min;
        s.high[p.run] = p.m->stats.max;
        all.push_back(p.m->stats.median);
        ns.insert(p.m->stats.n);
        ds.push_back(p.d);
        if (k == 0) continue;
        const Point& prev = points[k - 1];
        Judgement j = Judge(prev.m->samples, p.m->samples, p.m->lower_is_better, options);
        if (j.verdict == Verdict::kRegressed) {
          s.marked[p.run] = true;
          model.regressions.push_back({fmt::format("{}/{} {}", key.first, label, key.second),
                                       rs[prev.run].name, rs[p.run].name, j.reason});
        }
      }
      c.series.push_back(std::move(s));
    }
    c.log_y = SpansDecades(all, 1.0);
    c.unit = unit;
    std::string n = ns.size() == 1 ? fmt::format("n={} per point", *ns.begin())
                                   : fmt::format("n={}..{} per point", *ns.begin(), *ns.rbegin());
    c.title = fmt::format("History of {} / {} ({}): median, min-max whiskers, {}\naccelerator: {}",
                          key.first, key.second, unit, n, AcceleratorSummary(ds));
    c.y_label = fmt::format("{} ({}{})", key.second, unit, c.log_y ? ", log scale" : "");
    c.caption = fmt::format(
        "Red rings: regression against the previous point of the same series (|median change| "
        ">= {} and Mann-Whitney p < {}).",
        Percent(options.threshold).substr(1), Num(options.alpha));
    model.charts.push_back(std::move(c));
  }
  return model;
}

Result<HistoryOutput> WriteHistory(std::vector<NamedRun> runs, const std::string& dir,
                                   const std::string& out_dir, const CompareOptions& options) {
  HistoryModel model = BuildHistory(std::move(runs), options);
  CTV_CHECK(fs::MakeDirs(out_dir));
  HistoryOutput out;
  Page page;
  page.title = "ctvbench history";
  page.subtitle = fmt::format("{} results files from {}", model.runs.size(), dir);

  Section runs_sec{"runs", "Runs", {}};
  Table t;
  t.caption = "Results files in time order (the x axis of every chart).";
  t.header = {"#", "file", "started at", "revision", "host", "kernel"};
  std::set<std::string> hosts;
  for (size_t i = 0; i < model.runs.size(); ++i) {
    const auto& r = model.runs[i].run;
    hosts.insert(r.environment.hostname + " / " + r.environment.cpu_model);
    t.rows.push_back({std::to_string(i), BaseName(model.runs[i].name), r.started_at,
                      r.environment.ctvbench_revision, r.environment.hostname,
                      r.environment.kernel_release});
  }
  if (hosts.size() > 1)
    runs_sec.blocks.push_back(Paragraph{fmt::format("These runs come from {} different hosts: a "
                                                    "step in a trend may be the host's, not the "
                                                    "code's.",
                                                    hosts.size()),
                                        "warn"});
  runs_sec.blocks.push_back(std::move(t));
  page.sections.push_back(std::move(runs_sec));

  Section reg{"regressions", "Regressions", {}};
  if (model.regressions.empty()) {
    reg.blocks.push_back(Paragraph{"No point regressed against its predecessor.", ""});
  } else {
    Table rt;
    rt.header = {"series", "from", "to", "why"};
    for (const auto& r : model.regressions)
      rt.rows.push_back(
          {r.metric, BaseName(r.from_file), Cell(BaseName(r.to_file), "bad"), r.reason});
    reg.blocks.push_back(std::move(rt));
  }
  page.sections.push_back(std::move(reg));

  Section charts{"trends", "Trends", {}};
  for (const auto& spec : model.charts) {
    std::string png = CTV_TRY(RenderChart(spec, out_dir));
    out.pngs.push_back(png);
    charts.blocks.push_back(Figure{png, spec.title, spec.caption});
  }
  page.sections.push_back(std::move(charts));
  out.index_html = out_dir + "/index.html";
  CTV_CHECK(WriteFileAtomic(out.index_html, CTV_TRY(RenderHtml(page))));
  out.regressions = model.regressions.size();
  return out;
}

}  // namespace ctv::reports
