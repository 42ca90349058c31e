#include "runtime/net/scratch_netns.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include <utility>

#include "core/log.h"
#include "core/process.h"

namespace ctv::net {

Result<ScratchNetns> ScratchNetns::Create(const std::string& name) {
  if (name.rfind("ctv", 0) != 0)
    return MakeError("create network namespace", name, "must start with ctv");
  auto r = CTV_TRY(RunCommand({"ip", "netns", "add", name}));
  if (!r.status.Success())
    return MakeError("create network namespace", name, "ip netns add: " + r.err);
  return ScratchNetns(name);
}

ScratchNetns::~ScratchNetns() {
  if (name_.empty()) return;
  auto r = RunCommand({"ip", "netns", "delete", name_});
  if (!r || !r->status.Success())
    Log(LogLevel::kWarn, "ip netns delete {}: {}", name_, r ? r->err : r.error().ToString());
}

std::vector<std::string> ScratchNetns::ExecPrefix() const {
  return {"nsenter", "--net=" + Path(), "--"};
}

std::string OwnedNetnsName(const std::string& tag) {
  return "ctv" + tag + std::to_string(::getpid());
}

namespace {

// The namespace inode of /proc/PID/ns/net, 0 when unreadable.
ino_t NetnsInode(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

bool OwnerAlive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

// Deletes every veth inside the named namespace (`ip -n NAME -o link show type veth`).
Status DeleteVethsInside(const std::string& name, std::vector<std::string>* removed) {
  auto list = CTV_TRY(RunCommand({"ip", "-n", name, "-o", "link", "show", "type", "veth"}));
  if (!list.status.Success())
    return MakeError("list veths in network namespace", name, "ip link: " + list.err);
  std::istringstream lines(list.out);
  for (std::string line; std::getline(lines, line);) {
    // "12: eth0@if13: <...": the name sits between the first ": " and '@' or ':'.
    size_t a = line.find(": ");
    if (a == std::string::npos) continue;
    size_t b = line.find_first_of("@:", a + 2);
    std::string link = line.substr(a + 2, b == std::string::npos ? std::string::npos : b - a - 2);
    if (link.empty()) continue;
    auto del = CTV_TRY(RunCommand({"ip", "-n", name, "link", "delete", link}));
    if (!del.status.Success())
      return MakeError("delete veth", name + "/" + link, "ip link delete: " + del.err);
    removed->push_back("veth " + link + " in network namespace " + name);
  }
  return Ok();
}

}  // namespace

Status CollectDeadScratchNetns(const std::string& tag, std::vector<std::string>* removed) {
  const std::string prefix = "ctv" + tag;
  for (const std::string& name : ListNamedNetns(prefix)) {
    std::string digits = name.substr(prefix.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    if (OwnerAlive(static_cast<pid_t>(std::stol(digits)))) continue;
    ino_t ns = NetnsInode("/run/netns/" + name);
    // Whatever still runs inside (a dead run's echo servers) dies first: a namespace with
    // processes outlives its name.
    if (DIR* d = ::opendir("/proc")) {
      while (dirent* e = ::readdir(d)) {
        std::string pid = e->d_name;
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        if (ns != 0 && NetnsInode("/proc/" + pid + "/ns/net") == ns) {
          ::kill(static_cast<pid_t>(std::stol(pid)), SIGKILL);
          removed->push_back("process " + pid + " in network namespace " + name);
        }
      }
      ::closedir(d);
    }
    // Its veths go before its name: deleting one end removes the pair at once, whereas the
    // host end of a pair left inside would linger until the kernel's asynchronous namespace
    // cleanup, after this gc has already judged the endpoint on that host end alive.
    CTV_TRY(DeleteVethsInside(name, removed));
    auto r = CTV_TRY(RunCommand({"ip", "netns", "delete", name}));
    if (!r.status.Success())
      return MakeError("delete network namespace", name, "ip netns delete: " + r.err);
    removed->push_back("network namespace " + name);
  }
  return Ok();
}

std::vector<std::string> ListNamedNetns(const std::string& prefix) {
  std::vector<std::string> out;
  DIR* d = ::opendir("/run/netns");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind(prefix, 0) == 0) out.push_back(n);
  }
  ::closedir(d);
  return out;
}

}  // namespace ctv::net
