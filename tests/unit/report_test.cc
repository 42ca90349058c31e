// Report pieces: HTML writer, chart scripts, suite views, claims, and a whole report rendered
// with the real gnuplot into a temp dir.
#include "reports/report.h"

#include <gtest/gtest.h>

#include "core/markup.h"
#include <stdlib.h>

#include <string>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "core/fd.h"
#include "reports/chart.h"
#include "reports/gnuplot.h"
#include "reports/claims.h"
#include "reports/format.h"
#include "reports/html_writer.h"
#include "reports/suite_view.h"
#include "tests/test_util.h"

namespace ctv::reports {
namespace {

const std::string kFixtures = CTV_FIXTURES_DIR;

results::RunResults Load(const std::string& name) {
  auto r = results::LoadResults(kFixtures + "/" + name);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().ToString());
  return r ? *r : results::RunResults{};
}

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

TEST(HtmlWriter, EscapesAndEncodes) {
  EXPECT_EQ(EscapeMarkup("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  // RFC 4648 test vectors.
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
}

TEST(HtmlWriter, MissingFigureIsAnErrorNamingIt) {
  Page p;
  p.sections.push_back({"s", "S", {Figure{"/nonexistent/chart.png", "t", ""}}});
  auto h = RenderHtml(p);
  ASSERT_FALSE(h.has_value());
  EXPECT_NE(h.error().ToString().find("/nonexistent/chart.png"), std::string::npos);
}

TEST(Chart, LogScaleOnlyWhenRangesDifferByOrdersOfMagnitude) {
  EXPECT_TRUE(SpansDecades({1, 5, 600}, 1.0));
  EXPECT_FALSE(SpansDecades({4, 10, 22}, 1.0));
}

// Twelve boxes (a startup run with three boot modes for each VM driver) share the 1600 px width:
// each tick line must fit its column, as a person reads it, and each differing parameter gets a
// line of its own (side by side, "boot=firmware kernel=generic" ran into the next tick).
TEST(ChartLabels, ManySeriesGetTicksThatFitTheirColumns) {
  std::vector<results::DriverResult> rows;
  for (const char* driver : {"vm", "qemu"})
    for (auto [boot, kernel] : std::vector<std::pair<const char*, const char*>>{
             {"pvh", "generic"}, {"firmware", "generic"}, {"pvh", "micro"}}) {
      results::DriverResult d;
      d.driver = driver;
      d.kind = "vm";
      d.accelerator = "tcg";
      d.parameters = {{"boot", boot}, {"kernel", kernel}, {"memory", "256"}};
      rows.push_back(d);
    }
  std::vector<const results::DriverResult*> ptrs;
  for (const auto& r : rows) ptrs.push_back(&r);
  std::vector<std::string> labels = ShortLabels(ptrs, "\n");
  EXPECT_EQ(labels[1], "vm (tcg)\nboot=firmware\nkernel=generic");
  EXPECT_EQ(ShortLabels(ptrs)[1], "vm (tcg) boot=firmware kernel=generic");  // claims: one line
  ChartSpec c;
  c.kind = ChartKind::kBox;
  c.unit = "ms";
  for (size_t i = 0; i < 12; ++i)
    c.series.push_back({labels[i % labels.size()], "", {17838.0, 17900.0, 18000.0}, {}, {}, {}});
  std::string script = GnuplotScript(c, "/tmp/x.png");
  size_t at = script.find("set xtics font \",");
  ASSERT_NE(at, std::string::npos) << script;
  int font = std::atoi(script.c_str() + at + std::strlen("set xtics font \","));
  EXPECT_LT(font, 15) << "12 ticks at the size of 8";
  EXPECT_GE(font, kSmallestTickFont);
  // The longest line under a box, "median 17900 ms" (15 characters), fits its column.
  EXPECT_LE(kTickCharEm * font * 15, static_cast<double>(kPlotWidthPx) / 12);
  // Few series keep the large font.
  EXPECT_EQ(TickFontFor({"host\nn=10\nmedian 2.759 ms", "ctvrt\nn=10\nmedian 10.87 ms"}, 15), 15);
}

TEST(StartupView, ChartsNameUnitNAndAccelerator) {
  auto view = ViewFor("startup");
  auto charts = view->Charts(Load("startup-kvm.json"));
  ASSERT_GE(charts.size(), 2u);
  const ChartSpec& total = charts[0];
  EXPECT_EQ(total.kind, ChartKind::kBox);
  EXPECT_TRUE(total.log_y);  // host ~1 ms vs VM ~550 ms
  EXPECT_NE(total.title.find("(ms)"), std::string::npos) << total.title;
  EXPECT_NE(total.title.find("n=10..20"), std::string::npos) << total.title;
  EXPECT_NE(total.title.find("kvm (vm)"), std::string::npos) << total.title;
  EXPECT_NE(total.caption.find("qemu: fixture: driver not run"), std::string::npos);
  std::string script = GnuplotScript(total, "/tmp/x.png");
  EXPECT_NE(script.find("set logscale y"), std::string::npos);
  EXPECT_NE(script.find("pngcairo size 1600,900"), std::string::npos);
  bool stacked = false;
  for (const auto& c : charts) stacked |= c.kind == ChartKind::kStackedBars;
  EXPECT_TRUE(stacked);
}

// Startup results as the suite writes them: a VM's marks go on after ready (done, gone: teardown).
results::RunResults StartupWithTeardown() {
  results::RunResults run;
  results::SuiteResult s;
  s.name = "startup";
  auto row = [](std::string driver, std::string kind, std::string accel,
                std::map<std::string, std::string> params,
                std::vector<std::pair<std::string, double>> phases) {
    results::DriverResult d;
    d.driver = driver;
    d.kind = kind;
    d.accelerator = accel;
    d.parameters = params;
    double total = 0;
    for (auto& [name, ms] : phases) {
      if (name != "done" && name != "gone") total += ms;
      d.metrics.push_back(results::MakeMetric("startup.phase." + name, "ms", "x", {ms, ms, ms}));
    }
    d.metrics.insert(d.metrics.begin(),
                     results::MakeMetric("startup.total", "ms", "launch -> ready", {total, total, total}));
    return d;
  };
  s.results.push_back(row("host", "host", "none", {}, {{"spawn", 1}, {"ready", 1}}));
  s.results.push_back(row("runsc", "sandbox", "none", {{"platform", "ptrace"}},
                          {{"ready", 170}}));
  const std::map<std::string, std::string> vm_params = {
      {"machine", "microvm"}, {"libvirt_uri", "qemu:///embed?root=/run/ctvbench/vm/libvirt"},
      {"memory", "256"}};
  auto pc = vm_params;
  pc["machine"] = "pc";
  s.results.push_back(row("vm", "vm", "tcg", vm_params,
                          {{"process", 130}, {"kernel", 800}, {"ready", 500}, {"done", 20}, {"gone", 1600}}));
  s.results.push_back(row("vm", "vm", "tcg", pc,
                          {{"process", 130}, {"kernel", 900}, {"ready", 500}, {"done", 20}, {"gone", 1600}}));
  run.suites.push_back(s);
  return run;
}

// Boot modes side by side: direct kernel boot (process, firmware, kernel, init, ready) and the
// firmware chain (process, bios, bootloader, kernel, init, ready).
results::RunResults StartupBootModes(double bootloader_ms) {
  results::RunResults run = StartupWithTeardown();
  results::DriverResult d;
  d.driver = "qemu";
  d.kind = "vm";
  d.accelerator = "tcg";
  // A parameter every row shares (the label leaves it out) and that is long: the claim's text
  // must not carry it.
  d.parameters = {{"machine", "pc"}, {"boot", "firmware"}, {"memory", "256"}};
  double total = 0;
  for (auto [name, ms] : std::vector<std::pair<std::string, double>>{
           {"process", 5}, {"bios", 900}, {"bootloader", bootloader_ms}, {"kernel", 7000},
           {"init", 40}, {"ready", 60}, {"done", 20}, {"gone", 30}}) {
    if (name != "done" && name != "gone") total += ms;
    d.metrics.push_back(results::MakeMetric("startup.phase." + name, "ms", "x", {ms, ms, ms}));
  }
  d.metrics.insert(d.metrics.begin(),
                   results::MakeMetric("startup.total", "ms", "launch -> ready", {total, total, total}));
  run.suites[0].results.push_back(d);
  return run;
}

TEST(StartupView, BootModesStackInBootOrder) {
  for (const auto& c : ViewFor("startup")->Charts(StartupBootModes(20000))) {
    if (c.id != "startup-phases-vm") continue;
    auto pos = [&](const std::string& p) {
      return std::find(c.stack_labels.begin(), c.stack_labels.end(), p) - c.stack_labels.begin();
    };
    EXPECT_LT(pos("process"), pos("bios"));
    EXPECT_LT(pos("bios"), pos("bootloader"));
    EXPECT_LT(pos("bootloader"), pos("kernel"));
    EXPECT_LT(pos("kernel"), pos("init"));
    EXPECT_EQ(c.stack_labels.back(), "ready");
    return;
  }
  ADD_FAILURE() << "no VM phase chart";
}

// The distro guest (guest=distro) next to the firmware chain: its systemd phases stack between
// kernel and init, and its bar is labelled as its own boot mode, also when it is its driver's
// only row.
TEST(StartupView, DistroGuestIsABarOfItsOwnWithItsSystemdPhases) {
  auto distro_row = [](std::string driver) {
    results::DriverResult d;
    d.driver = driver;
    d.kind = "vm";
    d.accelerator = "tcg";
    d.parameters = {{"machine", "pc"}, {"boot", "firmware"}, {"guest", "distro"}};
    double total = 0;
    for (auto [name, ms] : std::vector<std::pair<std::string, double>>{
             {"process", 5}, {"bios", 900}, {"bootloader", 15000}, {"kernel", 30000},
             {"initrd", 800}, {"sysinit", 9000}, {"basic", 3000}, {"init", 6000},
             {"ready", 60}}) {
      total += ms;
      d.metrics.push_back(results::MakeMetric("startup.phase." + name, "ms", "x", {ms, ms, ms}));
    }
    d.metrics.insert(d.metrics.begin(), results::MakeMetric("startup.total", "ms",
                                                            "launch -> ready", {total, total, total}));
    return d;
  };
  results::RunResults run = StartupBootModes(20000);
  run.suites[0].results.push_back(distro_row("qemu"));
  run.suites[0].results.push_back(distro_row("vm"));  // the only row of its driver with boot=firmware
  bool found = false;
  for (const auto& c : ViewFor("startup")->Charts(run)) {
    if (c.kind != ChartKind::kStackedBars || c.id == "startup-phases-containers") continue;
    found = true;
    auto pos = [&](const std::string& p) {
      return std::find(c.stack_labels.begin(), c.stack_labels.end(), p) - c.stack_labels.begin();
    };
    EXPECT_LT(pos("kernel"), pos("initrd"));
    EXPECT_LT(pos("initrd"), pos("sysinit"));
    EXPECT_LT(pos("sysinit"), pos("basic"));
    EXPECT_LT(pos("basic"), pos("init"));
    EXPECT_EQ(c.stack_labels.back(), "ready");
    int distro_bars = 0;
    for (const auto& series : c.series)
      distro_bars += series.label.find("guest=distro") != std::string::npos;
    EXPECT_EQ(distro_bars, 2);
  }
  EXPECT_TRUE(found);
  // Its driver's only row: no other parameter set to differ from, still named.
  results::RunResults alone = StartupWithTeardown();
  alone.suites[0].results.push_back(distro_row("qemu"));
  int named = 0;
  for (const auto& c : ViewFor("startup")->Charts(alone))
    if (c.kind == ChartKind::kStackedBars)
      for (const auto& series : c.series)
        named += series.label.rfind("qemu", 0) == 0 &&
                 series.label.find("guest=distro") != std::string::npos;
  EXPECT_EQ(named, 1);
}

// Phases of different intervals are never stacked: the stack ends at ready, so each bar's top is
// the startup total, not total + teardown.
TEST(StartupView, TeardownPhasesAreNotStackedWithStartup) {
  auto charts = ViewFor("startup")->Charts(StartupWithTeardown());
  int stacked = 0;
  for (const auto& c : charts) {
    if (c.kind != ChartKind::kStackedBars) continue;
    ++stacked;
    for (const auto& label : c.stack_labels) {
      EXPECT_NE(label, "done") << c.id;
      EXPECT_NE(label, "gone") << c.id;
    }
    for (const auto& s : c.series) {
      double sum = 0;
      for (double v : s.values)
        if (std::isfinite(v)) sum += v;
      // Startup phases sum to 1430 or 1530 ms; with teardown (1620 ms more) they would not.
      if (s.label.rfind("vm", 0) == 0) EXPECT_LT(sum, 2000) << s.label << ": teardown stacked";
    }
    std::string script = GnuplotScript(c, "/tmp/x.png");
    // The tick labels (driver names) come after the data block, never inside it.
    size_t eod = script.rfind("EOD\n");
    size_t tics = script.find("set xtics font");
    ASSERT_NE(tics, std::string::npos) << script;
    EXPECT_GT(tics, eod) << script;
    EXPECT_NE(script.find(GnuplotQuote(c.series[0].label) + " 0"), std::string::npos) << script;
  }
  EXPECT_GE(stacked, 1);
}

// Chart labels: driver, accelerator, and only what differs between series of one driver; the
// long parameter strings (libvirt_uri=...) stay in the tables.
TEST(StartupView, LabelsAreShortAndTellSeriesApart) {
  auto charts = ViewFor("startup")->Charts(StartupWithTeardown());
  ASSERT_FALSE(charts.empty());
  std::vector<std::string> labels;
  for (const auto& s : charts[0].series) labels.push_back(s.label);
  EXPECT_EQ(labels, (std::vector<std::string>{"host", "runsc", "vm (tcg)\nmachine=microvm",
                                              "vm (tcg)\nmachine=pc"}));
  for (const auto& l : labels) EXPECT_EQ(l.find("libvirt_uri"), std::string::npos) << l;
}

// The sandbox is its own kind: coloured apart from containers and VMs, and in the table as such.
TEST(StartupView, KindsGetTheirOwnColoursAndColumn) {
  auto run = StartupWithTeardown();
  const auto& rs = run.suites[0].results;
  EXPECT_EQ(DriverColor(rs[0]), "#555555");
  EXPECT_NE(DriverColor(rs[1]), DriverColor(rs[2]));
  results::DriverResult container = rs[1];
  container.kind = "container";
  EXPECT_NE(DriverColor(container), DriverColor(rs[1]));
  // Every driver this project ships has a colour of its own on a chart that shows them all,
  // under either accelerator (runc and crun once shared a cyan).
  for (const char* accel : {"tcg", "kvm"}) {
    std::set<std::string> seen;
    for (auto [name, kind] : std::vector<std::pair<const char*, const char*>>{
             {"host", "host"},
             {"ctvrt", "container"},
             {"runc", "container"},
             {"crun", "container"},
             {"podman", "container"},
             {"runsc", "sandbox"},
             {"vm", "vm"},
             {"qemu", "vm"}}) {
      results::DriverResult d;
      d.driver = name;
      d.kind = kind;
      d.accelerator = std::string(kind) == "vm" ? accel : "none";
      EXPECT_TRUE(seen.insert(DriverColor(d)).second) << name << " shares its colour";
    }
  }
  auto tables = ViewFor("startup")->Tables(run);
  ASSERT_FALSE(tables.empty());
  EXPECT_EQ(tables[0].header[1], "kind");
  EXPECT_EQ(tables[0].rows[1][1].text, "sandbox");
}

// The network suite has a chart: one box per path, named by driver and path, unit in the axis.
TEST(NetworkView, OneBoxPerPathNamedByDriverAndPath) {
  results::RunResults run;
  results::SuiteResult s;
  s.name = "network";
  for (auto [driver, kind, path] : {std::tuple{"host", "host", "loopback"},
                                    std::tuple{"netns", "container", "bridge"},
                                    std::tuple{"ctvrt", "container", "dnat"}}) {
    results::DriverResult d;
    d.driver = driver;
    d.kind = kind;
    d.accelerator = "none";
    d.parameters = {{"path", path}};
    d.metrics.push_back(results::MakeMetric("network.tcp_rr", "us", "rtt", {20, 21, 22}));
    s.results.push_back(d);
  }
  results::DriverResult skipped;
  skipped.driver = "qemu";
  skipped.kind = "vm";
  skipped.skipped = "VM drivers have no guest network yet";
  s.results.push_back(skipped);
  run.suites.push_back(s);
  auto charts = ViewFor("network")->Charts(run);
  ASSERT_EQ(charts.size(), 1u);
  ASSERT_EQ(charts[0].series.size(), 3u);
  EXPECT_EQ(charts[0].series[0].label, "host\nloopback");
  EXPECT_EQ(charts[0].series[2].label, "ctvrt\ndnat");
  EXPECT_NE(charts[0].y_label.find("us"), std::string::npos);
  EXPECT_NE(GnuplotScript(charts[0], "/tmp/x.png").find("\"host\\nloopback"), std::string::npos);
}

// n=3 per series (the devices suite's quick runs): every series gets its box, computed here;
// gnuplot's own boxplot style drew none for 3 samples and dropped the next series.
TEST(Chart, BoxesForThreeSamplesAreDrawnFromQuartiles) {
  ChartSpec c;
  c.id = "x";
  c.kind = ChartKind::kBox;
  c.unit = "MiB/s";
  c.series.push_back({"a", "#1f77b4", {1341, 1382, 1300}, {}, {}, {}});
  c.series.push_back({"b", "#2ca02c", {2205, 2077, 2100}, {}, {}, {}});
  std::string g = GnuplotScript(c, "/tmp/x.png");
  size_t box = g.find("$box << EOD\n");
  ASSERT_NE(box, std::string::npos) << g;
  std::string rows = g.substr(box + 12, g.find("EOD", box + 12) - box - 12);
  // x q1 low high q3 median colour: a's quartiles 1320.5 / 1341 / 1361.5 (linear interpolation).
  EXPECT_NE(rows.find("1 1320.5 1300 1382 1361.5 1341 "), std::string::npos) << rows;
  EXPECT_NE(rows.find("2 2088.5 2077 2205 2152.5 2100 "), std::string::npos) << rows;
  EXPECT_EQ(g.find("boxplot"), std::string::npos) << g;
  // The median under each name, where it cannot run into the next box.
  EXPECT_NE(g.find("\"a\\nn=3\\nmedian 1341 MiB/s\" 1"), std::string::npos) << g;
  EXPECT_EQ(g.find("with labels"), std::string::npos) << g;
  ctv::test::TempDir dir;
  auto png = RenderChart(c, dir.Path());
  EXPECT_TRUE(png) << (png ? "" : png.error().ToString());
}

TEST(SuiteView, UnknownSuiteGetsAStatisticsTable) {
  auto run = Load("startup-kvm.json");
  // The fixture's old "syscall" suite, under the name of a suite that has no view yet.
  for (auto& s : run.suites)
    if (s.name == "syscall") s.name = "unviewed";
  auto view = ViewFor("unviewed");  // no registered view
  EXPECT_TRUE(view->Charts(run).empty());
  auto tables = view->Tables(run);
  ASSERT_EQ(tables.size(), 1u);
  ASSERT_EQ(tables[0].rows.size(), 3u);
  EXPECT_EQ(tables[0].rows[0][3].text, "syscall.getppid");
  EXPECT_EQ(tables[0].rows[0][4].text, "ns/op");
}

TEST(FootprintView, OneChartPerMetricAndTheLighterClaim) {
  auto run = Load("startup-kvm.json");
  auto charts = ViewFor("footprint")->Charts(run);
  ASSERT_EQ(charts.size(), 1u);
  EXPECT_NE(charts[0].title.find("footprint.pss_kib (KiB)"), std::string::npos) << charts[0].title;
  EXPECT_TRUE(charts[0].log_y);  // ~3 MiB vs ~180 MiB, in KiB
  auto rows = EvaluateClaims(run);
  for (const auto& r : rows)
    if (r.claim.id == "footprint.lighter") {
      EXPECT_EQ(r.check.verdict, ClaimVerdict::kHolds);
      EXPECT_NE(r.check.measured.find("MiB"), std::string::npos);
    }
}

// A devices suite with one VM driver's two rows (what `ctvbench run --suite devices` writes).
results::RunResults DevicesRun(const std::string& accel, std::vector<double> emulated,
                               std::vector<double> virtio) {
  results::SuiteResult s;
  s.name = "devices";
  for (auto [model, disk, samples] :
       {std::tuple{"emulated", "ide", emulated}, std::tuple{"virtio", "virtio-blk", virtio}}) {
    results::DriverResult d;
    d.driver = "qemu";
    d.accelerator = accel;
    d.parameters = {{"machine", "pc"}, {"devices", model}, {"disk_model", disk}};
    d.metrics.push_back(results::MakeMetric("devices.disk_read", "MiB/s", "reads", samples, false));
    s.results.push_back(d);
  }
  results::DriverResult host;
  host.driver = "host";
  host.skipped = "not a VM driver";
  s.results.push_back(host);
  results::RunResults run;
  run.suites.push_back(s);
  return run;
}

ClaimVerdict VerdictOf(const std::vector<ClaimRow>& rows, const std::string& id) {
  for (const auto& r : rows)
    if (r.claim.id == id) return r.check.verdict;
  ADD_FAILURE() << "no claim " << id;
  return ClaimVerdict::kNotMeasured;
}

TEST(Claims, VmMinutesIsJudgedOnTheFullChainAndNamesItsLongestPhase) {
  // 28 s through the chain, dominated by the bootloader: nuanced (seconds, under 30 s).
  for (const auto& r : EvaluateClaims(StartupBootModes(20000)))
    if (r.claim.id == "startup.vm_minutes") {
      EXPECT_EQ(r.check.verdict, ClaimVerdict::kNuanced);
      EXPECT_NE(r.check.explanation.find("longest phase is bootloader"), std::string::npos)
          << r.check.explanation;
      EXPECT_NE(r.check.explanation.find("direct kernel boot skips"), std::string::npos);
      // Short labels, as in the measured column (the full parameter string was quoted here).
      EXPECT_NE(r.check.explanation.find("(qemu (tcg)) reached ready"), std::string::npos)
          << r.check.explanation;
      EXPECT_EQ(r.check.explanation.find("memory=256"), std::string::npos) << r.check.explanation;
    }
  // 38 s: holds, nuanced by TCG.
  EXPECT_EQ(VerdictOf(EvaluateClaims(StartupBootModes(30000)), "startup.vm_minutes"),
            ClaimVerdict::kNuanced);
  // 9 s through the whole chain: does not hold; the kernel dominates now.
  for (const auto& r : EvaluateClaims(StartupBootModes(1000)))
    if (r.claim.id == "startup.vm_minutes") {
      EXPECT_EQ(r.check.verdict, ClaimVerdict::kDoesNotHold);
      EXPECT_NE(r.check.explanation.find("longest phase is kernel"), std::string::npos)
          << r.check.explanation;
    }
}

TEST(Claims, JudgedFromTheDataOnly) {
  auto rows = EvaluateClaims(Load("startup-kvm.json"));
  EXPECT_EQ(rows.size(), ClaimCatalogue().size());
  EXPECT_EQ(VerdictOf(rows, "startup.container_ms"), ClaimVerdict::kHolds);
  // The fixture VM reaches ready in ~0.5 s: "30-60 s / minutes" must be contradicted.
  EXPECT_EQ(VerdictOf(rows, "startup.vm_minutes"), ClaimVerdict::kDoesNotHold);
  EXPECT_EQ(VerdictOf(rows, "startup.container_faster"), ClaimVerdict::kHolds);
  EXPECT_EQ(VerdictOf(rows, "process.host_pid"), ClaimVerdict::kHolds);
  EXPECT_EQ(VerdictOf(rows, "kernel.shared"), ClaimVerdict::kHolds);
  // Only kvm here: hardware-assisted vs emulation needs both.
  EXPECT_EQ(VerdictOf(rows, "virt.hardware_assisted"), ClaimVerdict::kNotMeasured);
  EXPECT_EQ(VerdictOf(rows, "network.port_conflict"), ClaimVerdict::kNotMeasured);
}

TEST(DevicesView, OneBoxPerRowAndTheParavirtualClaimByAccelerator) {
  auto tcg = DevicesRun("tcg", {900, 950, 1000}, {1900, 2000, 2100});
  auto charts = ViewFor("devices")->Charts(tcg);
  ASSERT_EQ(charts.size(), 1u);
  ASSERT_EQ(charts[0].series.size(), 2u);  // the skipped host row has no box
  EXPECT_NE(charts[0].series[0].label.find("ide"), std::string::npos);
  EXPECT_NE(charts[0].title.find("tcg"), std::string::npos) << charts[0].title;
  auto rows = EvaluateClaims(tcg);
  // Faster under TCG: holds, with the nuance that TCG is not KVM.
  EXPECT_EQ(VerdictOf(rows, "virt.paravirtual_drivers"), ClaimVerdict::kNuanced);
  for (const auto& r : rows)
    if (r.claim.id == "virt.paravirtual_drivers") {
      EXPECT_NE(r.check.measured.find("virtio-blk 2000 vs ide 950"), std::string::npos)
          << r.check.measured;
      EXPECT_NE(r.check.explanation.find("TCG"), std::string::npos);
    }
  EXPECT_EQ(VerdictOf(EvaluateClaims(DevicesRun("kvm", {900, 950, 1000}, {1900, 2000, 2100})),
                      "virt.paravirtual_drivers"),
            ClaimVerdict::kHolds);
  EXPECT_EQ(VerdictOf(EvaluateClaims(DevicesRun("kvm", {900, 950, 1000}, {800, 850, 900})),
                      "virt.paravirtual_drivers"),
            ClaimVerdict::kDoesNotHold);
  EXPECT_EQ(VerdictOf(EvaluateClaims(DevicesRun("kvm", {900, 950, 1200}, {1000, 1050, 1100})),
                      "virt.paravirtual_drivers"),
            ClaimVerdict::kNuanced);  // faster median, overlapping samples
}

TEST(Claims, TcgFiguresSayTheyAreEmulation) {
  auto rows = EvaluateClaims(Load("startup-tcg.json"));
  for (const auto& r : rows)
    if (r.claim.id == "startup.vm_minutes") {
      EXPECT_NE(r.check.explanation.find("software emulation"), std::string::npos)
          << r.check.explanation;
    }
  // No container in this file: the container claim is not measured.
  EXPECT_EQ(VerdictOf(rows, "startup.container_ms"), ClaimVerdict::kNotMeasured);
}

// A host without usable KVM can never pair kvm with tcg: the claim says so and why, instead of
// "not measured yet" (which invites a re-run that cannot help).
TEST(Claims, WithoutKvmHardwareAssistCannotBeMeasuredHere) {
  auto run = Load("startup-tcg.json");
  run.environment.kvm.usable = "no";
  run.environment.kvm.why = "/dev/kvm is absent";
  auto rows = EvaluateClaims(run);
  EXPECT_EQ(VerdictOf(rows, "virt.hardware_assisted"), ClaimVerdict::kCannotMeasureHere);
  for (const auto& r : rows)
    if (r.claim.id == "virt.hardware_assisted") {
      EXPECT_NE(r.check.explanation.find("/dev/kvm is absent"), std::string::npos)
          << r.check.explanation;
      EXPECT_STREQ(ClaimVerdictName(r.check.verdict), "cannot be measured here");
    }
  // With KVM usable but only tcg measured, a re-run could judge it: not measured yet.
  run.environment.kvm.usable = "yes";
  EXPECT_EQ(VerdictOf(EvaluateClaims(run), "virt.hardware_assisted"), ClaimVerdict::kNotMeasured);
}

TEST(Claims, NoResultsMeansNothingIsMeasured) {
  results::RunResults empty;
  for (const auto& r : EvaluateClaims(empty)) {
    EXPECT_EQ(r.check.verdict, ClaimVerdict::kNotMeasured) << r.claim.id;
    EXPECT_NE(r.check.explanation.find(r.claim.measured_by), std::string::npos);
  }
}

TEST(Claims, KvmAndTcgTogetherJudgeHardwareAssist) {
  auto run = MergeRuns({{"startup-kvm.json", Load("startup-kvm.json")},
                        {"startup-tcg.json", Load("startup-tcg.json")}});
  EXPECT_EQ(VerdictOf(EvaluateClaims(run), "virt.hardware_assisted"), ClaimVerdict::kHolds);
}

TEST(Report, WritesIndexAndOnePngPerChart) {
  ctv::test::TempDir tmp;
  std::string dir = tmp / "out";
  auto out = WriteReport({{kFixtures + "/startup-kvm.json", Load("startup-kvm.json")},
                          {kFixtures + "/startup-tcg.json", Load("startup-tcg.json")}},
                         dir);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  ASSERT_GE(out->pngs.size(), 2u);
  for (const auto& png : out->pngs) {
    auto bytes = ReadFile(png);
    ASSERT_TRUE(bytes.has_value()) << png;
    EXPECT_EQ(bytes->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << png;
  }
  auto html = ReadFile(out->index_html);
  ASSERT_TRUE(html.has_value());
  EXPECT_EQ(Count(*html, "<img "), out->pngs.size());
  EXPECT_EQ(Count(*html, "data:image/png;base64,"), out->pngs.size());
  // Self-contained: nothing fetched from the network.
  EXPECT_EQ(Count(*html, "src=\"http"), 0u);
  EXPECT_EQ(Count(*html, "<link"), 0u);
  EXPECT_NE(html->find("does not hold here"), std::string::npos);
  // The fixture's syscall suite has a view of its own now (its statistics table included).
  EXPECT_NE(html->find("System calls: ns per operation"), std::string::npos);
  EXPECT_TRUE(ReadFile(out->claims_html).has_value());
}

}  // namespace
}  // namespace ctv::reports
