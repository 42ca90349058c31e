// Parser for the `-p` flag: `[HOSTIP:]HOSTPORT:CTPORT[/tcp|udp]`.
//
// Errors are one line naming the flag, the offending text and the accepted form, e.g.
//   -p `80`: expected [HOSTIP:]HOSTPORT:CTPORT[/tcp|udp] (e.g. 8080:80 or 127.0.0.1:8080:80/udp)
#pragma once

#include <string_view>
#include <vector>

#include "core/error.h"
#include "runtime/net/types.h"

namespace ctv::net {

inline constexpr const char* kPortSpecForm = "[HOSTIP:]HOSTPORT:CTPORT[/tcp|udp]";

Result<PortMapping> ParsePortSpec(std::string_view spec);
// Parses every spec and rejects two mappings of the same host ip/port/protocol.
Result<std::vector<PortMapping>> ParsePortSpecs(const std::vector<std::string>& specs);

}  // namespace ctv::net
