#include "runtime/net/nat.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <nftables/libnftables.h>

#include <memory>
#include <mutex>
#include <type_traits>

#include "core/fd.h"

namespace ctv::net {
namespace {

std::string DaddrMatch(const PortMapping& p) {
  // No HOSTIP: every address of the host (its own, the bridge's, 127.0.0.1), like `-p 8080:80`
  // elsewhere. `fib daddr type local` asks the routing table, so it follows address changes.
  return p.host_ip.empty() ? "fib daddr type local" : fmt::format("ip daddr {}", p.host_ip);
}

// libnftables is loaded on first use: linked normally it (and libnftnl, libmnl, libxtables,
// libjansson, libgmp) would be resolved at every ctvrt start-up, which is measured, while only
// bridge networking needs it. There is no static libnftables to link instead.
struct NftApi {
  decltype(&nft_ctx_new) ctx_new = nullptr;
  decltype(&nft_ctx_free) ctx_free = nullptr;
  decltype(&nft_ctx_buffer_output) buffer_output = nullptr;
  decltype(&nft_ctx_buffer_error) buffer_error = nullptr;
  decltype(&nft_run_cmd_from_buffer) run_cmd = nullptr;
  decltype(&nft_ctx_get_output_buffer) output_buffer = nullptr;
  decltype(&nft_ctx_get_error_buffer) error_buffer = nullptr;
  std::string error;
};

const NftApi& Nft() {
  static NftApi api;
  static std::once_flag once;
  std::call_once(once, [] {
    void* h = ::dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* e = ::dlerror();
      api.error = e ? e : "dlopen failed";
      return;
    }
    bool ok = true;
    auto sym = [&](auto* fn, const char* name) {
      *fn = reinterpret_cast<std::remove_pointer_t<decltype(fn)>>(::dlsym(h, name));
      if (!*fn) {
        ok = false;
        api.error = std::string("missing symbol ") + name;
      }
    };
    sym(&api.ctx_new, "nft_ctx_new");
    sym(&api.ctx_free, "nft_ctx_free");
    sym(&api.buffer_output, "nft_ctx_buffer_output");
    sym(&api.buffer_error, "nft_ctx_buffer_error");
    sym(&api.run_cmd, "nft_run_cmd_from_buffer");
    sym(&api.output_buffer, "nft_ctx_get_output_buffer");
    sym(&api.error_buffer, "nft_ctx_get_error_buffer");
    if (!ok) api.ctx_new = nullptr;
  });
  return api;
}

}  // namespace

std::string RenderRuleset(const std::string& t, const NetState& state) {
  // The bridges served, with their subnets: the kept ones (in name order), then any only an
  // endpoint names (a state file written before bridge_subnets existed).
  std::vector<std::pair<std::string, std::string>> bridges(state.bridge_subnets.begin(),
                                                           state.bridge_subnets.end());
  for (const auto& e : state.endpoints) {
    bool seen = false;
    for (const auto& b : bridges) seen |= b.first == e.bridge;
    if (!seen) bridges.emplace_back(e.bridge, e.subnet);
  }
  // Nothing served: the table goes. "add" then "delete" makes the delete succeed whether or not
  // the table exists.
  if (bridges.empty()) return fmt::format("add table ip {0}\ndelete table ip {0}\n", t);
  // The table and its base chains are declared (a no-op when they exist), then flushed and
  // refilled, in one transaction: readers see the old rules or the new ones, never a half. The
  // chains are never deleted while endpoints exist: deleting a base chain unregisters its
  // netfilter hook, which waits for an RCU grace period (milliseconds on every launch).
  std::string s = fmt::format("table ip {} {{\n", t);
  s += "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n  }\n";
  // Connections the host opens itself (curl 127.0.0.1:18080) never pass prerouting: they need
  // the same DNAT in the output hook.
  // -100 = dstnat; nft 1.0.6 accepts the keyword only with the prerouting hook.
  s += "  chain output {\n    type nat hook output priority -100; policy accept;\n  }\n";
  s += "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n  }\n";
  s += "}\n";
  s += fmt::format("flush table ip {}\n", t);
  for (const char* chain : {"prerouting", "output"})
    for (const auto& e : state.endpoints)
      for (const auto& p : e.ports)
        s += fmt::format("add rule ip {} {} {} {} dport {} dnat to {}:{} comment \"{}\"\n", t, chain,
                         DaddrMatch(p), ProtocolName(p.protocol), p.host_port, e.ip,
                         p.container_port, e.id);
  for (const auto& [br, subnet] : bridges) {
    // Outbound: containers leave through the host's address.
    s += fmt::format(
        "add rule ip {} postrouting ip saddr {} oifname != \"{}\" masquerade comment \"{} "
        "outbound\"\n",
        t, subnet, br, br);
    // Hairpin: a container reaching another (or itself) through a mapped host port. Without it
    // the reply would go straight back over the bridge, bypassing the un-DNAT.
    s += fmt::format(
        "add rule ip {0} postrouting oifname \"{1}\" ip saddr {2} ct status dnat masquerade "
        "comment \"{1} hairpin\"\n",
        t, br, subnet);
  }
  // DNAT of connections to 127.0.0.1: after the output-hook DNAT the packet is re-routed to the
  // bridge with source 127.0.0.1. The kernel drops loopback-sourced packets on a non-loopback
  // device ("martian") unless route_localnet is set on it (EnableBridgeSysctls sets it on the
  // bridge only), and the container could not answer 127.0.0.1 anyway (its own loopback): so the
  // source is masqueraded to the bridge address, and conntrack maps the replies back.
  for (const auto& e : state.endpoints)
    for (const auto& p : e.ports)
      s += fmt::format(
          "add rule ip {} postrouting ip saddr 127.0.0.0/8 ip daddr {} {} dport {} masquerade "
          "comment \"{}\"\n",
          t, e.ip, ProtocolName(p.protocol), p.container_port, e.id);
  return s;
}

Result<std::string> RunNft(const std::string& script) {
  const NftApi& nft = Nft();
  if (!nft.ctx_new) return MakeError("load libnftables", "libnftables.so.1", nft.error);
  std::unique_ptr<nft_ctx, decltype(nft.ctx_free)> ctx(nft.ctx_new(NFT_CTX_DEFAULT), nft.ctx_free);
  if (!ctx) return Error{ENOMEM, "create nftables context", "", ""};
  nft.buffer_output(ctx.get());
  nft.buffer_error(ctx.get());
  if (nft.run_cmd(ctx.get(), script.c_str()) != 0) {
    std::string err = nft.error_buffer(ctx.get());
    while (!err.empty() && err.back() == '\n') err.pop_back();
    // Keep the error one line: nft's caret diagram is useless in a one-line message.
    if (auto nl = err.find('\n'); nl != std::string::npos) err = err.substr(0, nl);
    return MakeError("run nftables script", script.substr(0, script.find('\n')), err);
  }
  return std::string(nft.output_buffer(ctx.get()));
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

Status ApplyRulesetChange(const std::string& table, const NetState& before,
                          const NetState& after) {
  if (!before.nft_table.empty() && RenderRuleset(table, before) == RenderRuleset(table, after))
    return Ok();
  return ApplyRuleset(table, after);
}

Result<bool> NftTableExists(const std::string& table) {
  std::string out = CTV_TRY(RunNft("list tables ip"));
  return out.find("table ip " + table + "\n") != std::string::npos;
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
