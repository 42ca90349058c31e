// IPv4 addresses and subnets as host-order integers: the small arithmetic the allocator needs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace ctv::net {

// "10.88.0.1" -> host-order value; error names `what` (e.g. "-p host ip").
Result<uint32_t> ParseIpv4(std::string_view text, std::string_view what);
std::string FormatIpv4(uint32_t addr);

struct Ipv4Subnet {
  uint32_t base = 0;  // network address (host bits zero)
  int prefix = 0;     // 8..30
  uint32_t Mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  uint32_t Gateway() const { return base + 1; }  // the bridge's address
  uint32_t Broadcast() const { return base | ~Mask(); }
  bool Contains(uint32_t a) const { return (a & Mask()) == base; }
  bool Overlaps(const Ipv4Subnet& o) const;
  std::string ToString() const;  // "10.88.0.0/16"
};

// "10.88.0.0/16"; rejects host bits set and prefixes outside 8..30.
Result<Ipv4Subnet> ParseIpv4Subnet(std::string_view text);

}  // namespace ctv::net
