#include "bench/drivers/qemu_driver.h"

#include <fcntl.h>
#include <signal.h>

#include "bench/drivers/guest_driver.h"
#include "core/clock.h"
#include "core/fault_point.h"
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

class QemuInstance : public GuestInstance {
 public:
  QemuInstance(GuestLaunch launch, std::vector<std::string> argv)
      : GuestInstance(std::move(launch), "qemu"), argv_(std::move(argv)) {}

  ~QemuInstance() override { child_.KillAndReap(); }

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
    CTV_FAULT_POINT("qemu.spawned");
    marks_.push_back({"process", MonotonicNs()});
    return Ok();
  }

  std::vector<pid_t> HostPids() const override {
    if (child_.Running()) return {child_.Pid()};
    return {};
  }

 private:
  bool QemuAlive() override {
    auto st = child_.WaitFor(std::chrono::milliseconds(0));
    return st && !st->has_value();
  }

  // The guest powers itself off after CTV-EXIT; give QEMU a moment to exit on its own (that is
  // the "gone" phase), then make sure.
  Status Teardown(int64_t deadline) override {
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

  // What QEMU said (qemu.log) when a wait failed: usually the real cause.
  std::string ExtraContext() const override {
    auto log = ReadFile(dir_ + "/qemu.log");
    return log && !log->empty() ? "; qemu: " + log->substr(0, 600) : "";
  }

  std::vector<std::string> argv_;
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
    if (spec.limits.Any())
      return MakeError("create qemu guest", spec.name,
                       "the qemu driver runs QEMU as a plain host process in no cgroup of its own: "
                       "it applies no resource limits (the vm driver maps cpus to libvirt "
                       "<cputune>; guest RAM is the `memory` option)");
    // Limits first: a case asking for a limit and a volume is refused for the limit.
    CTV_CHECK(RefuseVolumes(*this, spec));
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
    l.disk = g.disk.path;
    l.disk_cache = g.disk.cache;
    l.boot_disk = g.boot_disk;
    l.boot_disk_format = g.boot_disk_format;
    if (g.console_tap) l.console_socket = g.console_tap->SocketPath();
    if (g.firmware_tap) l.debugcon_socket = g.firmware_tap->SocketPath();
    std::vector<std::string> argv = vm::QemuArgv(g.spec, g.accel.accel, l);
    return std::unique_ptr<Instance>(new QemuInstance(std::move(g), std::move(argv)));
  }
};

}  // namespace

std::unique_ptr<Driver> MakeQemuDriver(const DriverContext& ctx, const VmDriverConfig& config) {
  return std::make_unique<QemuDriver>(ctx, config);
}

}  // namespace ctv::bench
