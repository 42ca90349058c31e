#include "tests/support/private_cgroup_v1.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "core/fd.h"
#include "tests/test_util.h"

namespace ctv::testing {
namespace {

// The hierarchy id of `controller` in /proc/cgroups (0: on no v1 hierarchy), -1 when not
// listed; `cgroups` gets its number of cgroups there.
int HierarchyOf(const std::string& controller, bool* enabled = nullptr, int* cgroups = nullptr) {
  auto text = ReadFile("/proc/cgroups");
  if (!text) return -1;
  std::istringstream in(*text);
  std::string name;
  int hierarchy = 0, count = 0, on = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    if (!(row >> name >> hierarchy >> count >> on) || name != controller) continue;
    if (enabled) *enabled = on == 1;
    if (cgroups) *cgroups = count;
    return hierarchy;
  }
  return -1;
}

}  // namespace

PrivateCgroupV1::PrivateCgroupV1(std::vector<std::string> hierarchies) {
  for (const std::string& h : hierarchies) {
    std::istringstream in(h);
    for (std::string c; std::getline(in, c, ',');) controllers_.push_back(c);
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    error_ = "pipe failed";
    return;
  }
  Fd read_end(fds[0]), write_end(fds[1]);
  SpawnOptions o;
  o.argv = {test::Source("tests/integration/private-cgroup-v1.sh"), std::to_string(::getpid())};
  o.argv.insert(o.argv.end(), hierarchies.begin(), hierarchies.end());
  o.stdout_fd = write_end.Get();
  o.stderr_fd = write_end.Get();
  o.new_process_group = true;  // the guard kills its sleep too
  auto child = Spawn(o);
  if (!child) {
    error_ = child.error().ToString();
    return;
  }
  holder_ = std::move(*child);
  write_end = Fd();
  // Up to "ready\n" (or the script's error and EOF), 30 s at most.
  std::string out;
  char buf[256];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (out.find("ready\n") == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{read_end.Get(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      out += "(no `ready` within 30 s)";
      break;
    }
    ssize_t n = ::read(read_end.Get(), buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  if (out.find("ready\n") == std::string::npos) {
    error_ = "private-cgroup-v1.sh: " + (out.empty() ? std::string("no output") : out);
    holder_.KillAndReap();
  }
}

PrivateCgroupV1::~PrivateCgroupV1() { Close(); }

void PrivateCgroupV1::Close() {
  if (!holder_.Running()) return;
  for (auto it = own_.rbegin(); it != own_.rend(); ++it) (void)::rmdir(Path(*it).c_str());
  own_.clear();
  // The kernel destroys a v1 hierarchy when its last mount goes only if it has no child cgroup
  // at that moment, and a removed cgroup stays a (dying) child until its last reference is
  // released, asynchronously: ending the namespace before that would leave the hierarchy alive,
  // with no mount, for good. So wait for the root to be alone (10 s at most).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    bool alone = true;
    for (const std::string& c : controllers_) {
      int n = 0;
      if (HierarchyOf(c, nullptr, &n) > 0 && n > 1) alone = false;
    }
    if (alone || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  holder_.KillAndReap();
}

std::string PrivateCgroupV1::Path(const std::string& p) const {
  return "/proc/" + std::to_string(holder_.Pid()) + "/root" + p;
}

std::vector<std::string> PrivateCgroupV1::In(const std::vector<std::string>& argv) const {
  std::vector<std::string> out = {"nsenter", "--mount=/proc/" + std::to_string(holder_.Pid()) +
                                                 "/ns/mnt", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

bool PrivateCgroupV1::Unmounted(const std::vector<std::string>& controllers) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    bool all = true;
    for (const std::string& c : controllers) all &= HierarchyOf(c) == 0;
    if (all || std::chrono::steady_clock::now() > deadline) return all;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

bool PrivateCgroupV1::KernelHas(const std::string& controller) {
  bool enabled = false;
  return HierarchyOf(controller, &enabled) >= 0 && enabled;
}

}  // namespace ctv::testing
