#include "runtime/net/state.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/atomic_file.h"
#include "core/clock.h"

namespace ctv::net {

using nlohmann::json;

const Endpoint* NetState::Find(const std::string& id) const {
  for (const auto& e : endpoints)
    if (e.id == id) return &e;
  return nullptr;
}

int NetState::CountOnBridge(const std::string& bridge) const {
  int n = 0;
  for (const auto& e : endpoints) n += e.bridge == bridge;
  return n;
}

Result<StateLock> StateLock::Acquire(const std::string& dir, std::chrono::milliseconds timeout) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{ec.value(), "create network state directory", dir, ""};
  ::chmod(dir.c_str(), 0700);
  Fd fd = CTV_TRY(OpenFile(dir + "/lock", O_RDWR | O_CREAT, 0600));
  int64_t deadline = MonotonicNs() + static_cast<int64_t>(timeout.count()) * 1000000;
  // Non-blocking attempts in a bounded loop: a holder that hangs turns into a clear timeout.
  while (::flock(fd.Get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) return ErrnoError("flock", dir + "/lock");
    if (MonotonicNs() > deadline)
      return Error{ETIMEDOUT, "flock", dir + "/lock",
                   "another ctvbench process holds the network state lock"};
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return StateLock(dir, std::move(fd));
}

namespace {

json ToJson(const NetState& s) {
  json eps = json::array();
  for (const auto& e : s.endpoints) {
    json ports = json::array();
    for (const auto& p : e.ports)
      ports.push_back({{"host_ip", p.host_ip},
                       {"host_port", p.host_port},
                       {"container_port", p.container_port},
                       {"protocol", ProtocolName(p.protocol)}});
    eps.push_back({{"id", e.id},
                   {"bridge", e.bridge},
                   {"subnet", e.subnet},
                   {"ip", e.ip},
                   {"veth", e.veth},
                   {"ports", ports}});
  }
  return {{"version", 1},
          {"endpoints", eps},
          {"bridges", s.bridges},
          {"bridge_subnets", s.bridge_subnets},
          {"nft_table", s.nft_table}};
}

}  // namespace

Result<NetState> LoadState(const StateLock& lock) {
  std::string path = lock.Dir() + "/state.json";
  if (::access(path.c_str(), F_OK) != 0) return NetState{};
  std::string text = CTV_TRY(ReadFile(path));
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("endpoints") || !j["endpoints"].is_array())
    return MakeError("parse network state", path, "not a ctvbench network state file");
  NetState s;
  if (j.contains("bridges") && j["bridges"].is_array())
    for (const auto& b : j["bridges"])
      if (b.is_string()) s.bridges.push_back(b.get<std::string>());
  s.nft_table = j.value("nft_table", "");
  if (j.contains("bridge_subnets") && j["bridge_subnets"].is_object())
    for (const auto& [name, subnet] : j["bridge_subnets"].items())
      if (subnet.is_string()) s.bridge_subnets[name] = subnet.get<std::string>();
  for (const auto& je : j["endpoints"]) {
    Endpoint e;
    e.id = je.value("id", "");
    e.bridge = je.value("bridge", "");
    e.subnet = je.value("subnet", "");
    e.ip = je.value("ip", "");
    e.veth = je.value("veth", "");
    if (je.contains("ports") && je["ports"].is_array()) {
      for (const auto& jp : je["ports"]) {
        PortMapping p;
        p.host_ip = jp.value("host_ip", "");
        p.host_port = jp.value("host_port", uint16_t{0});
        p.container_port = jp.value("container_port", uint16_t{0});
        p.protocol = jp.value("protocol", "tcp") == "udp" ? Protocol::kUdp : Protocol::kTcp;
        e.ports.push_back(p);
      }
    }
    if (e.id.empty() || e.ip.empty())
      return MakeError("parse network state", path, "an endpoint lacks its id or ip");
    s.endpoints.push_back(std::move(e));
  }
  return s;
}

Status SaveState(const StateLock& lock, const NetState& state) {
  return WriteRuntimeStateFile(lock.Dir() + "/state.json", ToJson(state).dump(2) + "\n", 0600);
}

Result<uint32_t> PickFreeAddress(const NetState& state, const std::string& bridge,
                                 const Ipv4Subnet& subnet) {
  std::vector<bool> used(size_t{1} << (32 - subnet.prefix), false);
  for (const auto& e : state.endpoints) {
    if (e.bridge != bridge) continue;
    auto a = ParseIpv4(e.ip, "state address");
    if (a && subnet.Contains(*a)) used[*a - subnet.base] = true;
  }
  for (uint32_t a = subnet.Gateway() + 1; a < subnet.Broadcast(); ++a)
    if (!used[a - subnet.base]) return a;
  return Error{ENOSPC, "allocate address", subnet.ToString(),
               fmt::format("all addresses of bridge {} are in use", bridge)};
}

std::string VethName(const std::string& id) {
  bool plain = !id.empty() && id.size() <= 12;
  for (char c : id)
    plain &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  if (plain) return "ctv" + id;
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64
  for (unsigned char c : id) h = (h ^ c) * 1099511628211ull;
  return fmt::format("ctv{:010x}", h & 0xffffffffffull);
}

Result<Endpoint> AllocateAddress(const NetworkConfig& config, const std::string& id) {
  CTV_CHECK(ValidateContainerId(id));
  Ipv4Subnet subnet = CTV_TRY(ParseIpv4Subnet(config.subnet));
  StateLock lock = CTV_TRY(StateLock::Acquire(config.StateDir()));
  NetState state = CTV_TRY(LoadState(lock));
  if (state.Find(id))
    return Error{EEXIST, "allocate address", id, "this container already has a network"};
  Endpoint e;
  e.id = id;
  e.bridge = config.bridge;
  e.subnet = subnet.ToString();
  e.ip = FormatIpv4(CTV_TRY(PickFreeAddress(state, config.bridge, subnet)));
  e.veth = VethName(id);
  state.endpoints.push_back(e);
  CTV_CHECK(SaveState(lock, state));
  return e;
}

Status ReleaseAddress(const NetworkConfig& config, const std::string& id) {
  StateLock lock = CTV_TRY(StateLock::Acquire(config.StateDir()));
  NetState state = CTV_TRY(LoadState(lock));
  std::erase_if(state.endpoints, [&](const Endpoint& e) { return e.id == id; });
  return SaveState(lock, state);
}

}  // namespace ctv::net
