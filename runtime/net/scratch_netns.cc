#include "runtime/net/scratch_netns.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

#include <utility>

#include "core/atomic_file.h"
#include "core/fs_tree.h"
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
  else if (!journal_.empty())
    ::unlink(journal_.c_str());  // only once the namespace is gone: gc may still need the entry
}

Result<ScratchNetns> ScratchNetns::CreateOwned(const std::string& tag) {
  std::string name = OwnedNetnsName(tag);
  std::string entry = std::string(kScratchNetnsJournal) + "/" + name;
  // Journal first: a crash between the two leaves an entry without a namespace, which gc drops.
  CTV_CHECK(fs::MakeDirs(kScratchNetnsJournal, 0700));
  CTV_CHECK(WriteRuntimeStateFile(entry, OwnerToken() + "\n", 0600));
  auto ns = Create(name);
  if (!ns) {
    ::unlink(entry.c_str());
    return ns;
  }
  ns->journal_ = entry;
  return ns;
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

// The owner recorded in a journal entry (core's OwnerToken) still runs. An unreadable entry counts
// as alive: gc must never take what it cannot attribute.
bool JournalOwnerAlive(const std::string& entry) {
  auto text = ReadFile(entry);
  return !text || OwnerAlive(*text);
}

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
  const std::string journal = kScratchNetnsJournal;
  auto listed = ListNamedNetns(prefix);
  for (const std::string& name : listed) {
    std::string entry = journal + "/" + name;
    if (!fs::Exists(entry)) continue;  // not created by us: not ours to delete
    if (JournalOwnerAlive(entry)) continue;
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
    ::unlink(entry.c_str());
  }
  // Entries of a crash between the journal write and `ip netns add`, or after the delete.
  auto entries = fs::ListDir(journal);
  for (const std::string& name : entries ? *entries : std::vector<std::string>{}) {
    if (name.rfind(prefix, 0) != 0) continue;
    if (std::find(listed.begin(), listed.end(), name) != listed.end()) continue;
    std::string entry = journal + "/" + name;
    if (!fs::Exists("/run/netns/" + name) && !JournalOwnerAlive(entry) &&
        ::unlink(entry.c_str()) == 0)
      removed->push_back("journal entry " + entry);
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
