#include "bench/drivers/qemu_driver.h"

#include <fcntl.h>
#include <signal.h>

#include "core/clock.h"
#include "core/fd.h"
#include "core/log.h"
#include "vm/channel.h"
#include "vm/fsutil.h"
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
    if (auto s = vm::RemoveAll(dir_); !s) Log(LogLevel::kWarn, "qemu: {}", s.error().ToString());
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

class QemuDriver : public Driver {
 public:
  QemuDriver(DriverContext ctx, vm::VmDriverConfig config)
      : ctx_(std::move(ctx)), config_(std::move(config)) {}

  std::string Name() const override { return "qemu"; }
  std::string Description() const override {
    return "guest VM as a plain qemu-system-x86_64 process (microvm by default)";
  }

  Status ValidateOptions(const std::map<std::string, std::string>& options) const override {
    auto spec = vm::ParseVmOptions(options);
    if (!spec) return std::move(spec).error();
    return Ok();
  }

  std::map<std::string, std::string> EffectiveParameters(
      const std::map<std::string, std::string>& options) const override {
    auto vs = vm::ParseVmOptions(options);
    if (!vs) return options;
    std::map<std::string, std::string> p = options;
    p["machine"] = vm::MachineName(vs->machine);
    p["devices"] = vm::DeviceModelName(vs->devices);
    p["boot"] = vs->boot == vm::BootMode::kPvh ? "pvh" : "bzimage";
    p["vcpus"] = std::to_string(vs->vcpus);
    p["memory"] = std::to_string(vs->memory_mib);
    return p;
  }

  Availability Check() const override {
    Availability a;
    auto q = vm::FindQemu();
    if (!q) {
      a.reason = q.error().ToString();
      return a;
    }
    a.available = true;
    a.accelerator = vm::ExpectedAccelerator(config_.kernel, &a.reason);
    return a;
  }

  Status Prepare() override {
    qemu_ = CTV_TRY(vm::FindQemu());
    guest_ = CTV_TRY(vm::PrepareGuest(ctx_, config_));
    return Ok();
  }

  Result<std::unique_ptr<Instance>> Create(const InstanceSpec& spec) override {
    if (!guest_) CTV_CHECK(Prepare());
    vm::VmSpec vs = CTV_TRY(vm::ParseVmOptions(spec.options));
    vs.name = spec.name;
    vm::ResolvedAccel accel = vm::ResolveAccel(vs.accel, guest_->bzimage);
    std::string root = vm::VmStateRoot(ctx_.state_dir);
    std::string dir = CTV_TRY(vm::MakeInstanceDir(root, spec.name));
    auto listened = vm::MarkerChannel::Listen(dir + "/chan.sock");
    if (!listened) {
      (void)vm::RemoveAll(dir);
      return std::move(listened).error();
    }
    vm::MarkerChannel ch = std::move(*listened);
    vm::QemuLaunch l;
    l.qemu = qemu_;
    l.kernel = vs.boot == vm::BootMode::kPvh ? guest_->BootKernel() : guest_->bzimage;
    l.initrd = guest_->initrd;
    l.cmdline =
        vm::KernelCmdline(vs, accel.accel, guest_->probe_path, spec.probe_args, vm::HostTscKhz());
    l.console_log = dir + "/console.log";
    l.channel_socket = ch.Path();
    l.pidfile = dir + "/qemu.pid";
    std::vector<std::string> argv = vm::QemuArgv(vs, accel.accel, l);
    return std::unique_ptr<Instance>(
        new QemuInstance(std::move(vs), accel, std::move(argv), dir, std::move(ch)));
  }

 private:
  DriverContext ctx_;
  vm::VmDriverConfig config_;
  std::string qemu_;
  std::optional<vm::Guest> guest_;
};

}  // namespace

std::unique_ptr<Driver> MakeQemuDriver(const DriverContext& ctx, const vm::VmDriverConfig& config) {
  return std::make_unique<QemuDriver>(ctx, config);
}

}  // namespace ctv::bench
