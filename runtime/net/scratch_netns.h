// A named network namespace the harness creates itself (tests, the network suite's stand-in for a
// container until the ctvrt driver lands): `ip netns add <name>` on creation, `ip netns delete`
// on destruction, so nothing is left behind even when a test fails. Names start with "ctv".
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace ctv::net {

class ScratchNetns {
 public:
  // `name` must start with "ctv" (DESIGN.md: leaks are found by prefix).
  static Result<ScratchNetns> Create(const std::string& name);
  // "ctv<tag><pid>" (OwnedNetnsName), recorded in the ownership journal (kScratchNetnsJournal)
  // before it exists, so `ctvbench gc` can reclaim it once this process is gone.
  static Result<ScratchNetns> CreateOwned(const std::string& tag);
  ScratchNetns(ScratchNetns&& o) noexcept
      : name_(std::exchange(o.name_, {})), journal_(std::exchange(o.journal_, {})) {}
  ScratchNetns& operator=(ScratchNetns&&) = delete;
  ScratchNetns(const ScratchNetns&) = delete;
  ~ScratchNetns();

  const std::string& Name() const { return name_; }
  std::string Path() const { return "/run/netns/" + name_; }
  // argv prefix that runs a command inside: {"nsenter", "--net=/run/netns/<name>", "--"}.
  std::vector<std::string> ExecPrefix() const;

 private:
  explicit ScratchNetns(std::string name) : name_(std::move(name)) {}
  std::string name_;
  std::string journal_;  // this namespace's journal entry, removed after the namespace
};

// Names of the namespaces in /run/netns starting with `prefix`.
std::vector<std::string> ListNamedNetns(const std::string& prefix);

// The name of a scratch namespace owned by this process: "ctv<tag><pid>" (e.g. ctvnet4242), so
// `ctvbench gc` can tell whose it is.
std::string OwnedNetnsName(const std::string& tag);

// The ownership journal of scratch namespaces: one file per namespace, named after it, holding
// "<owner pid> <owner start time>". Host-wide, as /run/netns is.
inline constexpr const char* kScratchNetnsJournal = "/run/ctvbench/scratch-netns";

// For `ctvbench gc`: each "ctv<tag>..." namespace that the journal says a now-dead process created
// (a SIGKILLed run) is emptied (the processes in it are killed: echo servers) and deleted; its veth goes with it,
// and the network collector then drops the endpoint and its nft rules. Live owners' are kept, and
// so is any namespace without a journal entry, whatever its name (a user's "ctvnet123" is not
// ours). Journal entries whose namespace is gone and whose owner is dead are dropped.
Status CollectDeadScratchNetns(const std::string& tag, std::vector<std::string>* removed);

}  // namespace ctv::net
