// The results file: the one interface between measuring (`ctvbench run`) and reading
// (`report`, `compare`, `history`). Schema documented in docs/results-schema.md.
//
// Contract:
//  - samples are stored raw, in the metric's unit; the stored statistics are recomputed from them
//    on load, so a reader never trusts a summary that disagrees with its samples;
//  - loading a malformed file, or one with another schema_version, fails with an Error naming the
//    file and the JSON path of the offending field (`suites[0].results[1].metrics[0].unit`).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/stats.h"

namespace ctv::results {

inline constexpr const char* kSchemaName = "ctvbench.results";
inline constexpr int kSchemaVersion = 1;

struct Metric {
  std::string name;      // "startup.total", "startup.phase.spawn", "syscall.getppid"
  std::string unit;      // "ms", "us", "ns/op", "MiB", "count", "ratio"
  std::string interval;  // what exactly was measured, in words a reader can check
  bool lower_is_better = true;
  std::vector<double> samples;  // raw, one per measured repetition, in `unit`
  Summary stats;                // derived from samples
  std::vector<std::string> warnings;  // e.g. "spread too wide to trust"
};

// One suite × driver × parameter set.
struct DriverResult {
  std::string driver;       // "host", "ctvrt", "runc", "crun", "runsc", "podman", "vm", "qemu"
  std::string kind;         // "host" (the floor), "container", "sandbox" or "vm": what reports
                            // group and colour by; they never look at driver names
  std::string accelerator;  // "none" (host/containers), "kvm" or "tcg" (VMs): the one really used
  std::map<std::string, std::string> parameters;  // e.g. {"machine": "microvm"}
  std::optional<std::string> skipped;  // why it did not run here; metrics empty then
  std::vector<Metric> metrics;
  nlohmann::json details = nlohmann::json::object();  // suite-specific evidence (e.g. hostinfo)
};

struct SuiteResult {
  std::string name;  // "startup", "footprint", ...
  int repetitions = 0;
  int warmup = 0;
  // Stopped by Ctrl-C: the samples are those gathered until then (fewer than `repetitions`; the
  // driver being measured keeps what it had, drivers not reached yet are absent).
  bool interrupted = false;
  std::vector<DriverResult> results;
};

struct KvmInfo {
  bool device_present = false;  // /dev/kvm exists
  std::string module;           // "kvm_intel", "kvm_amd", "kvm_pvm", "" when none loaded
  std::string usable;           // "yes", "no", "unknown" (not probed yet)
  std::string why;              // the reason behind `usable`
};

struct Environment {
  std::string hostname;
  std::string kernel_release;  // uname -r
  std::string kernel_version;  // uname -v
  std::string arch;
  std::string cpu_model;
  int cpu_count = 0;
  uint64_t memory_bytes = 0;
  std::string cgroup_mode;  // "v1", "v2", "hybrid", "none"
  std::vector<std::string> cgroup_controllers;  // those a container can be limited with
  KvmInfo kvm;
  std::optional<bool> ksm_enabled;  // nullopt when /sys/kernel/mm/ksm is absent
  std::map<std::string, std::string> tools;  // name -> version ("qemu" -> "7.2.19"), present only
  std::string ctvbench_revision;
};

struct RunResults {
  int schema_version = kSchemaVersion;
  std::string started_at;   // RFC 3339 UTC
  std::string finished_at;
  std::vector<std::string> command;  // argv of the run
  Environment environment;
  std::vector<SuiteResult> suites;
};

// Builds a metric from raw samples: fills stats and the trust warnings.
Metric MakeMetric(std::string name, std::string unit, std::string interval,
                  std::vector<double> samples, bool lower_is_better = true);

nlohmann::json ToJson(const RunResults& r);
// `source` names the file in errors.
Result<RunResults> FromJson(const nlohmann::json& j, const std::string& source);

Status SaveResults(const std::string& path, const RunResults& r);
Result<RunResults> LoadResults(const std::string& path);

}  // namespace ctv::results
