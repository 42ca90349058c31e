// The micro suite's view: each launch-path primitive's time per iteration. Two box charts of the
// primitives measured in microseconds (the clone per namespace flag; the other primitives; raw
// per-repetition samples, log scale when they span decades), and a table per row with the median, spread, n and what each namespace flag, the
// seccomp load and the cgroup join cost above the bare clone (BM_Clone/none: the same clone +
// _exit + wait they all include). Skipped benchmarks are listed with the binary's reason.
#include <fmt/format.h>

#include <cmath>

#include "reports/format.h"
#include "reports/suite_view.h"

namespace ctv::reports {
namespace {

using results::DriverResult;
using results::Metric;
using results::RunResults;
using results::SuiteResult;

constexpr const char* kSuite = "micro";
constexpr const char* kCloneBaseline = "micro.BM_Clone/none";

// Benchmarks whose iteration is a clone + _exit + wait plus something: their cost above it.
bool IncludesClone(const std::string& name) {
  return name.rfind("micro.BM_Clone/", 0) == 0 || name == "micro.BM_SeccompLoadCached" ||
         name.rfind("micro.BM_CgroupCreateJoinRemove/", 0) == 0;
}

double ToUs(double v, const std::string& unit) {
  if (unit == "ns") return v / 1e3;
  if (unit == "ms") return v * 1e3;
  if (unit == "s") return v * 1e6;
  return v;
}

std::vector<const DriverResult*> Measured(const SuiteResult& s) {
  std::vector<const DriverResult*> out;
  for (const auto& d : s.results)
    if (!d.skipped && !d.metrics.empty()) out.push_back(&d);
  return out;
}

std::string Short(const std::string& metric) { return metric.substr(std::string("micro.").size()); }

// "micro.BM_Clone/newnet" -> "newnet", "micro.BM_NftTransaction/port_change" -> "nft\nport_change".
std::string TickLabel(const std::string& metric) {
  static const std::vector<std::pair<std::string, std::string>> kShort = {
      {"BM_Clone/", ""},
      {"BM_OverlayMountUmount", "overlay\nmount+umount"},
      {"BM_CgroupCreateJoinRemove/", "cgroup\n"},
      {"BM_SeccompLoadCached", "seccomp\nload"},
      {"BM_VethCreateDelete", "veth\ncreate+delete"},
      {"BM_NftTransaction/", "nft\n"},
      {"BM_NftFreshProcess/iterations:5/manual_time", "nft first in\nfresh process"},
  };
  std::string name = Short(metric);
  for (const auto& [prefix, replacement] : kShort)
    if (name.rfind(prefix, 0) == 0) return replacement + name.substr(prefix.size());
  return name;
}

class MicroView : public SuiteView {
 public:
  std::string Suite() const override { return kSuite; }
  std::string Title() const override { return "Launch-path primitives (micro-benchmarks)"; }

  // Two charts per row, so the tick labels stay legible: the clone per namespace flag, and the
  // other primitives.
  std::vector<ChartSpec> Charts(const RunResults& run) const override {
    const SuiteResult* s = FindSuite(run, kSuite);
    if (!s) return {};
    std::vector<ChartSpec> charts;
    int row = 0;
    for (const DriverResult* d : Measured(*s)) {
      for (bool clones : {true, false}) {
        ChartSpec c;
        c.id = clones ? "micro-clone" : "micro-primitives";
        if (row > 0) c.id += fmt::format("-{}", row);
        c.kind = ChartKind::kBox;
        c.unit = "us";
        c.y_label = "time per iteration (us)";
        size_t n = 0;
        std::vector<double> all;
        for (const Metric& m : d->metrics) {
          // The launch path's primitives: the harness's own ns-scale benchmarks would flatten them.
          if (m.unit != "us" && m.unit != "ms") continue;
          const bool clone = m.name.rfind("micro.BM_Clone/", 0) == 0;
          if (clone != clones) continue;
          Series ser{TickLabel(m.name), "", {}, {}, {}, {}};
          for (double v : m.samples) ser.values.push_back(ToUs(v, m.unit));
          all.insert(all.end(), ser.values.begin(), ser.values.end());
          n = std::max(n, m.stats.n);
          c.series.push_back(std::move(ser));
        }
        if (c.series.empty()) continue;
        c.log_y = SpansDecades(all);
        c.title = fmt::format(
            "{}: wall-clock time per iteration (us), n<={} repetitions each\n{}, accelerator: {}",
            clones ? "clone(2) + _exit + wait, one namespace flag each" : "launch-path primitives",
            n, SeriesLabel(*d), d->accelerator.empty() ? "none" : d->accelerator);
        c.caption =
            clones ? "Each box: one sample per repetition (the repetition's mean time per "
                     "iteration, Google Benchmark real time). A fork-like clone with that one "
                     "namespace flag, the child exiting at once; 'none' is the bare clone."
                   : "Each box: one sample per repetition. seccomp and cgroup include a clone "
                     "(the table gives their cost above the bare clone); veth is create + delete, "
                     "nft one nfnetlink batch (port_change) or a table deleted and "
                     "re-created (table_add_delete); nft first in fresh process: the first "
                     "port change of an exec'd process, timed inside it.";
        charts.push_back(std::move(c));
      }
      ++row;
    }
    return charts;
  }

  std::vector<Table> Tables(const RunResults& run) const override {
    const SuiteResult* s = FindSuite(run, kSuite);
    if (!s) return {};
    std::vector<Table> tables;
    for (const DriverResult* d : Measured(*s)) {
      const Metric* base = FindMetric(*d, kCloneBaseline);
      Table t;
      t.caption = fmt::format(
          "{}: time per iteration (median over the repetitions, min-max, CV); 'above clone' = "
          "median - the median of BM_Clone/none, for benchmarks whose iteration includes that "
          "clone. min_time per repetition: {} s.",
          SeriesLabel(*d),
          d->details.contains("min_time_s") ? d->details["min_time_s"].dump() : "?");
      t.header = {"benchmark", "median", "min-max", "n", "CV", "above clone (us)", "warnings"};
      for (const Metric& m : d->metrics) {
        std::string above = "-";
        if (base && IncludesClone(m.name) && m.name != kCloneBaseline)
          above = Num(ToUs(m.stats.median, m.unit) - ToUs(base->stats.median, base->unit));
        std::string warn;
        for (const auto& w : m.warnings) warn += (warn.empty() ? "" : "; ") + w;
        t.rows.push_back({Short(m.name), Num(m.stats.median) + " " + m.unit,
                          Num(m.stats.min) + "-" + Num(m.stats.max) + " " + m.unit,
                          std::to_string(m.stats.n), Num(m.stats.cv * 100) + "%", above,
                          Cell(warn, warn.empty() ? "" : "warn")});
      }
      tables.push_back(std::move(t));
      if (d->details.contains("skipped") && d->details["skipped"].is_object()) {
        Table sk;
        sk.caption = "Benchmarks the binary skipped here, with its reason";
        sk.header = {"benchmark", "why"};
        for (const auto& [name, why] : d->details["skipped"].items())
          sk.rows.push_back({name, why.is_string() ? why.get<std::string>() : why.dump()});
        tables.push_back(std::move(sk));
      }
    }
    Table not_measured;
    not_measured.caption = "Rows not measured";
    not_measured.header = {"driver", "why"};
    for (const auto& d : s->results)
      if (d.skipped) not_measured.rows.push_back({d.driver, *d.skipped});
    if (!not_measured.rows.empty()) tables.push_back(std::move(not_measured));
    return tables;
  }
};

}  // namespace

std::unique_ptr<SuiteView> MakeMicroView() { return std::make_unique<MicroView>(); }

}  // namespace ctv::reports
