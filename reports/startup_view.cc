// The startup suite's view: distribution of startup.total per driver, phases as stacked bars,
// overhead over the host-process baseline, and the startup-related claims.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "reports/compare.h"
#include "reports/format.h"
#include "reports/suite_view.h"

namespace ctv::reports {
namespace {

using results::DriverResult;
using results::Metric;
using results::RunResults;
using results::SuiteResult;

constexpr const char* kSuite = "startup";
constexpr const char* kTotal = "startup.total";
constexpr const char* kPhasePrefix = "startup.phase.";

struct Ran {
  const DriverResult* d;
  const Metric* total;
  std::string label;  // short: driver, accelerator, the parameters that differ (ShortLabels)
};

// ShortLabels names only the parameters that differ between rows of one driver; the distro guest
// (guest=distro, issue 18) is a boot mode of its own, so its bars and rows say so even when every
// row of its driver is one.
std::vector<std::string> BootModeLabels(const std::vector<const DriverResult*>& ds,
                                        const std::string& sep = " ") {
  std::vector<std::string> labels = ShortLabels(ds, sep);
  for (size_t i = 0; i < ds.size(); ++i) {
    auto it = ds[i]->parameters.find("guest");
    if (it != ds[i]->parameters.end() && it->second == "distro" &&
        labels[i].find("guest=distro") == std::string::npos)
      labels[i] += sep + "guest=distro";
  }
  return labels;
}

std::vector<Ran> RanResults(const RunResults& run) {
  std::vector<Ran> out;
  const SuiteResult* s = FindSuite(run, kSuite);
  if (!s) return out;
  for (const auto& d : s->results) {
    if (d.skipped) continue;
    const Metric* m = FindMetric(d, kTotal);
    if (m && m->stats.n > 0) out.push_back({&d, m, ""});
  }
  // Claims and tables name a result the way its chart does; the full parameters are in the
  // statistics table.
  std::vector<const DriverResult*> ds;
  for (const Ran& r : out) ds.push_back(r.d);
  std::vector<std::string> labels = BootModeLabels(ds);
  for (size_t i = 0; i < out.size(); ++i) out[i].label = labels[i];
  return out;
}

std::string NSummary(const std::vector<size_t>& ns) {
  if (ns.empty()) return "n=0";
  auto [lo, hi] = std::minmax_element(ns.begin(), ns.end());
  return *lo == *hi ? fmt::format("n={} per driver", *lo) : fmt::format("n={}..{}", *lo, *hi);
}

std::string Unit(const std::vector<Ran>& ran) { return ran.empty() ? "ms" : ran[0].total->unit; }

std::vector<const DriverResult*> Drivers(const std::vector<Ran>& ran) {
  std::vector<const DriverResult*> out;
  for (const auto& r : ran) out.push_back(r.d);
  return out;
}

std::string Skipped(const RunResults& run) {
  const SuiteResult* s = FindSuite(run, kSuite);
  std::string out;
  if (!s) return out;
  for (const auto& d : s->results)
    if (d.skipped) out += (out.empty() ? "" : "; ") + SeriesLabel(d) + ": " + *d.skipped;
  return out.empty() ? "" : " Not run here: " + out + ".";
}

ChartSpec TotalChart(const RunResults& run, const std::vector<Ran>& ran) {
  ChartSpec c;
  c.id = "startup-total";
  c.kind = ChartKind::kBox;
  std::vector<size_t> ns;
  std::vector<double> medians;
  std::vector<std::string> labels = BootModeLabels(Drivers(ran), "\n");
  for (size_t i = 0; i < ran.size(); ++i) {
    const Ran& r = ran[i];
    // TCG gets its own colour: emulated figures must not look like the hardware-assisted ones.
    std::string color = DriverColor(*r.d);
    c.series.push_back({labels[i], color, r.total->samples, {}, {}, {}});
    ns.push_back(r.total->stats.n);
    medians.push_back(r.total->stats.median);
  }
  std::string unit = Unit(ran);
  c.unit = unit;
  c.log_y = SpansDecades(medians, 1.0);
  c.title = fmt::format(
      "Startup time, launch call -> ready marker seen by host ({}), {}\n"
      "accelerator: {}",
      unit, NSummary(ns), AcceleratorSummary(Drivers(ran)));
  c.y_label = fmt::format("startup time ({}{})", unit, c.log_y ? ", log scale" : "");
  c.caption = fmt::format(
      "Box: quartiles, line: median, whiskers: 1.5 IQR; dots: every sample (jittered sideways); "
      "the median is printed "
      "next to each box. Interval: {}.{}{}",
      ran.empty() ? "" : ran[0].total->interval,
      c.log_y ? " Logarithmic axis: the medians differ by more than an order of magnitude." : "",
      Skipped(run));
  return c;
}

// The phases that make up startup.total, in order: launch -> ... -> ready. Phases after "ready" (a
// VM's teardown: done, gone) measure another interval and are never stacked with them.
std::vector<std::string> StartupPhases(const DriverResult& d) {
  std::vector<std::string> phases;
  for (const auto& m : d.metrics) {
    if (m.name.rfind(kPhasePrefix, 0) != 0) continue;
    phases.push_back(m.name.substr(std::string(kPhasePrefix).size()));
    if (phases.back() == "ready") return phases;
  }
  return {};  // no ready phase: nothing to stack against the total
}

// Phase charts; split into host+containers and VMs when their totals differ by more than an
// order of magnitude (a VM's bar would flatten the container phases to invisible slivers).
std::vector<ChartSpec> PhaseCharts(const std::vector<Ran>& ran) {
  std::vector<const Ran*> with_phases;
  for (const auto& r : ran)
    if (!StartupPhases(*r.d).empty()) with_phases.push_back(&r);
  if (with_phases.empty()) return {};
  std::vector<double> medians;
  for (const Ran* r : with_phases) medians.push_back(r->total->stats.median);
  std::vector<std::pair<std::string, std::vector<const Ran*>>> groups;
  if (SpansDecades(medians, 1.0)) {
    std::vector<const Ran*> procs, vms;
    for (const Ran* r : with_phases) (IsVmDriver(*r->d) ? vms : procs).push_back(r);
    if (!procs.empty()) groups.push_back({"host process and containers", procs});
    if (!vms.empty()) groups.push_back({"virtual machines", vms});
  } else {
    groups.push_back({"", with_phases});
  }
  std::vector<ChartSpec> charts;
  for (const auto& [group, members] : groups) {
    ChartSpec c;
    c.id = groups.size() == 1
               ? "startup-phases"
               : (group == "virtual machines" ? "startup-phases-vm" : "startup-phases-containers");
    c.kind = ChartKind::kStackedBars;
    // Each driver's phases in its own order, merged: a phase one boot mode has and another
    // lacks (bios, bootloader of the firmware chain; firmware of a direct kernel boot) goes
    // right after its predecessor, so every bar stacks in boot order.
    for (const Ran* r : members) {
      auto at = c.stack_labels.begin();
      for (const std::string& phase : StartupPhases(*r->d)) {
        auto found = std::find(c.stack_labels.begin(), c.stack_labels.end(), phase);
        at = found != c.stack_labels.end() ? found + 1 : c.stack_labels.insert(at, phase) + 1;
      }
    }
    // "ready" is the last phase of every driver: keep it on top of the stack.
    auto ready = std::find(c.stack_labels.begin(), c.stack_labels.end(), "ready");
    if (ready != c.stack_labels.end()) {
      c.stack_labels.erase(ready);
      c.stack_labels.push_back("ready");
    }
    std::vector<size_t> ns;
    std::vector<const DriverResult*> ds;
    std::string unit = "ms";
    std::vector<const DriverResult*> member_results;
    for (const Ran* r : members) member_results.push_back(r->d);
    std::vector<std::string> labels = BootModeLabels(member_results, "\n");
    for (size_t i = 0; i < members.size(); ++i) {
      const Ran* r = members[i];
      Series s;
      s.label = labels[i];
      for (const auto& phase : c.stack_labels) {
        const Metric* m = FindMetric(*r->d, kPhasePrefix + phase);
        s.values.push_back(m ? m->stats.median : std::numeric_limits<double>::quiet_NaN());
        if (m) {
          ns.push_back(m->stats.n);
          unit = m->unit;
        }
      }
      c.series.push_back(std::move(s));
      ds.push_back(r->d);
    }
    c.title =
        fmt::format("Startup phases{}: median of each phase ({}), {}\naccelerator: {}",
                    group.empty() ? "" : " - " + group, unit, NSummary(ns), AcceleratorSummary(ds));
    c.y_label = fmt::format("time ({})", unit);
    c.unit = unit;
    c.caption =
        "Each segment is the median duration of one phase as seen by the host (the time between "
        "two consecutive marks), from the launch call to the ready marker; the number on top is "
        "the sum of the phase medians, which can differ slightly from the median of the total. "
        "Teardown (a VM's done and gone) is another interval and is not stacked here.";
    charts.push_back(std::move(c));
  }
  return charts;
}

const nlohmann::json* HostInfo(const DriverResult& d) {
  auto it = d.details.find("hostinfo");
  return it != d.details.end() && it->is_object() ? &*it : nullptr;
}

// The median of startup.total in milliseconds, whatever time unit the suite used.
double MedianMs(const Ran& r) {
  const std::string& u = r.total->unit;
  double f = u == "s" ? 1000 : u == "us" ? 1e-3 : u == "ns" ? 1e-6 : 1;
  return r.total->stats.median * f;
}

std::string MedianText(const Ran& r) {
  return fmt::format("{} {} {} (median, n={})", r.label, Num(r.total->stats.median),
                     r.total->unit, r.total->stats.n);
}

// Host-side PID of the workload when the driver recorded it.
std::optional<int64_t> HostPid(const DriverResult& d) {
  for (const char* key : {"host_pid", "workload_host_pid"}) {
    auto it = d.details.find(key);
    if (it != d.details.end() && it->is_number_integer()) return it->get<int64_t>();
  }
  auto it = d.details.find("host_pids");
  if (it != d.details.end() && it->is_array() && !it->empty() && (*it)[0].is_number_integer())
    return (*it)[0].get<int64_t>();
  return std::nullopt;
}

class StartupView : public SuiteView {
 public:
  std::string Suite() const override { return kSuite; }
  std::string Title() const override { return "Startup: launch call to workload ready"; }

  std::vector<ChartSpec> Charts(const RunResults& run) const override {
    std::vector<Ran> ran = RanResults(run);
    if (ran.empty()) return {};
    std::vector<ChartSpec> charts = {TotalChart(run, ran)};
    for (auto& c : PhaseCharts(ran)) charts.push_back(std::move(c));
    return charts;
  }

  std::vector<Table> Tables(const RunResults& run) const override {
    std::vector<Table> tables;
    std::vector<Ran> ran = RanResults(run);
    const Ran* host = nullptr;
    for (const auto& r : ran)
      if (IsHostBaseline(*r.d)) host = &r;
    if (!ran.empty()) {
      Table t;
      t.caption = host ? "Startup overhead over the host-process baseline (same probe, plain "
                         "process): ratio of medians."
                       : "Startup medians (no host-process baseline in these results: ratios "
                         "unavailable).";
      t.header = {"driver", "kind", "accelerator", "n", "median", "p95", "CV", "x host baseline"};
      for (const auto& r : ran) {
        const Summary& s = r.total->stats;
        std::string ratio = host && host->total->stats.median > 0
                                ? fmt::format("{:.1f}x", s.median / host->total->stats.median)
                                : "-";
        t.rows.push_back({SeriesLabel(*r.d), r.d->kind, r.d->accelerator, std::to_string(s.n),
                          Num(s.median) + " " + r.total->unit, Num(s.p95) + " " + r.total->unit,
                          fmt::format("{:.1f}%", s.cv * 100), ratio});
      }
      tables.push_back(std::move(t));
    }
    if (const SuiteResult* s = FindSuite(run, kSuite)) tables.push_back(StatsTable(*s));
    return tables;
  }

  std::vector<ClaimCheck> Claims(const RunResults& run) const override {
    std::vector<ClaimCheck> out;
    std::vector<Ran> ran = RanResults(run);
    std::vector<const Ran*> containers, vms;
    const Ran* host = nullptr;
    for (const auto& r : ran) {
      if (IsContainerDriver(*r.d)) containers.push_back(&r);
      if (IsVmDriver(*r.d)) vms.push_back(&r);
      if (IsHostBaseline(*r.d)) host = &r;
    }
    auto by_median = [](const Ran* a, const Ran* b) { return MedianMs(*a) < MedianMs(*b); };
    if (!containers.empty()) out.push_back(ContainerMs(containers, host));
    if (!vms.empty()) out.push_back(VmMinutes(vms, by_median));
    if (!containers.empty() && !vms.empty())
      out.push_back(
          ContainerFaster(*std::max_element(containers.begin(), containers.end(), by_median),
                          *std::min_element(vms.begin(), vms.end(), by_median)));
    // Older results carried hostinfo in their startup details; the isolation suite now measures
    // these claims (with the host's view too), so its results take precedence when present.
    if (!FindSuite(run, "isolation")) {
      if (auto c = HostPidClaim(containers, host)) out.push_back(*c);
      if (auto c = HostnameClaim(run, containers)) out.push_back(*c);
      if (auto c = KernelClaim(run, containers, vms)) out.push_back(*c);
    }
    if (auto c = HardwareAssist(run, vms)) out.push_back(*c);
    return out;
  }

 private:
  static ClaimCheck ContainerMs(const std::vector<const Ran*>& containers, const Ran* host) {
    ClaimCheck c{"startup.container_ms", ClaimVerdict::kHolds, "", ""};
    const Ran* slowest = containers[0];
    for (const Ran* r : containers) {
      c.measured += (c.measured.empty() ? "" : "; ") + MedianText(*r);
      if (MedianMs(*r) > MedianMs(*slowest)) slowest = r;
    }
    double ms = MedianMs(*slowest);
    std::string base = host ? fmt::format(
                                  " The host-process baseline is {} ms, so the container "
                                  "cost is namespace, mount and cgroup setup, not a boot.",
                                  Num(MedianMs(*host)))
                            : "";
    if (ms < 100) {
      c.explanation = fmt::format(
          "Every container runtime reached ready in under 100 ms (slowest "
          "median {} ms).{}",
          Num(ms), base);
    } else if (ms < 1000) {
      c.verdict = ClaimVerdict::kNuanced;
      c.explanation = fmt::format(
          "Milliseconds, but the slowest runtime ({}) needs {} ms, above the "
          "notes' ~50 ms.{}",
          slowest->d->driver, Num(ms), base);
    } else {
      c.verdict = ClaimVerdict::kDoesNotHold;
      c.explanation =
          fmt::format("{} needs {} ms, more than a second.{}", slowest->d->driver, Num(ms), base);
    }
    return c;
  }

  // A VM booted through the whole chain the notes describe: firmware, MBR, bootloader, kernel
  // (boot=firmware), and with a distribution's init (guest=distro) the most complete.
  static int ChainRank(const Ran& r) {
    auto p = [&](const char* k) {
      auto it = r.d->parameters.find(k);
      return it == r.d->parameters.end() ? std::string() : it->second;
    };
    if (p("boot") != "firmware") return 0;
    return p("guest") == "distro" ? 2 : 1;
  }

  // The phase with the largest median among those that make up startup.total, and its share.
  static std::string DominantPhase(const Ran& r) {
    std::string best;
    double best_ms = -1;
    for (const std::string& phase : StartupPhases(*r.d)) {
      const Metric* m = FindMetric(*r.d, kPhasePrefix + phase);
      if (m && m->stats.median > best_ms) best = phase, best_ms = m->stats.median;
    }
    if (best.empty() || r.total->stats.median <= 0) return "";
    return fmt::format("{} ({} {}, {:.0f}% of the median total)", best, Num(best_ms),
                       r.total->unit, 100 * best_ms / r.total->stats.median);
  }

  template <class Less>
  static ClaimCheck VmMinutes(const std::vector<const Ran*>& vms, Less less) {
    ClaimCheck c{"startup.vm_minutes", ClaimVerdict::kDoesNotHold, "", ""};
    bool tcg = false;
    for (const Ran* r : vms) {
      c.measured += (c.measured.empty() ? "" : "; ") + MedianText(*r);
      tcg = tcg || r->d->accelerator == "tcg";
    }
    const Ran* fastest = *std::min_element(vms.begin(), vms.end(), less);
    // The notes' claim is about the full chain: judged on it when it was measured (the most
    // complete one: distro over firmware), with the direct-boot shortcut for comparison.
    const Ran* chain = nullptr;
    for (const Ran* r : vms)
      if (ChainRank(*r) > 0 && (!chain || ChainRank(*r) > ChainRank(*chain) ||
                                (ChainRank(*r) == ChainRank(*chain) && less(chain, r))))
        chain = r;
    if (chain) {
      double cs = MedianMs(*chain) / 1000;
      bool chain_tcg = chain->d->accelerator == "tcg";
      std::string what = ChainRank(*chain) == 2
                             ? "The full chain with a distribution's init (firmware, MBR, "
                               "bootloader, kernel, systemd)"
                             : "The full firmware chain (SeaBIOS, MBR, SYSLINUX, kernel, init)";
      std::string dom = DominantPhase(*chain);
      // The short label, as in the measured column: the full parameter string is noise here.
      c.explanation = fmt::format("{} ({}) reached ready in {} s{}.", what, chain->label, Num(cs),
                                  dom.empty() ? "" : "; its longest phase is " + dom);
      if (fastest != chain)
        c.explanation += fmt::format(" The fastest VM here ({}) needs {} s: that is the part a "
                                     "direct kernel boot skips.",
                                     fastest->label, Num(MedianMs(*fastest) / 1000));
      if (cs >= 30) {
        c.verdict = chain_tcg ? ClaimVerdict::kNuanced : ClaimVerdict::kHolds;
        if (chain_tcg)
          c.explanation += " It takes that long under software emulation (TCG): with KVM the "
                           "same chain is faster.";
      } else {
        // Emulation only slows a boot down: under 30 s with TCG is under 30 s with KVM too.
        c.verdict = cs >= 10 ? ClaimVerdict::kNuanced : ClaimVerdict::kDoesNotHold;
        c.explanation += cs >= 10 ? " Seconds, the order of the notes' figure but under 30 s."
                                  : " Well under the notes' 30 s even with the whole chain.";
        if (chain_tcg) c.explanation += " Under TCG: with KVM shorter still.";
      }
      return c;
    }
    double s = MedianMs(*fastest) / 1000;
    std::string emu =
        tcg ? " Figures marked tcg are software emulation (no KVM): a hardware-assisted "
              "VM would boot faster still."
            : "";
    if (s >= 30) {
      c.verdict =
          tcg && fastest->d->accelerator == "tcg" ? ClaimVerdict::kNuanced : ClaimVerdict::kHolds;
      c.explanation = fmt::format("The fastest VM here needs {} s to reach ready.{}", Num(s), emu);
    } else {
      c.explanation = fmt::format(
          "The fastest VM ({}) reached ready in {} s, far below 30 s: a minimal VM with direct "
          "kernel boot (no BIOS/MBR/bootloader chain, no systemd) does not take minutes; the notes "
          "describe a full distribution boot.{} The full chain was not measured in this run: "
          "`--variants 'boot=pvh|machine=pc+boot=firmware'` adds it (scripts/demo does).",
          fastest->label, Num(s), emu);
    }
    return c;
  }

  static ClaimCheck ContainerFaster(const Ran* container, const Ran* vm) {
    ClaimCheck c{"startup.container_faster", ClaimVerdict::kHolds, "", ""};
    double ratio = MedianMs(*vm) / MedianMs(*container);
    MannWhitney t = MannWhitneyU(container->total->samples, vm->total->samples);
    c.measured = fmt::format("slowest container {} vs fastest VM {}: {:.0f}x (Mann-Whitney p = {})",
                             MedianText(*container), MedianText(*vm), ratio, Num(t.p_value));
    std::string emu = vm->d->accelerator == "tcg" ? " The VM ran under TCG emulation." : "";
    if (ratio > 1 && t.p_value < 0.05) {
      c.explanation = fmt::format(
          "Even the slowest container runtime starts {:.0f} times faster "
          "than the fastest VM configuration.{}",
          ratio, emu);
    } else if (ratio > 1) {
      c.verdict = ClaimVerdict::kNuanced;
      c.explanation =
          "The container median is lower but the samples overlap too much to be "
          "sure (p >= 0.05)." +
          emu;
    } else {
      c.verdict = ClaimVerdict::kDoesNotHold;
      c.explanation =
          "The fastest VM configuration started no slower than the slowest container "
          "runtime." +
          emu;
    }
    return c;
  }

  static std::optional<ClaimCheck> HostPidClaim(const std::vector<const Ran*>& containers,
                                                const Ran* host) {
    ClaimCheck c{"process.host_pid", ClaimVerdict::kHolds, "", ""};
    int seen = 0, pid1 = 0;
    for (const Ran* r : containers) {
      const nlohmann::json* hi = HostInfo(*r->d);
      if (!hi || !hi->contains("pid") || !hi->at("pid").is_number_integer()) continue;
      ++seen;
      int64_t pid = hi->at("pid").get<int64_t>();
      if (pid == 1) ++pid1;
      std::optional<int64_t> hp = HostPid(*r->d);
      c.measured +=
          fmt::format("{}{}: PID {} inside{}", c.measured.empty() ? "" : "; ", r->d->driver, pid,
                      hp ? fmt::format(", PID {} on the host", *hp) : "");
    }
    if (!seen) return std::nullopt;
    if (host)
      if (const nlohmann::json* hi = HostInfo(*host->d);
          hi && hi->contains("pid") && hi->at("pid").is_number_integer())
        c.measured += fmt::format("; host baseline: PID {}", hi->at("pid").get<int64_t>());
    if (pid1 == seen) {
      c.explanation =
          "The probe saw itself as PID 1 in every container runtime, while the host "
          "launched and timed it as an ordinary child process (a new PID namespace, "
          "not a machine).";
    } else {
      c.verdict = ClaimVerdict::kNuanced;
      c.explanation =
          "Some runtimes did not give the workload PID 1: it is a host process, but "
          "not every runtime here created a new PID namespace.";
    }
    return c;
  }

  static std::optional<ClaimCheck> HostnameClaim(const RunResults& run,
                                                 const std::vector<const Ran*>& containers) {
    ClaimCheck c{"namespace.hostname", ClaimVerdict::kHolds, "", ""};
    int seen = 0, own = 0;
    for (const Ran* r : containers) {
      const nlohmann::json* hi = HostInfo(*r->d);
      if (!hi || !hi->contains("hostname") || !hi->at("hostname").is_string()) continue;
      ++seen;
      std::string h = hi->at("hostname").get<std::string>();
      if (h != run.environment.hostname) ++own;
      c.measured += fmt::format("{}{}: \"{}\"", c.measured.empty() ? "" : "; ", r->d->driver, h);
    }
    if (!seen) return std::nullopt;
    c.measured += fmt::format(" (host: \"{}\")", run.environment.hostname);
    if (own == seen) {
      c.explanation =
          "Each container reported a hostname different from the host's: a UTS "
          "namespace, the same kernel.";
    } else {
      c.verdict = ClaimVerdict::kDoesNotHold;
      c.explanation = "At least one container saw the host's hostname: no UTS namespace there.";
    }
    return c;
  }

  static std::optional<ClaimCheck> KernelClaim(const RunResults& run,
                                               const std::vector<const Ran*>& containers,
                                               const std::vector<const Ran*>& vms) {
    ClaimCheck c{"kernel.shared", ClaimVerdict::kHolds, "", ""};
    const std::string& host_kernel = run.environment.kernel_release;
    int cs = 0, c_same = 0, vs = 0, v_other = 0;
    auto release = [](const Ran* r) -> std::optional<std::string> {
      const nlohmann::json* hi = HostInfo(*r->d);
      if (!hi || !hi->contains("kernel_release") || !hi->at("kernel_release").is_string())
        return std::nullopt;
      return hi->at("kernel_release").get<std::string>();
    };
    for (const Ran* r : containers)
      if (auto k = release(r)) {
        ++cs;
        c_same += *k == host_kernel;
        c.measured += fmt::format("{}{}: {}", c.measured.empty() ? "" : "; ", r->d->driver, *k);
      }
    for (const Ran* r : vms)
      if (auto k = release(r)) {
        ++vs;
        v_other += *k != host_kernel;
        c.measured += fmt::format("{}{}: {}", c.measured.empty() ? "" : "; ", r->d->driver, *k);
      }
    if (!cs && !vs) return std::nullopt;
    c.measured += " (host: " + host_kernel + ")";
    if (cs && c_same != cs) {
      c.verdict = ClaimVerdict::kDoesNotHold;
      c.explanation = "A container reported a kernel release different from the host's.";
    } else if (!cs) {
      c.verdict = ClaimVerdict::kNuanced;
      c.explanation = "Only the VM side was observed: the container side was not measured.";
    } else if (!vs) {
      c.verdict = ClaimVerdict::kNuanced;
      c.explanation =
          "Containers ran the host's kernel; no VM reported its kernel here, so the "
          "VM half of the claim is not measured.";
    } else if (v_other == vs) {
      c.explanation = "Containers reported the host's kernel release; each VM reported its own.";
    } else {
      c.verdict = ClaimVerdict::kNuanced;
      c.explanation =
          "Containers run the host kernel; a VM reported the same release string (the "
          "guest booted the same kernel build, but its own instance of it).";
    }
    return c;
  }

  static std::optional<ClaimCheck> HardwareAssist(const RunResults& run,
                                                  const std::vector<const Ran*>& vms) {
    ClaimCheck c{"virt.hardware_assisted", ClaimVerdict::kHolds, "", ""};
    bool paired = false;
    for (const Ran* k : vms) {
      if (k->d->accelerator != "kvm") continue;
      for (const Ran* t : vms) {
        if (t->d->accelerator != "tcg" || t->d->driver != k->d->driver ||
            t->d->parameters != k->d->parameters)
          continue;
        paired = true;
        double ratio = MedianMs(*t) / MedianMs(*k);
        MannWhitney mw = MannWhitneyU(k->total->samples, t->total->samples);
        c.measured += fmt::format("{}{}: kvm {} ms vs tcg {} ms, {:.1f}x (p = {})",
                                  c.measured.empty() ? "" : "; ", k->d->driver, Num(MedianMs(*k)),
                                  Num(MedianMs(*t)), ratio, Num(mw.p_value));
        if (!(ratio > 1 && mw.p_value < 0.05)) c.verdict = ClaimVerdict::kDoesNotHold;
      }
    }
    if (!paired) {
      const auto& kvm = run.environment.kvm;
      std::string here = "KVM here: " + (kvm.usable.empty() ? std::string("unknown") : kvm.usable) +
                         (kvm.why.empty() ? "" : " (" + kvm.why + ")") + ".";
      if (kvm.usable == "no") {
        // Re-running on this host cannot pair kvm with tcg: say so instead of "not yet".
        c.verdict = ClaimVerdict::kCannotMeasureHere;
        c.measured = vms.empty() ? "-" : "VM results only with accelerator " + vms[0]->d->accelerator;
        c.explanation = "Needs the same VM measured under kvm and under tcg; " + here;
        return c;
      }
      if (vms.empty()) return std::nullopt;
      c.verdict = ClaimVerdict::kNotMeasured;
      c.measured = "VM results only with accelerator " + vms[0]->d->accelerator;
      c.explanation =
          "Needs the same VM configuration measured under both kvm and tcg (startup suite: "
          "--option qemu.accel=kvm and =tcg). " + here;
      return c;
    }
    c.explanation = c.verdict == ClaimVerdict::kHolds
                        ? "The same VM boots significantly faster with KVM than under TCG "
                          "emulation, which translates every guest instruction."
                        : "With these results KVM was not significantly faster than TCG for every "
                          "configuration.";
    return c;
  }
};

}  // namespace

std::unique_ptr<SuiteView> MakeStartupView() { return std::make_unique<StartupView>(); }

}  // namespace ctv::reports
