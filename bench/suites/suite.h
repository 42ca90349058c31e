// A suite: what to measure, with which parameters, how many times. It runs each selected driver
// (warm-up, then repetitions), and returns raw samples; it never prints or writes files itself.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/driver.h"
#include "core/clock.h"
#include "core/error.h"
#include "results/results.h"

namespace ctv::bench {

struct Progress {
  std::string driver;
  int done = 0;   // repetitions finished (warm-up included)
  int total = 0;  // warm-up + repetitions
  bool warmup = false;
};

struct SuiteOptions {
  int repetitions = 10;
  int warmup = 2;
  std::vector<Driver*> drivers;                    // already filtered by the user's --driver
  // Per-driver options from `--option DRIVER.KEY=VALUE`, already validated by the driver.
  std::map<std::string, std::map<std::string, std::string>> driver_options;
  std::function<void(const Progress&)> progress;  // may be empty
  // 0, or the host-monotonic time by which the suite should be done (--budget-time): each driver
  // stops measuring once its share of the time left is spent (OutOfBudget).
  int64_t deadline_ns = 0;
  // The suite's own parameters the user gave (`ctvbench run --KEY VALUE`, keys from
  // Suite::Parameters(), already checked by ValidateParameters); the suite applies its defaults.
  std::map<std::string, std::string> params;
};

// A parameter of a suite itself, not of a driver: `ctvbench run --KEY VALUE` (density: --max).
// The CLI offers one option per key declared by any suite and refuses it for a suite that does
// not declare it.
struct SuiteParam {
  std::string key;    // "max": the option is --max
  std::string value;  // "N", "BYTES", "on|off": the value's form in --help
  std::string help;   // one line, the default included
};

// The value of `key` in `params`, or `dflt`.
inline std::string Param(const std::map<std::string, std::string>& params, const std::string& key,
                         const std::string& dflt = "") {
  auto it = params.find(key);
  return it == params.end() ? dflt : it->second;
}

// A time budget never cuts a driver below this many measured repetitions.
inline constexpr int kMinRepetitions = 3;

// Should a driver that started at `start_ns` and has done `done` repetitions (`measured` of them
// measured) stop now? Only with a deadline, never below kMinRepetitions: when one more
// repetition, at the average pace so far, would end after this driver's share of the time left
// (shared equally by the `drivers_left` drivers still to run, itself included).
inline bool OutOfBudget(const SuiteOptions& o, int64_t start_ns, int done, int measured,
                        int drivers_left) {
  if (o.deadline_ns == 0 || measured < kMinRepetitions || done == 0) return false;
  int64_t now = MonotonicNs();
  int64_t share_end = start_ns + (o.deadline_ns - start_ns) / std::max(1, drivers_left);
  return now + (now - start_ns) / done > share_end;
}

// The note a result carries when the budget cut its repetitions.
inline std::string BudgetNote(int measured, int asked) {
  return "time budget (--budget-time): " + std::to_string(measured) + " of " +
         std::to_string(asked) + " repetitions measured";
}

// A suite's own default repetitions, used when the user gives no -n / -w.
struct RepetitionDefaults {
  int repetitions = 10;
  int warmup = 2;
};

class Suite {
 public:
  virtual ~Suite() = default;
  virtual std::string Name() const = 0;
  virtual std::string Description() const = 0;
  // The driver options this suite sets unless the user gives them (the devices suite runs VMs on
  // machine pc with a scratch disk): the CLI validates the user's options on top of these, so an
  // option is judged against the configuration that will really run.
  virtual std::map<std::string, std::string> OptionDefaults(const Driver&) const { return {}; }
  // The suite's own parameters (SuiteOptions::params). Default: none.
  virtual std::vector<SuiteParam> Parameters() const { return {}; }
  // Checks the values the user gave before anything runs; the error names the option and the
  // accepted form. Only keys of Parameters() reach it.
  virtual Status ValidateParameters(const std::map<std::string, std::string>&) const {
    return Ok();
  }
  // Repetitions when the user chooses none; nullopt = the CLI's (10 after 2 warm-up). Suites
  // whose every repetition costs seconds per driver choose fewer, so their defaults stay short.
  virtual std::optional<RepetitionDefaults> Defaults() const { return std::nullopt; }
  // Drivers that cannot run here come back as DriverResult{skipped = reason}; a driver that fails
  // mid-run comes back skipped with the error. Only an interrupt (Ctrl-C) fails the whole suite.
  virtual Result<results::SuiteResult> Run(const SuiteOptions& options) = 0;
};

std::vector<std::unique_ptr<Suite>> MakeAllSuites();

}  // namespace ctv::bench
