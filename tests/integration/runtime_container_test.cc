// Isolation and limits of ctvrt containers, through the runtime library and the CLI. Needs root.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/line_reader.h"
#include "runtime/fs/rootfs.h"
#include "runtime/image/store.h"
#include "runtime/lifecycle.h"
#include "tests/support/runtime_env.h"

namespace ctv::runtime {
namespace {

using testing::ContainerGuard;
using testing::Leftovers;
using testing::RuntimeEnv;

RuntimeEnv& Env() { return testing::SharedRuntimeEnv(); }

// A launched container whose stdout is a pipe the test reads line by line.
struct Piped {
  Container c;
  Fd out;
  std::unique_ptr<LineReader> reader;
  std::string Line(int timeout_ms = 10000) {
    auto l = reader->Next(std::chrono::milliseconds(timeout_ms));
    if (!l || !*l) return "<eof or error>";
    return (*l)->text;
  }
  std::string Rest() {
    std::string all;
    for (;;) {
      auto l = reader->Next(std::chrono::seconds(60));
      if (!l || !*l) break;
      all += (*l)->text + "\n";
    }
    return all;
  }
};

Result<Piped> LaunchPiped(const ContainerSpec& spec) {
  PipePair p = CTV_TRY(MakePipe());
  LaunchOptions o;
  o.stdout_fd = p.write.Get();
  State st;
  RunRequest req;
  req.spec = spec;
  req.state_root = Env().StateRoot();
  Piped r{CTV_TRY(LaunchRecorded(req, o, &st)), std::move(p.read), nullptr};
  r.reader = std::make_unique<LineReader>(r.out.Get());
  return r;
}

std::string HostStatusField(pid_t pid, const std::string& key) {
  auto text = ReadFile("/proc/" + std::to_string(pid) + "/status");
  if (!text) return "";
  size_t p = text->find("\n" + key + ":");
  if (p == std::string::npos) return "";
  size_t e = text->find('\n', p + 1);
  std::string v = text->substr(p + key.size() + 2, e - p - key.size() - 2);
  while (!v.empty() && (v[0] == '\t' || v[0] == ' ')) v.erase(0, 1);
  return v;
}

// `ctvrt run -it IMAGE`: an option after the options is named as one, not opened as a path.
// `ctvrt --version` answers (exit 0) with the release and the revision built.
TEST(RuntimeCli, VersionNamesTheReleaseAndTheRevision) {
  auto r = Env().Ctvrt({"--version"});
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_TRUE(r->status.Success()) << r->err;
  EXPECT_EQ(r->out.rfind("ctvrt 0.", 0), 0u) << r->out;
  EXPECT_NE(r->out.find(" ("), std::string::npos) << "no revision: " << r->out;
}

TEST(RuntimeCli, AnOptionWhereTheImageGoesIsNamed) {
  auto r = Env().Ctvrt({"run", "-it", Env().Image()});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status.code, 2) << r->err;
  EXPECT_NE(r->err.find("unknown option '-it'"), std::string::npos) << r->err;
  EXPECT_EQ(r->err.find("oci-layout"), std::string::npos) << r->err;
}

TEST(RuntimeIsolation, Pid1IsADifferentHostProcess) {
  CTV_REQUIRE_ROOT();
  auto spec = Env().Spec({"/usr/local/bin/ctv-probe", "ready"});
  ASSERT_TRUE(spec.has_value()) << spec.error().ToString();
  ContainerGuard guard(Env().StateRoot(), spec->id);
  auto p = LaunchPiped(*spec);
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  std::string ready = p->Line();
  ASSERT_EQ(ready.rfind("CTV-READY 1 ", 0), 0u) << ready;  // PID 1 inside
  pid_t host = p->c.Pid();
  EXPECT_NE(host, 1);
  EXPECT_NE(host, ::getpid());
  // The host's process table has it, with NSpid "<host pid> 1".
  EXPECT_EQ(HostStatusField(host, "NSpid"), std::to_string(host) + "\t1");
  auto ps = RunCommand({"ps", "-o", "pid=,comm=", "-p", std::to_string(host)});
  ASSERT_TRUE(ps.has_value());
  EXPECT_NE(ps->out.find("ctv-probe"), std::string::npos) << ps->out;
  (void)p->c.Process().Signal(SIGTERM);
  auto st = p->c.Process().Wait();
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->Success()) << st->ToString();
}

// A SysV message queue on the host, removed on scope exit.
struct HostMsgQueue {
  int id = -1;
  HostMsgQueue() {
    auto r = RunCommand({"ipcmk", "-Q"});
    if (r && r->status.Success()) {
      size_t p = r->out.find_last_of(' ');
      id = std::atoi(r->out.c_str() + p + 1);
    }
  }
  ~HostMsgQueue() {
    if (id >= 0) (void)RunCommand({"ipcrm", "-q", std::to_string(id)});
  }
};

TEST(RuntimeIsolation, HostnameMountsAndIpcAreIsolated) {
  CTV_REQUIRE_ROOT();
  if (FindInPath("ipcmk").empty()) GTEST_SKIP() << "ipcmk (util-linux) is not installed";
  HostMsgQueue q;
  ASSERT_GE(q.id, 0);
  auto spec = Env().Spec({"sh", "-c",
                          "hostname; grep -c . /proc/sysvipc/msg; "
                          "grep -c ' / / ' /proc/self/mountinfo; echo up; sleep 30"});
  ASSERT_TRUE(spec.has_value());
  ContainerGuard guard(Env().StateRoot(), spec->id);
  std::string host_before = cgroup::OrEmpty(ReadFile("/proc/sys/kernel/hostname"));
  auto p = LaunchPiped(*spec);
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  EXPECT_EQ(p->Line(), spec->id);  // its own hostname
  EXPECT_EQ(p->Line(), "1");       // only the header line: the host's queue is not visible
  EXPECT_EQ(p->Line(), "1");       // its own root mount
  EXPECT_EQ(p->Line(), "up");
  EXPECT_EQ(cgroup::OrEmpty(ReadFile("/proc/sys/kernel/hostname")), host_before);
  // The overlay exists only in the container's mount namespace.
  std::string rootfs = StateDir(Env().StateRoot(), spec->id) + "/rootfs";
  EXPECT_EQ(cgroup::OrEmpty(ReadFile("/proc/self/mountinfo")).find(rootfs), std::string::npos);
  std::string theirs =
      cgroup::OrEmpty(ReadFile("/proc/" + std::to_string(p->c.Pid()) + "/mountinfo"));
  EXPECT_NE(theirs.find("overlay"), std::string::npos);
  for (const char* n : {"ipc", "uts", "mnt", "pid", "net", "cgroup"}) {
    char a[64] = {}, b[64] = {};
    ASSERT_GT(::readlink((std::string("/proc/self/ns/") + n).c_str(), a, sizeof a - 1), 0);
    ASSERT_GT(
        ::readlink(("/proc/" + std::to_string(p->c.Pid()) + "/ns/" + n).c_str(), b, sizeof b - 1),
        0);
    EXPECT_STRNE(a, b) << n;
  }
}

TEST(RuntimeIsolation, UserNamespaceMapsRootToUnprivilegedHostUid) {
  CTV_REQUIRE_ROOT();
  auto spec = Env().Spec({"sh", "-c", "id -u; cat /proc/self/uid_map; echo up; sleep 30"});
  ASSERT_TRUE(spec.has_value());
  spec->namespaces |= CLONE_NEWUSER;
  spec->uid_maps = spec->gid_maps = {{0, 100000, 65536}};
  ContainerGuard guard(Env().StateRoot(), spec->id);
  auto p = LaunchPiped(*spec);
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  EXPECT_EQ(p->Line(), "0");  // root inside
  std::string map = p->Line();
  EXPECT_NE(map.find("100000"), std::string::npos) << map;
  EXPECT_EQ(p->Line(), "up");
  // ...and uid 100000 outside.
  EXPECT_EQ(HostStatusField(p->c.Pid(), "Uid").substr(0, 6), "100000");
}

TEST(RuntimeSecurity, DefaultsApplied) {
  CTV_REQUIRE_ROOT();
  auto spec =
      Env().Spec({"sh", "-c",
                  "grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/self/status; "
                  "mount -t tmpfs none /tmp 2>/dev/null && echo mounted || echo mount-denied; "
                  "cat /proc/kcore 2>/dev/null | wc -c; "
                  "echo x > /proc/sysrq-trigger 2>/dev/null && echo sysrq || echo sysrq-denied"});
  ASSERT_TRUE(spec.has_value());
  ContainerGuard guard(Env().StateRoot(), spec->id);
  auto p = LaunchPiped(*spec);
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  std::string all = p->Rest();
  EXPECT_NE(all.find("NoNewPrivs:\t1"), std::string::npos) << all;
  EXPECT_NE(all.find("Seccomp:\t2"), std::string::npos) << all;
  char caps[32];
  std::snprintf(caps, sizeof caps, "CapEff:\t%016llx",
                static_cast<unsigned long long>(security::DefaultCaps()));
  EXPECT_NE(all.find(caps), std::string::npos) << all;
  EXPECT_NE(all.find("mount-denied"), std::string::npos) << all;
  EXPECT_NE(all.find("\n0\n"), std::string::npos) << all;  // /proc/kcore masked
  EXPECT_NE(all.find("sysrq-denied"), std::string::npos) << all;
}

// The default profile denies tracing non-children only: a debugger still traces the child it
// starts (PTRACE_TRACEME), but cannot attach to another process (here the probe's parent, the
// container's init). Unconfined, the same attach succeeds: the denial is the filter's.
TEST(RuntimeSecurity, PtraceOfNonChildrenDenied) {
  CTV_REQUIRE_ROOT();
  auto run = [](std::vector<std::string> extra) {
    std::vector<std::string> argv{"run", "--rm", "--init", "--net", "none"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.insert(argv.end(),
                {"--entrypoint", "", Env().Image(), "/usr/local/bin/ctv-probe", "ptrace"});
    return Env().Ctvrt(argv);
  };
  auto confined = run({});
  ASSERT_TRUE(confined.has_value()) << confined.error().ToString();
  EXPECT_EQ(confined->status.code, 0) << confined->err;
  EXPECT_NE(confined->out.find("\"traceme_errno\":0,"), std::string::npos) << confined->out;
  EXPECT_NE(confined->out.find("\"attach_errno\":1,"), std::string::npos) << confined->out;
  EXPECT_NE(confined->out.find("\"seize_errno\":1}"), std::string::npos) << confined->out;

  auto yama = ReadFile("/proc/sys/kernel/yama/ptrace_scope");
  if (yama && !yama->empty() && (*yama)[0] != '0')
    GTEST_SKIP() << "Yama ptrace_scope=" << *yama << " denies attaching on this host by itself";
  auto unconfined = run({"--security-opt", "seccomp=unconfined"});
  ASSERT_TRUE(unconfined.has_value()) << unconfined.error().ToString();
  EXPECT_NE(unconfined->out.find("\"attach_errno\":0,"), std::string::npos) << unconfined->out;
}

TEST(RuntimeLimits, MemoryLimitEndsInOomKill) {
  CTV_REQUIRE_ROOT();
  auto spec = Env().Spec({"/usr/local/bin/ctv-probe", "memtouch", "--mib", "128"});
  ASSERT_TRUE(spec.has_value());
  spec->limits.memory_bytes = 64 << 20;
  ContainerGuard guard(Env().StateRoot(), spec->id);
  auto p = LaunchPiped(*spec);
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  (void)p->Rest();
  auto st = p->c.Process().Wait();
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->signaled && st->code == SIGKILL) << st->ToString();
  bool oom = false;
  ASSERT_TRUE(RecordExit(Env().StateRoot(), spec->id, *st, p->c.Cgroup(), &oom).has_value());
  EXPECT_TRUE(oom);
  auto stats = p->c.Cgroup()->ReadStats();
  ASSERT_TRUE(stats.has_value());
  EXPECT_GE(stats->oom_kills, 1);
  ASSERT_TRUE(stats->memory_peak.has_value());  // v1 always has memory.max_usage_in_bytes
  EXPECT_LE(*stats->memory_peak, 64 << 20);
  EXPECT_GT(*stats->memory_peak, 32 << 20);  // it did fill most of its limit
  auto state = LoadState(Env().StateRoot(), spec->id);
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->oom_killed);
}

TEST(RuntimeLimits, HalfACpu) {
  CTV_REQUIRE_ROOT();
  auto spec = Env().Spec({"/usr/local/bin/ctv-probe", "cpuspin", "--seconds", "3"});
  ASSERT_TRUE(spec.has_value());
  spec->limits.cpus = 0.5;
  ContainerGuard guard(Env().StateRoot(), spec->id);
  auto p = LaunchPiped(*spec);
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  std::string out = p->Rest();
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  double share = j.value("cpu_share", -1.0);
  EXPECT_NEAR(share, 0.5, 0.1) << out;
  auto stats = p->c.Cgroup()->ReadStats();
  ASSERT_TRUE(stats.has_value());
  EXPECT_GT(stats->cpu_nr_throttled, 0);
  EXPECT_GT(stats->cpu_usage_ns, 1'000'000'000);
}

TEST(RuntimeLimits, PidsLimitStopsForkBomb) {
  CTV_REQUIRE_ROOT();
  auto spec = Env().Spec({"/usr/local/bin/ctv-probe", "forkbomb", "--max", "200"});
  ASSERT_TRUE(spec.has_value());
  spec->limits.pids = 20;
  ContainerGuard guard(Env().StateRoot(), spec->id);
  auto p = LaunchPiped(*spec);
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  std::string out = p->Rest();
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  int forked = j.value("forked", -1);
  EXPECT_GE(forked, 15) << out;
  EXPECT_LE(forked, 20) << out;  // 20 processes including the probe itself
}

TEST(RuntimeErrors, FailureInTheChildBecomesAClearError) {
  CTV_REQUIRE_ROOT();
  auto spec = Env().Spec({"no-such-program"});
  ASSERT_TRUE(spec.has_value());
  ContainerGuard guard(Env().StateRoot(), spec->id);
  auto p = LaunchPiped(*spec);
  ASSERT_FALSE(p.has_value());
  std::string msg = p.error().ToString();
  EXPECT_NE(msg.find("exec `no-such-program`"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ENOENT"), std::string::npos) << msg;
  EXPECT_TRUE(Leftovers(Env().StateRoot(), spec->id).empty());
  // A mount step failing names the mount and the path.
  auto bad = Env().Spec({"true"});
  ASSERT_TRUE(bad.has_value());
  ContainerGuard guard2(Env().StateRoot(), bad->id);
  bad->volumes = {{"/nonexistent-ctv-volume", "/data", false}};
  auto q = LaunchPiped(*bad);
  ASSERT_FALSE(q.has_value());
  msg = q.error().ToString();
  EXPECT_NE(msg.find("bind mount `/nonexistent-ctv-volume`"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ENOENT"), std::string::npos) << msg;
  auto left = Leftovers(Env().StateRoot(), bad->id);
  EXPECT_TRUE(left.empty()) << left[0];
}

// --- through the CLI ---

TEST(RuntimeCli, WritableLayerGoesWithRmVolumeStays) {
  CTV_REQUIRE_ROOT();
  testing::TempDir vol;
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto r =
      Env().Ctvrt({"run", "--name", id, "-v", vol.Path() + ":/data", Env().Image(), "sh", "-c",
                   "echo keep > /data/kept; echo gone > /root/ephemeral; cat /root/ephemeral"});
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->status.Success()) << r->err;
  EXPECT_EQ(r->out, "gone\n");
  std::string upper = StateDir(Env().StateRoot(), id) + "/upper/root/ephemeral";
  EXPECT_TRUE(fs::Exists(upper));  // stopped, not removed: the writable layer is still there
  auto ps = Env().Ctvrt({"ps", "-a"});
  EXPECT_NE(ps->out.find(id), std::string::npos);
  auto rm = Env().Ctvrt({"rm", id});
  ASSERT_TRUE(rm->status.Success()) << rm->err;
  EXPECT_FALSE(fs::Exists(upper));
  EXPECT_EQ(cgroup::OrEmpty(ReadFile(vol.Path() + "/kept")), "keep\n");
  auto left = Leftovers(Env().StateRoot(), id);
  EXPECT_TRUE(left.empty()) << left[0];
  // A second container does not see the first one's file.
  auto r2 = Env().Ctvrt({"run", "--rm", Env().Image(), "sh", "-c",
                         "test -e /root/ephemeral && echo leaked || echo clean"});
  EXPECT_EQ(r2->out, "clean\n");
}

// The root overlay is volatile where the kernel has it (5.10 on; fs::OverlayHasVolatile): its
// upper layer is never synced, not at unmount either.
TEST(RuntimeCli, RootOverlayIsVolatile) {
  CTV_REQUIRE_ROOT();
  if (!fs::OverlayHasVolatile()) GTEST_SKIP() << "this kernel's overlayfs has no volatile option";
  auto r = Env().Ctvrt(
      {"run", "--rm", Env().Image(), "sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo"});
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->status.Success()) << r->err;
  // "... - overlay overlay rw,lowerdir=...,workdir=...,volatile" (",fsync=volatile" since 6.x)
  size_t options = r->out.find(" - overlay ");
  ASSERT_NE(options, std::string::npos) << r->out;
  size_t work = r->out.find(",workdir=", options);
  ASSERT_NE(work, std::string::npos) << r->out;
  const std::string options_after_work = r->out.substr(work);
  EXPECT_TRUE(options_after_work.find(",volatile") != std::string::npos ||
              options_after_work.find(",fsync=volatile") != std::string::npos)
      << r->out;
}

// The CLI's view of the cgroup, as the v2 guest test (runtime_cgroup_v2_test.cc) checks it there.
TEST(RuntimeCli, OomKilledContainerStatsAndJoinUntilRm) {
  CTV_REQUIRE_ROOT();
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto r = Env().Ctvrt({"run", "--net", "none", "-m", "64m", "--name", id, Env().Image(),
                        "/usr/local/bin/ctv-probe", "memtouch", "--mib", "128"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status.code, 137) << r->err;
  EXPECT_NE(r->err.find("killed by the OOM killer"), std::string::npos) << r->err;
  auto info = nlohmann::json::parse(Env().Ctvrt({"info"})->out, nullptr, false);
  ASSERT_TRUE(info.is_object());
  auto stats = Env().Ctvrt({"stats", id});
  ASSERT_TRUE(stats->status.Success()) << stats->err;
  auto j = nlohmann::json::parse(stats->out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << stats->out;
  EXPECT_EQ(j["cgroup_version"], info["cgroup"]["backend"]);
  EXPECT_GE(j["oom_kills"].get<int64_t>(), 1);
  ASSERT_TRUE(j["memory_peak_bytes"].is_number()) << stats->out;
  EXPECT_LE(j["memory_peak_bytes"].get<int64_t>(), 64 << 20);
  auto state = nlohmann::json::parse(Env().Ctvrt({"state", id})->out, nullptr, false);
  ASSERT_TRUE(state.is_object());
  EXPECT_EQ(state["annotations"]["ctvbench.cgroup.join"], info["cgroup"]["join"]);
  EXPECT_EQ(state["annotations"]["org.ctvbench.oom_killed"], "true");
  ASSERT_TRUE(Env().Ctvrt({"rm", id})->status.Success());
  auto gone = Env().Ctvrt({"stats", id});
  EXPECT_EQ(gone->status.code, 1);  // no container, no cgroup
  auto left = Leftovers(Env().StateRoot(), id);
  EXPECT_TRUE(left.empty()) << left[0];
}

TEST(RuntimeCli, BadFlagValuesNameTheFlagAndTheForm) {
  auto r = Env().Ctvrt({"run", "-m", "256q", Env().Image(), "true"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status.code, 2);
  EXPECT_NE(r->err.find("-m/--memory"), std::string::npos) << r->err;
  EXPECT_NE(r->err.find("256q"), std::string::npos) << r->err;
  EXPECT_NE(r->err.find("256m"), std::string::npos) << r->err;
  auto c = Env().Ctvrt({"run", "--cpus", "abc", Env().Image(), "true"});
  EXPECT_EQ(c->status.code, 2);
  EXPECT_NE(c->err.find("--cpus"), std::string::npos) << c->err;
  auto v = Env().Ctvrt({"run", "-v", "relative:/x", Env().Image(), "true"});
  EXPECT_EQ(v->status.code, 2);
  EXPECT_NE(v->err.find("HOSTDIR:CTDIR"), std::string::npos) << v->err;
  // The flag is checked before the image is opened: a typo in both names the flag.
  auto both = Env().Ctvrt({"run", "-m", "256q", "/nonexistent/image", "true"});
  EXPECT_EQ(both->status.code, 2);
  EXPECT_NE(both->err.find("-m/--memory"), std::string::npos) << both->err;
  auto cmd = Env().Ctvrt({"runn", Env().Image(), "true"});
  EXPECT_EQ(cmd->status.code, 2);
  EXPECT_NE(cmd->err.find("unknown command 'runn'"), std::string::npos) << cmd->err;
}

TEST(RuntimeCli, HostileImageRefusedNothingUnpacked) {
  CTV_REQUIRE_ROOT();
  testing::TempDir layout, store;
  using image::LayerEntry;
  auto good = testing::BusyboxLayer();
  ASSERT_TRUE(good.has_value());
  LayerEntry evil{LayerEntry::Type::kSymlink, "escape", 0777};
  evil.link_target = "../../../../etc";
  auto bad = image::BuildLayer({evil});
  ASSERT_TRUE(bad.has_value());
  ASSERT_TRUE(testing::WriteImage(layout.Path(), {*good, *bad}).has_value());
  auto r = RunCommand({SelfDir() + "/ctvrt", "--root", Env().StateRoot(), "--store", store.Path(),
                       "run", "--rm", layout.Path(), "true"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status.code, 1);
  EXPECT_NE(r->err.find("symlink `escape`"), std::string::npos) << r->err;
  EXPECT_NE(r->err.find("escapes the layer"), std::string::npos) << r->err;
  image::LayerStore s(store.Path());
  // The bad layer is not in the cache and no temp dir is left.
  auto layers = s.ListLayers();
  ASSERT_TRUE(layers.has_value());
  EXPECT_LE(layers->size(), 1u);  // at most the good base layer
  auto tmp = RunCommand({"sh", "-c", "ls -A " + store.Path() + "/tmp 2>/dev/null | wc -l"});
  EXPECT_EQ(tmp->out, "0\n");
}

TEST(RuntimeCli, RuncSpecBundleRunsUnmodified) {
  CTV_REQUIRE_ROOT();
  if (FindInPath("runc").empty())
    GTEST_SKIP() << "runc is not installed (it writes the bundle's config.json)";
  testing::TempDir bundle;
  auto layers = Env().Layers();
  ASSERT_TRUE(layers.has_value());
  ASSERT_TRUE(RunCommand({"cp", "-a", (*layers)[0], bundle.Path() + "/rootfs"})->status.Success());
  auto spec = RunCommand({"sh", "-c", "cd " + bundle.Path() + " && runc spec"});
  ASSERT_TRUE(spec.has_value() && spec->status.Success());
  // Change only the args. `runc spec` writes "terminal": true: the output comes through the pty
  // ctvrt relays (hence \r\n), although the test's stdin is not a terminal.
  auto cfg = nlohmann::json::parse(ReadFile(bundle.Path() + "/config.json").value());
  ASSERT_TRUE(cfg["process"]["terminal"].get<bool>());
  cfg["process"]["args"] = {"sh", "-c", "echo bundle-ok; hostname"};
  ASSERT_TRUE(WriteFile(bundle.Path() + "/config.json", cfg.dump()).has_value());
  std::string id = testing::TestId();
  ContainerGuard guard(Env().StateRoot(), id);
  auto r = Env().Ctvrt({"run", "--bundle", bundle.Path(), id});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->status.Success()) << r->err;
  EXPECT_EQ(r->out, "bundle-ok\r\nrunc\r\n");
  auto left = Leftovers(Env().StateRoot(), id);
  EXPECT_TRUE(left.empty()) << left[0];
}

}  // namespace
}  // namespace ctv::runtime

namespace ctv::runtime {
namespace {

TEST(RuntimeInit, TinyInitReapsAndForwardsTheExitCode) {
  CTV_REQUIRE_ROOT();
  auto r = Env().Ctvrt(
      {"run", "--rm", "--init", Env().Image(), "sh", "-c", "sleep 0.2 & echo pid=$$; exit 3"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status.code, 3) << r->err;
  EXPECT_EQ(r->out, "pid=2\n");  // the workload is PID 2 under the init
}

TEST(RuntimeCli, ReadOnlyVolume) {
  CTV_REQUIRE_ROOT();
  testing::TempDir vol;
  auto r = Env().Ctvrt({"run", "--rm", "-v", vol.Path() + ":/data:ro", Env().Image(), "sh", "-c",
                        "touch /data/x 2>/dev/null && echo writable || echo read-only"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out, "read-only\n") << r->err;
  EXPECT_FALSE(fs::Exists(vol.Path() + "/x"));
}

}  // namespace
}  // namespace ctv::runtime

namespace ctv::runtime {
namespace {

TEST(RuntimeCli, VolumeTargetThroughImageSymlinkStaysInsideTheRoot) {
  CTV_REQUIRE_ROOT();
  testing::TempDir layout, vol;
  std::string escape = "/tmp/ctvescape-" + testing::TestId();
  using image::LayerEntry;
  auto base = testing::BusyboxLayer();
  ASSERT_TRUE(base.has_value());
  // An absolute symlink is legal in a layer (it resolves inside the container at run time), but a
  // runtime that resolved it before pivot_root would mkdir/mount on the HOST.
  LayerEntry link{LayerEntry::Type::kSymlink, "data", 0777};
  link.link_target = escape;
  auto evil = image::BuildLayer({link});
  ASSERT_TRUE(evil.has_value());
  ASSERT_TRUE(testing::WriteImage(layout.Path(), {*base, *evil}).has_value());
  auto r = Env().Ctvrt({"run", "--rm", "-v", vol.Path() + ":/data/sub", layout.Path(), "true"});
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(fs::Exists(escape)) << "the volume's mkdir escaped to the host: " << escape;
  (void)fs::RemoveTree(escape);
  if (!r->status.Success()) {
    EXPECT_NE(r->err.find("data/sub"), std::string::npos) << r->err;
  }
}

}  // namespace
}  // namespace ctv::runtime
