// Driver and Instance: how a suite runs the same workload under each isolation technology.
//
// Lifecycle of an Instance (DESIGN.md): create -> Start -> WaitReady -> (sample) -> Stop/WaitExit
// -> destroy. The destructor must release everything the instance holds (processes, mounts,
// cgroups, network devices, libvirt domains, temp dirs), also when Start or WaitReady failed half
// way; `ctvbench gc` covers the case where the harness itself was killed.
//
// Timing contract: every timestamp is the HOST's CLOCK_MONOTONIC (core/clock.h), taken by the
// harness. Marks()[0] is {"launch", t} taken immediately before the launch call; each later mark
// is the moment the host saw that phase end. The startup suite reports ready - launch as the
// total and consecutive differences as phases.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/line_reader.h"
#include "core/process.h"

namespace ctv::bench {

// Resource limits applied to an instance (container cgroup, VM <memory>/<cputune>). A driver
// that cannot apply one it is given fails Create with an error naming the limit (the cgroup
// suite reports that as the reason the case is skipped for it), never ignores it silently.
struct Limits {
  std::optional<uint64_t> memory_bytes;
  // cgroup v2 memory.high: above it the kernel reclaims and throttles the group instead of
  // killing it (OCI linux.resources.unified, podman --cgroup-conf). v2 hosts only: a runtime on a
  // v1 host refuses it.
  std::optional<uint64_t> memory_high_bytes;
  std::optional<double> cpus;  // 0.5 = half a core
  std::optional<int> pids;
  std::optional<std::string> cpuset;  // CPUs the workload may run on: "0", "0-1", "0,2"
  // Relative CPU weight as docker's --cpu-shares / cgroup v1 cpu.shares (default 1024; 2..262144),
  // converted to cpu.weight on v2 as runc does.
  std::optional<uint64_t> cpu_shares;
  // A read bandwidth cap on one block device (v1 blkio.throttle.read_bps_device, v2 io.max
  // rbps): `device` "MAJ:MIN" of a whole disk (the kernel refuses partitions), bytes per second.
  struct IoRead {
    std::string device;
    uint64_t bytes_per_s = 0;
  };
  std::optional<IoRead> io_read;

  bool Any() const {
    return memory_bytes || memory_high_bytes || cpus || pids || cpuset || cpu_shares || io_read;
  }
};

// A host directory bind-mounted into the instance (a container's `-v HOST:CTR`).
struct VolumeMount {
  std::string host_path;
  std::string container_path;
};

struct InstanceSpec {
  std::string name;                     // unique within the run, starts with "ctv"
  std::vector<std::string> probe_args;  // ctv-probe arguments: {"ready"}, {"syscall", ...}
  Limits limits;
  std::map<std::string, std::string> options;  // driver parameters (e.g. "machine" -> "microvm")
  // Only for a driver whose SupportsVolumes() is true; others refuse a spec that has any.
  std::vector<VolumeMount> volumes;
};

struct WorkloadExit {
  ExitStatus status;
  std::string output;  // what the probe wrote to stdout that was not a CTV- marker line
};

class Instance {
 public:
  virtual ~Instance() = default;
  // Launches the workload. Records Marks()[0] = "launch" immediately before the launch call.
  virtual Status Start() = 0;
  // Returns once the host has seen the probe's ready marker (probe mode `ready`).
  virtual Status WaitReady(std::chrono::milliseconds timeout) = 0;
  // For modes that end by themselves (noop, syscall, memtouch...): waits, returns status + output.
  virtual Result<WorkloadExit> WaitExit(std::chrono::milliseconds timeout) = 0;
  // Asks a `ready` workload to stop (SIGTERM to the probe) and waits for it to end.
  virtual Status Stop(std::chrono::milliseconds timeout) = 0;
  virtual const std::vector<Mark>& Marks() const = 0;
  // Host processes this instance needs (workload, shim, qemu...): for PSS accounting.
  virtual std::vector<pid_t> HostPids() const = 0;
  // What this instance really ran with, as the driver knows it only once it has started (keys in
  // fact:: below: the accelerator a VM got, a disk's cache mode, a runtime's version...). Suites
  // copy them into the results without knowing which driver said what.
  virtual std::map<std::string, std::string> Facts() const { return {}; }
  // While it runs: the host PID of the instance's PID 1 (the probe, or the init a runtime put
  // before it), i.e. what the host sees of the workload. nullopt where the workload is no host
  // process (a VM guest, gVisor's Sentry) or the driver cannot tell: the isolation suite then
  // looks at HostPids() and says so.
  virtual std::optional<pid_t> WorkloadHostPid() const { return std::nullopt; }
  // The host cgroup directories that hold this instance's workload and carry its limits (one per
  // v1 hierarchy, or one on v2), for reading its accounting while it runs (cpu usage, throttling,
  // memory peak, OOM kills: runtime/cgroup's ReadStatsOf). Empty when the driver knows of none
  // (a plain host process, a VM whose QEMU is not in a group of ours): readers then fall back to
  // the CPU time of HostPids().
  virtual std::vector<std::string> CgroupPaths() const { return {}; }
};

// Keys of Instance::Facts() that suites and reports understand; a driver may add its own.
namespace fact {
inline constexpr const char* kAccelerator = "accelerator";  // "kvm" / "tcg" (VMs), "none"
inline constexpr const char* kAcceleratorNote = "accelerator_note";  // how it was chosen
inline constexpr const char* kDiskCache = "disk_cache";  // QEMU cache mode of a scratch disk
inline constexpr const char* kDiskCacheNote = "disk_cache_note";  // why it is not "none"
inline constexpr const char* kAddress = "address";  // its IPv4 address on a bridge network
inline constexpr const char* kGuestRamMib = "guest_ram_mib";  // VMs: guest RAM configured
inline constexpr const char* kGuestKernel = "guest_kernel";  // VMs: the guest's `uname -r`
}  // namespace fact

// What a driver isolates with, as reports group and colour results: the plain process (the
// floor), a container (namespaces + cgroups on the host kernel), a sandbox (a kernel of its own in
// user space, e.g. gVisor: neither a container nor a VM) or a virtual machine.
enum class DriverKind { kHost, kContainer, kSandbox, kVm };
inline std::string DriverKindName(DriverKind kind) {
  switch (kind) {
    case DriverKind::kHost:
      return "host";
    case DriverKind::kContainer:
      return "container";
    case DriverKind::kSandbox:
      return "sandbox";
    case DriverKind::kVm:
      return "vm";
  }
  return "?";
}

// One `--option DRIVER.KEY=VALUE` a driver accepts, for `--help` and `ctvbench list`.
struct OptionDoc {
  std::string key;     // "machine"
  std::string values;  // "pc|q35|microvm", "MiB", "0:100000:65536"
  std::string help;    // one line: what it changes
};

struct Availability {
  bool available = false;
  std::string reason;                // why not, when not available; a hint otherwise
  std::string accelerator = "none";  // what instances of this driver will really use
};

// Where drivers find what they run. Filled once by the CLI.
struct DriverContext {
  std::string probe_path;  // the static ctv-probe binary
  std::string image_dir;   // the OCI image layout built by `ctvbench image build`
  std::string state_dir;   // scratch state root (default /run/ctvbench)
  std::string guest_kernel;  // VM drivers: kernel to boot ("" = newest /boot/vmlinuz-*)
  std::string libvirt_uri;   // vm driver: "" = embedded qemu:///embed under state_dir
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual std::string Name() const = 0;
  virtual std::string Description() const = 0;
  virtual DriverKind Kind() const = 0;
  // The option keys ValidateOptions accepts, documented. Default: none.
  virtual std::vector<OptionDoc> Options() const { return {}; }
  // Can this driver run on this host? Cheap enough for `ctvbench list`; no side effects.
  virtual Availability Check() const = 0;
  // Checks the options a user gave this driver (`ctvbench run --option DRIVER.KEY=VALUE`) before
  // anything runs; the error names the bad key or value and the accepted ones. Default: none.
  virtual Status ValidateOptions(const std::map<std::string, std::string>& options) const {
    if (options.empty()) return Ok();
    return MakeError("driver option", Name() + "." + options.begin()->first,
                     "the " + Name() + " driver takes no options");
  }
  // The parameters a run with these (validated) options really uses, defaults included, so a
  // result says e.g. machine=microvm even when the user chose nothing. Default: the options.
  virtual std::map<std::string, std::string> EffectiveParameters(
      const std::map<std::string, std::string>& options) const {
    return options;
  }
  // One-time preparation before the repetitions (unpack an image, build a guest...). Default none.
  virtual Status Prepare() { return Ok(); }
  // Whether Create honours InstanceSpec::volumes. Default: no (a spec with volumes is refused).
  virtual bool SupportsVolumes() const { return false; }
  virtual Result<std::unique_ptr<Instance>> Create(const InstanceSpec& spec) = 0;
};

// The error a driver without volumes (SupportsVolumes() false) returns from Create for a spec
// that has some, rather than running the workload without them.
inline Status RefuseVolumes(const Driver& d, const InstanceSpec& spec) {
  if (spec.volumes.empty()) return Ok();
  return MakeError("create instance", spec.name,
                   "the " + d.Name() + " driver does not mount volumes");
}

}  // namespace ctv::bench
