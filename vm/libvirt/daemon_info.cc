#include "vm/libvirt/daemon_info.h"

#include <cstdlib>

#include "vm/libvirt/conn.h"

namespace ctv::vm::lv {
namespace {

// libvirt encodes versions as major * 1,000,000 + minor * 1,000 + release.
std::string VersionString(unsigned long v) {
  return std::to_string(v / 1000000) + "." + std::to_string(v / 1000 % 1000) + "." +
         std::to_string(v % 1000);
}

}  // namespace

bool KvmOffered(virConnectPtr conn, std::string* why) {
  char* caps = virConnectGetDomainCapabilities(conn, nullptr, "x86_64", nullptr, "kvm", 0);
  if (!caps) {
    if (why) *why = LastError("", "").context;
    return false;
  }
  std::free(caps);
  return true;
}

uint64_t TscKhz(virConnectPtr conn) {
  char* caps = virConnectGetCapabilities(conn);
  if (!caps) return 0;
  std::string x = caps;
  std::free(caps);
  const std::string key = "<counter name='tsc' frequency='";
  size_t at = x.find(key);
  if (at != std::string::npos) return std::strtoull(x.c_str() + at + key.size(), nullptr, 10) / 1000;
  virNodeInfo node{};
  if (virNodeGetInfo(conn, &node) == 0 && node.mhz > 0) return uint64_t{node.mhz} * 1000;
  return 0;
}

Result<DaemonInfo> DescribeDaemon(virConnectPtr conn) {
  DaemonInfo d;
  char* host = virConnectGetHostname(conn);
  if (!host) return LastError("ask libvirt for its", "hostname");
  d.hostname = host;
  std::free(host);
  unsigned long v = 0;
  if (virConnectGetLibVersion(conn, &v) == 0) d.libvirt_version = VersionString(v);
  if (virConnectGetVersion(conn, &v) == 0) d.qemu_version = VersionString(v);
  d.kvm_offered = KvmOffered(conn, &d.kvm_why);
  d.tsc_khz = TscKhz(conn);
  return d;
}

}  // namespace ctv::vm::lv
