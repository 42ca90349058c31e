// ctv-remote-init CMD [ARG...]: PID 1 of the test fixture's "remote libvirt host" (see
// remote_libvirt_host.h). It runs CMD (the boot script) and reaps every process of its PID
// namespace as soon as it exits.
//
// Why a real reaper: libvirt starts QEMU daemonized, so QEMU is reparented to PID 1, and libvirt
// polls kill(pid, 0) until QEMU is gone; a zombie still counts as alive. Under a PID 1 that reaps
// late (this sandbox's), libvirt's QEMU capability probe and every domain stop take seconds.
//
// Lifecycle: CMD failing (non-zero exit or a signal) shuts the namespace down and makes this
// program exit 1, so a failed boot never leaves half-started daemons. SIGTERM/SIGINT/SIGHUP shut
// it down and exit 0: SIGTERM to every process, up to 5 s for them to exit, then SIGKILL. When
// this process exits the kernel kills whatever is left in the namespace anyway; the grace period
// only lets the daemons exit cleanly. Messages go to stderr (the fixture's log file).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <initializer_list>

namespace {

// Reaps every exited child; returns true when `watched` was among them (its status in *status).
bool ReapAll(pid_t watched, int* status) {
  bool seen = false;
  for (;;) {
    int st = 0;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) return seen;
    if (pid == watched) {
      seen = true;
      *status = st;
    }
  }
}

// SIGTERM everyone, reap for up to 5 s, then SIGKILL everyone and reap the rest.
int Shutdown(const sigset_t& set, int code) {
  kill(-1, SIGTERM);
  timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += 5;
  int unused = 0;
  for (;;) {
    ReapAll(-1, &unused);
    if (waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD) return code;
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > deadline.tv_sec ||
        (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec))
      break;
    timespec step = {0, 20 * 1000 * 1000};  // wake up for SIGCHLD or after 20 ms
    sigtimedwait(&set, nullptr, &step);
  }
  std::fprintf(stderr, "ctv-remote-init: processes left after 5 s, sending SIGKILL\n");
  kill(-1, SIGKILL);
  while (waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ctv-remote-init CMD [ARG...]\n");
    return 2;
  }
  if (getpid() != 1) {
    std::fprintf(stderr, "ctv-remote-init: must run as PID 1 of a new PID namespace\n");
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, sig);
  sigprocmask(SIG_BLOCK, &set, nullptr);

  pid_t boot = fork();
  if (boot < 0) {
    std::perror("ctv-remote-init: fork");
    return 1;
  }
  if (boot == 0) {
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    execvp(argv[1], argv + 1);
    std::fprintf(stderr, "ctv-remote-init: exec %s: %s\n", argv[1], std::strerror(errno));
    _exit(127);
  }

  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&set, &info);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) return Shutdown(set, 0);
    int status = 0;
    if (ReapAll(boot, &status)) {
      boot = -1;
      if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        std::fprintf(stderr, "ctv-remote-init: %s failed (wait status %d), shutting down\n",
                     argv[1], status);
        return Shutdown(set, 1);
      }
    }
  }
}
