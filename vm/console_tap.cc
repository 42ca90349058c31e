#include "vm/console_tap.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/fd.h"

namespace ctv::vm {
namespace {

// Lines kept for FirstLine: a boot chain prints a few hundred (SeaBIOS's debug output ~70, the
// console with loglevel=4 a handful); a guest that floods its console is cut off here, not the
// log file.
constexpr size_t kMaxLines = 4096;
constexpr size_t kMaxLineBytes = 512;

}  // namespace

struct ConsoleTap::State {
  std::string socket_path;
  Fd listen, stop, log;
  std::thread reader;
  mutable std::mutex mu;
  std::vector<std::pair<int64_t, std::string>> lines;  // guarded by mu
  std::string partial;                                  // reader thread only

  void AddBytes(const char* p, size_t n, int64_t now) {
    (void)WriteAll(log.Get(), std::string_view(p, n), "console log");  // best effort
    for (size_t i = 0; i < n; ++i) {
      if (p[i] == '\n') {
        if (!partial.empty() && partial.back() == '\r') partial.pop_back();
        std::lock_guard<std::mutex> l(mu);
        if (lines.size() < kMaxLines) lines.emplace_back(now, std::move(partial));
        partial.clear();
      } else if (partial.size() < kMaxLineBytes) {
        partial.push_back(p[i]);
      }
    }
  }

  // Waits for `fd` to be readable or the stop event; false on stop or error.
  bool WaitReadable(int fd) {
    pollfd p[2] = {{fd, POLLIN, 0}, {stop.Get(), POLLIN, 0}};
    for (;;) {
      int r = ::poll(p, 2, -1);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 || (p[1].revents & POLLIN)) return false;
      return true;
    }
  }

  void Run() {
    if (!WaitReadable(listen.Get())) return;
    Fd conn(::accept4(listen.Get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn.Valid()) return;
    char buf[16384];
    while (WaitReadable(conn.Get())) {
      ssize_t n = ::read(conn.Get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // QEMU closed it (exited) or an error: nothing more will come
      AddBytes(buf, static_cast<size_t>(n), MonotonicNs());
    }
  }
};

Result<std::unique_ptr<ConsoleTap>> ConsoleTap::Listen(const std::string& socket_path,
                                                       const std::string& log_path) {
  auto s = std::make_unique<State>();
  s->socket_path = socket_path;
  sockaddr_un addr{};
  if (socket_path.size() >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return ErrnoError("listen on console socket", socket_path, "use a shorter state directory");
  }
  s->log = CTV_TRY(OpenFile(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600));
  s->stop.Reset(::eventfd(0, EFD_CLOEXEC));
  if (!s->stop.Valid()) return ErrnoError("create eventfd for console socket", socket_path);
  s->listen.Reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s->listen.Valid()) return ErrnoError("create console socket", socket_path);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  ::unlink(socket_path.c_str());
  if (::bind(s->listen.Get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return ErrnoError("bind console socket", socket_path);
  if (::listen(s->listen.Get(), 1) != 0) {
    ::unlink(socket_path.c_str());
    return ErrnoError("listen on console socket", socket_path);
  }
  State* raw = s.get();
  s->reader = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<ConsoleTap>(new ConsoleTap(std::move(s)));
}

ConsoleTap::ConsoleTap(std::unique_ptr<State> s) : s_(std::move(s)) {}

ConsoleTap::~ConsoleTap() {
  uint64_t one = 1;
  if (::write(s_->stop.Get(), &one, sizeof one) < 0) {
    // An eventfd write fails only on overflow: the thread has been told already.
  }
  if (s_->reader.joinable()) s_->reader.join();
  s_->listen.Reset();
  ::unlink(s_->socket_path.c_str());
}

std::optional<int64_t> ConsoleTap::FirstLine(const std::string& text) const {
  std::lock_guard<std::mutex> l(s_->mu);
  for (const auto& [t, line] : s_->lines)
    if (line.find(text) != std::string::npos) return t;
  return std::nullopt;
}

const std::string& ConsoleTap::SocketPath() const { return s_->socket_path; }

}  // namespace ctv::vm
