// BPF_PROG_TYPE_CGROUP_DEVICE program generation and attachment (see devices_bpf.h).
#include "runtime/cgroup/devices_bpf.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "core/fd.h"

namespace ctv::cgroup {
namespace {

// Registers, after the prologue: R2 = device type, R3 = access bits, R4 = major, R5 = minor.
// R1 (the context) is free once they are loaded and serves as scratch.
constexpr uint8_t kR0 = 0, kR1 = 1, kType = 2, kAccess = 3, kMajor = 4, kMinor = 5;

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn LoadCtxWord(uint8_t dst, int16_t off) {
  return Insn(BPF_LDX | BPF_MEM | BPF_W, dst, kR1, off, 0);
}
bpf_insn Alu32Imm(uint8_t op, uint8_t dst, int32_t imm) {
  return Insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn Mov32Reg(uint8_t dst, uint8_t src) {
  return Insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn JumpImm(uint8_t op, uint8_t dst, int32_t imm, int16_t off) {
  return Insn(BPF_JMP | op | BPF_K, dst, 0, off, imm);
}
bpf_insn Mov64Imm(uint8_t dst, int32_t imm) {
  return Insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn Exit() { return Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int32_t AccessBits(const std::string& access) {
  int32_t bits = 0;
  for (char c : access) {
    if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
    if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
  }
  return bits;
}

constexpr int32_t kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

// One rule: a block of tests, each jumping past the block when it fails, then the verdict.
std::vector<bpf_insn> RuleBlock(const DeviceRule& r) {
  std::vector<bpf_insn> b;
  // Jumps are emitted with off = -1 and patched to "end of block" below.
  if (r.type == 'c' || r.type == 'b')
    b.push_back(
        JumpImm(BPF_JNE, kType, r.type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, -1));
  int32_t bits = AccessBits(r.access);
  if (bits != kAllAccess) {
    b.push_back(Mov32Reg(kR1, kAccess));
    if (r.allow) {
      // Asked bits outside the rule: no match.
      b.push_back(Alu32Imm(BPF_AND, kR1, ~bits & kAllAccess));
      b.push_back(JumpImm(BPF_JNE, kR1, 0, -1));
    } else {
      // No asked bit inside the rule: no match.
      b.push_back(Alu32Imm(BPF_AND, kR1, bits));
      b.push_back(JumpImm(BPF_JEQ, kR1, 0, -1));
    }
  }
  if (r.major >= 0) b.push_back(JumpImm(BPF_JNE, kMajor, static_cast<int32_t>(r.major), -1));
  if (r.minor >= 0) b.push_back(JumpImm(BPF_JNE, kMinor, static_cast<int32_t>(r.minor), -1));
  b.push_back(Mov64Imm(kR0, r.allow ? 1 : 0));
  b.push_back(Exit());
  for (size_t i = 0; i < b.size(); ++i)
    if (BPF_CLASS(b[i].code) == BPF_JMP && BPF_OP(b[i].code) != BPF_EXIT)
      b[i].off = static_cast<int16_t>(b.size() - 1 - i);
  return b;
}

long Bpf(int cmd, bpf_attr* attr) { return ::syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

}  // namespace

std::vector<bpf_insn> BuildDeviceProgram(const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> p = {
      LoadCtxWord(kType, offsetof(bpf_cgroup_dev_ctx, access_type)),
      Alu32Imm(BPF_AND, kType, 0xffff),
      LoadCtxWord(kAccess, offsetof(bpf_cgroup_dev_ctx, access_type)),
      Alu32Imm(BPF_RSH, kAccess, 16),
      LoadCtxWord(kMajor, offsetof(bpf_cgroup_dev_ctx, major)),
      LoadCtxWord(kMinor, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    std::vector<bpf_insn> b = RuleBlock(*it);
    p.insert(p.end(), b.begin(), b.end());
    // A rule without conditions ("a *:* rwm", runc spec's first) decides everything left: the
    // verifier refuses unreachable instructions, so nothing may follow it.
    if (b.size() == 2) return p;
  }
  p.push_back(Mov64Imm(kR0, 0));  // nothing matched: denied
  p.push_back(Exit());
  return p;
}

Status AttachDeviceProgram(const std::string& dir, const std::vector<bpf_insn>& prog) {
  static const char kLicense[] = "Apache";
  std::string log(64 * 1024, '\0');
  bpf_attr load;
  std::memset(&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(prog.data());
  load.insn_cnt = static_cast<uint32_t>(prog.size());
  load.license = reinterpret_cast<uint64_t>(kLicense);
  load.log_buf = reinterpret_cast<uint64_t>(log.data());
  load.log_size = static_cast<uint32_t>(log.size());
  load.log_level = 1;
  Fd prog_fd(static_cast<int>(Bpf(BPF_PROG_LOAD, &load)));
  if (!prog_fd.Valid()) {
    int err = errno;
    log.resize(std::strlen(log.c_str()));
    errno = err;
    return ErrnoError("load the device filter (BPF_PROG_TYPE_CGROUP_DEVICE) for cgroup", dir,
                      log.empty() ? "" : "verifier: " + log);
  }
  Fd cg = CTV_TRY(OpenFile(dir, O_RDONLY | O_DIRECTORY));
  bpf_attr attach;
  std::memset(&attach, 0, sizeof attach);
  attach.target_fd = static_cast<uint32_t>(cg.Get());
  attach.attach_bpf_fd = static_cast<uint32_t>(prog_fd.Get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (Bpf(BPF_PROG_ATTACH, &attach) != 0)
    return ErrnoError("attach the device filter (BPF_CGROUP_DEVICE) to cgroup", dir);
  return Ok();
}

}  // namespace ctv::cgroup
