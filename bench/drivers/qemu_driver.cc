#include "bench/drivers/qemu_driver.h"

#include <fcntl.h>
#include <signal.h>

#include "bench/drivers/guest_driver.h"
#include "core/clock.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/log.h"
#include "vm/channel.h"
#include "vm/qemu/argv.h"
#include "vm/spec.h"
#include "vm/state.h"

namespace ctv::bench {
namespace {

using namespace std::chrono_literals;

class QemuInstance : public Instance, public vm::VmInstanceInfo {
 public:
  QemuInstance(vm::VmSpec spec, vm::ResolvedAccel accel, std::vector<std::string> argv,
               std::string dir, vm::MarkerChannel channel)
      : spec_(std::move(spec)),
        accel_(std::move(accel)),
        argv_(std::move(argv)),
        dir_(std::move(dir)),
        channel_(std::move(channel)),
        session_(&marks_) {}

  ~QemuInstance() override {
    child_.KillAndReap();
    channel_ = vm::MarkerChannel();
    if (auto s = ctv::fs::RemoveTree(dir_); !s)
      Log(LogLevel::kWarn, "qemu: {}", s.error().ToString());
  }

  Status Start() override {
    Fd log = CTV_TRY(OpenFile(dir_ + "/qemu.log", O_WRONLY | O_CREAT | O_TRUNC, 0600));
    SpawnOptions so;
    so.argv = argv_;
    so.stdout_fd = log.Get();
    so.stderr_fd = log.Get();
    so.new_process_group = true;  // Ctrl-C on the harness is the harness's business, not QEMU's
    marks_.clear();
    marks_.push_back({"launch", MonotonicNs()});
    child_ = CTV_TRY(Spawn(so));
    marks_.push_back({"process", MonotonicNs()});
    return Ok();
  }

  Status WaitReady(std::chrono::milliseconds timeout) override {
    return Explain(session_.ReadUntil(channel_, "CTV-READY", Deadline(timeout), Alive()));
  }

  Result<WorkloadExit> WaitExit(std::chrono::milliseconds timeout) override {
    int64_t deadline = Deadline(timeout);
    CTV_CHECK(Explain(session_.ReadUntil(channel_, "CTV-EXIT", deadline, Alive())));
    CTV_CHECK(Teardown(deadline));
    return WorkloadExit{*session_.Exit(), session_.Output()};
  }

  Status Stop(std::chrono::milliseconds timeout) override {
    int64_t deadline = Deadline(timeout);
    if (!session_.Exit()) {
      CTV_CHECK(channel_.Send("STOP\n"));
      CTV_CHECK(Explain(session_.ReadUntil(channel_, "CTV-EXIT", deadline, Alive())));
    }
    return Teardown(deadline);
  }

  const std::vector<Mark>& Marks() const override { return marks_; }
  std::string Accelerator() const override { return vm::AccelName(accel_.accel); }
  std::string AcceleratorNote() const override { return accel_.note; }
  std::vector<pid_t> HostPids() const override {
    if (child_.Running()) return {child_.Pid()};
    return {};
  }

 private:
  std::function<bool()> Alive() {
    return [this] {
      auto st = child_.WaitFor(std::chrono::milliseconds(0));
      return st && !st->has_value();
    };
  }

  static int64_t Deadline(std::chrono::milliseconds t) {
    return MonotonicNs() + static_cast<int64_t>(t.count()) * 1'000'000;
  }

  // The guest powers itself off after CTV-EXIT; give QEMU a moment to exit on its own (that is
  // the "gone" phase), then make sure.
  Status Teardown(int64_t deadline) {
    if (!child_.Running()) return Ok();
    int64_t left_ms = std::min<int64_t>((deadline - MonotonicNs()) / 1'000'000, 3000);
    auto st = child_.WaitFor(std::chrono::milliseconds(std::max<int64_t>(left_ms, 0)));
    if (!st || !*st) {
      Log(LogLevel::kDebug, "qemu: {} did not exit after guest power-off; killing it", spec_.name);
      child_.KillAndReap();
    }
    marks_.push_back({"gone", MonotonicNs()});
    return Ok();
  }

  // Adds what QEMU said (qemu.log) when a wait failed, since that is usually the real cause.
  Status Explain(Status s) {
    if (s) return s;
    Error e = std::move(s).error();
    auto log = ReadFile(dir_ + "/qemu.log");
    if (log && !log->empty()) e.context += "; qemu: " + log->substr(0, 600);
    auto con = ReadFile(dir_ + "/console.log");
    if (con && !con->empty())
      e.context += "; guest console: " + con->substr(con->size() > 600 ? con->size() - 600 : 0);
    e.context += " [accelerator " + vm::AccelName(accel_.accel) + "]";
    return e;
  }

  vm::VmSpec spec_;
  vm::ResolvedAccel accel_;
  std::vector<std::string> argv_;
  std::string dir_;
  vm::MarkerChannel channel_;
  std::vector<Mark> marks_;
  vm::MarkerSession session_;
  Child child_;
};

class QemuDriver : public GuestDriver {
 public:
  using GuestDriver::GuestDriver;

  std::string Name() const override { return "qemu"; }
  std::string Description() const override {
    return "guest VM as a plain qemu-system-x86_64 process (microvm by default)";
  }
  Availability Check() const override { return CheckQemuAndAccelerator(); }
  Status Prepare() override { return PrepareGuest(); }

  Result<std::unique_ptr<Instance>> Create(const InstanceSpec& spec) override {
    CTV_CHECK(PrepareGuest());
    GuestLaunch g = CTV_TRY(NewLaunch(CTV_TRY(SpecFor(spec)), spec));
    vm::QemuLaunch l;
    l.qemu = qemu_;
    l.kernel = g.kernel;
    l.initrd = g.initrd;
    l.cmdline = g.cmdline;
    l.console_log = g.console_log;
    l.channel_socket = g.channel.Path();
    l.pidfile = g.dir + "/qemu.pid";
    std::vector<std::string> argv = vm::QemuArgv(g.spec, g.accel.accel, l);
    return std::unique_ptr<Instance>(
        new QemuInstance(std::move(g.spec), g.accel, std::move(argv), g.dir, std::move(g.channel)));
  }
};

}  // namespace

std::unique_ptr<Driver> MakeQemuDriver(const DriverContext& ctx, const vm::VmDriverConfig& config) {
  return std::make_unique<QemuDriver>(ctx, config);
}

}  // namespace ctv::bench
