#include "runtime/net/nat.h"

#include "core/fd.h"
#include "runtime/net/nat_rules.h"
#include "runtime/net/nft_netlink.h"

namespace ctv::net {

std::string RenderRuleset(const std::string& table, const NetState& state) {
  return NftText(NatTableFor(table, state));
}

Status ApplyRuleset(const std::string& table, const NetState& state) {
  return ApplyNatTable(NatTableFor(table, state));
}

Status ApplyRulesetChange(const std::string& table, const NetState& before,
                          const NetState& after) {
  if (!before.nft_table.empty() && RenderRuleset(table, before) == RenderRuleset(table, after))
    return Ok();
  return ApplyRuleset(table, after);
}

namespace {

// Writes "1" unless the value already is: a read of a sysctl is cheap, a write of some (e.g.
// ip_forward, which walks every device of the namespace) is not.
Status EnsureSysctlOne(const std::string& path) {
  auto cur = ReadFile(path);
  if (cur && (*cur == "1\n" || *cur == "1")) return Ok();
  return WriteFile(path, "1");
}

}  // namespace

Status EnableBridgeSysctls(const std::string& bridge) {
  CTV_CHECK(EnsureSysctlOne("/proc/sys/net/ipv4/ip_forward"));
  CTV_CHECK(EnsureSysctlOne("/proc/sys/net/ipv4/conf/" + bridge + "/route_localnet"));
  return Ok();
}

}  // namespace ctv::net
