#include "runtime/net/nat.h"

#include <fmt/format.h>
#include <nftables/libnftables.h>

#include <memory>

#include "core/fd.h"

namespace ctv::net {
namespace {

std::string DaddrMatch(const PortMapping& p) {
  // No HOSTIP: every address of the host (its own, the bridge's, 127.0.0.1), like `-p 8080:80`
  // elsewhere. `fib daddr type local` asks the routing table, so it follows address changes.
  return p.host_ip.empty() ? "fib daddr type local" : fmt::format("ip daddr {}", p.host_ip);
}

}  // namespace

std::string RenderRuleset(const std::string& t, const NetState& state) {
  // "add" then "delete" makes the delete succeed whether or not the table exists; the batch is
  // one transaction, so readers see the old table or the new one, never a half.
  std::string s = fmt::format("add table ip {0}\ndelete table ip {0}\n", t);
  if (state.endpoints.empty()) return s;
  s += fmt::format("table ip {} {{\n", t);
  s += "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n";
  for (const auto& e : state.endpoints)
    for (const auto& p : e.ports)
      s += fmt::format("    {} {} dport {} dnat to {}:{} comment \"{}\"\n", DaddrMatch(p),
                       ProtocolName(p.protocol), p.host_port, e.ip, p.container_port, e.id);
  s += "  }\n";
  // Connections the host opens itself (curl 127.0.0.1:18080) never pass prerouting: they need
  // the same DNAT in the output hook.
  // -100 = dstnat; nft 1.0.6 accepts the keyword only with the prerouting hook.
  s += "  chain output {\n    type nat hook output priority -100; policy accept;\n";
  for (const auto& e : state.endpoints)
    for (const auto& p : e.ports)
      s += fmt::format("    {} {} dport {} dnat to {}:{} comment \"{}\"\n", DaddrMatch(p),
                       ProtocolName(p.protocol), p.host_port, e.ip, p.container_port, e.id);
  s += "  }\n";
  s += "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n";
  std::vector<std::pair<std::string, std::string>> bridges;  // name, subnet
  for (const auto& e : state.endpoints) {
    bool seen = false;
    for (const auto& b : bridges) seen |= b.first == e.bridge;
    if (!seen) bridges.emplace_back(e.bridge, e.subnet);
  }
  for (const auto& [br, subnet] : bridges) {
    // Outbound: containers leave through the host's address.
    s += fmt::format("    ip saddr {} oifname != \"{}\" masquerade comment \"{} outbound\"\n",
                     subnet, br, br);
    // Hairpin: a container reaching another (or itself) through a mapped host port. Without it
    // the reply would go straight back over the bridge, bypassing the un-DNAT.
    s += fmt::format(
        "    oifname \"{0}\" ip saddr {1} ct status dnat masquerade comment \"{0} hairpin\"\n", br,
        subnet);
  }
  // DNAT of connections to 127.0.0.1: after the output-hook DNAT the packet is re-routed to the
  // bridge with source 127.0.0.1. The kernel drops loopback-sourced packets on a non-loopback
  // device ("martian") unless route_localnet is set on it (EnableBridgeSysctls sets it on the
  // bridge only), and the container could not answer 127.0.0.1 anyway (its own loopback): so the
  // source is masqueraded to the bridge address, and conntrack maps the replies back.
  for (const auto& e : state.endpoints)
    for (const auto& p : e.ports)
      s += fmt::format(
          "    ip saddr 127.0.0.0/8 ip daddr {} {} dport {} masquerade comment \"{}\"\n", e.ip,
          ProtocolName(p.protocol), p.container_port, e.id);
  s += "  }\n}\n";
  return s;
}

Result<std::string> RunNft(const std::string& script) {
  std::unique_ptr<nft_ctx, decltype(&nft_ctx_free)> ctx(nft_ctx_new(NFT_CTX_DEFAULT),
                                                        &nft_ctx_free);
  if (!ctx) return Error{ENOMEM, "create nftables context", "", ""};
  nft_ctx_buffer_output(ctx.get());
  nft_ctx_buffer_error(ctx.get());
  if (nft_run_cmd_from_buffer(ctx.get(), script.c_str()) != 0) {
    std::string err = nft_ctx_get_error_buffer(ctx.get());
    while (!err.empty() && err.back() == '\n') err.pop_back();
    // Keep the error one line: nft's caret diagram is useless in a one-line message.
    if (auto nl = err.find('\n'); nl != std::string::npos) err = err.substr(0, nl);
    return MakeError("run nftables script", script.substr(0, script.find('\n')), err);
  }
  return std::string(nft_ctx_get_output_buffer(ctx.get()));
}

Status ApplyRuleset(const std::string& table, const NetState& state) {
  auto r = RunNft(RenderRuleset(table, state));
  if (!r) {
    Error e = std::move(r).error();
    e.op = "apply nftables table";
    e.path = "ip " + table;
    return e;
  }
  return Ok();
}

Result<bool> NftTableExists(const std::string& table) {
  std::string out = CTV_TRY(RunNft("list tables ip"));
  return out.find("table ip " + table + "\n") != std::string::npos;
}

Status EnableBridgeSysctls(const std::string& bridge) {
  CTV_CHECK(WriteFile("/proc/sys/net/ipv4/ip_forward", "1"));
  CTV_CHECK(WriteFile("/proc/sys/net/ipv4/conf/" + bridge + "/route_localnet", "1"));
  return Ok();
}

}  // namespace ctv::net
