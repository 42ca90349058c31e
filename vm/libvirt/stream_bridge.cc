#include "vm/libvirt/stream_bridge.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <mutex>
#include <thread>

#include "vm/libvirt/conn.h"

namespace ctv::vm::lv {

// Locking: `mu` guards everything here and is only ever held around our own work, never while
// calling libvirt's callback/watch removal (libvirt may hold its stream lock while it calls us,
// so holding `mu` across those calls could deadlock with a callback waiting for `mu`).
struct StreamBridge::State {
  std::mutex mu;
  virStreamPtr stream = nullptr;  // not owned: StreamBridge frees it after removing the callbacks
  Fd local;
  int watch = -1;            // virEventAddHandle on `local` (duplex only)
  bool stream_cb = false;    // virStreamEventAddCallback registered
  bool closed = false;       // no more I/O on behalf of this bridge
};

namespace {

using StatePtr = std::shared_ptr<StreamBridge::State>;

void FreeOpaque(void* opaque) { delete static_cast<StatePtr*>(opaque); }

// The device's stream ended: stop everything and close `local` (its peer's reader sees EOF).
// Called from libvirt's event loop thread with `lk` held; releases it before calling libvirt.
void End(StreamBridge::State& s, std::unique_lock<std::mutex>& lk) {
  s.closed = true;
  int watch = std::exchange(s.watch, -1);
  bool cb = std::exchange(s.stream_cb, false);
  virStreamPtr st = s.stream;
  s.local.Reset();
  lk.unlock();
  if (watch >= 0) virEventRemoveHandle(watch);
  if (cb) virStreamEventRemoveCallback(st);
}

void OnStream(virStreamPtr st, int events, void* opaque) {
  StatePtr s = *static_cast<StatePtr*>(opaque);  // a copy: removal frees the opaque
  std::unique_lock<std::mutex> lk(s->mu);
  if (s->closed) return;
  if (events & VIR_STREAM_EVENT_READABLE) {
    char buf[4096];
    for (;;) {
      int n = virStreamRecv(st, buf, sizeof buf);
      if (n == -2) break;  // drained for now
      if (n <= 0) return End(*s, lk);  // 0: the device closed; -1: the stream failed
      if (!WriteAll(s->local.Get(), std::string_view(buf, n), "stream bridge"))
        return End(*s, lk);  // nobody reads the other side any more
    }
  }
  if (events & (VIR_STREAM_EVENT_HANGUP | VIR_STREAM_EVENT_ERROR)) End(*s, lk);
}

// Sends everything to a non-blocking stream. A few bytes (STOP) at a time; the relay drains
// quickly, so a full stream (-2) is retried for up to a second before giving up.
bool SendAll(virStreamPtr st, const char* data, size_t n) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (n > 0) {
    int w = virStreamSend(st, data, n);
    if (w == -2) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    if (w < 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

void OnLocal(int watch, int fd, int, void* opaque) {
  StatePtr s = *static_cast<StatePtr*>(opaque);
  std::unique_lock<std::mutex> lk(s->mu);
  if (s->closed || s->watch != watch) return;
  char buf[512];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n > 0 && SendAll(s->stream, buf, static_cast<size_t>(n))) return;
  // The peer shut its side (or sending failed): stop reading, keep relaying the device's output.
  s->watch = -1;
  lk.unlock();
  virEventRemoveHandle(watch);
}

}  // namespace

Result<StreamBridge> StreamBridge::Open(virConnectPtr conn, virDomainPtr dom,
                                        const std::string& device, Fd local, bool duplex) {
  EnsureEventLoop();
  std::string what = std::string("domain ") + virDomainGetName(dom) + " device " + device;
  virStreamPtr st = virStreamNew(conn, VIR_STREAM_NONBLOCK);
  if (!st) return LastError("create libvirt stream for", what);
  StreamBridge b;
  b.state_ = std::make_shared<State>();
  b.state_->stream = st;
  b.state_->local = std::move(local);
  // FORCE: a console session left by an earlier (killed) client of the same domain cannot exist
  // for our fresh transient domains, so this only matters if libvirt thinks one does.
  if (virDomainOpenConsole(dom, device.c_str(), st, VIR_DOMAIN_CONSOLE_FORCE) < 0) {
    Error e = LastError("open console", what);
    b.Close();
    return e;
  }
  auto* op = new StatePtr(b.state_);
  if (virStreamEventAddCallback(st,
                                VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_HANGUP |
                                    VIR_STREAM_EVENT_ERROR,
                                OnStream, op, FreeOpaque) < 0) {
    delete op;
    Error e = LastError("watch libvirt stream of", what);
    b.Close();
    return e;
  }
  {
    std::lock_guard<std::mutex> lk(b.state_->mu);
    b.state_->stream_cb = true;
  }
  if (duplex) {
    int fd = b.state_->local.Get();
    auto* op2 = new StatePtr(b.state_);
    int watch = virEventAddHandle(fd, VIR_EVENT_HANDLE_READABLE, OnLocal, op2, FreeOpaque);
    if (watch < 0) {
      delete op2;
      b.Close();
      return MakeError("watch local end of", what, "virEventAddHandle failed");
    }
    std::lock_guard<std::mutex> lk(b.state_->mu);
    b.state_->watch = watch;
  }
  return b;
}

StreamBridge& StreamBridge::operator=(StreamBridge&& o) noexcept {
  if (this != &o) {
    Close();
    state_ = std::move(o.state_);
  }
  return *this;
}

void StreamBridge::Close() {
  if (!state_) return;
  int watch;
  bool cb;
  virStreamPtr st;
  {
    std::lock_guard<std::mutex> lk(state_->mu);
    state_->closed = true;
    watch = std::exchange(state_->watch, -1);
    cb = std::exchange(state_->stream_cb, false);
    st = std::exchange(state_->stream, nullptr);
    state_->local.Reset();
  }
  if (watch >= 0) virEventRemoveHandle(watch);
  if (st) {
    if (cb) virStreamEventRemoveCallback(st);
    virStreamAbort(st);  // fails harmlessly when the stream already ended
    virStreamFree(st);
  }
  state_.reset();
}

}  // namespace ctv::vm::lv
