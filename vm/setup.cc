#include "vm/setup.h"

#include <map>
#include <mutex>

#include "core/log.h"
#include "core/process.h"
#include "runtime/image/layout.h"
#include "vm/guest/kernel.h"
#include "vm/state.h"

namespace ctv::vm {

ResolvedAccel ResolveAccel(Accel requested, const std::string& kernel) {
  if (requested == Accel::kKvm) return {Accel::kKvm, "kvm (requested)"};
  if (requested == Accel::kTcg) return {Accel::kTcg, "tcg (requested)"};
  static std::mutex mu;
  static std::map<std::string, ResolvedAccel> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(kernel);
  if (it != cache.end()) return it->second;
  results::KvmInfo info = ProbeKvm(/*boot_probe=*/true, kernel);
  ResolvedAccel r;
  if (info.usable == "yes") {
    r = {Accel::kKvm, "auto: kvm (" + info.why + ")"};
  } else {
    r = {Accel::kTcg, "auto: KVM not usable (" + info.why + "); using TCG (emulation)"};
    Log(LogLevel::kWarn, "vm: {}", r.note);
  }
  cache[kernel] = r;
  return r;
}

std::string ExpectedAccelerator(const std::string& kernel, std::string* why) {
  std::string sink;
  if (!why) why = &sink;
  results::KvmInfo info = ProbeKvm(/*boot_probe=*/false, kernel);
  if (info.usable == "no") {
    *why = "KVM not usable, guests run under TCG emulation: " + info.why;
    return "tcg";
  }
  std::string k = kernel;
  if (k.empty()) {
    auto found = FindKernel("");
    if (!found) {
      *why = "no guest kernel to probe KVM with: " + found.error().ToString();
      return "tcg";
    }
    k = found->path;
  }
  ResolvedAccel r = ResolveAccel(Accel::kAuto, k);
  *why = r.note;
  return r.accel == Accel::kKvm ? "kvm" : "tcg";
}

Result<Guest> PrepareGuest(const bench::DriverContext& ctx, const VmDriverConfig& config) {
  auto [dir, ref] = image::ParseImageRef(ctx.image_dir);
  GuestBuildOptions o;
  o.image_dir = dir;
  o.image_ref = ref;
  // `ctvbench image build` names its manifest "latest"; a single-manifest layout needs no ref.
  if (o.image_ref.empty() && !image::OpenImage(dir, "")) o.image_ref = "latest";
  o.kernel_path = config.kernel;
  o.init_binary = DefaultInitBinary(ctx.probe_path);
  o.cache_dir = VmStateRoot(ctx.state_dir) + "/cache";
  o.extra_modules = config.guest_modules;
  return BuildGuest(o);
}

Result<std::string> FindQemu() {
  std::string q = FindInPath("qemu-system-x86_64");
  if (q.empty())
    return MakeError("find", "qemu-system-x86_64", "install the Debian package qemu-system-x86");
  return q;
}

}  // namespace ctv::vm
