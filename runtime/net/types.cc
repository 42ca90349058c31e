#include "runtime/net/types.h"

#include <fmt/format.h>

namespace ctv::net {

Result<NetworkMode> ParseNetworkMode(std::string_view text) {
  if (text == "none") return NetworkMode::kNone;
  if (text == "host") return NetworkMode::kHost;
  if (text == "bridge") return NetworkMode::kBridge;
  return MakeError("parse --net", std::string(text), "expected none|host|bridge");
}

const char* NetworkModeName(NetworkMode mode) {
  switch (mode) {
    case NetworkMode::kNone:
      return "none";
    case NetworkMode::kHost:
      return "host";
    case NetworkMode::kBridge:
      return "bridge";
  }
  return "?";
}

const char* ProtocolName(Protocol p) { return p == Protocol::kTcp ? "tcp" : "udp"; }

std::string PortMapping::ToString() const {
  return fmt::format("{}{}:{}/{}", host_ip.empty() ? "" : host_ip + ":", host_port, container_port,
                     ProtocolName(protocol));
}

Status ValidateContainerId(std::string_view id) {
  bool ok = !id.empty() && id.size() <= 64;
  for (char c : id)
    ok &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == '-';
  if (!ok)
    return MakeError("validate container id", std::string(id),
                     "expected 1-64 characters of [A-Za-z0-9_.-]");
  return Ok();
}

}  // namespace ctv::net
