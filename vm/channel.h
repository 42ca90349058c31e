// The marker channel of one guest, seen from the host: a unix socket the harness listens on and
// QEMU connects to (chardev socket, client side) as the backend of the guest's marker device
// (second UART or virtio console). Listening before QEMU starts means no marker is ever lost.
// For a QEMU under a libvirt daemon (maybe on another host) the channel is instead one end of a
// socketpair that an lv::StreamBridge feeds from the device's libvirt console stream (Adopt).
//
// MarkerSession reads the channel and turns markers into Marks (bench/driver.h timing contract),
// each stamped with the host monotonic clock on arrival (LineReader):
//   CTV-INIT <boottime> [<sent>]  -> "firmware" (estimated kernel start = arrival - guest boottime
//                                    at sending) and "kernel" (PID 1 started), both estimates
//                                    from the guest clock, clamped to stay in order
//                                    (with a boot chain set: its marks, e.g. "bios" and
//                                    "bootloader", then "kernel"; no "firmware")
//   CTV-ROOT                      -> "initrd" (distro guest: the initramfs mounted the root and
//                                    hands over to systemd)
//   CTV-EXEC                      -> "init"   (ctv-init's mounts/modules done, workload exec'd;
//                                    with an init chain set, its marks come first, e.g.
//                                    systemd's "sysinit" and "basic")
//   CTV-READY                     -> "ready"
//   CTV-EXIT <code>|signal <n>    -> "done"
//   CTV-ERROR <msg>               -> an Error carrying msg
// Other lines are the workload's output (e.g. `ctv-probe syscall` JSON).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/fd.h"
#include "core/line_reader.h"
#include "core/markers.h"
#include "core/process.h"

namespace ctv::vm {

class MarkerChannel {
 public:
  // Creates and listens on `path` (an old socket file there is replaced).
  static Result<MarkerChannel> Listen(const std::string& path);
  // A channel connected already: `conn` is the harness's end. `label` names it in errors.
  static MarkerChannel Adopt(Fd conn, std::string label);
  MarkerChannel() = default;
  MarkerChannel(MarkerChannel&&) = default;
  MarkerChannel& operator=(MarkerChannel&&) = default;
  ~MarkerChannel();

  // Waits for QEMU to connect (no-op once connected).
  Status Accept(std::chrono::milliseconds timeout);
  bool Connected() const { return conn_.Valid(); }
  int ConnFd() const { return conn_.Get(); }
  Status Send(const std::string& text);
  // The socket's path, or the label of an adopted channel.
  const std::string& Path() const { return path_; }

 private:
  std::string path_;
  Fd listen_;
  Fd conn_;
};

class MarkerSession {
 public:
  // `marks` receives the marks; `launch_ns` is Marks()[0].
  explicit MarkerSession(std::vector<Mark>* marks) : marks_(marks) {}

  // Reads until `until` (markers::Kind::kReady or kExit) arrived, the channel closed, or the
  // deadline.
  // QEMU dying closes the channel, which ends the wait with an Error; so does a workload that
  // exits before its ready marker. `alive` (may be empty) is asked while waiting for QEMU to
  // connect, and after each second of silence on the channel, so a QEMU that dies at start, or a
  // libvirt connection that is lost (the channel is then relayed by nobody), fails the wait
  // within about a second instead of at the deadline.
  Status ReadUntil(MarkerChannel& ch, markers::Kind until, int64_t deadline_ns,
                   const std::function<bool()>& alive = {});

  // For guests booted by firmware from a disk: `chain` gives the marks of the steps before the
  // kernel (times seen on other ports) when CTV-INIT arrives; they replace the "firmware"
  // estimate (the guest clock starts after the bootloader and the kernel's decompression, so
  // it cannot tell those apart). An Error from `chain` fails the wait.
  void SetBootChain(std::function<Result<std::vector<Mark>>()> chain) {
    boot_chain_ = std::move(chain);
  }

  // For guests with an init system (the distro guest): `chain` gives the marks of its milestones
  // between CTV-ROOT and CTV-EXEC (times seen on the console) when CTV-EXEC arrives; an Error
  // from it fails the wait.
  void SetInitChain(std::function<Result<std::vector<Mark>>()> chain) {
    init_chain_ = std::move(chain);
  }

  bool Ready() const { return ready_; }
  const std::optional<ExitStatus>& Exit() const { return exit_; }
  const std::string& Output() const { return output_; }
  // Guest CLOCK_BOOTTIME at PID 1 entry, when known.
  std::optional<int64_t> GuestInitBoottimeNs() const { return init_boottime_; }

 private:
  Status Handle(const TimedLine& line);
  void AddMark(const std::string& name, int64_t t);

  std::vector<Mark>* marks_;
  std::function<Result<std::vector<Mark>>()> boot_chain_;
  std::function<Result<std::vector<Mark>>()> init_chain_;
  std::optional<LineReader> reader_;
  bool ready_ = false;
  std::optional<ExitStatus> exit_;
  std::optional<int64_t> init_boottime_;
  std::string output_;
  std::string error_;
};

}  // namespace ctv::vm
