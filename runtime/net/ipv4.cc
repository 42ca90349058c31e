#include "runtime/net/ipv4.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>

namespace ctv::net {

Result<uint32_t> ParseIpv4(std::string_view text, std::string_view what) {
  std::string s(text);
  in_addr a{};
  if (s.empty() || inet_pton(AF_INET, s.c_str(), &a) != 1)
    return MakeError(fmt::format("parse {}", what), s, "expected a dotted IPv4 address");
  return ntohl(a.s_addr);
}

std::string FormatIpv4(uint32_t addr) {
  return fmt::format("{}.{}.{}.{}", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255);
}

bool Ipv4Subnet::Overlaps(const Ipv4Subnet& o) const {
  uint32_t m = prefix < o.prefix ? Mask() : o.Mask();  // the wider of the two
  return (base & m) == (o.base & m);
}

std::string Ipv4Subnet::ToString() const { return fmt::format("{}/{}", FormatIpv4(base), prefix); }

Result<Ipv4Subnet> ParseIpv4Subnet(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos)
    return MakeError("parse subnet", std::string(text), "expected A.B.C.D/PREFIX");
  Ipv4Subnet s;
  s.base = CTV_TRY(ParseIpv4(text.substr(0, slash), "subnet"));
  auto p = text.substr(slash + 1);
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), s.prefix);
  if (ec != std::errc() || end != p.data() + p.size() || s.prefix < 8 || s.prefix > 30)
    return MakeError("parse subnet", std::string(text), "prefix must be 8..30");
  if ((s.base & ~s.Mask()) != 0)
    return MakeError("parse subnet", std::string(text), "host bits set after the prefix");
  return s;
}

}  // namespace ctv::net
