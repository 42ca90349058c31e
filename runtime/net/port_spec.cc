#include "runtime/net/port_spec.h"

#include <fmt/format.h>

#include <charconv>
#include <set>
#include <tuple>

#include "runtime/net/ipv4.h"

namespace ctv::net {
namespace {

Error SpecError(std::string_view spec, std::string why) {
  return MakeError(
      "parse -p", std::string(spec),
      fmt::format("{}; expected {} (e.g. 8080:80 or 127.0.0.1:8080:80/udp)", why, kPortSpecForm));
}

Result<uint16_t> ParsePort(std::string_view spec, std::string_view text, const char* which) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < 1 || v > 65535)
    return SpecError(spec, fmt::format("{} `{}` is not a port number 1-65535", which, text));
  return static_cast<uint16_t>(v);
}

}  // namespace

Result<PortMapping> ParsePortSpec(std::string_view spec) {
  PortMapping m;
  std::string_view rest = spec;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view proto = rest.substr(slash + 1);
    if (proto == "tcp") {
      m.protocol = Protocol::kTcp;
    } else if (proto == "udp") {
      m.protocol = Protocol::kUdp;
    } else {
      return SpecError(spec, fmt::format("protocol `{}` is not tcp or udp", proto));
    }
    rest = rest.substr(0, slash);
  }
  auto last = rest.rfind(':');
  if (last == std::string_view::npos) return SpecError(spec, "missing HOSTPORT:CTPORT");
  m.container_port = CTV_TRY(ParsePort(spec, rest.substr(last + 1), "CTPORT"));
  rest = rest.substr(0, last);
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    std::string_view ip = rest.substr(0, colon);
    auto addr = ParseIpv4(ip, "-p host ip");
    if (!addr) return SpecError(spec, fmt::format("HOSTIP `{}` is not an IPv4 address", ip));
    m.host_ip = FormatIpv4(*addr);
    if (*addr == 0) m.host_ip.clear();  // 0.0.0.0 means "every address", like no HOSTIP
    rest = rest.substr(colon + 1);
  }
  m.host_port = CTV_TRY(ParsePort(spec, rest, "HOSTPORT"));
  return m;
}

Result<std::vector<PortMapping>> ParsePortSpecs(const std::vector<std::string>& specs) {
  std::vector<PortMapping> out;
  for (const auto& s : specs) {
    PortMapping m = CTV_TRY(ParsePortSpec(s));
    for (const auto& o : out) {
      bool same_ip = o.host_ip.empty() || m.host_ip.empty() || o.host_ip == m.host_ip;
      if (same_ip && o.host_port == m.host_port && o.protocol == m.protocol)
        return MakeError("parse -p", s,
                         fmt::format("host port {}/{} is already mapped by -p {}", m.host_port,
                                     ProtocolName(m.protocol), o.ToString()));
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace ctv::net
