#include "bench/drivers/host_driver.h"

#include <signal.h>
#include <unistd.h>

#include "bench/drivers/probe_output.h"
#include "core/clock.h"
#include "core/fd.h"
#include "core/process.h"

namespace ctv::bench {
namespace {

// The namespace floor's command prefix (host_driver.h, option unshare=1).
const std::vector<std::string> kUnshareFlags = {"-pfmuinc", "--mount-proc", "--kill-child"};

class HostInstance final : public Instance {
 public:
  // `unshare`: the unshare binary for the namespace floor, "" for a plain process.
  HostInstance(std::string probe, std::string unshare, InstanceSpec spec)
      : probe_(std::move(probe)), unshare_(std::move(unshare)), spec_(std::move(spec)) {}

  Status Start() override {
    PipePair out = CTV_TRY(MakePipe());
    SpawnOptions so;
    if (!unshare_.empty()) {
      so.argv = {unshare_};
      so.argv.insert(so.argv.end(), kUnshareFlags.begin(), kUnshareFlags.end());
    }
    so.argv.push_back(probe_);
    so.argv.insert(so.argv.end(), spec_.probe_args.begin(), spec_.probe_args.end());
    so.stdout_fd = out.write.Get();
    so.new_process_group = true;  // the guard then also kills what the probe forked
    marks_.push_back({"launch", MonotonicNs()});
    child_ = CTV_TRY(Spawn(so));
    marks_.push_back({"spawn", MonotonicNs()});  // posix_spawn returned: fork+exec done
    stdout_ = std::move(out.read);
    reader_.emplace(stdout_.Get());
    return Ok();
  }

  Status WaitReady(std::chrono::milliseconds timeout) override {
    return WaitForReadyMarker(*reader_, timeout, marks_, output_);
  }

  Result<WorkloadExit> WaitExit(std::chrono::milliseconds timeout) override {
    CTV_CHECK(DrainOutput(*reader_, timeout, output_));
    auto st = CTV_TRY(child_.WaitFor(timeout));
    if (!st) return MakeError("wait for ctv-probe", std::to_string(child_.Pid()), "still running");
    marks_.push_back({"exit", MonotonicNs()});
    return WorkloadExit{*st, output_};
  }

  Status Stop(std::chrono::milliseconds timeout) override {
    if (!unshare_.empty()) {
      // The whole group: unshare blocks SIGTERM while it waits for the probe, which exits on it.
      if (child_.Running() && ::kill(-child_.Pid(), SIGTERM) != 0)
        return ErrnoError("signal the namespace floor's process group", std::to_string(child_.Pid()));
    } else {
      CTV_CHECK(child_.Signal(SIGTERM));
    }
    auto st = CTV_TRY(child_.WaitFor(timeout));
    if (!st) {
      child_.KillAndReap();
      return MakeError("stop ctv-probe", "", "did not exit on SIGTERM; killed");
    }
    if (!st->Success()) return MakeError("stop ctv-probe", "", st->ToString());
    return Ok();
  }

  const std::vector<Mark>& Marks() const override { return marks_; }
  std::vector<pid_t> HostPids() const override {
    if (!child_.Running()) return {};
    std::vector<pid_t> pids = {child_.Pid()};
    if (!unshare_.empty())
      for (pid_t c : ChildPids(child_.Pid())) pids.push_back(c);
    return pids;
  }
  std::optional<pid_t> WorkloadHostPid() const override {
    if (!child_.Running()) return std::nullopt;
    if (unshare_.empty()) return child_.Pid();
    auto children = ChildPids(child_.Pid());  // the probe, once unshare has forked it
    if (children.empty()) return std::nullopt;
    return children.front();
  }

 private:
  std::string probe_;
  std::string unshare_;
  InstanceSpec spec_;
  Child child_;  // declared after nothing it depends on; killed and reaped on destruction
  Fd stdout_;
  std::optional<LineReader> reader_;
  std::vector<Mark> marks_;
  std::string output_;
};

class HostDriver final : public Driver {
 public:
  explicit HostDriver(DriverContext ctx) : ctx_(std::move(ctx)) {}
  std::string Name() const override { return "host"; }
  DriverKind Kind() const override { return DriverKind::kHost; }
  std::string Description() const override {
    return "ctv-probe as a plain host process (the baseline: no isolation)";
  }
  Availability Check() const override {
    if (::access(ctx_.probe_path.c_str(), X_OK) != 0)
      return {false, "ctv-probe not found at " + ctx_.probe_path + " (build the project first)"};
    return {true, "", "none"};
  }

  std::vector<OptionDoc> Options() const override {
    return {{"unshare", "0|1",
             "1: the namespace floor, the probe under `unshare -pfmuinc --mount-proc` (new "
             "namespaces and /proc, nothing else)"}};
  }

  Status ValidateOptions(const std::map<std::string, std::string>& options) const override {
    for (const auto& [key, value] : options) {
      if (key != "unshare")
        return MakeError("driver option", "host." + key, "unknown (host options: unshare=0|1)");
      if (value != "0" && value != "1")
        return MakeError("driver option", "host.unshare", "expected 0 or 1, got \"" + value + "\"");
      if (value == "1" && FindInPath("unshare").empty())
        return MakeError("driver option", "host.unshare",
                         "no `unshare` in PATH (package util-linux)");
      if (value == "1" && ::geteuid() != 0)
        return MakeError("driver option", "host.unshare", "the namespace floor needs root");
    }
    return Ok();
  }
  Result<std::unique_ptr<Instance>> Create(const InstanceSpec& spec) override {
    if (spec.limits.Any())
      return MakeError("create host process", spec.name,
                       "the host driver runs a plain process in the harness's own cgroups: it "
                       "applies no resource limits (memory, memory.high, cpus, pids, cpuset, cpu shares, io)");
    // Limits first: a case asking for a limit and a volume is refused for the limit.
    CTV_CHECK(RefuseVolumes(*this, spec));
    CTV_CHECK(ValidateOptions(spec.options));
    auto it = spec.options.find("unshare");
    std::string unshare = it != spec.options.end() && it->second == "1" ? FindInPath("unshare") : "";
    return std::unique_ptr<Instance>(new HostInstance(ctx_.probe_path, unshare, spec));
  }

 private:
  DriverContext ctx_;
};

}  // namespace

std::unique_ptr<Driver> MakeHostDriver(const DriverContext& context) {
  return std::make_unique<HostDriver>(context);
}

}  // namespace ctv::bench
