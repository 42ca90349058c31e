// StreamBridge: one of a domain's character devices (a `pty` serial or console), opened through
// libvirt (virDomainOpenConsole) and carried onto a local descriptor. This is how the `vm` driver
// talks to a guest whose QEMU runs under a libvirt daemon, possibly on another machine: the
// daemon reads the pty there and relays it over the libvirt connection (ssh, tls...), so nothing
// but the connection has to reach this host.
//
// Contract:
// - Everything the device sends is written to `local` as it arrives, by libvirt's event loop
//   thread (lv::EnsureEventLoop). For the marker channel `local` is one end of a socketpair whose
//   other end the harness reads with its usual LineReader (arrival = read time, so a marker's
//   timestamp includes the relay's latency: the results say which transport was used); for the
//   guest console it is a log file.
// - With `duplex`, bytes written to the peer of `local` are sent to the device (the STOP command).
// - When the device's stream ends (QEMU gone, domain destroyed, connection lost), `local` is
//   closed, so the reader of the peer sees end of file, as with the unix socket a local QEMU
//   connects to.
// - The destructor stops both directions and aborts the stream; afterwards no callback runs on
//   behalf of this bridge with its descriptor open.
// The domain must not have run yet when the device is opened: QEMU drops what a guest writes to a
// pty nobody has open, so the driver starts the domain paused and resumes it after Open().
#pragma once

#include <libvirt/libvirt.h>

#include <memory>
#include <string>

#include "core/error.h"
#include "core/fd.h"

namespace ctv::vm::lv {

class StreamBridge {
 public:
  // `device`: the device's alias (the domain XML gives each one, e.g. "ua-ctvmarker").
  static Result<StreamBridge> Open(virConnectPtr conn, virDomainPtr dom, const std::string& device,
                                   Fd local, bool duplex);
  StreamBridge() = default;
  StreamBridge(StreamBridge&&) noexcept = default;
  StreamBridge& operator=(StreamBridge&& o) noexcept;
  StreamBridge(const StreamBridge&) = delete;
  StreamBridge& operator=(const StreamBridge&) = delete;
  ~StreamBridge() { Close(); }

  void Close();

  struct State;  // shared with the event loop's callbacks (they keep it alive until removed)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace ctv::vm::lv
