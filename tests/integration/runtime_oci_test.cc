// OCI bundle features on real containers: process.terminal (foreground relay and
// --console-socket), the bundle's own linux.seccomp, linux.namespaces[].path, and --user names
// resolved in the container's own /etc/passwd. Needs root.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/lifecycle.h"
#include "runtime/net/scratch_netns.h"
#include "tests/support/runtime_env.h"

namespace ctv::runtime {
namespace {

using nlohmann::json;
using testing::ContainerGuard;
using testing::RuntimeEnv;

RuntimeEnv& Env() { return testing::SharedRuntimeEnv(); }

void ExpectClean(const std::string& id) { testing::ExpectNoLeftovers(Env().StateRoot(), id); }

// A bundle: the test image's base layer as rootfs and a minimal config.json running `script`
// with sh; `edit` changes the config before it is written.
using Bundle = testing::TestBundle;

std::unique_ptr<Bundle> MakeBundle(const std::string& script) {
  auto b = std::make_unique<Bundle>();
  auto layers = Env().Layers();
  EXPECT_TRUE(layers.has_value());
  if (!layers) return b;
  EXPECT_TRUE(RunCommand({"cp", "-a", (*layers)[0], b->Path() + "/rootfs"})->status.Success());
  // A joined user namespace's root (an unprivileged host uid) must reach the rootfs, and cannot
  // create the mount points in it: a real rootfs has them.
  ::chmod(b->Path().c_str(), 0755);
  for (const char* d : {"/rootfs/proc", "/rootfs/dev", "/rootfs/sys"})
    ::mkdir((b->Path() + d).c_str(), 0755);
  b->config = {{"ociVersion", "1.0.2"},
               {"process", {{"args", {"sh", "-c", script}}, {"cwd", "/"}, {"env", {"PATH=/bin"}}}},
               {"root", {{"path", "rootfs"}}},
               {"hostname", "oci"},
               {"linux",
                {{"namespaces",
                  {{{"type", "pid"}},
                   {{"type", "mount"}},
                   {{"type", "uts"}},
                   {{"type", "ipc"}},
                   {{"type", "network"}}}}}}};
  return b;
}

bool Contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// --- process.terminal -------------------------------------------------------------------------

TEST(BundleTerminal, ForegroundRunGivesPid1ItsOwnPtyAndRelaysIt) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle(
      "busybox tty; test -t 0 && test -t 1 && test -t 2 && echo all-stdio-tty; "
      "test -c /dev/console && echo console; read l; echo got:$l; exit 5");
  b->config["process"]["terminal"] = true;
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  // stdin is a pipe, not a terminal: the relay must work all the same.
  std::string cmd = "printf 'ping\\n' | ";
  for (const std::string& a : Env().CtvrtArgv({"run", "--bundle", b->Path(), id}))
    cmd += Quote(a) + " ";
  auto r = RunCommand({"sh", "-c", cmd}, std::chrono::seconds(60));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status.code, 5) << r->err;
  // Its own devpts instance: the first pty of a fresh devpts is number 0 (the host has others).
  EXPECT_TRUE(Contains(r->out, "/dev/pts/0\r\n")) << r->out;
  EXPECT_TRUE(Contains(r->out, "all-stdio-tty\r\n")) << r->out;
  EXPECT_TRUE(Contains(r->out, "console\r\n")) << r->out;
  EXPECT_TRUE(Contains(r->out, "got:ping\r\n")) << r->out;
  ExpectClean(id);
}

TEST(BundleTerminal, WithoutTerminalStdioIsInherited) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle("test -t 1 && echo tty || echo not-a-tty");
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto r = Env().Ctvrt({"run", "--bundle", b->Path(), id});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out, "not-a-tty\n") << r->err;
}

// A listening console socket in a temp dir (the receiving side of the OCI contract).
struct ConsoleSocket {
  testing::TempDir dir;
  Fd listener;
  std::string Path() const { return dir.Path() + "/console.sock"; }
  Status Listen() {
    listener = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string p = Path();
    std::memcpy(addr.sun_path, p.c_str(), p.size());
    if (::bind(listener.Get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener.Get(), 1) != 0)
      return ErrnoError("listen", p);
    return Ok();
  }
  // Accepts one connection and receives the descriptor it carries.
  Result<Fd> Receive(std::string* payload) {
    Fd conn(::accept4(listener.Get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn.Valid()) return ErrnoError("accept", Path());
    char data[128];
    iovec iov{data, sizeof data};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(conn.Get(), &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) return ErrnoError("recvmsg", Path());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS) return MakeError("recvmsg", Path(), "no descriptor");
    int fd;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    payload->assign(data, static_cast<size_t>(n));
    return Fd(fd);
  }
};

// Reads `fd` until `want` shows up, the other side closes, or ~20 s pass.
std::string ReadUntil(int fd, const std::string& want) {
  std::string out;
  int64_t deadline = MonotonicNs() + 20'000'000'000LL;
  while (!Contains(out, want) && MonotonicNs() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char buf[512];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

TEST(BundleTerminal, CreateSendsAWorkingMasterToTheConsoleSocket) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle("busybox tty; read l; echo got:$l");
  b->config["process"]["terminal"] = true;
  ASSERT_TRUE(b->Write().has_value());
  ConsoleSocket sock;
  ASSERT_TRUE(sock.Listen().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto c = Env().Ctvrt({"create", "--bundle", b->Path(), "--console-socket", sock.Path(), id});
  ASSERT_TRUE(c.has_value() && c->status.Success()) << c->err;
  std::string payload;
  auto master = sock.Receive(&payload);
  ASSERT_TRUE(master.has_value()) << master.error().ToString();
  EXPECT_EQ(payload, "/dev/pts/0");
  EXPECT_TRUE(::isatty(master->Get()));
  ASSERT_TRUE(Env().Ctvrt({"start", id})->status.Success());
  ASSERT_TRUE(WriteAll(master->Get(), "ping\n", "pty master").has_value());
  std::string out = ReadUntil(master->Get(), "got:ping\r\n");
  EXPECT_TRUE(Contains(out, "/dev/pts/0\r\n")) << out;
  EXPECT_TRUE(Contains(out, "got:ping\r\n")) << out;
  ASSERT_TRUE(Env().Ctvrt({"delete", "--force", id})->status.Success());
  ExpectClean(id);
}

TEST(BundleTerminal, DetachedTerminalNeedsAConsoleSocketAndViceVersa) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle("true");
  b->config["process"]["terminal"] = true;
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto c = Env().Ctvrt({"create", "--bundle", b->Path(), id});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->status.code, 1);
  EXPECT_TRUE(Contains(c->err, "process.terminal is true")) << c->err;
  EXPECT_TRUE(Contains(c->err, "--console-socket")) << c->err;
  auto d = Env().Ctvrt({"run", "-d", "--bundle", b->Path(), id});
  EXPECT_EQ(d->status.code, 1);
  EXPECT_TRUE(Contains(d->err, "--console-socket")) << d->err;
  b->config["process"]["terminal"] = false;
  ASSERT_TRUE(b->Write().has_value());
  auto e = Env().Ctvrt({"create", "--bundle", b->Path(), "--console-socket", "/tmp/x.sock", id});
  EXPECT_EQ(e->status.code, 1);
  EXPECT_TRUE(Contains(e->err, "process.terminal is false")) << e->err;
  ExpectClean(id);
}

// --- linux.seccomp ----------------------------------------------------------------------------

TEST(BundleSeccomp, BundleProfileReplacesTheDefault) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle("mkdir /tmp/denied; echo rc=$?; grep Seccomp: /proc/self/status");
  b->config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"syscalls",
       {{{"names", {"mkdir", "mkdirat", "not_a_syscall"}},
         {"action", "SCMP_ACT_ERRNO"},
         {"errnoRet", 122}}}}};
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto r = Env().Ctvrt({"run", "--bundle", b->Path(), id});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->status.Success()) << r->err;
  EXPECT_EQ(r->out, "rc=1\nSeccomp:\t2\n") << r->err;
  EXPECT_TRUE(Contains(r->err, "Disk quota exceeded")) << r->err;  // EDQUOT = 122
  ExpectClean(id);
}

TEST(BundleSeccomp, BundleWithoutSeccompHasNoFilterImageRunKeepsTheDefault) {
  CTV_REQUIRE_ROOT();
  // unshare(CLONE_NEWUSER) needs no capability, but the default profile denies it.
  const std::string script =
      "grep Seccomp: /proc/self/status; busybox unshare -U true && echo userns-ok";
  auto b = MakeBundle(script);
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto r = Env().Ctvrt({"run", "--bundle", b->Path(), id});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out, "Seccomp:\t0\nuserns-ok\n") << r->err;
  auto img = Env().Ctvrt({"run", "--rm", "--net", "none", Env().Image(), "sh", "-c", script});
  ASSERT_TRUE(img.has_value());
  EXPECT_EQ(img->out, "Seccomp:\t2\n") << img->err;
  ExpectClean(id);
}

TEST(BundleSeccomp, BadProfileNamesTheField) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle("true");
  b->config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_FOO"}}}}};
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  auto r = Env().Ctvrt({"run", "--bundle", b->Path(), id});
  EXPECT_EQ(r->status.code, 1);
  EXPECT_TRUE(Contains(r->err, "linux.seccomp.syscalls[0].action")) << r->err;
  EXPECT_TRUE(Contains(r->err, "\"SCMP_ACT_FOO\"")) << r->err;
  ExpectClean(id);
}

// --- linux.namespaces[].path ------------------------------------------------------------------

TEST(BundleNamespaces, JoinsANetworkNamespaceByPath) {
  CTV_REQUIRE_ROOT();
  std::string tag = std::to_string(::getpid() % 100000);
  auto netns = net::ScratchNetns::Create("ctvoci" + tag);
  ASSERT_TRUE(netns.has_value()) << netns.error().ToString();
  std::string veth = "ctvoa" + tag;
  auto add = RunCommand({"ip", "-n", netns->Name(), "link", "add", veth, "type", "veth", "peer",
                         "name", "ctvob" + tag});
  ASSERT_TRUE(add.has_value() && add->status.Success()) << add->err;
  auto b = MakeBundle("busybox ip -o link; ls /sys/class/net");
  b->config["linux"]["namespaces"][4]["path"] = netns->Path();
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto r = Env().Ctvrt({"run", "--bundle", b->Path(), id});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->status.Success()) << r->err;
  EXPECT_TRUE(Contains(r->out, veth + "@")) << r->out;          // netlink view
  EXPECT_TRUE(Contains(r->out, "\n" + veth + "\n")) << r->out;  // its own sysfs
  auto host = RunCommand({"ip", "-o", "link"});
  EXPECT_FALSE(Contains(host->out, veth)) << "the veth is the netns's, not the host's";
  ExpectClean(id);
}

TEST(BundleNamespaces, BadPathNamesThePath) {
  CTV_REQUIRE_ROOT();
  auto b = MakeBundle("true");
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  b->config["linux"]["namespaces"][4]["path"] = "/run/netns/ctv-does-not-exist";
  ASSERT_TRUE(b->Write().has_value());
  auto r = Env().Ctvrt({"run", "--bundle", b->Path(), id});
  EXPECT_EQ(r->status.code, 1);
  EXPECT_TRUE(Contains(r->err, "`/run/netns/ctv-does-not-exist`: does not exist")) << r->err;
  b->config["linux"]["namespaces"][4]["path"] = "/proc/self/ns/uts";
  ASSERT_TRUE(b->Write().has_value());
  r = Env().Ctvrt({"run", "--bundle", b->Path(), id});
  EXPECT_EQ(r->status.code, 1);
  EXPECT_TRUE(Contains(r->err, "`/proc/self/ns/uts`: is a uts namespace, not net")) << r->err;
  ExpectClean(id);
}

TEST(BundleNamespaces, JoinsThePidAndUserNamespacesOfAnotherContainer) {
  CTV_REQUIRE_ROOT();
  std::string first = testing::TestId();
  ContainerGuard guard1(Env().StateRoot(), first);
  auto a = Env().Ctvrt({"run", "-d", "--name", first, "--net", "none", "--userns", "0:100000:65536",
                        Env().Image(), "sleep", "60"});
  ASSERT_TRUE(a.has_value() && a->status.Success()) << a->err;
  auto st = LoadState(Env().StateRoot(), first);
  ASSERT_TRUE(st.has_value());
  std::string ns = "/proc/" + std::to_string(st->pid) + "/ns/";
  auto b = MakeBundle("ps -o pid,args; cat /proc/self/uid_map; hostname");
  b->config["linux"]["namespaces"][0]["path"] = ns + "pid";
  b->config["linux"]["namespaces"].push_back({{"type", "user"}, {"path", ns + "user"}});
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard2(Env().StateRoot(), id);
  auto r = Env().Ctvrt({"run", "--bundle", b->Path(), id});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->status.Success()) << r->err;
  EXPECT_TRUE(Contains(r->out, " 1 sleep 60\n")) << r->out;  // the other container's PID 1
  EXPECT_TRUE(Contains(r->out, "100000")) << r->out;         // its user namespace's map
  EXPECT_TRUE(Contains(r->out, "oci\n"))
      << r->out;  // a new uts namespace, inside the joined userns
  ExpectClean(id);
  ASSERT_TRUE(Env().Ctvrt({"rm", "-f", first})->status.Success());
  ExpectClean(first);
}

// --- hooks -----------------------------------------------------------------------------------

json ShellHook(const std::string& script) {
  return {{"path", "/bin/sh"}, {"args", {"sh", "-c", script}}};
}

TEST(BundleHooks, RunAtTheirLifecyclePointsWithTheState) {
  CTV_REQUIRE_ROOT();
  testing::TempDir out;
  const std::string o = out.Path();
  // The workload checks that createRuntime ran before it; poststart and poststop record theirs.
  auto b = MakeBundle("echo workload");
  b->config["hooks"] = {{"prestart", {ShellHook("cat > " + o + "/prestart.json")}},
                        {"createRuntime",
                         {ShellHook("cat > " + o + "/createRuntime.json; ls " + o + " > " + o +
                                    "/seen-by-createRuntime")}},
                        {"poststart", {ShellHook("cat > " + o + "/poststart.json")}},
                        {"poststop", {ShellHook("cat > " + o + "/poststop.json")}}};
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  // OCI create/start/delete: prestart+createRuntime at create, poststart at start, poststop at
  // delete (from the copy in the state dir: the bundle may be gone by then).
  auto c = Env().CtvrtToFiles({"create", "--bundle", b->Path(), id}, o);
  ASSERT_TRUE(c.has_value() && c->status.Success()) << (c ? c->err : c.error().ToString());
  auto pre = ReadFile(o + "/prestart.json");
  ASSERT_TRUE(pre.has_value()) << "prestart did not run at create";
  json pj = json::parse(*pre);
  EXPECT_EQ(pj["id"], id);
  EXPECT_EQ(pj["status"], "created");  // the status the runtime spec gives prestart hooks
  EXPECT_EQ(pj["bundle"], b->Path());
  auto st = LoadState(Env().StateRoot(), id);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(pj["pid"], st->pid);
  EXPECT_TRUE(Contains(cgroup::OrEmpty(ReadFile(o + "/seen-by-createRuntime")), "prestart.json"))
      << "createRuntime runs after prestart";
  EXPECT_FALSE(fs::Exists(o + "/poststart.json"));
  ASSERT_TRUE(Env().Ctvrt({"start", id})->status.Success());
  auto post = ReadFile(o + "/poststart.json");
  ASSERT_TRUE(post.has_value()) << "poststart did not run at start";
  EXPECT_EQ(json::parse(*post)["status"], "running");
  EXPECT_FALSE(fs::Exists(o + "/poststop.json"));
  ASSERT_TRUE(Env().Ctvrt({"delete", "--force", id})->status.Success());
  auto stop = ReadFile(o + "/poststop.json");
  ASSERT_TRUE(stop.has_value()) << "poststop did not run at delete";
  EXPECT_EQ(json::parse(*stop)["status"], "stopped");
  ExpectClean(id);
  // Foreground run: all four, in one command.
  for (const char* f : {"prestart.json", "poststart.json", "poststop.json"})
    ::unlink((o + "/" + f).c_str());
  auto r = Env().Ctvrt({"run", "--bundle", b->Path(), id});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out, "workload\n") << r->err;
  for (const char* f : {"prestart.json", "poststart.json", "poststop.json"})
    EXPECT_TRUE(fs::Exists(o + "/" + f)) << f;
  ExpectClean(id);
}

TEST(BundleHooks, FailingPrestartStopsTheLaunchFailingPoststopWarns) {
  CTV_REQUIRE_ROOT();
  testing::TempDir out;
  auto b = MakeBundle("touch /ran; echo workload-ran");
  b->config["hooks"] = {{"prestart", {ShellHook("echo no network for you >&2; exit 4")}}};
  ASSERT_TRUE(b->Write().has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto r = Env().Ctvrt({"run", "--bundle", b->Path(), id});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status.code, 1);
  EXPECT_EQ(r->out, "");  // the workload never ran
  EXPECT_TRUE(Contains(r->err, "`hooks.prestart[0]` (/bin/sh): exit 4: no network for you"))
      << r->err;
  EXPECT_FALSE(fs::Exists(b->Path() + "/rootfs/ran"));
  ExpectClean(id);
  b->config["hooks"] = {
      {"poststop", {ShellHook("exit 5"), ShellHook("touch " + out.Path() + "/second")}}};
  ASSERT_TRUE(b->Write().has_value());
  r = Env().Ctvrt({"run", "--bundle", b->Path(), id});
  EXPECT_EQ(r->status.code, 0) << r->err;
  EXPECT_TRUE(Contains(r->err, "warning: container " + id + ": run hook `hooks.poststop[0]`"))
      << r->err;
  // runtime-spec: the hooks after a failing poststop hook still run.
  EXPECT_TRUE(fs::Exists(out.Path() + "/second"));
  ExpectClean(id);
}

// --- --user NAME[:GROUP] ----------------------------------------------------------------------

TEST(RunUser, NamesResolveInTheImagesPasswdNotTheHosts) {
  CTV_REQUIRE_ROOT();
  testing::TempDir layout;
  auto base = testing::BusyboxLayer();
  ASSERT_TRUE(base.has_value());
  using image::LayerEntry;
  LayerEntry etc{LayerEntry::Type::kDirectory, "etc", 0755};
  LayerEntry passwd{LayerEntry::Type::kFile, "etc/passwd", 0644};
  passwd.data = "root:x:0:0:root:/root:/bin/sh\nctvalice:x:1234:1234::/home/alice:/bin/sh\n";
  LayerEntry group{LayerEntry::Type::kFile, "etc/group", 0644};
  group.data = "root:x:0:\nctvstaff:x:4321:ctvalice\nctvaudio:x:29:ctvalice\n";
  auto users = image::BuildLayer({etc, passwd, group});
  ASSERT_TRUE(users.has_value());
  ASSERT_TRUE(testing::WriteImage(layout.Path(), {*base, *users}).has_value());
  const std::string show = "grep -E '^(Uid|Gid|Groups):' /proc/self/status; echo HOME=$HOME";
  auto r = Env().Ctvrt(
      {"run", "--rm", "--net", "none", "--user", "ctvalice", layout.Path(), "sh", "-c", show});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out,
            "Uid:\t1234\t1234\t1234\t1234\nGid:\t1234\t1234\t1234\t1234\nGroups:\t29 4321 \n"
            "HOME=/home/alice\n")
      << r->err;
  auto g = Env().Ctvrt({"run", "--rm", "--net", "none", "-e", "HOME=/mine", "--user",
                        "ctvalice:ctvstaff", layout.Path(), "sh", "-c", show});
  EXPECT_TRUE(Contains(g->out, "Gid:\t4321\t4321\t4321\t4321\n")) << g->out << g->err;
  EXPECT_TRUE(Contains(g->out, "HOME=/mine\n")) << g->out;  // set by the caller: kept
  // A user only the host knows.
  auto bad = Env().Ctvrt({"run", "--rm", "--user", "nobody", layout.Path(), "true"});
  EXPECT_EQ(bad->status.code, 1);
  EXPECT_TRUE(Contains(bad->err, "resolve user `nobody`: no such user in /etc/passwd of the image"))
      << bad->err;
  // exec --user reads the running container's files.
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto d = Env().Ctvrt({"run", "-d", "--name", id, "--net", "none", layout.Path(), "sleep", "60"});
  ASSERT_TRUE(d.has_value() && d->status.Success()) << d->err;
  auto e = Env().Ctvrt({"exec", "--user", "ctvalice", id, "sh", "-c", show});
  EXPECT_EQ(e->out,
            "Uid:\t1234\t1234\t1234\t1234\nGid:\t1234\t1234\t1234\t1234\nGroups:\t29 4321 \n"
            "HOME=/home/alice\n")
      << e->err;
  auto eb = Env().Ctvrt({"exec", "--user", "ctvalice:nogroup", id, "true"});
  EXPECT_EQ(eb->status.code, 1);
  EXPECT_TRUE(
      Contains(eb->err, "resolve group `nogroup`: no such group in /etc/group of container"))
      << eb->err;
  ASSERT_TRUE(Env().Ctvrt({"rm", "-f", id})->status.Success());
  ExpectClean(id);
}

}  // namespace
}  // namespace ctv::runtime
