#include "vm/channel.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/markers.h"
#include "core/clock.h"
#include "core/interrupt.h"

namespace ctv::vm {
namespace {

// How often a wait for a marker asks whether QEMU is still there while the channel is silent.
constexpr int64_t kAliveCheckMs = 1000;

}  // namespace

Result<MarkerChannel> MarkerChannel::Listen(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return ErrnoError("listen on marker socket", path, "use a shorter state directory");
  }
  MarkerChannel ch;
  ch.path_ = path;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("create marker socket", path);
  ch.listen_.Reset(fd);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ::unlink(path.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return ErrnoError("bind marker socket", path);
  if (::listen(fd, 1) != 0) return ErrnoError("listen on marker socket", path);
  return ch;
}

MarkerChannel MarkerChannel::Adopt(Fd conn, std::string label) {
  MarkerChannel ch;
  ch.path_ = std::move(label);
  ch.conn_ = std::move(conn);
  return ch;
}

MarkerChannel::~MarkerChannel() {
  conn_.Reset();
  if (listen_.Valid()) {
    listen_.Reset();
    ::unlink(path_.c_str());
  }
}

Status MarkerChannel::Accept(std::chrono::milliseconds timeout) {
  if (conn_.Valid()) return Ok();
  pollfd p{listen_.Get(), POLLIN, 0};
  int r;
  for (;;) {
    r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (r >= 0 || errno != EINTR) break;
    if (Interrupted()) {
      errno = ECANCELED;
      return ErrnoError("wait for QEMU on marker socket", path_, "interrupted");
    }
  }
  if (r < 0) return ErrnoError("wait for QEMU on marker socket", path_);
  if (r == 0) {
    errno = ETIMEDOUT;
    return ErrnoError("wait for QEMU on marker socket", path_,
                      "QEMU did not connect within " + std::to_string(timeout.count()) + " ms");
  }
  int fd = ::accept4(listen_.Get(), nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return ErrnoError("accept QEMU on marker socket", path_);
  conn_.Reset(fd);
  return Ok();
}

Status MarkerChannel::Send(const std::string& text) {
  if (!conn_.Valid()) return MakeError("send to guest over", path_, "not connected");
  return WriteAll(conn_.Get(), text, "marker socket " + path_);
}

void MarkerSession::AddMark(const std::string& name, int64_t t) {
  // Marks are phase ends in order: never let an estimate run backwards.
  if (!marks_->empty()) t = std::max(t, marks_->back().t_ns);
  marks_->push_back({name, t});
}

Status MarkerSession::Handle(const TimedLine& line) {
  markers::Marker m = markers::Parse(line.text);
  const std::string args(m.args);
  switch (m.kind) {
    case markers::Kind::kInit: {
      char* end = nullptr;
      int64_t boottime = std::strtoll(args.c_str(), &end, 10);
      int64_t sent = end && *end ? std::strtoll(end, nullptr, 10) : boottime;
      init_boottime_ = boottime;
      // Guest clock intervals are mapped onto the host clock at the arrival of this line: the
      // guest's boottime clock starts about when its kernel does, so arrival - (sent - 0)
      // estimates the kernel's start (end of QEMU setup and firmware) and arrival - (sent -
      // boottime) PID 1's start. Module loading (virtio channel) thus counts as init, not kernel.
      if (boot_chain_) {
        for (const Mark& m : CTV_TRY(boot_chain_())) AddMark(m.name, m.t_ns);
      } else {
        AddMark("firmware", line.arrived_ns - sent);
      }
      AddMark("kernel", line.arrived_ns - (sent - boottime));
      break;
    }
    case markers::Kind::kRoot:
      AddMark("initrd", line.arrived_ns);
      break;
    case markers::Kind::kExec:
      if (init_chain_)
        for (const Mark& m : CTV_TRY(init_chain_())) AddMark(m.name, m.t_ns);
      AddMark("init", line.arrived_ns);
      break;
    case markers::Kind::kReady:
      ready_ = true;
      AddMark("ready", line.arrived_ns);
      break;
    case markers::Kind::kExit: {
      ExitStatus st;
      if (args.rfind("signal ", 0) == 0) {
        st.signaled = true;
        st.code = std::atoi(args.c_str() + 7);
      } else {
        st.code = std::atoi(args.c_str());
      }
      exit_ = st;
      AddMark("done", line.arrived_ns);
      break;
    }
    case markers::Kind::kError:
      error_ = args;
      return MakeError("run guest", "", "ctv-init: " + error_);
    case markers::Kind::kNotMarker:
      output_ += line.text + "\n";
      break;
    case markers::Kind::kUnknown:
      break;
  }
  return Ok();
}

Status MarkerSession::ReadUntil(MarkerChannel& ch, markers::Kind until, int64_t deadline_ns,
                                const std::function<bool()>& alive) {
  const bool for_exit = until == markers::Kind::kExit;
  const std::string want(for_exit ? markers::kExit : markers::kReady);
  auto reached = [&] { return for_exit ? exit_.has_value() : (ready_ || exit_); };
  auto check = [&]() -> Status {
    if (!for_exit && !ready_ && exit_)
      return MakeError("wait for " + want + " from guest on", ch.Path(),
                       "the workload ended first (" + exit_->ToString() +
                           "); its output: " + output_.substr(0, 400));
    return Ok();
  };
  if (reached()) return check();
  while (!ch.Connected()) {
    int64_t left_ms = (deadline_ns - MonotonicNs()) / 1'000'000;
    auto st = ch.Accept(std::chrono::milliseconds(std::clamp<int64_t>(left_ms, 0, 100)));
    if (st) break;
    if (st.error().code != ETIMEDOUT || left_ms <= 100) return st;
    if (alive && !alive())
      return MakeError("wait for QEMU on marker socket", ch.Path(), "QEMU exited at start");
  }
  if (!reader_) reader_.emplace(ch.ConnFd());
  while (!reached()) {
    int64_t left_ms = (deadline_ns - MonotonicNs()) / 1'000'000;
    if (left_ms <= 0) {
      errno = ETIMEDOUT;
      return ErrnoError("wait for " + want + " from guest on", ch.Path(), "timed out");
    }
    // In slices: between them `alive` is asked, so a QEMU (or a libvirt connection) that is gone
    // without closing the channel ends the wait then, not at the deadline. A channel relayed by
    // libvirt (StreamBridge) does not close when the daemon stops answering; its keepalive
    // closes the connection, which `alive` sees.
    auto line = reader_->Next(std::chrono::milliseconds(std::min<int64_t>(left_ms, kAliveCheckMs)));
    if (!line && line.error().code == ETIMEDOUT) {
      if (alive && !alive())
        return MakeError("wait for " + want + " from guest on", ch.Path(),
                         "QEMU is gone (or its libvirt connection is) without closing the channel");
      continue;
    }
    if (!line) return std::move(line).error();
    if (!*line) {
      return MakeError("wait for " + want + " from guest on", ch.Path(),
                       "QEMU closed the channel (guest or QEMU ended)");
    }
    CTV_CHECK(Handle(**line));
  }
  return check();
}

}  // namespace ctv::vm
