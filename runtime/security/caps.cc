#include <linux/capability.h>

#include <cstdlib>
#include <mutex>

#include "core/fd.h"
#include "runtime/security/security.h"

namespace ctv::security {
namespace {

const char* const kNames[] = {"CHOWN",
                              "DAC_OVERRIDE",
                              "DAC_READ_SEARCH",
                              "FOWNER",
                              "FSETID",
                              "KILL",
                              "SETGID",
                              "SETUID",
                              "SETPCAP",
                              "LINUX_IMMUTABLE",
                              "NET_BIND_SERVICE",
                              "NET_BROADCAST",
                              "NET_ADMIN",
                              "NET_RAW",
                              "IPC_LOCK",
                              "IPC_OWNER",
                              "SYS_MODULE",
                              "SYS_RAWIO",
                              "SYS_CHROOT",
                              "SYS_PTRACE",
                              "SYS_PACCT",
                              "SYS_ADMIN",
                              "SYS_BOOT",
                              "SYS_NICE",
                              "SYS_RESOURCE",
                              "SYS_TIME",
                              "SYS_TTY_CONFIG",
                              "MKNOD",
                              "LEASE",
                              "AUDIT_WRITE",
                              "AUDIT_CONTROL",
                              "SETFCAP",
                              "MAC_OVERRIDE",
                              "MAC_ADMIN",
                              "SYSLOG",
                              "WAKE_ALARM",
                              "BLOCK_SUSPEND",
                              "AUDIT_READ",
                              "PERFMON",
                              "BPF",
                              "CHECKPOINT_RESTORE"};
constexpr int kKnown = sizeof(kNames) / sizeof(kNames[0]);

}  // namespace

CapSet DefaultCaps() {
  CapSet s = 0;
  for (int c :
       {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_NET_RAW, CAP_SETGID, CAP_SETUID,
        CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE})
    s |= CapSet{1} << c;
  return s;
}

CapSet AllCaps() {
  static int last = [] {
    auto t = ReadFile("/proc/sys/kernel/cap_last_cap");
    return t ? std::atoi(t->c_str()) : CAP_LAST_CAP;
  }();
  return last >= 63 ? ~CapSet{0} : (CapSet{1} << (last + 1)) - 1;
}

Result<int> ParseCap(const std::string& name) {
  std::string n = name;
  for (char& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (n.rfind("CAP_", 0) == 0) n = n.substr(4);
  for (int i = 0; i < kKnown; ++i)
    if (n == kNames[i]) return i;
  return MakeError("parse capability", name, "unknown capability (e.g. CAP_NET_ADMIN)");
}

std::string CapName(int cap) {
  return cap >= 0 && cap < kKnown ? std::string("CAP_") + kNames[cap]
                                  : "CAP_" + std::to_string(cap);
}

}  // namespace ctv::security
