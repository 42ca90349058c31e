// ctv-init: PID 1 of every ctvbench guest (static, no dependencies beyond libc).
//
// Job: make the root a real mount (see MoveRootOntoMount), mount /proc, /sys, /dev (and cgroup2
// when the kernel has it), load the kernel modules the kernel command line names (dependencies
// first, from modules.dep), open the marker channel, run the workload with its stdout on that
// channel, report the workload's exit status, power off.
//
// The distro guest (`guest=distro`) uses it twice. In its initramfs, with ctv.root=, it is the
// initramfs's init: it loads the disk and filesystem modules, mounts the root partition read-only
// under a tmpfs overlay (the cached disk never changes), carries the workload and itself over,
// reports CTV-ROOT and executes the root's /sbin/init (systemd), as switch_root does. Then
// systemd's ready unit runs `ctv-init unit`: the workload part alone (CTV-EXEC, the workload on
// the channel, CTV-EXIT, power-off), not as PID 1.
//
// Kernel command line (all optional except ctv.exec):
//   ctv.chan=/dev/ttyS1            marker channel (an ISA serial port, or /dev/hvc0 for virtio)
//   ctv.mods=virtio_pci,virtio_console   modules to load, in order, each after its dependencies
//   ctv.exec=/usr/local/bin/ctv-probe    the workload
//   ctv.args=ready                 its arguments, comma-separated; "%2C" encodes a comma
//   ctv.root=/dev/sda2             a root filesystem (ext4) to switch to; its /sbin/init runs
// Markers written to the channel (one line each; see core/markers.h):
//   CTV-INIT <boottime_ns> [<sent_ns>]  PID 1 entered; the guest's CLOCK_BOOTTIME at entry, which
//                                  lets the host estimate when the kernel started; sent_ns when
//                                  the channel only opened later (virtio: after module loading)
//   CTV-ROOT <boottime_ns>         (ctv.root=) the root is mounted; its init is executed next
//   CTV-EXEC <boottime_ns>         mounts and modules done, the workload is being started
//   CTV-EXIT <code>|signal <n>     the workload ended
//   CTV-ERROR <message>            ctv-init itself failed (then powers off)
// The host may write "STOP\n" to the channel: ctv-init sends SIGTERM to the workload.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/markers.h"

namespace {

int g_chan = -1;     // marker channel, or -1 before it is open
int g_console = -1;  // /dev/console, for diagnostics

long long BoottimeNs() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

void WriteFd(int fd, const std::string& s) {
  if (fd < 0) return;
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

void Marker(const std::string& line) { WriteFd(g_chan >= 0 ? g_chan : g_console, line + "\n"); }

void Console(const std::string& line) { WriteFd(g_console, "ctv-init: " + line + "\n"); }

[[noreturn]] void PowerOff() {
  sync();
  // Without ACPI (microvm acpi=off) there is no power-off device: a reset ends QEMU just as well
  // (it runs with -no-reboot; libvirt domains have on_reboot=destroy).
  if (access("/sys/firmware/acpi", F_OK) != 0) reboot(RB_AUTOBOOT);
  reboot(RB_POWER_OFF);
  // Without ACPI power-off support the call can return: halting is the next best thing, the host
  // driver destroys the VM once it has seen CTV-EXIT anyway.
  reboot(RB_HALT_SYSTEM);
  for (;;) pause();
}

[[noreturn]] void Fail(const std::string& what) {
  std::string msg = what + (errno ? std::string(": ") + strerror(errno) : std::string());
  Console(msg);
  Marker(std::string(ctv::markers::kError) + " " + msg);
  PowerOff();
}

std::string ReadSmallFile(const char* path) {
  std::string out;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(strtol(s.substr(i + 1, 2).c_str(), nullptr, 16)));
      i += 2;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

// ctv.* parameters of /proc/cmdline.
std::map<std::string, std::string> ParseCmdline() {
  std::map<std::string, std::string> out;
  std::string cmdline = ReadSmallFile("/proc/cmdline");
  size_t i = 0;
  while (i < cmdline.size()) {
    while (i < cmdline.size() && isspace(static_cast<unsigned char>(cmdline[i]))) ++i;
    size_t j = i;
    while (j < cmdline.size() && !isspace(static_cast<unsigned char>(cmdline[j]))) ++j;
    std::string word = cmdline.substr(i, j - i);
    i = j;
    if (word.rfind("ctv.", 0) != 0) continue;
    size_t eq = word.find('=');
    if (eq == std::string::npos) continue;
    out[word.substr(4, eq - 4)] = word.substr(eq + 1);
  }
  return out;
}

void MountOrDie(const char* src, const char* target, const char* type, unsigned long flags) {
  mkdir(target, 0755);
  if (mount(src, target, type, flags, nullptr) != 0 && errno != EBUSY)
    Fail(std::string("mount ") + type + " on " + target);
}

// Loads modules with finit_module, dependencies first (modules.dep lists a module's full
// dependency set; a depth-first walk gives a valid order whatever the listing order is).
class ModuleLoader {
 public:
  explicit ModuleLoader(std::string dir) : dir_(std::move(dir)) {
    for (const std::string& line : Split(ReadSmallFile((dir_ + "/modules.dep").c_str()), '\n')) {
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string path = line.substr(0, colon);
      std::vector<std::string> deps;
      for (const std::string& d : Split(line.substr(colon + 1), ' '))
        if (!d.empty()) deps.push_back(d);
      by_name_[NameOf(path)] = path;
      deps_[path] = deps;
    }
  }

  void Load(const std::string& name) {
    // Built into the kernel, or already loaded: nothing to do (custom guest kernels, e.g. PVM
    // ones, often have the virtio drivers built in and no modules at all).
    if (access(("/sys/module/" + Normalize(name)).c_str(), F_OK) == 0) return;
    auto it = by_name_.find(Normalize(name));
    if (it == by_name_.end()) {
      errno = ENOENT;
      Fail("load module " + name + " (not in " + dir_ + "/modules.dep)");
    }
    LoadPath(it->second);
  }

 private:
  static std::string Normalize(std::string n) {
    for (char& c : n)
      if (c == '-') c = '_';
    return n;
  }
  static std::string NameOf(const std::string& path) {
    std::string base = path.substr(path.rfind('/') + 1);
    return Normalize(base.substr(0, base.find('.')));
  }

  void LoadPath(const std::string& path) {
    if (!done_.insert(path).second) return;
    for (const std::string& dep : deps_[path]) LoadPath(dep);
    std::string full = dir_ + "/" + path;
    int fd = open(full.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) Fail("open module " + full);
    long r = syscall(SYS_finit_module, fd, "", 0);
    int err = errno;
    close(fd);
    if (r != 0 && err != EEXIST) {
      errno = err;
      Fail("finit_module " + full);
    }
  }

  std::string dir_;
  std::map<std::string, std::string> by_name_;
  std::map<std::string, std::vector<std::string>> deps_;
  std::set<std::string> done_;
};

// The kernel starts PID 1 with the initramfs (rootfs) as its root. rootfs is the root of the
// mount tree, with no parent mount, and pivot_root(2) refuses to move such a root (EINVAL): a
// container runtime in the guest (ctvrt, runc, crun) could not pivot into a container's root.
// A booted system never has that problem because switch_root mounted the real root over rootfs;
// do the same without copying anything: bind the initramfs onto a directory, move that mount over
// "/" and chroot into it. Nothing else changes for the workload (same files, same tmpfs).
// Returns "" or what failed (reported once the console is open; the workload still runs).
std::string MoveRootOntoMount() {
  const char* dir = "/.ctv-root";
  std::string err;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) return std::string("mkdir ") + dir;
  if (mount("/", dir, nullptr, MS_BIND, nullptr) != 0) {
    err = std::string("bind / on ") + dir;
  } else if (chdir(dir) != 0) {
    err = std::string("chdir ") + dir;
  } else if (mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) {
    err = std::string("move ") + dir + " onto /";
  } else if (chroot(".") != 0 || chdir("/") != 0) {
    err = std::string("chroot into the moved root");
  }
  if (!err.empty()) {
    err += std::string(": ") + strerror(errno);
    umount2(dir, MNT_DETACH);
    (void)!chdir("/");
  }
  rmdir(dir);  // the same directory, seen through the new root: no longer a mount point
  return err;
}

int OpenChannel(const std::string& path) {
  // A virtio console appears once its driver has probed the device: give it a moment.
  int fd = -1;
  for (int i = 0; i < 400; ++i) {
    fd = open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd >= 0 || errno != ENOENT) break;
    usleep(5000);
  }
  if (fd < 0) Fail("open marker channel " + path);
  termios t{};
  if (tcgetattr(fd, &t) == 0) {
    cfmakeraw(&t);  // no echo of what the host sends, no \n -> \r\n
    tcsetattr(fd, TCSANOW, &t);
  }
  return fd;
}

// CTV-EXEC, the workload with its stdout on the channel (STOP from the host SIGTERMs it), CTV-EXIT,
// power-off. The channel is open.
[[noreturn]] void RunWorkload(std::map<std::string, std::string>& params) {
  if (!params.count("exec")) {
    errno = 0;
    Fail("no ctv.exec= on the kernel command line");
  }
  std::vector<std::string> args{Unescape(params["exec"])};
  if (params.count("args") && !params["args"].empty())
    for (const std::string& a : Split(params["args"], ',')) args.push_back(Unescape(a));

  Marker(std::string(ctv::markers::kExec) + " " + std::to_string(BoottimeNs()));
  pid_t pid = fork();
  if (pid < 0) Fail("fork workload");
  if (pid == 0) {
    // The workload's stdout is the channel itself: its markers travel without a relay.
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(g_chan, 1);
    dup2(g_console >= 0 ? g_console : g_chan, 2);
    setsid();
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    char path_env[] = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    char home_env[] = "HOME=/";
    char* envp[] = {path_env, home_env, nullptr};
    execve(argv[0], argv.data(), envp);
    WriteFd(2, std::string("ctv-init: exec ") + argv[0] + ": " + strerror(errno) + "\n");
    _exit(127);
  }

  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  std::string input;
  int status = 0;
  for (;;) {
    pollfd p[2] = {{g_chan, POLLIN, 0}, {pidfd, POLLIN, 0}};
    int r = poll(p, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 50);
    if (r < 0 && errno != EINTR) Fail("poll");
    if (r > 0 && (p[0].revents & POLLIN)) {
      char buf[256];
      ssize_t n = read(g_chan, buf, sizeof buf);
      if (n > 0) input.append(buf, static_cast<size_t>(n));
      if (input.find(ctv::markers::kStop.substr(0, 4)) != std::string::npos) {
        kill(pid, SIGTERM);
        input.clear();
      }
    }
    // PID 1 reaps everything; the workload's own status is the one reported.
    pid_t w;
    int ws = 0;
    bool done = false;
    while ((w = waitpid(-1, &ws, WNOHANG)) > 0)
      if (w == pid) {
        status = ws;
        done = true;
      }
    if (done) break;
  }
  if (WIFSIGNALED(status))
    Marker(std::string(ctv::markers::kExit) + " signal " + std::to_string(WTERMSIG(status)));
  else
    Marker(std::string(ctv::markers::kExit) + " " + std::to_string(WEXITSTATUS(status)));
  tcdrain(g_chan);
  PowerOff();
}

// Reads a file of the initramfs whole (the workload, ctv-init): carried into the real root.
struct Carried {
  std::string to;
  std::string data;
};

void WriteCarried(const Carried& c) {
  // mkdir -p of the parents: inside the new root, so its symlinks (/sbin -> usr/sbin) resolve
  // there.
  for (size_t i = 1; i < c.to.size(); ++i)
    if (c.to[i] == '/') mkdir(c.to.substr(0, i).c_str(), 0755);
  int fd = open(c.to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (fd < 0) Fail("create " + c.to + " in the new root");
  WriteFd(fd, c.data);
  close(fd);
}

// ctv.root=: the initramfs's part of a distro guest (see the top of this file). Never returns.
[[noreturn]] void SwitchRoot(std::map<std::string, std::string>& params) {
  const std::string dev = params["root"];
  // Disk drivers probe asynchronously: the partition's node appears in devtmpfs a moment after
  // the module loaded.
  for (int i = 0; i < 3000 && access(dev.c_str(), F_OK) != 0; ++i) usleep(10000);
  if (access(dev.c_str(), F_OK) != 0) Fail("root device " + dev + " did not appear within 30 s");
  // Read before leaving the initramfs: the workload (the image's entrypoint) and ctv-init itself,
  // which the ready unit runs as /usr/local/sbin/ctv-init.
  std::vector<Carried> carried;
  if (params.count("exec")) {
    std::string exe = Unescape(params["exec"]);
    carried.push_back({exe, ReadSmallFile(exe.c_str())});
    if (carried.back().data.empty()) Fail("read the workload " + exe + " from the initramfs");
  }
  carried.push_back({"/usr/local/sbin/ctv-init", ReadSmallFile("/proc/self/exe")});
  if (carried.back().data.empty()) Fail("read /proc/self/exe");

  // lower: the ext4 partition, read-only (noload: not even a journal replay writes to it);
  // upper: tmpfs. The guest writes where it likes, the disk image never changes.
  const std::string top = "/.ctv-sysroot";
  MountOrDie("tmpfs", top.c_str(), "tmpfs", MS_NOSUID | MS_NODEV);
  for (const char* d : {"/lower", "/upper", "/work", "/root"}) mkdir((top + d).c_str(), 0755);
  if (mount(dev.c_str(), (top + "/lower").c_str(), "ext4", MS_RDONLY, "noload") != 0)
    Fail("mount " + dev + " (ext4, read-only) on " + top + "/lower");
  std::string opts = "lowerdir=" + top + "/lower,upperdir=" + top + "/upper,workdir=" + top + "/work";
  if (mount("overlay", (top + "/root").c_str(), "overlay", 0, opts.c_str()) != 0)
    Fail("mount overlay (" + opts + ") on " + top + "/root");
  // /dev, /proc and /sys go along, as switch_root moves them; systemd mounts the rest.
  for (const char* m : {"/dev", "/proc", "/sys"})
    if (mount(m, (top + "/root" + m).c_str(), nullptr, MS_MOVE, nullptr) != 0)
      Fail(std::string("move ") + m + " into the new root");
  if (chdir((top + "/root").c_str()) != 0) Fail("chdir into the new root");
  if (mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) Fail("move the new root onto /");
  if (chroot(".") != 0 || chdir("/") != 0) Fail("chroot into the new root");
  for (const Carried& c : carried) WriteCarried(c);
  Marker(std::string(ctv::markers::kRoot) + " " + std::to_string(BoottimeNs()));
  if (g_chan >= 0) tcdrain(g_chan);
  // The channel and console descriptors are close-on-exec: systemd starts with none of ours.
  char init[] = "/sbin/init";
  char* argv[] = {init, nullptr};
  char home_env[] = "HOME=/";
  char term_env[] = "TERM=linux";  // what the kernel gives an init
  // The harness times systemd's milestones by its console status lines: without colours their
  // text is plain ("Reached target sysinit.target."), not split by escape sequences.
  char colors_env[] = "SYSTEMD_COLORS=0";
  char* envp[] = {home_env, term_env, colors_env, nullptr};
  execve(init, argv, envp);
  Fail("exec /sbin/init of the new root");
}

// `ctv-init unit`: the distro guest's ready unit (systemd service, not PID 1).
[[noreturn]] void UnitMain() {
  g_console = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
  std::map<std::string, std::string> params = ParseCmdline();
  g_chan = OpenChannel(params.count("chan") ? params["chan"] : "/dev/ttyS1");
  RunWorkload(params);
}

}  // namespace

int main(int argc, char** argv) {
  long long entry_ns = BoottimeNs();
  if (argc > 1 && std::string(argv[1]) == "unit") UnitMain();
  if (getpid() != 1) {
    fprintf(stderr, "ctv-init: must run as PID 1 of a guest\n");
    return 2;
  }
  prctl(PR_SET_NAME, "ctv-init");  // whatever path the kernel ran us by
  // First, so that every later mount hangs below the new root.
  std::string root_err = MoveRootOntoMount();
  MountOrDie("devtmpfs", "/dev", "devtmpfs", MS_NOSUID);
  g_console = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
  // Not fatal: only a container runtime in the guest needs it (its pivot_root fails clearly).
  if (!root_err.empty()) Console("root stays on the initramfs: " + root_err);
  MountOrDie("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
  std::map<std::string, std::string> params = ParseCmdline();
  std::string chan = params.count("chan") ? params["chan"] : "/dev/ttyS1";
  bool early_chan = chan.rfind("/dev/ttyS", 0) == 0;  // built-in driver: usable right away
  if (early_chan) {
    g_chan = OpenChannel(chan);
    Marker(std::string(ctv::markers::kInit) + " " + std::to_string(entry_ns));
  }
  MountOrDie("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC);
  const bool switch_root = params.count("root") && !params["root"].empty();
  // cgroup2 is optional: a kernel without it still runs the workload. With a root to switch to,
  // its init mounts what it wants.
  if (!switch_root) {
    mkdir("/sys/fs/cgroup", 0755);
    mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
    mkdir("/tmp", 01777);
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, nullptr);
  }

  if (params.count("mods") && !params["mods"].empty()) {
    utsname u{};
    uname(&u);
    ModuleLoader loader(std::string("/lib/modules/") + u.release);
    for (const std::string& m : Split(params["mods"], ','))
      if (!m.empty()) loader.Load(m);
  }
  if (!early_chan) {
    g_chan = OpenChannel(chan);
    // Second field: when this was sent, so the host can tell PID 1's start from module loading.
    Marker(std::string(ctv::markers::kInit) + " " + std::to_string(entry_ns) + " " + std::to_string(BoottimeNs()));
  }

  if (switch_root) SwitchRoot(params);
  RunWorkload(params);
}
