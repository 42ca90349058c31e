#include "runtime/console.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "core/fd.h"

namespace ctv::runtime {
namespace {

volatile sig_atomic_t g_winch = 0;
void OnWinch(int) { g_winch = 1; }

// Whether `pid` has exited, without reaping it (the caller waits for it afterwards).
bool Exited(pid_t pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0)
    return errno == ECHILD;  // not ours to wait for, or gone: nothing left to relay for
  return info.si_pid == pid;
}

// Copies what the pty holds now to `out`. False once the pty has no slave left (EIO/EOF).
bool Drain(int master, int out) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    if (n <= 0) return false;  // EIO: every slave descriptor is closed
    if (!WriteAll(out, std::string_view(buf, static_cast<size_t>(n)), "console output")) {
      return false;
    }
  }
}

}  // namespace

WindowSize TerminalSize(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0) return {};
  return {ws.ws_row, ws.ws_col};
}

bool CopyWindowSize(int from, int to) {
  winsize ws{};
  if (::ioctl(from, TIOCGWINSZ, &ws) != 0) return false;
  return ::ioctl(to, TIOCSWINSZ, &ws) == 0;
}

RawTerminal::RawTerminal(int fd) {
  if (!::isatty(fd) || ::tcgetattr(fd, &saved_) != 0) return;
  termios raw = saved_;
  ::cfmakeraw(&raw);
  if (::tcsetattr(fd, TCSANOW, &raw) == 0) fd_ = fd;
}

RawTerminal::~RawTerminal() {
  if (fd_ >= 0) ::tcsetattr(fd_, TCSANOW, &saved_);
}

Status RelayConsole(const RelayOptions& o) {
  int fl = ::fcntl(o.master, F_GETFL);
  if (fl < 0 || ::fcntl(o.master, F_SETFL, fl | O_NONBLOCK) != 0)
    return ErrnoError("set the pty master non-blocking");
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, o.pid, 0)));
  struct sigaction sa {
  }, old_sa{};
  sa.sa_handler = OnWinch;
  ::sigaction(SIGWINCH, &sa, &old_sa);
  g_winch = 0;
  const int size_from = ::isatty(o.in) ? o.in : o.out;
  bool in_open = true, master_open = true;
  std::string pending;  // input not yet accepted by the pty
  for (;;) {
    if (g_winch) {
      g_winch = 0;
      CopyWindowSize(size_from, o.master);
    }
    pollfd fds[3];
    int n = 0;
    int i_in = -1, i_master = -1, i_pid = -1;
    if (in_open && pending.empty()) fds[i_in = n++] = {o.in, POLLIN, 0};
    if (master_open)
      fds[i_master = n++] = {o.master, static_cast<short>(POLLIN | (pending.empty() ? 0 : POLLOUT)),
                             0};
    if (pidfd.Valid()) fds[i_pid = n++] = {pidfd.Get(), POLLIN, 0};
    // Without a pidfd (old kernel), look at the process every 100 ms.
    int r = ::poll(fds, static_cast<nfds_t>(n), pidfd.Valid() ? -1 : 100);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      Error e = ErrnoError("poll the container's console");
      ::sigaction(SIGWINCH, &old_sa, nullptr);
      return e;
    }
    if (i_master >= 0 && (fds[i_master].revents & (POLLIN | POLLHUP | POLLERR)))
      master_open = Drain(o.master, o.out);
    if (i_master >= 0 && master_open && (fds[i_master].revents & POLLOUT) && !pending.empty()) {
      ssize_t w = ::write(o.master, pending.data(), pending.size());
      if (w > 0) pending.erase(0, static_cast<size_t>(w));
      if (w < 0 && errno != EAGAIN && errno != EINTR) pending.clear();
    }
    if (i_in >= 0 && (fds[i_in].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[4096];
      ssize_t got = ::read(o.in, buf, sizeof buf);
      if (got > 0) {
        pending.append(buf, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        in_open = false;
        termios t{};
        if (::tcgetattr(o.master, &t) == 0 && (t.c_lflag & ICANON))
          pending.push_back(static_cast<char>(t.c_cc[VEOF]));
      }
    }
    bool exited = i_pid >= 0 ? (fds[i_pid].revents & POLLIN) != 0 : Exited(o.pid);
    if (exited) {
      if (master_open) Drain(o.master, o.out);
      break;
    }
  }
  ::sigaction(SIGWINCH, &old_sa, nullptr);
  return Ok();
}

}  // namespace ctv::runtime
