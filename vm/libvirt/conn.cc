#include "vm/libvirt/conn.h"

#include <libvirt/virterror.h>
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <mutex>
#include <thread>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/log.h"

namespace ctv::vm::lv {
namespace {

void SilentErrorHandler(void*, virErrorPtr) {}

// Before main, so before anything (the results environment's virGetVersion) initialises libvirt,
// which reads its log settings once: the embedded driver otherwise prints its warnings and
// harmless internal errors (no dmidecode, no access manager, "tainted: high-privileges") on our
// stderr. Errors that matter reach callers as Errors (virGetLastErrorMessage). A user who wants
// libvirt's own log sets LIBVIRT_LOG_OUTPUTS, which this does not override.
const bool kQuietLibvirtLog = [] {
  return ::setenv("LIBVIRT_LOG_OUTPUTS", "4:file:/dev/null", 0) == 0;
}();

}  // namespace

Error LastError(std::string op, std::string object) {
  const char* msg = virGetLastErrorMessage();
  return MakeError(std::move(op), std::move(object), msg ? msg : "unknown libvirt error");
}

void EnsureEventLoop() {
  static std::once_flag once;
  std::call_once(once, [] {
    virSetErrorFunc(nullptr, SilentErrorHandler);
    if (virEventRegisterDefaultImpl() < 0) {
      Log(LogLevel::kWarn, "libvirt: cannot register the event loop: {}", virGetLastErrorMessage());
      return;
    }
    // Runs for the life of the process; libvirt offers no way to stop the default loop cleanly.
    std::thread([] {
      // Ctrl-C must interrupt the harness's own waits (poll returning EINTR in the main thread),
      // so this thread never takes SIGINT/SIGTERM.
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGINT);
      sigaddset(&set, SIGTERM);
      pthread_sigmask(SIG_BLOCK, &set, nullptr);
      for (;;) virEventRunDefaultImpl();
    }).detach();
  });
}

std::string EmbedUri(const std::string& vm_state_root) {
  return "qemu:///embed?root=" + vm_state_root + "/libvirt";
}

std::string EmbedRootOf(const std::string& uri) {
  const std::string embed = "qemu:///embed?root=";
  return uri.rfind(embed, 0) == 0 ? uri.substr(embed.size()) : "";
}

std::string RemoteHostOf(const std::string& uri) {
  size_t scheme_end = uri.find("://");
  if (scheme_end == std::string::npos) return "";
  size_t start = scheme_end + 3;
  std::string authority = uri.substr(start, uri.find_first_of("/?", start) - start);
  if (size_t at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  std::string host = authority;
  if (!host.empty() && host[0] == '[') {  // [IPv6]:port
    host = host.substr(1, host.find(']') - 1);
  } else if (size_t colon = host.find(':'); colon != std::string::npos) {
    host.erase(colon);
  }
  if (host.empty() || host == "localhost" || host == "127.0.0.1" || host == "::1") return "";
  return host;
}

Status WriteEmbedConfig(const std::string& embed_root) {
  CTV_CHECK(ctv::fs::MakeDirs(embed_root + "/etc", 0700));
  // Why each line: the embedded driver runs QEMU itself. Default settings would drop QEMU to the
  // libvirt-qemu user, label files for a security driver and unshare a mount namespace, none of
  // which this tool needs (our files live in a root-only state dir) and some of which fail in
  // containers. No cgroup controllers are listed as off: <cputune>/<memtune> need them.
  // Measured and left at libvirt's defaults (vm/README.md, "libvirt start-up cost"): the
  // seccomp sandbox (-sandbox on: QEMU reaches its monitor and boots equally fast without it) and
  // cgroup_controllers (the domain's cgroups cost ~25 ms per start, mostly moving QEMU's threads
  // in; only an empty list avoids that, and it loses <cputune>/<memtune>).
  static const char kConf[] =
      "# written by ctvbench for the embedded libvirt QEMU driver\n"
      "user = \"root\"\n"
      "group = \"root\"\n"
      "dynamic_ownership = 0\n"
      "remember_owner = 0\n"
      "security_driver = \"none\"\n"
      "namespaces = [ ]\n"
      "stdio_handler = \"file\"\n";
  std::string path = embed_root + "/etc/qemu.conf";
  auto old = ReadFile(path);
  if (old && *old == kConf) return Ok();
  return WriteFileAtomic(path, kConf, 0600);
}

Result<Connection> Connection::Open(const std::string& uri) {
  if (std::string root = EmbedRootOf(uri); !root.empty()) CTV_CHECK(WriteEmbedConfig(root));
  EnsureEventLoop();
  Connection c;
  c.uri_ = uri;
  c.c_ = virConnectOpen(uri.c_str());
  if (!c.c_) {
    Error e = LastError("connect to libvirt", uri);
    if (e.context.find("Failed to parse user") != std::string::npos)
      e.context +=
          " (libvirt's QEMU driver needs its default system user even when embedded: "
          "run scripts/setup, or `useradd --system --user-group libvirt-qemu`)";
    return e;
  }
  // A daemon that stops answering (host down, ssh link cut) would otherwise leave every later
  // call (destroy included) waiting forever: with keepalive the connection is closed after ~20 s
  // of silence and calls fail. Needs the event loop above. (Connecting itself has no deadline in
  // libvirt's ssh transport: ssh's ConnectTimeout in the user's ssh config bounds it.)
  if (EmbedRootOf(uri).empty() && uri.rfind("test:", 0) != 0)
    (void)virConnectSetKeepAlive(c.c_, 5, 3);  // unsupported by some drivers: harmless
  return c;
}

Connection& Connection::operator=(Connection&& o) noexcept {
  if (this != &o) {
    Close();
    c_ = std::exchange(o.c_, nullptr);
    uri_ = std::move(o.uri_);
  }
  return *this;
}

void Connection::Close() {
  if (!c_) return;
  int refs = virConnectClose(c_);
  c_ = nullptr;
  if (refs > 0)
    Log(LogLevel::kWarn, "libvirt: connection to {} still has {} references after close (leak)",
        uri_, refs);
}

int Domain::State() const {
  if (!d_) return -1;
  int state = 0, reason = 0;
  if (virDomainGetState(d_, &state, &reason, 0) < 0) return -1;
  return state;
}

}  // namespace ctv::vm::lv
