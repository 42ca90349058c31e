// RAII wrappers over the libvirt C API, and the embedded driver's setup.
//
// Contract: a Connection closes itself; virConnectClose() returning > 0 means some object still
// holds a reference, which is a leak in our code and is logged as such. A Domain frees its
// handle (virDomainFree) but does not destroy the guest: lifetimes of guests are the driver's.
#pragma once

#include <libvirt/libvirt.h>

#include <string>
#include <utility>

#include "core/error.h"

namespace ctv::vm::lv {

// Libvirt's last error as ours: "op `object`: <libvirt message>".
Error LastError(std::string op, std::string object);

// Once per process: silence libvirt's default stderr printer (errors travel as Errors), register
// the default event loop implementation and run it on a background thread. libvirt needs a
// registered loop for its API (domain events, timers). QMP traffic does not pass through it:
// libvirt 9.0 gives each running domain its own monitor thread ("vm-<name>").
void EnsureEventLoop();

// "qemu:///embed?root=<vm_state_root>/libvirt".
std::string EmbedUri(const std::string& vm_state_root);
// The root of an embedded-driver URI ("qemu:///embed?root=DIR" -> "DIR"); "" for any other URI,
// i.e. one naming a libvirt daemon (local or not).
std::string EmbedRootOf(const std::string& uri);
// The host part of a libvirt URI when it names another machine ("qemu+ssh://user@h:22/system"
// -> "h"); "" for local URIs (no host, localhost, 127.0.0.1, ::1). Facts of this host (its KVM,
// its TSC rate, its /proc) say nothing about another one.
std::string RemoteHostOf(const std::string& uri);
// Writes <root>/etc/qemu.conf for the embedded driver: QEMU as root, no security driver, no
// mount namespace (this host's QEMU runs as root without confinement). Idempotent.
Status WriteEmbedConfig(const std::string& embed_root);

// Note: libvirt allows one embedded root per process; opening a second root fails.
class Connection {
 public:
  // For qemu:///embed URIs, writes the embed config first. Daemon connections get libvirt's
  // keepalive (5 s interval, 3 missed = closed), so a dead daemon fails calls instead of hanging.
  static Result<Connection> Open(const std::string& uri);
  Connection() = default;
  Connection(Connection&& o) noexcept : c_(std::exchange(o.c_, nullptr)), uri_(std::move(o.uri_)) {}
  Connection& operator=(Connection&& o) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { Close(); }

  virConnectPtr Get() const { return c_; }
  const std::string& Uri() const { return uri_; }
  void Close();

 private:
  virConnectPtr c_ = nullptr;
  std::string uri_;
};

class Domain {
 public:
  Domain() = default;
  explicit Domain(virDomainPtr d) : d_(d) {}
  Domain(Domain&& o) noexcept : d_(std::exchange(o.d_, nullptr)) {}
  Domain& operator=(Domain&& o) noexcept {
    if (this != &o) {
      Reset();
      d_ = std::exchange(o.d_, nullptr);
    }
    return *this;
  }
  Domain(const Domain&) = delete;
  Domain& operator=(const Domain&) = delete;
  ~Domain() { Reset(); }

  virDomainPtr Get() const { return d_; }
  explicit operator bool() const { return d_ != nullptr; }
  void Reset() {
    if (d_) virDomainFree(d_);
    d_ = nullptr;
  }
  std::string Name() const { return d_ ? virDomainGetName(d_) : ""; }
  // VIR_DOMAIN_SHUTOFF etc.; -1 when the state cannot be read (domain gone).
  int State() const;
  bool Active() const { return d_ && virDomainIsActive(d_) == 1; }

 private:
  virDomainPtr d_ = nullptr;
};

}  // namespace ctv::vm::lv
