#include "bench/drivers/host_driver.h"

#include <signal.h>
#include <unistd.h>

#include "bench/drivers/probe_output.h"
#include "core/clock.h"

namespace ctv::bench {
namespace {

class HostInstance final : public Instance {
 public:
  HostInstance(std::string probe, InstanceSpec spec)
      : probe_(std::move(probe)), spec_(std::move(spec)) {}

  Status Start() override {
    PipePair out = CTV_TRY(MakePipe());
    SpawnOptions so;
    so.argv = {probe_};
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
    CTV_CHECK(child_.Signal(SIGTERM));
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
    return child_.Running() ? std::vector<pid_t>{child_.Pid()} : std::vector<pid_t>{};
  }
  std::optional<pid_t> WorkloadHostPid() const override {
    if (child_.Running()) return child_.Pid();
    return std::nullopt;
  }

 private:
  std::string probe_;
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
  Result<std::unique_ptr<Instance>> Create(const InstanceSpec& spec) override {
    if (spec.limits.Any())
      return MakeError("create host process", spec.name,
                       "the host driver runs a plain process in the harness's own cgroups: it "
                       "applies no resource limits (memory, memory.high, cpus, pids, cpuset, cpu shares, io)");
    // Limits first: a case asking for a limit and a volume is refused for the limit.
    CTV_CHECK(RefuseVolumes(*this, spec));
    return std::unique_ptr<Instance>(new HostInstance(ctx_.probe_path, spec));
  }

 private:
  DriverContext ctx_;
};

}  // namespace

std::unique_ptr<Driver> MakeHostDriver(const DriverContext& context) {
  return std::make_unique<HostDriver>(context);
}

}  // namespace ctv::bench
