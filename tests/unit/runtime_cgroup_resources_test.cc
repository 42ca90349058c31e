// OCI linux.resources beyond the basics, without root: the cgroup v2 device filter (the eBPF
// program run through a small interpreter of the opcodes it may contain), the shares -> weight
// conversion, the memory/cpu/network fields on fixture trees of both versions, parsing and
// refusals by field name, and finding a container's cgroup at a recorded cgroupsPath.
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cstring>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/cgroup/devices_bpf.h"
#include "runtime/cgroup/manager.h"
#include "runtime/fs/cgroupfs.h"
#include "runtime/oci/config.h"
#include "tests/support/runtime_image.h"

namespace ctv::cgroup {
namespace {

using testing::TempDir;

// The kernel's verifier refuses a program with an instruction no path reaches (EINVAL
// "unreachable insn"): every one must be reachable from the first, by fall-through or jump.
void ExpectAllReachable(const std::vector<bpf_insn>& p) {
  std::vector<bool> seen(p.size(), false);
  std::vector<size_t> todo = {0};
  while (!todo.empty()) {
    size_t pc = todo.back();
    todo.pop_back();
    if (pc >= p.size() || seen[pc]) continue;
    seen[pc] = true;
    if (p[pc].code == (BPF_JMP | BPF_EXIT)) continue;
    todo.push_back(pc + 1);
    if (BPF_CLASS(p[pc].code) == BPF_JMP) todo.push_back(pc + 1 + p[pc].off);
  }
  for (size_t i = 0; i < p.size(); ++i) EXPECT_TRUE(seen[i]) << "unreachable insn " << i;
}

// Executes `p` on one access (type 'c'/'b', access letters) the way the kernel would call a
// BPF_PROG_TYPE_CGROUP_DEVICE program. Fails the test on an opcode the generator should never
// emit, a backward or out-of-range jump, or a fall off the end; returns r0 (1 = allowed).
int RunProg(const std::vector<bpf_insn>& p, char type, const std::string& access, uint32_t major,
            uint32_t minor) {
  uint32_t acc = 0;
  for (char c : access)
    acc |= c == 'm' ? BPF_DEVCG_ACC_MKNOD : c == 'r' ? BPF_DEVCG_ACC_READ : BPF_DEVCG_ACC_WRITE;
  bpf_cgroup_dev_ctx ctx{(acc << 16) | (type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK),
                         major, minor};
  ExpectAllReachable(p);
  uint64_t r[11] = {};
  bool ctx_in_r1 = true;
  for (size_t pc = 0; pc < p.size(); ++pc) {
    const bpf_insn& i = p[pc];
    auto jump = [&](bool taken) {
      EXPECT_GE(i.off, 0) << "backward jump at " << pc;
      EXPECT_LT(pc + 1 + i.off, p.size()) << "jump past the end at " << pc;
      if (taken) pc += i.off;
    };
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W: {
        EXPECT_TRUE(ctx_in_r1 && i.src_reg == 1) << "load not from the context at " << pc;
        EXPECT_TRUE(i.off >= 0 && i.off + 4 <= static_cast<int>(sizeof ctx) && i.off % 4 == 0);
        uint32_t w;
        std::memcpy(&w, reinterpret_cast<const char*>(&ctx) + i.off, 4);
        r[i.dst_reg] = w;
        if (i.dst_reg == 1) ctx_in_r1 = false;
        break;
      }
      case BPF_ALU | BPF_AND | BPF_K:
        r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg] & static_cast<uint32_t>(i.imm));
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg]) >> i.imm;
        break;
      case BPF_ALU | BPF_MOV | BPF_X:
        r[i.dst_reg] = static_cast<uint32_t>(r[i.src_reg]);
        if (i.dst_reg == 1) ctx_in_r1 = false;
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        r[i.dst_reg] = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
        break;
      case BPF_JMP | BPF_JNE | BPF_K:
        jump(r[i.dst_reg] != static_cast<uint64_t>(static_cast<int64_t>(i.imm)));
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        jump(r[i.dst_reg] == static_cast<uint64_t>(static_cast<int64_t>(i.imm)));
        break;
      case BPF_JMP | BPF_EXIT:
        return static_cast<int>(r[0]);
      default:
        ADD_FAILURE() << "unexpected opcode 0x" << std::hex << int(i.code) << " at " << pc;
        return -1;
    }
  }
  ADD_FAILURE() << "fell off the end of the program";
  return -1;
}

DeviceRule Allow(char t, int64_t maj, int64_t min, std::string acc) {
  return {true, t, maj, min, std::move(acc)};
}
DeviceRule Deny(char t, int64_t maj, int64_t min, std::string acc) {
  return {false, t, maj, min, std::move(acc)};
}

// What `runc spec` + ctvrt's defaults give (oci/config.cc): deny all, mknod of anything, the
// standard nodes rw.
std::vector<DeviceRule> RuncDefault() {
  return {Deny('a', -1, -1, "rwm"),  Allow('c', -1, -1, "m"), Allow('b', -1, -1, "m"),
          Allow('c', 1, 3, "rwm"),   Allow('c', 1, 5, "rwm"), Allow('c', 1, 7, "rwm"),
          Allow('c', 1, 8, "rwm"),   Allow('c', 1, 9, "rwm"), Allow('c', 5, 0, "rwm"),
          Allow('c', 5, 1, "rwm"),   Allow('c', 5, 2, "rwm"), Allow('c', 136, -1, "rwm"),
          Allow('c', 10, 200, "rwm")};
}

TEST(DeviceBpf, EmptyListDeniesEverything) {
  auto p = BuildDeviceProgram({});
  EXPECT_EQ(RunProg(p, 'c', "r", 1, 3), 0);
  EXPECT_EQ(RunProg(p, 'b', "m", 8, 0), 0);
}

TEST(DeviceBpf, RuncDefaultsAllowTheStandardNodesAndMknodOnly) {
  auto p = BuildDeviceProgram(RuncDefault());
  EXPECT_EQ(RunProg(p, 'c', "rw", 1, 3), 1);     // /dev/null
  EXPECT_EQ(RunProg(p, 'c', "r", 1, 9), 1);      // /dev/urandom
  EXPECT_EQ(RunProg(p, 'c', "w", 136, 4), 1);    // /dev/pts/4: any minor
  EXPECT_EQ(RunProg(p, 'c', "rw", 10, 200), 1);  // /dev/net/tun
  EXPECT_EQ(RunProg(p, 'c', "m", 1, 11), 1);     // mknod of anything
  EXPECT_EQ(RunProg(p, 'b', "m", 8, 0), 1);
  EXPECT_EQ(RunProg(p, 'c', "w", 1, 11), 0);  // /dev/kmsg: not listed
  EXPECT_EQ(RunProg(p, 'c', "r", 1, 1), 0);   // /dev/mem
  EXPECT_EQ(RunProg(p, 'b', "r", 8, 0), 0);   // a disk
  EXPECT_EQ(RunProg(p, 'b', "rw", 1, 3), 0);  // the type matters: b 1:3 is not /dev/null
  EXPECT_EQ(RunProg(p, 'c', "rw", 10, 229), 0);
}

TEST(DeviceBpf, LaterRulesOverrideEarlierOnes) {
  // An allow after a deny of the same device wins, and the other way round.
  auto p =
      BuildDeviceProgram({Deny('a', -1, -1, "rwm"), Deny('c', 1, 11, "rwm"), Allow('c', 1, 11, "w"),
                          Allow('c', 4, -1, "rwm"), Deny('c', 4, 2, "w")});
  EXPECT_EQ(RunProg(p, 'c', "w", 1, 11), 1);
  EXPECT_EQ(RunProg(p, 'c', "r", 1, 11), 0);   // only w allowed
  EXPECT_EQ(RunProg(p, 'c', "rw", 1, 11), 0);  // an allow must cover every bit asked for
  EXPECT_EQ(RunProg(p, 'c', "rw", 4, 1), 1);
  EXPECT_EQ(RunProg(p, 'c', "r", 4, 2), 1);
  EXPECT_EQ(RunProg(p, 'c', "w", 4, 2), 0);
  EXPECT_EQ(RunProg(p, 'c', "rw", 4, 2), 0);  // a deny matches on any bit asked for
}

TEST(DeviceBpf, AllowAllThenDenyOne) {
  // A privileged-style list: allow everything but writing to the disks of major 8.
  auto p = BuildDeviceProgram({Allow('a', -1, -1, "rwm"), Deny('b', 8, -1, "w")});
  EXPECT_EQ(RunProg(p, 'c', "rw", 1, 1), 1);
  EXPECT_EQ(RunProg(p, 'b', "r", 8, 1), 1);
  EXPECT_EQ(RunProg(p, 'b', "w", 8, 1), 0);
  EXPECT_EQ(RunProg(p, 'c', "w", 8, 1), 1);  // a char device of the same major is not a disk
}

TEST(DeviceBpf, NothingAfterARuleWithoutConditions) {
  // runc spec's "deny a *:* rwm" first: evaluated last, it ends the program (no default block).
  auto p = BuildDeviceProgram({Deny('a', -1, -1, "rwm"), Allow('c', 1, 3, "rwm")});
  EXPECT_EQ(p.size(), 6u + (3 + 2) + 2);
  ExpectAllReachable(p);
  // Everything after an allow-all is dropped too: nothing before it can matter.
  auto q = BuildDeviceProgram({Deny('c', 1, 3, "rwm"), Allow('a', -1, -1, "rwm")});
  EXPECT_EQ(q.size(), 6u + 2);
  EXPECT_EQ(RunProg(q, 'c', "rw", 1, 3), 1);
}

TEST(DeviceBpf, ProgramShape) {
  // Prologue (6) + per rule: verdict (2) + one test per constraint (an access test is 3), +
  // the final deny (2). Reversed order: the last rule's block comes first.
  auto p = BuildDeviceProgram({Allow('c', 1, 3, "rwm"), Deny('b', -1, -1, "r")});
  ASSERT_EQ(p.size(), 6u + (3 + 2) + (1 + 3 + 2) + 2);
  EXPECT_EQ(p[6].code, BPF_JMP | BPF_JNE | BPF_K);  // type b
  EXPECT_EQ(p[6].imm, BPF_DEVCG_DEV_BLOCK);
  EXPECT_EQ(p[6].off, 5);   // past the block's verdict
  EXPECT_EQ(p[10].imm, 0);  // deny
  EXPECT_EQ(p[12].imm, BPF_DEVCG_DEV_CHAR);
  EXPECT_EQ(p.back().code, BPF_JMP | BPF_EXIT);
}

TEST(CpuWeight, SharesConvertedAsRuncDoes) {
  EXPECT_EQ(controller::SharesToWeight(2), 1u);
  EXPECT_EQ(controller::SharesToWeight(1024), 39u);  // runc: 1024 shares -> weight 39
  EXPECT_EQ(controller::SharesToWeight(262144), 10000u);
  EXPECT_EQ(controller::SharesToWeight(512), 20u);
  EXPECT_EQ(controller::SharesToWeight(1), 1u);  // clamped, never 0 (which v2 refuses)
}

void Touch(const std::string& path, const std::string& content = "") {
  ASSERT_TRUE(fs::MakeDirs(path.substr(0, path.rfind('/'))).has_value());
  ASSERT_TRUE(WriteFile(path, content).has_value());
}
std::string Read(const std::string& p) { return OrEmpty(ReadFile(p)); }

TEST(MemoryResources, V1FilesForEveryField) {
  TempDir t;
  std::string d = t.Path();
  for (const char* f :
       {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes",
        "memory.swappiness", "memory.oom_control", "memory.kmem.limit_in_bytes"})
    Touch(d + "/" + f);
  Limits l;
  l.memory_bytes = 64 << 20;
  l.memory_swap_bytes = 96 << 20;
  l.memory_reservation_bytes = 32 << 20;
  l.memory_kernel_bytes = 16 << 20;
  l.memory_swappiness = 7;
  l.memory_disable_oom_killer = true;
  ASSERT_TRUE(controller::ApplyMemoryV1(d, l).has_value());
  EXPECT_EQ(Read(d + "/memory.limit_in_bytes"), std::to_string(64 << 20));
  EXPECT_EQ(Read(d + "/memory.memsw.limit_in_bytes"), std::to_string(96 << 20));
  EXPECT_EQ(Read(d + "/memory.soft_limit_in_bytes"), std::to_string(32 << 20));
  EXPECT_EQ(Read(d + "/memory.kmem.limit_in_bytes"), std::to_string(16 << 20));
  EXPECT_EQ(Read(d + "/memory.swappiness"), "7");
  EXPECT_EQ(Read(d + "/memory.oom_control"), "1");
  // A kernel without kmem: skipped (warned), not a failed create, as runc.
  ::unlink((d + "/memory.kmem.limit_in_bytes").c_str());
  EXPECT_TRUE(controller::ApplyMemoryV1(d, l).has_value());
}

TEST(MemoryResources, V2SwapIsTheDifferenceReservationIsLowTheRestWarned) {
  TempDir t;
  std::string d = t.Path();
  for (const char* f : {"memory.max", "memory.swap.max", "memory.low"}) Touch(d + "/" + f);
  Limits l;
  l.memory_bytes = 64 << 20;
  l.memory_swap_bytes = 96 << 20;
  l.memory_reservation_bytes = 32 << 20;
  l.memory_swappiness = 7;
  l.memory_disable_oom_killer = true;
  l.memory_kernel_bytes = 1 << 20;
  ASSERT_TRUE(controller::ApplyMemoryV2(d, l).has_value());
  EXPECT_EQ(Read(d + "/memory.max"), std::to_string(64 << 20));
  EXPECT_EQ(Read(d + "/memory.swap.max"), std::to_string(32 << 20));
  EXPECT_EQ(Read(d + "/memory.low"), std::to_string(32 << 20));
  l.memory_swap_bytes = -1;
  ASSERT_TRUE(controller::ApplyMemoryV2(d, l).has_value());
  EXPECT_EQ(Read(d + "/memory.swap.max"), "max");
}

TEST(UnifiedResources, WrittenAsGivenAfterTheFieldsKeysCheckedByName) {
  TempDir t;
  std::string d = t.Path();
  for (const char* f : {"memory.max", "memory.high"}) Touch(d + "/" + f);
  Limits l;
  l.memory_bytes = 64 << 20;
  l.unified = {{"memory.high", "33554432"}, {"memory.max", "max"}};
  ASSERT_TRUE(controller::ApplyMemoryV2(d, l).has_value());
  ASSERT_TRUE(controller::ApplyUnified(d, l).has_value());
  EXPECT_EQ(Read(d + "/memory.high"), "33554432");
  EXPECT_EQ(Read(d + "/memory.max"), "max");  // the unified key wins over memory.limit
  EXPECT_EQ(controller::UnifiedController("memory.high"), "memory");
  EXPECT_EQ(controller::UnifiedController("cgroup.max.depth"), "");
  // A path, a file the runtime owns, or one this directory does not have: refused by key, and
  // nothing written before the refusal (the keys are checked first).
  for (const char* bad : {"../memory.high", "memory/high", "nodot", ".high", "cgroup.procs",
                          "Memory.High", "memory.oom.group"}) {
    Limits b;
    b.unified = {{"memory.high", "1"}, {bad, "1"}};
    auto s = controller::ApplyUnified(d, b);
    ASSERT_FALSE(s.has_value()) << bad;
    EXPECT_NE(s.error().ToString().find(std::string("linux.resources.unified[\"") + bad),
              std::string::npos)
        << s.error().ToString();
  }
  EXPECT_EQ(Read(d + "/memory.high"), "33554432");
}

TEST(UnifiedResources, AV1HostRefusesThemNamingTheKey) {
  TempDir t;
  CgroupMounts v1;
  v1.mode = "v1";
  v1.v1_mounts = {{"memory", t / "memory"}};
  v1.controllers = {"memory"};
  auto m = NewV1Manager(v1, "ctvx");
  Limits l;
  l.unified = {{"memory.high", "1"}};
  auto s = m->Create(l);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().ToString().find("linux.resources.unified[\"memory.high\"]"),
            std::string::npos)
      << s.error().ToString();
  EXPECT_NE(s.error().ToString().find("cgroup v1"), std::string::npos);
  EXPECT_FALSE(fs::Exists(t / "memory/ctvbench")) << "refused after creating the group";
}

TEST(CpuResources, RealtimeOnV1WithTheFilesRefusedByNameWithout) {
  TempDir t;
  std::string d = t.Path();
  Limits l;
  l.cpu_rt_runtime_us = 1000;
  l.cpu_rt_period_us = 100000;
  auto no = controller::ApplyCpuV1(d, l);
  ASSERT_FALSE(no.has_value());
  EXPECT_NE(no.error().ToString().find("linux.resources.cpu.realtimeRuntime"), std::string::npos);
  EXPECT_NE(no.error().ToString().find("CONFIG_RT_GROUP_SCHED"), std::string::npos);
  Touch(d + "/cpu.rt_runtime_us");
  Touch(d + "/cpu.rt_period_us");
  ASSERT_TRUE(controller::ApplyCpuV1(d, l).has_value());
  EXPECT_EQ(Read(d + "/cpu.rt_runtime_us"), "1000");
  EXPECT_EQ(Read(d + "/cpu.rt_period_us"), "100000");
}

TEST(CpuResources, PeriodWithoutQuotaIsWrittenQuotaStaysUnlimited) {
  TempDir t;
  std::string d = t.Path();
  Touch(d + "/cpu.cfs_period_us");
  Touch(d + "/cpu.max");
  Limits l;
  l.cpu_period_us = 50000;
  l.cpu_period_given = true;
  ASSERT_TRUE(controller::ApplyCpuV1(d, l).has_value());
  EXPECT_EQ(Read(d + "/cpu.cfs_period_us"), "50000");
  ASSERT_TRUE(controller::ApplyCpuV2(d, l).has_value());
  EXPECT_EQ(Read(d + "/cpu.max"), "max 50000");
}

TEST(NetResources, V1Files) {
  TempDir t;
  Touch(t.Path() + "/cls/net_cls.classid");
  Touch(t.Path() + "/prio/net_prio.ifpriomap");
  Limits l;
  l.net_cls_classid = 0x100001;
  l.net_prio_ifpriomap = {{"eth0", 5}};
  ASSERT_TRUE(controller::ApplyNetV1(t.Path() + "/cls", t.Path() + "/prio", l).has_value());
  EXPECT_EQ(Read(t.Path() + "/cls/net_cls.classid"), "1048577");
  EXPECT_EQ(Read(t.Path() + "/prio/net_prio.ifpriomap"), "eth0 5");
}

// hugetlb: the limit and, where the kernel has it, the reservation limit (runc 1.1); a size the
// kernel has no file for is refused naming the field and value before anything is written.
TEST(HugetlbResources, LimitAndReservationOnBothVersions) {
  TempDir t;
  std::string d = t.Path();
  for (const char* f : {"/hugetlb.2MB.limit_in_bytes", "/hugetlb.2MB.rsvd.limit_in_bytes",
                        "/hugetlb.2MB.max", "/hugetlb.2MB.rsvd.max", "/hugetlb.1GB.max"})
    Touch(d + f);
  Limits l;
  l.hugetlb = {{"2MB", 4194304}};
  ASSERT_TRUE(controller::ApplyHugetlbV1(d, l).has_value());
  EXPECT_EQ(Read(d + "/hugetlb.2MB.limit_in_bytes"), "4194304");
  EXPECT_EQ(Read(d + "/hugetlb.2MB.rsvd.limit_in_bytes"), "4194304");
  l.hugetlb = {{"2MB", 8388608}, {"1GB", 0}};
  // 1GB has no rsvd file (a kernel before 5.7 has none at all): the limit alone, no error.
  ASSERT_TRUE(controller::ApplyHugetlbV2(d, l).has_value());
  EXPECT_EQ(Read(d + "/hugetlb.2MB.max"), "8388608");
  EXPECT_EQ(Read(d + "/hugetlb.2MB.rsvd.max"), "8388608");
  EXPECT_EQ(Read(d + "/hugetlb.1GB.max"), "0");
  l.hugetlb = {{"2MB", 1}, {"16GB", 0}};
  auto r = controller::ApplyHugetlbV2(d, l);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("linux.resources.hugepageLimits[1].pageSize"),
            std::string::npos)
      << r.error().ToString();
  EXPECT_NE(r.error().ToString().find("`16GB`"), std::string::npos) << r.error().ToString();
  EXPECT_EQ(Read(d + "/hugetlb.2MB.max"), "8388608") << "written before the check";
}

TEST(HugetlbResources, PageSizesNamedAsRuncNamesThem) {
  TempDir t;
  for (const char* n : {"hugepages-2048kB", "hugepages-1048576kB", "hugepages-64kB", "other"})
    ASSERT_EQ(::mkdir((t.Path() + "/" + n).c_str(), 0755), 0);
  EXPECT_EQ(HugePageSizes(t.Path()), (std::vector<std::string>{"1GB", "2MB", "64KB"}));
  EXPECT_TRUE(ValidPageSizeName("2MB"));
  EXPECT_TRUE(ValidPageSizeName("1GB"));
  for (const char* bad : {"", "MB", "2M", "2mb", "02MB", "2 MB", "-2MB"})
    EXPECT_FALSE(ValidPageSizeName(bad)) << bad;
}

TEST(ManagerForPaths, FindsTheRecordedDirectoriesOnBothVersions) {
  CgroupMounts v2;
  v2.mode = "v2";
  v2.v2_mount = "/sys/fs/cgroup";
  auto m2 = NewManagerForPaths(v2, {"/sys/fs/cgroup/a/b"});
  ASSERT_TRUE(m2.has_value());
  EXPECT_EQ((*m2)->Paths(), std::vector<std::string>({"/sys/fs/cgroup/a/b"}));
  CgroupMounts v1;
  v1.mode = "hybrid";
  v1.v1_mounts = {{"memory", "/sys/fs/cgroup/memory"},
                  {"pids", "/sys/fs/cgroup/pids"},
                  {"blkio", "/sys/fs/cgroup/blkio"}};
  auto m1 = NewManagerForPaths(v1, {"/sys/fs/cgroup/memory/x", "/sys/fs/cgroup/pids/y/x"});
  ASSERT_TRUE(m1.has_value());
  // blkio: no directory recorded, none made up.
  EXPECT_EQ((*m1)->Paths(),
            std::vector<std::string>({"/sys/fs/cgroup/memory/x", "/sys/fs/cgroup/pids/y/x"}));
  EXPECT_FALSE(NewManagerForPaths(v1, {"/elsewhere/x"}).has_value());
}

}  // namespace
}  // namespace ctv::cgroup

namespace ctv::runtime {
namespace {

std::string Res(const std::string& body) {
  return R"({"process": {"args": ["sh"]}, "linux": {"resources": {)" + body + "}}}";
}
std::string ErrorOf(const Result<ContainerSpec>& r) {
  return r.has_value() ? "<no error>" : r.error().ToString();
}

TEST(OciResources, ParsesMemoryCpuNetworkFields) {
  auto s = oci::ParseConfig(
      Res(R"("memory": {"limit": 67108864, "reservation": 33554432, "swap": 100663296,
                        "kernel": 1048576, "swappiness": 10, "disableOOMKiller": true},
             "cpu": {"shares": 512, "quota": 25000, "period": 50000, "realtimeRuntime": 1000,
                     "realtimePeriod": 100000, "cpus": "0", "mems": "0"},
             "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]})"),
      "/b");
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  const cgroup::Limits& l = s->limits;
  EXPECT_EQ(l.memory_reservation_bytes.value_or(-1), 33554432);
  EXPECT_EQ(l.memory_swap_bytes.value_or(-1), 100663296);
  EXPECT_EQ(l.memory_kernel_bytes.value_or(-1), 1048576);
  EXPECT_EQ(l.memory_swappiness.value_or(0), 10u);
  EXPECT_TRUE(l.memory_disable_oom_killer);
  EXPECT_DOUBLE_EQ(*l.cpus, 0.5);
  EXPECT_EQ(l.cpu_period_us, 50000);
  EXPECT_EQ(l.cpu_rt_runtime_us.value_or(-1), 1000);
  EXPECT_EQ(l.cpu_rt_period_us.value_or(0), 100000u);
  EXPECT_EQ(l.net_cls_classid.value_or(0), 1048577u);
  ASSERT_EQ(l.net_prio_ifpriomap.size(), 1u);
  EXPECT_EQ(l.net_prio_ifpriomap[0].first, "eth0");
  auto h = oci::ParseConfig(Res(R"("hugepageLimits": [{"pageSize": "2MB", "limit": 4194304},
                                                      {"pageSize": "1GB", "limit": 0}])"),
                            "/b");
  ASSERT_TRUE(h.has_value()) << h.error().ToString();
  EXPECT_EQ(h->limits.hugetlb, (std::vector<std::pair<std::string, uint64_t>>{
                                   {"2MB", 4194304}, {"1GB", 0}}));
  auto u = oci::ParseConfig(Res(R"("unified": {"memory.high": "50000000", "pids.max": "7"})"), "/b");
  ASSERT_TRUE(u.has_value()) << u.error().ToString();
  EXPECT_EQ(u->limits.unified,
            (std::map<std::string, std::string>{{"memory.high", "50000000"}, {"pids.max", "7"}}));
}

TEST(OciResources, BadValuesAndUnsupportedFieldsNamed) {
  struct Case {
    const char* body;
    const char* field;
  } cases[] = {
      {R"("memory": {"swappiness": 101})", "linux.resources.memory.swappiness"},
      {R"("memory": {"limit": 100, "swap": 50})", "linux.resources.memory.swap"},
      {R"("memory": {"swap": 50})", "linux.resources.memory.swap"},
      {R"("memory": {"kernelTCP": 50})", "linux.resources.memory.kernelTCP"},
      {R"("cpu": {"idle": 1})", "linux.resources.cpu.idle"},
      {R"("network": {"priorities": [{"name": "a b", "priority": 1}]})",
       "linux.resources.network.priorities[0].name"},
      {R"("hugepageLimits": [{"pageSize": "2M", "limit": 0}])",
       "linux.resources.hugepageLimits[0].pageSize"},
      {R"("hugepageLimits": [{"pageSize": "2MB"}])", "linux.resources.hugepageLimits[0]"},
      {R"("hugepageLimits": [{"pageSize": "2MB", "limit": 1}, {"pageSize": "2MB", "limit": 2}])",
       "linux.resources.hugepageLimits[1].pageSize"},
      {R"("rdma": {})", "linux.resources.rdma"},
      {R"("unified": ["memory.high"])", "linux.resources.unified"},
      {R"("unified": {"memory.high": 1024})", "linux.resources.unified[\"memory.high\"]"},
  };
  for (const Case& c : cases) {
    std::string e = ErrorOf(oci::ParseConfig(Res(c.body), "/b"));
    EXPECT_NE(e.find(c.field), std::string::npos) << c.body << ": " << e;
  }
}

// runc spec's cgroup mount: recorded with its flags (not skipped); elsewhere than
// /sys/fs/cgroup refused naming the mount.
TEST(CgroupFs, ConfigMountParsedWithItsFlags) {
  std::string cfg = R"({"process": {"args": ["sh"]}, "mounts": [
      {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
       "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}]})";
  auto s = oci::ParseConfig(cfg, "/b");
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  ASSERT_TRUE(s->cgroup_fs.has_value());
  EXPECT_TRUE(*s->cgroup_fs & MS_RDONLY);
  EXPECT_TRUE(s->extra_mounts.empty());
  auto none = oci::ParseConfig(R"({"process": {"args": ["sh"]}})", "/b");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->cgroup_fs.has_value());
  std::string e = ErrorOf(oci::ParseConfig(
      R"({"mounts": [{"destination": "/cg", "type": "cgroup2", "source": "cgroup"}]})", "/b"));
  EXPECT_NE(e.find("mounts[0].destination"), std::string::npos) << e;
}

// Which hierarchies the container sees: those it has a cgroup in, named as on the host, a link
// per co-mounted controller, hybrid's cgroup2 forced read-only at the launcher's place.
TEST(CgroupFs, EntriesForV1HybridAndV2) {
  cgroup::CgroupMounts v1;
  v1.mode = "hybrid";
  v1.v1_mounts = {{"memory", "/sys/fs/cgroup/memory"},
                  {"net_cls", "/sys/fs/cgroup/net_cls,net_prio"},
                  {"net_prio", "/sys/fs/cgroup/net_cls,net_prio"},
                  {"freezer", "/sys/fs/cgroup/freezer"}};
  v1.v2_mount = "/sys/fs/cgroup/unified";
  auto e = fs::CgroupFsEntries(
      v1, {"/sys/fs/cgroup/memory/a/c1", "/sys/fs/cgroup/net_cls,net_prio/a/c1"},
      "1:memory:/x\n0::/user.slice\n");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].name, "memory");
  EXPECT_EQ(e[0].host_dir, "/sys/fs/cgroup/memory/a/c1");
  EXPECT_TRUE(e[0].links.empty());
  EXPECT_EQ(e[1].name, "net_cls,net_prio");
  EXPECT_EQ(e[1].links, (std::vector<std::string>{"net_cls", "net_prio"}));
  EXPECT_EQ(e[2].name, "unified");
  EXPECT_EQ(e[2].host_dir, "/sys/fs/cgroup/unified/user.slice");
  EXPECT_TRUE(e[2].read_only);
  cgroup::CgroupMounts v2;
  v2.mode = "v2";
  v2.v2_mount = "/sys/fs/cgroup";
  auto e2 = fs::CgroupFsEntries(v2, {"/sys/fs/cgroup/ctvbench/c1"}, "0::/\n");
  ASSERT_EQ(e2.size(), 1u);
  EXPECT_EQ(e2[0].name, "");
  EXPECT_EQ(e2[0].host_dir, "/sys/fs/cgroup/ctvbench/c1");
}

// The mounts go before pivot_root (host paths are reachable only there); read-only binds are
// remounted read-only one by one (a bind ignores MS_RDONLY), the tmpfs last.
TEST(CgroupFs, MountsBeforePivotReadOnlyWhenAsked) {
  using K = fs::MountOp::Kind;
  std::vector<fs::MountOp> ops(2);
  ops[0].kind = K::kMount;
  ops[1].kind = K::kPivotRoot;
  std::vector<fs::CgroupFsEntry> v1 = {{"memory", "/h/memory/c", {}, false},
                                       {"net_cls,net_prio", "/h/net/c", {"net_cls"}, false}};
  ASSERT_TRUE(fs::AddCgroupFs(&ops, "/r", MS_RDONLY | MS_NOSUID, v1).has_value());
  ASSERT_EQ(ops.back().kind, K::kPivotRoot);
  std::vector<std::string> seen;
  for (const fs::MountOp& op : ops) seen.push_back(fs::DescribeOp(op));
  std::vector<std::string> want = {
      "change propagation of ``",  // ops[0], an empty placeholder
      "mount tmpfs on `/r/sys/fs/cgroup`",
      "mkdir `/r/sys/fs/cgroup/memory`",
      "bind mount `/h/memory/c` on `/r/sys/fs/cgroup/memory`",
      "remount `/r/sys/fs/cgroup/memory` read-only",
      "mkdir `/r/sys/fs/cgroup/net_cls,net_prio`",
      "bind mount `/h/net/c` on `/r/sys/fs/cgroup/net_cls,net_prio`",
      "remount `/r/sys/fs/cgroup/net_cls,net_prio` read-only",
      "symlink `/r/sys/fs/cgroup/net_cls` -> `net_cls,net_prio`",
      "remount `/r/sys/fs/cgroup` read-only",
      "pivot_root to ``"};
  EXPECT_EQ(seen, want);
  // v2, read-write: one bind, nothing else.
  std::vector<fs::MountOp> ops2(1);
  ops2[0].kind = K::kPivotRoot;
  ASSERT_TRUE(fs::AddCgroupFs(&ops2, "/r", 0, {{"", "/h/c", {}, false}}).has_value());
  ASSERT_EQ(ops2.size(), 2u);
  EXPECT_EQ(fs::DescribeOp(ops2[0]), "bind mount `/h/c` on `/r/sys/fs/cgroup`");
  // No rootfs of its own: refused.
  std::vector<fs::MountOp> none;
  EXPECT_FALSE(fs::AddCgroupFs(&none, "/r", 0, {}).has_value());
}

}  // namespace
}  // namespace ctv::runtime
