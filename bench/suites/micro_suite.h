// micro: Google Benchmark micro-benchmarks of each primitive on ctvrt's launch path (bench/micro/,
// the ctv-micro binary next to ctvbench), merged into the results so that `ctvbench compare`
// flags the one primitive that regressed (docs/suites/micro.md).
//
// One row, the host driver's: the primitives run on the host itself (clone with one namespace
// flag, overlay mount + umount, cgroup create/join/remove, seccomp load, veth pair, nftables
// transaction; ctv-micro's header lists them). Other drivers get a skipped row saying so.
// ctv-micro runs once with --benchmark_format=json, --benchmark_repetitions = warm-up + n (the
// warm-up repetitions are dropped), --benchmark_min_time (--micro-min-time, default 0.05 s per
// repetition; lowered to fit --budget-time, repetitions then cut, never below 3) and, with
// --micro-filter REGEX, --benchmark_filter.
//
// Metrics: micro.<benchmark name> (e.g. micro.BM_Clone/newnet) in the benchmark's time unit, one
// sample per repetition = that repetition's mean real (wall-clock) time per iteration. Details:
// iterations (name -> iterations per repetition), min_time_s, skipped (name -> the reason the
// binary gave: not root, cgroup v2 on a hybrid host...), the binary's context (library version,
// CPU scaling).
#pragma once

#include <memory>
#include <string>

#include "bench/suites/suite.h"
#include "core/error.h"
#include "results/results.h"

namespace ctv::bench {

std::unique_ptr<Suite> MakeMicroSuite();

// Turns Google Benchmark's JSON output into metrics: every "iteration" entry (one per repetition)
// without an error; entries with repetition_index < `warmup` are dropped. Benchmarks that
// reported an error go to r.details["skipped"]. Errors name `source` when the text is not
// Google Benchmark JSON.
Status MergeBenchmarkJson(const std::string& json_text, int warmup, const std::string& source,
                          results::DriverResult& r);

}  // namespace ctv::bench
