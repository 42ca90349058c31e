// The cgroup suite's view: requested against obtained. Two charts: the CPU quota (cores
// requested on x, cores obtained per driver on y, the "as requested" line for reference) and
// every case as obtained / requested (1 = exactly as requested); a table of each case's
// requested value, the obtained median and its error per driver; and the lecture notes' claim
// that `docker run -m 256m --cpus 0.5` is enforced, judged on the container drivers.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "reports/format.h"
#include "reports/suite_view.h"

namespace ctv::reports {
namespace {

using results::DriverResult;
using results::Metric;
using results::RunResults;
using results::SuiteResult;

constexpr const char* kSuite = "cgroup";
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const Metric* Get(const DriverResult& d, const std::string& name) {
  const Metric* m = d.skipped ? nullptr : FindMetric(d, name);
  return m && m->stats.n > 0 ? m : nullptr;
}

double Requested(const DriverResult& d, const std::string& key, double fallback) {
  const auto& r = d.details.contains("requested") ? d.details["requested"] : nlohmann::json();
  return r.is_object() && r.contains(key) && r[key].is_number() ? r[key].get<double>() : fallback;
}

// The quota cases present ("cpu_quota_0.25" -> 0.25), in increasing order.
std::vector<std::pair<std::string, double>> Quotas(const SuiteResult& s) {
  std::vector<std::pair<std::string, double>> q;
  for (const auto& d : s.results)
    for (const auto& m : d.metrics) {
      const std::string pre = "cgroup.cpu_quota_", post = ".obtained_cores";
      if (m.name.rfind(pre, 0) != 0 || m.name.size() <= pre.size() + post.size() ||
          m.name.compare(m.name.size() - post.size(), post.size(), post) != 0)
        continue;
      std::string id = m.name.substr(7, m.name.size() - 7 - post.size());  // cpu_quota_X
      double v = std::atof(id.c_str() + 10);
      if (v > 0 && std::none_of(q.begin(), q.end(), [&](const auto& p) { return p.first == id; }))
        q.push_back({id, v});
    }
  std::sort(q.begin(), q.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  return q;
}

// One case of the requested-vs-obtained chart and table: how to read it from a result.
struct CaseRead {
  std::string label;                                           // "cpu 0.5 cores"
  std::string requested;                                       // "0.5 cores"
  double obtained = kNaN, ratio = kNaN, lo = kNaN, hi = kNaN;  // ratio = obtained / requested
};

std::vector<CaseRead> Cases(const SuiteResult& s, const DriverResult& d) {
  std::vector<CaseRead> out;
  auto add = [&](std::string label, std::string req_text, const Metric* m, double req,
                 double offset = 0) {
    CaseRead c{std::move(label), std::move(req_text)};
    if (m && req > 0) {
      c.obtained = m->stats.median + offset;
      c.ratio = c.obtained / req;
      c.lo = (m->stats.min + offset) / req;
      c.hi = (m->stats.max + offset) / req;
    }
    out.push_back(c);
  };
  double limit = Requested(d, "memory_limit_mib", 64);
  add("memory peak", fmt::format("{} MiB limit", Num(limit)), Get(d, "cgroup.memory.peak_mib"),
      limit);
  // v2 only: throttled near the mark, never killed (the case's killed count is in the table).
  double high = Requested(d, "memory_high_mib", 64);
  add("memory.high peak", fmt::format("{} MiB high", Num(high)),
      Get(d, "cgroup.memory_high.usage_peak_mib"), high);
  for (const auto& [id, q] : Quotas(s))
    add(fmt::format("cpu {:g} cores", q), fmt::format("{:g} cores", q),
        Get(d, "cgroup." + id + ".obtained_cores"), q);
  double shares = Requested(d, "cpu_shares_ratio", 2);
  add("cpu shares 1:2", fmt::format("ratio {}", Num(shares)),
      Get(d, "cgroup.cpu_shares_1_2.obtained_ratio"), shares);
  double pids = Requested(d, "pids_limit", 32);
  add("pids", fmt::format("{} pids", Num(pids)), Get(d, "cgroup.pids.forked"), pids,
      /*offset=*/1);  // the probe itself is one of the pids
  double io = Requested(d, "io_read_limit_mib_s", 4);
  add("io read", fmt::format("{} MiB/s", Num(io)), Get(d, "cgroup.io_read.obtained_mib_s"), io);
  return out;
}

std::vector<const DriverResult*> Measured(const SuiteResult& s) {
  std::vector<const DriverResult*> ds;
  for (const auto& d : s.results)
    if (!d.skipped && !d.metrics.empty()) ds.push_back(&d);
  return ds;
}

// A short name for claim text: the driver and a VM's accelerator.
std::string Short(const DriverResult& d) {
  return IsVmDriver(d) ? d.driver + " (" + d.accelerator + ")" : d.driver;
}

std::string Version(const DriverResult& d) {
  return d.details.contains("cgroup_version") && d.details["cgroup_version"].is_string()
             ? d.details["cgroup_version"].get<std::string>()
             : "?";
}

class CgroupView : public SuiteView {
 public:
  std::string Suite() const override { return kSuite; }
  std::string Title() const override { return "cgroup limits: requested vs obtained"; }

  std::vector<ChartSpec> Charts(const RunResults& run) const override {
    const SuiteResult* s = FindSuite(run, kSuite);
    if (!s) return {};
    std::vector<const DriverResult*> ds = Measured(*s);
    if (ds.empty()) return {};
    std::vector<std::string> labels = ShortLabels(ds);
    std::vector<ChartSpec> charts;
    auto quotas = Quotas(*s);
    if (!quotas.empty()) {
      ChartSpec c;
      c.id = "cgroup-cpu-quota";
      c.kind = ChartKind::kTrend;
      c.unit = "cores";
      Series ideal{"requested", "#7f7f7f", {}, {}, {}, {}};
      for (const auto& [id, q] : quotas) {
        c.x_labels.push_back(fmt::format("{:g} cores\nrequested", q));
        ideal.values.push_back(q);
      }
      c.series.push_back(ideal);
      size_t n = 0;
      std::string interval, load;
      for (size_t i = 0; i < ds.size(); ++i) {
        if (ds[i]->details.contains("host_loadavg_at_end"))
          load += (load.empty() ? "" : ", ") + ds[i]->driver + " " +
                  ds[i]->details["host_loadavg_at_end"].get<std::string>();
        Series ser{labels[i], DriverColor(*ds[i]), {}, {}, {}, {}};
        bool any = false;
        for (const auto& [id, q] : quotas) {
          const Metric* m = Get(*ds[i], "cgroup." + id + ".obtained_cores");
          ser.values.push_back(m ? m->stats.median : kNaN);
          ser.low.push_back(m ? m->stats.min : kNaN);
          ser.high.push_back(m ? m->stats.max : kNaN);
          if (m) n = std::max(n, m->stats.n), any = true, interval = m->interval;
        }
        if (any) c.series.push_back(std::move(ser));
      }
      c.title =
          fmt::format("CPU quota: cores requested vs obtained, n<={} per point\naccelerator: {}", n,
                      AcceleratorSummary(ds));
      c.y_label = "cores obtained";
      c.x_label = "cpu quota requested";
      c.caption = fmt::format(
          "Obtained: {}. The grey line is the request; points are medians with min-max bars. "
          "Obtained can also fall short of the request when other load on the host leaves less "
          "(host load average at the end: {}).",
          interval, load.empty() ? "not recorded" : load);
      charts.push_back(std::move(c));
    }
    ChartSpec all;
    all.id = "cgroup-requested-vs-obtained";
    all.kind = ChartKind::kTrend;
    all.unit = "x";
    std::vector<CaseRead> first = Cases(*s, *ds[0]);
    Series ideal{"as requested", "#7f7f7f", {}, {}, {}, {}};
    for (const auto& c : first) {
      all.x_labels.push_back(c.label);
      ideal.values.push_back(1);
    }
    all.series.push_back(ideal);
    for (size_t i = 0; i < ds.size(); ++i) {
      Series ser{labels[i], DriverColor(*ds[i]), {}, {}, {}, {}};
      for (const auto& c : Cases(*s, *ds[i])) {
        ser.values.push_back(c.ratio);
        ser.low.push_back(c.lo);
        ser.high.push_back(c.hi);
      }
      all.series.push_back(std::move(ser));
    }
    all.title = fmt::format(
        "every cgroup case: obtained / requested (1 = as requested)\n"
        "accelerator: {}",
        AcceleratorSummary(ds));
    all.y_label = "obtained / requested";
    all.caption =
        "memory: peak usage / limit (the probe touched twice the limit); memory.high (cgroup v2 "
        "only): peak usage / the high mark while the probe tried to touch twice it for 3 s; "
        "cpu: cores obtained / "
        "quota; shares: obtained CPU ratio / 2; pids: (children forked + the probe) / limit; io: "
        "O_DIRECT read MiB/s / read limit. A "
        "missing point: the case was skipped for that driver (see the table).";
    charts.push_back(std::move(all));
    return charts;
  }

  std::vector<Table> Tables(const RunResults& run) const override {
    const SuiteResult* s = FindSuite(run, kSuite);
    if (!s) return {};
    std::vector<const DriverResult*> ds = Measured(*s);
    Table t;
    t.caption =
        "Requested vs obtained (median over the repetitions) and the error (obtained - requested) "
        "/ requested. OOM: memory case's kills / runs and time to kill (a VM: the guest kernel's "
        "OOM killer, the probe touching twice the guest's RAM). The cgroup version is the "
        "hierarchy the accounting was read from (v2 enforcement is covered in a guest by "
        "RuntimeCgroupV2InGuest).";
    t.header = {"driver", "cgroup", "OOM killed"};
    if (!ds.empty())
      for (const auto& c : Cases(*s, *ds[0]))
        t.header.push_back(c.label + " (" + c.requested + ")");
    t.header.push_back("cpuset");
    t.header.push_back("skipped cases");
    for (const DriverResult* d : ds) {
      std::vector<Cell> row = {SeriesLabel(*d), Version(*d)};
      const Metric* oom = Get(*d, "cgroup.memory.oom_killed");
      const Metric* guest = Get(*d, "cgroup.memory.guest_oom_killed");
      if (!oom) oom = guest;
      const Metric* ttk = Get(*d, "cgroup.memory.time_to_kill_ms");
      if (oom) {
        double kills = 0;
        for (double v : oom->samples) kills += v;
        row.push_back(Cell(fmt::format("{}/{}{}{}", kills, oom->samples.size(),
                                       ttk ? fmt::format(", {} ms", Num(ttk->stats.median)) : "",
                                       oom == guest ? " (in the guest)" : ""),
                           kills < oom->samples.size() ? "warn" : ""));
      } else {
        row.push_back(Cell("-", "muted"));
      }
      for (const auto& c : Cases(*s, *d)) {
        if (std::isnan(c.ratio)) {
          row.push_back(Cell("-", "muted"));
          continue;
        }
        double err = c.ratio - 1;
        row.push_back(Cell(fmt::format("{} ({})", Num(c.obtained), Percent(err)),
                           std::fabs(err) > 0.2 ? "warn" : ""));
      }
      const Metric* cs = Get(*d, "cgroup.cpuset.affinity_match");
      row.push_back(
          cs ? Cell(cs->stats.min >= 1 ? "matches" : "DIFFERS", cs->stats.min >= 1 ? "" : "warn")
             : Cell("-", "muted"));
      std::string skipped;
      if (d->details.contains("skipped_cases"))
        for (const auto& item : d->details["skipped_cases"].items())
          skipped += (skipped.empty() ? "" : "; ") + item.key() + ": " +
                     (item.value().is_string() ? item.value().get<std::string>() : "");
      row.push_back(Cell(skipped, "muted"));
      t.rows.push_back(std::move(row));
    }
    return {t, StatsTable(*s)};
  }

  // Enforced = the workload cannot take more than the limit: the 0.5-core quota caps it (at
  // most +10%) and touching twice the memory limit ends in an OOM kill. Obtaining less than the
  // quota without being throttled is other load on the host, not the cgroup: said, not judged.
  std::vector<ClaimCheck> Claims(const RunResults& run) const override {
    const SuiteResult* s = FindSuite(run, kSuite);
    if (!s) return {};
    ClaimCheck c{"cgroup.limits_enforced", ClaimVerdict::kHolds, "", ""};
    int judged = 0, met = 0, capped = 0, oom_all = 0, mem_capped = 0;
    std::string others, short_by_load;
    for (const auto& d : s->results) {
      const Metric* half = Get(d, "cgroup.cpu_quota_0.5.obtained_cores");
      const Metric* thr = Get(d, "cgroup.cpu_quota_0.5.nr_throttled");
      const Metric* oom = Get(d, "cgroup.memory.oom_killed");
      const Metric* peak = Get(d, "cgroup.memory.peak_mib");
      const Metric* guest = Get(d, "cgroup.memory.guest_oom_killed");
      if (!half && !oom && !guest) continue;
      double limit = Requested(d, "memory_limit_mib", 64);
      std::string fig = Short(d) + ":";
      if (half)
        fig += fmt::format(" cpu 0.5 -> {} cores ({}, n={}{})", Num(half->stats.median),
                           Percent(half->stats.median / 0.5 - 1), half->stats.n,
                           thr ? fmt::format(", {:.0f} periods throttled", thr->stats.median) : "");
      if (oom) {
        double kills = 0;
        for (double v : oom->samples) kills += v;
        fig += fmt::format(", memory {} MiB limit: OOM-killed {}/{}", Num(limit), kills,
                           oom->samples.size());
        if (peak) fig += fmt::format(", peak {} MiB", Num(peak->stats.median));
      }
      if (guest) {
        double kills = 0;
        for (double v : guest->samples) kills += v;
        fig += fmt::format(", touching 2x its guest RAM: OOM-killed in the guest {}/{}", kills,
                           guest->samples.size());
      }
      if (!IsContainerDriver(d)) {
        others += "; " + fig;
        continue;
      }
      ++judged;
      c.measured += (c.measured.empty() ? "" : "; ") + fig;
      double err = half ? half->stats.median / 0.5 - 1 : 0;
      if (half && std::fabs(err) <= 0.1) ++met;
      if (half && err <= 0.1) ++capped;
      if (half && err < -0.1 && thr && thr->stats.median == 0)
        short_by_load += (short_by_load.empty() ? "" : ", ") + Short(d);
      if (oom && oom->stats.min >= 1) ++oom_all;
      if (oom && oom->stats.min >= 1 && (!peak || peak->stats.max <= limit * 1.02)) ++mem_capped;
    }
    if (!judged) return {};
    c.measured += others;
    if (capped < judged || oom_all < judged) {
      c.verdict = ClaimVerdict::kDoesNotHold;
      c.explanation = fmt::format(
          "Not every container driver enforced both limits here: {} of {} kept a 0.5-core quota "
          "to at most +10%, {} of {} had the workload that touched twice the memory limit "
          "OOM-killed.",
          capped, judged, oom_all, judged);
    } else if (met == judged && mem_capped == judged) {
      c.explanation = fmt::format(
          "Every container driver ({}) held a 0.5-core quota within 10% and had its workload "
          "OOM-killed at the memory limit, peak usage at the limit.",
          judged);
    } else {
      c.verdict = ClaimVerdict::kNuanced;
      c.explanation =
          "Enforced as caps: no container got more than its quota or kept more memory than its "
          "limit, and the over-limit workload was OOM-killed (a kill, not a cap the program "
          "sees).";
      if (!short_by_load.empty())
        c.explanation += " " + short_by_load +
                         " obtained less than 0.5 cores without being throttled: other load on "
                         "this host left no more, the quota was not what limited it.";
    }
    if (!others.empty())
      c.explanation += " Sandbox and VM figures are listed for contrast, not judged.";
    return {c};
  }
};

}  // namespace

std::unique_ptr<SuiteView> MakeCgroupView() { return std::make_unique<CgroupView>(); }

}  // namespace ctv::reports
