// ctvbench run: run one suite over the selected drivers and write one results JSON file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "bench/drivers/registry.h"
#include "bench/environment.h"
#include "bench/image/probe_image.h"
#include "bench/suites/suite.h"
#include "cli/command.h"
#include "cli/context.h"
#include "cli/progress.h"
#include "core/clock.h"
#include "core/interrupt.h"
#include "results/results.h"
#include "runtime/lifecycle.h"
#include "runtime/net/gc.h"

namespace ctv::cli {
namespace {

struct RunOptions {
  std::string suite;
  std::vector<std::string> drivers;
  std::vector<std::string> options;  // DRIVER.KEY=VALUE
  std::map<std::string, std::string> params;  // suite parameters given (--max 1000...)
  int repetitions = 10;
  int warmup = 2;
  // -n / -w given on the command line: they override every suite's own defaults.
  const CLI::Option* repetitions_opt = nullptr;
  const CLI::Option* warmup_opt = nullptr;
  double budget_s = 0;  // --budget-time; 0 = none
  std::string out;
  bool quiet = false;
  ContextOptions ctx;
};

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::string DefaultOutPath(const std::string& suite) {
  std::string stamp = WallClockRfc3339();
  std::replace(stamp.begin(), stamp.end(), ':', '-');
  return fmt::format("results/ctvbench-{}-{}.json", suite, stamp);
}

// Can `path` be written? Creates its directory (one level, as before) and a probe file beside it,
// removed at once. The error names the path the user gave.
Status CheckWritable(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return ErrnoError("create the results directory for", path, dir);
  std::string probe = dir + "/.ctvbench-write-check-" + std::to_string(::getpid());
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("write results to", path, "cannot create files in " + dir);
  // Some room too: on a full filesystem creating an empty file still works (tmpfs, ext4 with
  // inodes left), writing does not. 64 KiB is the size of a small results file.
  static const char kZeros[4096] = {};
  int err = 0;
  for (int i = 0; i < 16 && err == 0; ++i) {
    errno = 0;
    if (::write(fd, kZeros, sizeof kZeros) != static_cast<ssize_t>(sizeof kZeros))
      err = errno ? errno : ENOSPC;  // a short write: the filesystem filled up
  }
  ::close(fd);
  ::unlink(probe.c_str());
  if (err) {
    errno = err;
    return ErrnoError("write results to", path, "no room in " + dir);
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return MakeError("write results to", path, "is a directory (give a file name)");
  return Ok();
}

void PrintSummary(const results::SuiteResult& s) {
  std::printf("%-8s %-6s %5s %10s %10s %10s %10s %6s  %s\n", "driver", "accel", "n", "median",
              "p95", "min", "max", "cv", "metric");
  for (const auto& r : s.results) {
    if (r.skipped) {
      std::printf("%-8s %-6s skipped: %s\n", r.driver.c_str(), r.accelerator.c_str(),
                  r.skipped->c_str());
      continue;
    }
    std::string params;  // rows of one driver differ by their parameters (network: path=...)
    for (const auto& [k, v] : r.parameters) params += fmt::format(" {}={}", k, v);
    for (const auto& m : r.metrics) {
      std::printf("%-8s %-6s %5zu %10.3f %10.3f %10.3f %10.3f %5.1f%%  %s [%s]%s\n",
                  r.driver.c_str(), r.accelerator.c_str(), m.stats.n, m.stats.median,
                  m.stats.p95, m.stats.min, m.stats.max, m.stats.cv * 100, m.name.c_str(),
                  m.unit.c_str(), params.c_str());
      for (const auto& w : m.warnings) std::printf("         warning: %s: %s\n", m.name.c_str(), w.c_str());
    }
  }
}

int Run(RunOptions& o) {
  auto suites = bench::MakeAllSuites();
  std::vector<std::string> suite_names;
  std::vector<bench::Suite*> selected;  // in `ctvbench list` order; "all" = every one
  for (auto& s : suites) {
    suite_names.push_back(s->Name());
    if (s->Name() == o.suite || o.suite == "all") selected.push_back(s.get());
  }
  if (selected.empty())
    return PrintUsageError(fmt::format("unknown suite '{}' (suites: {}, or all)", o.suite,
                                       Join(suite_names)));

  // Suite parameters: each belongs to the suites that declare it; given to another, it would be
  // silently ignored, so it is refused.
  for (const auto& [key, value] : o.params) {
    std::map<std::string, std::string> mine{{key, value}};
    bool taken = false;
    for (bench::Suite* suite : selected) {
      auto params = suite->Parameters();
      if (std::none_of(params.begin(), params.end(), [&](auto& p) { return p.key == key; }))
        continue;
      taken = true;
      if (Status s = suite->ValidateParameters(mine); !s)
        return PrintUsageError(s.error().ToString());
    }
    if (!taken) {
      std::vector<std::string> owners;
      for (auto& s : suites)
        for (const auto& p : s->Parameters())
          if (p.key == key) owners.push_back(s->Name());
      return PrintUsageError(fmt::format("--{} is a parameter of the {} suite, not of {}", key,
                                         Join(owners), o.suite));
    }
  }

  bench::DriverContext ctx = MakeContext(o.ctx);
  auto drivers = bench::MakeAllDrivers(ctx);
  std::vector<std::string> driver_names;
  for (auto& d : drivers) driver_names.push_back(d->Name());
  bench::SuiteOptions so;
  so.repetitions = o.repetitions;
  so.warmup = o.warmup;
  so.params = o.params;
  for (const auto& want : o.drivers)
    if (std::find(driver_names.begin(), driver_names.end(), want) == driver_names.end())
      return PrintUsageError(
          fmt::format("unknown driver '{}' (drivers: {})", want, Join(driver_names)));
  // --option DRIVER.KEY=VALUE: checked by the driver itself before anything runs.
  for (const auto& spec : o.options) {
    size_t dot = spec.find('.'), eq = spec.find('=');
    if (dot == std::string::npos || eq == std::string::npos || dot > eq || dot == 0 || eq == dot + 1)
      return PrintUsageError(fmt::format(
          "--option '{}': expected DRIVER.KEY=VALUE (e.g. qemu.machine=pc)", spec));
    std::string driver = spec.substr(0, dot);
    if (std::find(driver_names.begin(), driver_names.end(), driver) == driver_names.end())
      return PrintUsageError(fmt::format("--option '{}': unknown driver '{}' (drivers: {})", spec,
                                         driver, Join(driver_names)));
    so.driver_options[driver][spec.substr(dot + 1, eq - dot - 1)] = spec.substr(eq + 1);
  }
  for (auto& d : drivers) {
    auto it = so.driver_options.find(d->Name());
    if (it == so.driver_options.end()) continue;
    // Judged on top of what each suite sets itself (e.g. devices: machine=pc).
    for (bench::Suite* suite : selected) {
      std::map<std::string, std::string> effective = suite->OptionDefaults(*d);
      for (const auto& [key, value] : it->second) effective[key] = value;
      if (Status s = d->ValidateOptions(effective); !s)
        return PrintUsageError("--option: " + s.error().ToString() +
                               (selected.size() > 1 ? " (suite " + suite->Name() + ")" : ""));
    }
  }
  for (auto& d : drivers)
    if (o.drivers.empty() ||
        std::find(o.drivers.begin(), o.drivers.end(), d->Name()) != o.drivers.end())
      so.drivers.push_back(d.get());

  // Drivers other than the plain host process run an OCI image.
  bool needs_image = std::any_of(so.drivers.begin(), so.drivers.end(), [](bench::Driver* d) {
    return d->Kind() != bench::DriverKind::kHost;
  });
  // The project's own image is (re)built every time: it must hold this build's ctv-probe, and the
  // build is deterministic (~0.25 s; unchanged binaries give the same digests, so the layer and
  // guest caches still hit). An image the user named with --image is used as it is.
  if (needs_image && o.ctx.image_dir.empty()) {
    auto img = bench::BuildProbeImage({"/bin/busybox", ctx.probe_path}, ctx.image_dir);
    if (!img) return PrintError(img.error());
  } else if (needs_image && ::access((ctx.image_dir + "/index.json").c_str(), F_OK) != 0) {
    return PrintError(MakeError("open image", ctx.image_dir,
                                "no index.json: not an OCI image layout (omit --image to use the "
                                "project's own image)"));
  }

  std::string out = o.out.empty() ? DefaultOutPath(o.suite) : o.out;
  // The destination is checked before the first sample: a long run must not measure for minutes
  // and then fail to write.
  if (Status s = CheckWritable(out); !s) return PrintUsageError(s.error().ToString());
  results::RunResults rr;
  rr.started_at = WallClockRfc3339();
  rr.command = CommandLine();
  rr.environment = bench::CollectEnvironment();

  InstallInterruptHandler();
  // ctvrt keeps an idle bridge and its masquerade rule set up for the next container (as Docker
  // keeps docker0: net::NetworkConfig::keep_idle), which takes the bridge set-up off each measured
  // launch. A run still leaves nothing behind: whatever way it ends, the bridge it left idle goes
  // (a bridge another container still uses stays).
  struct IdleBridgeSweep {
    ~IdleBridgeSweep() { (void)net::CollectGarbage(runtime::HostNetworkConfig().state_root, nullptr); }
  } sweep;
  ProgressLine progress(o.quiet);
  const int64_t t0 = MonotonicNs();
  // The time budget is shared equally by the suites still to run, each ending its repetitions
  // once its share is spent (at least kMinRepetitions measured: bench/suites/suite.h).
  for (size_t i = 0; i < selected.size(); ++i) {
    bench::Suite* suite = selected[i];
    if (o.budget_s > 0) {
      int64_t left = t0 + static_cast<int64_t>(o.budget_s * 1e9) - MonotonicNs();
      so.deadline_ns = MonotonicNs() + std::max<int64_t>(0, left) / (selected.size() - i);
    }
    // A suite whose instances run for seconds each (syscall, cgroup) has its own defaults.
    so.repetitions = o.repetitions;
    so.warmup = o.warmup;
    if (auto d = suite->Defaults()) {
      if (!o.repetitions_opt || o.repetitions_opt->count() == 0) so.repetitions = d->repetitions;
      if (!o.warmup_opt || o.warmup_opt->count() == 0) so.warmup = d->warmup;
    }
    const std::string prefix =
        selected.size() > 1 ? fmt::format("[{}/{}] {}", i + 1, selected.size(), suite->Name())
                            : suite->Name();
    int64_t driver_start = MonotonicNs();
    std::string driver_seen;
    so.progress = [&](const bench::Progress& p) {
      if (p.driver != driver_seen) {
        driver_seen = p.driver;
        driver_start = MonotonicNs();
      }
      std::string eta;
      if (p.done > 0 && p.done < p.total) {
        double per = static_cast<double>(MonotonicNs() - driver_start) / p.done / 1e9;
        eta = fmt::format(", ~{:.0f} s left for {}", per * (p.total - p.done), p.driver);
      }
      progress.Update(fmt::format("{}: {} {}/{}{}{}", prefix, p.driver, p.done, p.total,
                                  p.warmup ? " (warm-up)" : "", eta));
    };
    auto result = suite->Run(so);
    progress.Clear();
    if (!result) {
      if (Interrupted()) {
        std::fprintf(stderr, "ctvbench: interrupted; instances cleaned up, no results written\n");
        return 128 + InterruptSignal();
      }
      return PrintError(result.error());
    }
    rr.suites.push_back(std::move(result.value()));
    if (rr.suites.back().interrupted) break;
  }
  rr.finished_at = WallClockRfc3339();
  if (rr.suites.back().interrupted) {
    // The samples gathered so far are kept, marked: a long run is not lost to a Ctrl-C.
    Status s = results::SaveResults(out, rr);
    for (const auto& suite : rr.suites) PrintSummary(suite);
    if (s)
      std::fprintf(stderr, "ctvbench: interrupted; instances cleaned up; the samples so far are in "
                   "%s (marked interrupted)\n", out.c_str());
    else
      std::fprintf(stderr, "ctvbench: interrupted; instances cleaned up; writing %s failed: %s\n",
                   out.c_str(), s.error().ToString().c_str());
    return 128 + InterruptSignal();
  }

  if (Status s = results::SaveResults(out, rr); !s)
    return PrintError(MakeError("write results to", out, s.error().ToString()));
  for (const auto& suite : rr.suites) {
    if (rr.suites.size() > 1) std::printf("\n== suite %s\n", suite.name.c_str());
    PrintSummary(suite);
  }
  // Each row above names its accelerator; this line says why VMs got the one they did.
  const results::KvmInfo& kvm = rr.environment.kvm;
  std::printf("environment: kernel %s, cgroup %s, %d CPUs, /dev/kvm %s (usable: %s)\n",
              rr.environment.kernel_release.c_str(), rr.environment.cgroup_mode.c_str(),
              rr.environment.cpu_count,
              !kvm.device_present ? "absent" : kvm.module.empty() ? "present" : kvm.module.c_str(),
              kvm.usable.c_str());
  std::printf("results: %s (%.0f s)\n", out.c_str(), (MonotonicNs() - t0) / 1e9);
  bool measured = false;
  for (const auto& suite : rr.suites)
    for (const auto& r : suite.results) measured |= !r.metrics.empty();
  if (!measured) {
    std::fprintf(stderr,
                 "ctvbench: nothing measured: every driver was skipped (reasons above); exit %d\n",
                 kExitNothing);
    return kExitNothing;
  }
  return 0;
}

// "-n abc: expected a whole number from 1 to 100000", instead of CLI11's "Value abc not in range".
CLI::Validator WholeNumber(const std::string& flag, long lo, long hi) {
  return CLI::Validator(
      [flag, lo, hi](std::string& value) -> std::string {
        char* end = nullptr;
        errno = 0;
        long v = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || errno != 0 || v < lo || v > hi)
          return fmt::format("{} {}: expected a whole number from {} to {}", flag, value, lo, hi);
        return "";
      },
      fmt::format("INT in [{} - {}]", lo, hi));
}

// Every driver's options, as each declares them (Driver::Options), for --help.
std::string DriverOptionsHelp() {
  std::string help;
  for (const auto& d : bench::MakeAllDrivers(MakeContext({}))) {
    std::string keys;
    for (const auto& opt : d->Options()) keys += (keys.empty() ? "" : ", ") + opt.key + "=" + opt.values;
    if (!keys.empty()) help += (help.empty() ? "" : "; ") + d->Name() + ": " + keys;
  }
  return help + " (`ctvbench list` says what each does)";
}

}  // namespace

Command RegisterRun(CLI::App& root) {
  auto o = std::make_shared<RunOptions>();
  auto* run = root.add_subcommand(
      "run",
      "Run one suite over the drivers and write a results JSON (raw samples + statistics + the "
      "environment). Drivers that cannot run here are recorded as skipped, with the reason.\n"
      "Example: ctvbench run --suite startup --driver host --repetitions 30");
  run->add_option("-s,--suite", o->suite,
                  "what to measure (see `ctvbench list`), or `all`: every suite, one results file")
      ->required();
  run->add_option("-d,--driver", o->drivers,
                  "driver to include; repeat for several (default: every driver)");
  o->repetitions_opt = run->add_option("-n,--repetitions", o->repetitions,
                                       "measured repetitions per driver (a suite may have its "
                                       "own default: `ctvbench list`)")
      ->check(WholeNumber("-n/--repetitions", 1, 100000))
      ->capture_default_str();
  o->warmup_opt =
      run->add_option("-w,--warmup", o->warmup, "unmeasured repetitions first, per driver")
          ->check(WholeNumber("-w/--warmup", 0, 100000))
          ->capture_default_str();
  run->add_option("-o,--out", o->out,
                  "results file (default: results/ctvbench-SUITE-TIME.json)");
  run->add_option("--option", o->options,
                  "driver parameter DRIVER.KEY=VALUE, repeatable; recorded in the results. " +
                      DriverOptionsHelp());
  run->add_option("--budget-time", o->budget_s,
                  "a time budget for the whole run, e.g. 600, 90s, 10m: shared by the suites, "
                  "each driver measures fewer repetitions (never fewer than 3) when its share is "
                  "spent, and says so in the results")
      ->transform(CLI::AsNumberWithUnit(std::map<std::string, double>{{"s", 1}, {"m", 60}, {"h", 3600}}))
      ->check(CLI::PositiveNumber);
  // One option per suite parameter (density's --max...), declared by the suites themselves.
  std::map<std::string, std::string> param_help;
  for (const auto& suite : bench::MakeAllSuites())
    for (const auto& p : suite->Parameters())
      param_help[p.key] += fmt::format("{}({}) {}", param_help[p.key].empty() ? "" : "; ",
                                       suite->Name(), p.help);
  for (const auto& suite : bench::MakeAllSuites())
    for (const auto& p : suite->Parameters()) {
      if (run->get_option_no_throw("--" + p.key)) continue;
      std::string key = p.key;
      run->add_option_function<std::string>(
             "--" + key, [o, key](const std::string& v) { o->params[key] = v; },
             param_help[key])
          ->type_name(p.value);
    }
  run->add_flag("-q,--quiet", o->quiet, "no progress line");
  AddContextOptions(*run, o->ctx);
  return {run, [o]() { return Run(*o); }};
}


}  // namespace ctv::cli
