// OCI config.json features beyond the basics: process.terminal, linux.seccomp (parsed, compiled
// and loaded into a forked child), linux.namespaces[].path, hooks. No root needed.
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "runtime/fs/rootfs.h"
#include "runtime/hooks.h"
#include "runtime/ns/namespaces.h"
#include "runtime/oci/config.h"
#include "runtime/security/seccomp_profile.h"

namespace ctv::runtime {
namespace {

std::string Config(const std::string& process_extra, const std::string& linux_body) {
  return R"({"process": {"args": ["sh"])" + process_extra + R"(}, "linux": {)" + linux_body + "}}";
}

std::string ErrorOf(const Result<ContainerSpec>& r) {
  return r.has_value() ? "<no error>" : r.error().ToString();
}

TEST(OciTerminal, TerminalAndConsoleSize) {
  auto s = oci::ParseConfig(
      Config(R"(, "terminal": true, "consoleSize": {"height": 40, "width": 120})", ""), "/b");
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_TRUE(s->process.terminal);
  EXPECT_EQ(s->process.console_rows, 40);
  EXPECT_EQ(s->process.console_cols, 120);
  auto plain = oci::ParseConfig(Config("", ""), "/b");
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->process.terminal);
}

// No number in config.json is fractional: a fraction or an integer beyond 64 bits (kept as a
// double by the parser) is refused naming its place, never converted (fuzz_bundle_config found
// a gid of 2.2e57: an out-of-range float-to-integer conversion, undefined behaviour).
TEST(OciConfigNumbers, FractionsAndHugeNumbersAreRefusedByPlace) {
  auto huge = oci::ParseConfig(
      Config(R"(, "user": {"uid": 0, "gid": 2222222222222222222222222222222222222222})", ""), "/b");
  EXPECT_NE(ErrorOf(huge).find("process.user.gid"), std::string::npos) << ErrorOf(huge);
  EXPECT_NE(ErrorOf(huge).find("expected an integer"), std::string::npos) << ErrorOf(huge);
  auto frac = oci::ParseConfig(
      Config("", R"("resources": {"memory": {"limit": 1.5}}, "uidMappings": [])"), "/b");
  EXPECT_NE(ErrorOf(frac).find("linux.resources.memory.limit"), std::string::npos) << ErrorOf(frac);
  auto in_array = oci::ParseConfig(
      Config(R"(, "user": {"uid": 0, "gid": 0, "additionalGids": [1, 2.5]})", ""), "/b");
  EXPECT_NE(ErrorOf(in_array).find("process.user.additionalGids[1]"), std::string::npos)
      << ErrorOf(in_array);
  auto fine = oci::ParseConfig(Config(R"(, "user": {"uid": 0, "gid": 4294967295})", ""), "/b");
  EXPECT_TRUE(fine.has_value()) << ErrorOf(fine);
}

TEST(OciSeccomp, AbsentMeansNoFilterLikeRunc) {
  auto s = oci::ParseConfig(Config("", ""), "/b");
  ASSERT_TRUE(s.has_value());
  EXPECT_FALSE(s->process.seccomp);
  EXPECT_FALSE(s->process.seccomp_profile.has_value());
}

TEST(OciSeccomp, ParsesEveryField) {
  auto s = oci::ParseConfig(Config("", R"("seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                  {"index": 1, "value": 255, "valueTwo": 4, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]})"),
                            "/b");
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  ASSERT_TRUE(s->process.seccomp);
  const security::SeccompProfile& p = *s->process.seccomp_profile;
  EXPECT_EQ(p.default_action.name, "SCMP_ACT_ERRNO");
  EXPECT_EQ(p.default_action.ret, 38u);
  EXPECT_EQ(p.architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
  EXPECT_EQ(p.flags, unsigned{SECCOMP_FILTER_FLAG_LOG});
  ASSERT_EQ(p.rules.size(), 3u);
  EXPECT_EQ(p.rules[0].names, (std::vector<std::string>{"read", "write"}));
  ASSERT_EQ(p.rules[1].args.size(), 2u);
  EXPECT_EQ(p.rules[1].args[1].index, 1u);
  EXPECT_EQ(p.rules[1].args[1].value, 255u);
  EXPECT_EQ(p.rules[1].args[1].value_two, 4u);
  EXPECT_EQ(p.rules[1].args[1].op, "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(p.rules[2].action.ret, unsigned{EPERM});  // the OCI default errno
  EXPECT_EQ(p.rules[2].field, "linux.seccomp.syscalls[2]");
}

TEST(OciSeccomp, ErrorsNameTheFieldAndTheValue) {
  struct Case {
    const char* seccomp;
    const char* field;
    const char* value;
  };
  const Case cases[] = {
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO"},
          {"names": ["b"], "action": "SCMP_ACT_ERRNO"}, {"names": ["c"], "action": "SCMP_ACT_ERRNO"},
          {"names": ["d"], "action": "SCMP_ACT_FOO"}]})",
       "linux.seccomp.syscalls[3].action", "unknown action \"SCMP_ACT_FOO\""},
      {R"({})", "linux.seccomp.defaultAction", "missing"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1})",
       "linux.seccomp.defaultErrnoRet", "SCMP_ACT_ALLOW"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]})",
       "linux.seccomp.architectures[0]", "SCMP_ARCH_VAX"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_FAST"]})",
       "linux.seccomp.flags[0]", "SECCOMP_FILTER_FLAG_FAST"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]})",
       "linux.seccomp.syscalls[0].names", "empty"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_KILL", "errnoRet": 3}]})",
       "linux.seccomp.syscalls[0].errnoRet", "SCMP_ACT_KILL"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_NOTIFY"}]})",
       "linux.seccomp.syscalls[0].action", "SCMP_ACT_NOTIFY is not supported"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO",
          "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})",
       "linux.seccomp.syscalls[0].args[0].index", "0..5"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO",
          "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ALMOST"}]}]})",
       "linux.seccomp.syscalls[0].args[0].op", "SCMP_CMP_ALMOST"},
  };
  for (const Case& c : cases) {
    std::string e =
        ErrorOf(oci::ParseConfig(Config("", std::string("\"seccomp\": ") + c.seccomp), "/b"));
    EXPECT_NE(e.find(std::string("`") + c.field + "`"), std::string::npos) << e;
    EXPECT_NE(e.find(c.value), std::string::npos) << e;
  }
}

// Loads `profile` in a forked child (no_new_privs lets an unprivileged process do it), runs
// `probe` there and returns what it returned (an errno value, or 0), or -1 when the child died.
template <class F>
int InFilteredChild(const security::SeccompProfile& profile, F probe) {
  auto prog = security::CompileProfile(profile);
  if (!prog) {
    ADD_FAILURE() << prog.error().ToString();
    return -1;
  }
  sock_fprog fp = const_cast<security::SeccompProgram*>(*prog)->Prog();
  unsigned flags = (*prog)->flags;
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(200);
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fp) != 0) ::_exit(201);
    ::_exit(probe());
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

security::SeccompRule Rule(std::vector<std::string> names, const char* action, uint32_t ret,
                           std::vector<security::SeccompArg> args = {}) {
  security::SeccompRule r;
  r.names = std::move(names);
  r.action = {action, ret};
  r.args = std::move(args);
  r.field = "linux.seccomp.syscalls[?]";
  return r;
}

TEST(SeccompProfile, CompiledFilterReturnsTheErrnoOfTheRule) {
  security::SeccompProfile p;
  p.default_action = {"SCMP_ACT_ALLOW", 0};
  // An unknown name is skipped, not an error (a profile for a newer kernel still loads).
  p.rules.push_back(Rule({"mkdir", "mkdirat", "no_such_syscall_at_all"}, "SCMP_ACT_ERRNO", 122));
  auto mkdir_errno = [] { return ::mkdir("/nonexistent-ctv-dir/x", 0755) == 0 ? 0 : errno; };
  EXPECT_EQ(InFilteredChild(p, mkdir_errno), EDQUOT);
  // Without the rule the same call reaches the kernel.
  security::SeccompProfile allow;
  allow.default_action = {"SCMP_ACT_ALLOW", 0};
  EXPECT_EQ(InFilteredChild(allow, mkdir_errno), ENOENT);
}

TEST(SeccompProfile, ArgumentConditionsAllOfDistinctIndexesAnyOfARepeatedOne) {
  auto kill_errno = [](int sig) {
    return [sig] { return ::kill(::getpid(), sig) == 0 ? 0 : errno; };
  };
  security::SeccompProfile p;
  p.default_action = {"SCMP_ACT_ALLOW", 0};
  // kill(pid, sig): the same index twice = either value matches.
  p.rules.push_back(Rule({"kill"}, "SCMP_ACT_ERRNO", EDOM,
                         {{1, 0, 0, "SCMP_CMP_EQ"}, {1, SIGWINCH, 0, "SCMP_CMP_EQ"}}));
  EXPECT_EQ(InFilteredChild(p, kill_errno(0)), EDOM);
  EXPECT_EQ(InFilteredChild(p, kill_errno(SIGWINCH)), EDOM);
  EXPECT_EQ(InFilteredChild(p, kill_errno(SIGCONT)), 0);
  // Distinct indexes: both must hold (pid is never 1 here, so nothing matches).
  security::SeccompProfile q;
  q.default_action = {"SCMP_ACT_ALLOW", 0};
  q.rules.push_back(
      Rule({"kill"}, "SCMP_ACT_ERRNO", EDOM, {{0, 1, 0, "SCMP_CMP_EQ"}, {1, 0, 0, "SCMP_CMP_EQ"}}));
  EXPECT_EQ(InFilteredChild(q, kill_errno(0)), 0);
  // MASKED_EQ: value is the mask, valueTwo the datum. SIGWINCH = 28 = 0b11100.
  security::SeccompProfile m;
  m.default_action = {"SCMP_ACT_ALLOW", 0};
  m.rules.push_back(
      Rule({"kill"}, "SCMP_ACT_ERRNO", ERANGE, {{1, 0x1c, 0x1c, "SCMP_CMP_MASKED_EQ"}}));
  EXPECT_EQ(InFilteredChild(m, kill_errno(SIGWINCH)), ERANGE);
  EXPECT_EQ(InFilteredChild(m, kill_errno(SIGCONT)), 0);
}

TEST(SeccompProfile, DefaultErrnoAndCaching) {
  security::SeccompProfile p;
  p.default_action = {"SCMP_ACT_ERRNO", ENOTSUP};
  // What the child needs to finish: exit_group (and the probe's own call is denied by default).
  p.rules.push_back(Rule({"exit_group", "exit"}, "SCMP_ACT_ALLOW", 0));
  EXPECT_EQ(InFilteredChild(p, [] { return ::syscall(SYS_getppid) < 0 ? errno : 0; }), ENOTSUP);
  auto a = security::CompileProfile(p);
  auto b = security::CompileProfile(p);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(*a, *b);  // compiled once per process
  p.default_action.ret = EPERM;
  auto c = security::CompileProfile(p);
  ASSERT_TRUE(c.has_value());
  auto same = [](const security::SeccompProgram* x, const security::SeccompProgram* y) {
    return x->code.size() == y->code.size() &&
           std::equal(x->code.begin(), x->code.end(), y->code.begin(),
                      [](const sock_filter& u, const sock_filter& v) {
                        return u.code == v.code && u.jt == v.jt && u.jf == v.jf && u.k == v.k;
                      });
  };
  EXPECT_FALSE(same(*a, *c)) << "a different errno must give a different program";
}

TEST(OciNamespaces, PathsAreJoinedDuplicatesRefused) {
  auto s = oci::ParseConfig(Config("", R"("namespaces": [{"type": "pid"}, {"type": "mount"},
      {"type": "network", "path": "/run/netns/x"}, {"type": "user", "path": "/proc/9/ns/user"}])"),
                            "/b");
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_EQ(s->namespaces, CLONE_NEWPID | CLONE_NEWNS);
  ASSERT_EQ(s->join_namespaces.size(), 2u);
  EXPECT_EQ(s->join_namespaces[0].clone_flag, CLONE_NEWNET);
  EXPECT_EQ(s->join_namespaces[0].path, "/run/netns/x");
  EXPECT_EQ(s->JoinedFlags(), CLONE_NEWNET | CLONE_NEWUSER);
  EXPECT_TRUE(s->HasNamespace(CLONE_NEWUSER));
  EXPECT_FALSE(s->HasNamespace(CLONE_NEWUTS));
  std::string dup = ErrorOf(oci::ParseConfig(
      Config("", R"("namespaces": [{"type": "pid"}, {"type": "pid", "path": "/proc/1/ns/pid"}])"),
      "/b"));
  EXPECT_NE(dup.find("linux.namespaces[1].type"), std::string::npos) << dup;
}

TEST(OciNamespaces, OpenChecksTheKindAndNamesThePath) {
  auto ok = ns::OpenNamespace({CLONE_NEWUTS, "/proc/self/ns/uts"});
  EXPECT_TRUE(ok.has_value()) << ok.error().ToString();
  auto wrong = ns::OpenNamespace({CLONE_NEWNET, "/proc/self/ns/uts"});
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.error().ToString().find("`/proc/self/ns/uts`: is a uts namespace, not net"),
            std::string::npos)
      << wrong.error().ToString();
  auto file = ns::OpenNamespace({CLONE_NEWNET, "/proc/self/status"});
  ASSERT_FALSE(file.has_value());
  EXPECT_NE(file.error().ToString().find("is not a namespace"), std::string::npos);
  auto none = ns::OpenNamespace({CLONE_NEWNET, "/run/netns/ctv-no-such-netns"});
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().ToString().find("`/run/netns/ctv-no-such-netns`: does not exist"),
            std::string::npos)
      << none.error().ToString();
}

TEST(OciNamespaces, RootfsPlanFollowsJoinedNamespaces) {
  ContainerSpec spec;
  spec.id = "ctvx";
  spec.namespaces = CLONE_NEWNS | CLONE_NEWPID;
  spec.rootfs_dir = "/b/rootfs";
  spec.join_namespaces = {{CLONE_NEWNET, "/run/netns/x"}};
  auto plan = fs::BuildRootfsPlan(spec, {"/s/rootfs", "/s/upper", "/s/work"});
  ASSERT_TRUE(plan.has_value());
  bool fresh_sysfs = false;
  for (const fs::MountOp& op : *plan) fresh_sysfs |= op.fstype == "sysfs";
  EXPECT_TRUE(fresh_sysfs) << "a joined netns needs its own sysfs view of its interfaces";
  // A joined user namespace refuses mknod like a new one: devices are bound instead.
  spec.join_namespaces.push_back({CLONE_NEWUSER, "/proc/9/ns/user"});
  plan = fs::BuildRootfsPlan(spec, {"/s/rootfs", "/s/upper", "/s/work"});
  ASSERT_TRUE(plan.has_value());
  for (const fs::MountOp& op : *plan) EXPECT_NE(op.kind, fs::MountOp::Kind::kMknod);
}

TEST(OciHooks, ParsedAndCheckedWithTheField) {
  auto s = oci::ParseConfig(R"({"process": {"args": ["sh"]}, "hooks": {
      "prestart": [{"path": "/bin/a", "args": ["a", "-x"], "env": ["K=V"], "timeout": 5}],
      "createRuntime": [{"path": "/bin/b"}], "poststart": [{"path": "/bin/c"}],
      "poststop": [{"path": "/bin/d"}, {"path": "/bin/e"}], "createContainer": []}})",
                            "/b");
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  ASSERT_EQ(s->hooks.prestart.size(), 1u);
  EXPECT_EQ(s->hooks.prestart[0].path, "/bin/a");
  EXPECT_EQ(s->hooks.prestart[0].args, (std::vector<std::string>{"a", "-x"}));
  EXPECT_EQ(s->hooks.prestart[0].env, std::vector<std::string>{"K=V"});
  EXPECT_EQ(s->hooks.prestart[0].timeout_s, 5);
  EXPECT_EQ(s->hooks.create_runtime.size(), 1u);
  EXPECT_EQ(s->hooks.poststart.size(), 1u);
  EXPECT_EQ(s->hooks.poststop.size(), 2u);
  // The copy kept in the state dir reads back the same.
  auto back = HooksFromJson(HooksToJson(s->hooks));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->poststop[1].path, "/bin/e");
  EXPECT_EQ(back->prestart[0].timeout_s, 5);
  struct Case {
    const char* hooks;
    const char* field;
  };
  for (const Case& c :
       {Case{R"({"createContainer": [{"path": "/bin/x"}]})", "hooks.createContainer"},
        Case{R"({"startContainer": [{"path": "/bin/x"}]})", "hooks.startContainer"},
        Case{R"({"poststart": [{"path": "/bin/x"}, {"path": "x"}]})", "hooks.poststart[1].path"},
        Case{R"({"prestart": [{"path": "/bin/x", "timeout": 0}]})", "hooks.prestart[0].timeout"}}) {
    std::string e = ErrorOf(oci::ParseConfig(
        std::string(R"({"process": {"args": ["sh"]}, "hooks": )") + c.hooks + "}", "/b"));
    EXPECT_NE(e.find(std::string("`") + c.field + "`"), std::string::npos) << e;
  }
}

TEST(OciHooks, RunWithTheStateOnStdinArgsAndEnv) {
  std::string state = HookState("c1", "creating", 42, "/b", {{"k", "v"}});
  Hook ok;
  ok.path = "/bin/sh";
  ok.args = {"sh", "-c",
             "read -r s; case \"$s\" in *'\"status\":\"creating\"'*'\"id\":\"c1\"'*) ;; "
             "*'\"id\":\"c1\"'*'\"status\":\"creating\"'*) ;; *) exit 9;; esac; "
             "[ \"$HOOK_VAR\" = yes ] && [ -z \"$HOME\" ]"};
  ok.env = {"HOOK_VAR=yes"};
  Status s = RunHooks({ok}, "hooks.prestart", state);
  EXPECT_TRUE(s.has_value()) << s.error().ToString();
  Hook bad;
  bad.path = "/bin/sh";
  bad.args = {"sh", "-c", "echo no network for you >&2; exit 3"};
  Status f = RunHooks({ok, bad, ok}, "hooks.createRuntime", state);
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().ToString(),
            "run hook `hooks.createRuntime[1]` (/bin/sh): exit 3: no network for you");
  Hook slow;
  slow.path = "/bin/sleep";
  slow.args = {"sleep", "30"};
  slow.timeout_s = 1;
  Status t = RunHooks({slow}, "hooks.poststop", state);
  ASSERT_FALSE(t.has_value());
  EXPECT_NE(t.error().ToString().find("timed out after 1 s"), std::string::npos);
  Hook missing;
  missing.path = "/nonexistent/hook";
  Status m = RunHooks({missing}, "hooks.poststart", state);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().ToString().find("could not be executed"), std::string::npos)
      << m.error().ToString();
}

}  // namespace
}  // namespace ctv::runtime
