#include "vm/guest/boot_disk.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/digest.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "core/log.h"
#include "core/process.h"
#include "vm/guest/builder.h"

namespace ctv::vm {
namespace {

// Bump when the layout below changes in a way the input digests do not show.
constexpr const char* kLayoutVersion = "ctv-bootdisk-1";
constexpr uint64_t kSector = 512;
constexpr uint64_t kPartStartLba = 2048;  // 1 MiB: the usual alignment, room for nothing else
constexpr uint64_t kPartOffset = kPartStartLba * kSector;
constexpr uint32_t kDiskId = 0x63747662;  // "ctvb": fixed, so the MBR is reproducible
// 1980-01-01, FAT's epoch: mtools stamps files with it instead of the build time.
constexpr const char* kSourceDateEpoch = "SOURCE_DATE_EPOCH=315532800";

std::string Hex(const std::string& oci_digest, size_t n) {
  return oci_digest.substr(oci_digest.find(':') + 1, n);
}

Result<uint64_t> FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoError("stat", path);
  return static_cast<uint64_t>(st.st_size);
}

Result<std::string> Tool(const std::string& name, const std::string& package) {
  std::string p = FindInPath(name);
  if (p.empty())
    return MakeError("find", name, "install the Debian package " + package + " (scripts/setup)");
  return p;
}

// Runs a disk tool with a fixed date and time zone (reproducible FAT entries); its stderr in the
// error when it fails.
Status RunTool(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"env", kSourceDateEpoch, "TZ=UTC", "MTOOLSRC=/dev/null"});
  CommandOutput out = CTV_TRY(RunCommand(argv, std::chrono::seconds(60)));
  if (!out.status.Success()) {
    std::string cmd;
    for (size_t i = 4; i < argv.size(); ++i) cmd += (i > 4 ? " " : "") + argv[i];
    return MakeError("run", cmd, out.status.ToString() + ": " + out.err.substr(0, 400));
  }
  return Ok();
}

void PutLe32(unsigned char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

// Sector 0: boot code from mbr.bin, disk id, one active FAT16 (LBA) partition, with a root image
// a second one (Linux, 0x83, `root_sectors` from `root_lba`), signature.
Status WriteMbr(const std::string& disk, const std::string& mbr_bin, uint64_t part_sectors,
                uint64_t root_lba = 0, uint64_t root_sectors = 0) {
  std::string code = CTV_TRY(ReadFile(mbr_bin));
  if (code.size() < 440 || code.size() > 512)
    return MakeError("read MBR boot code", mbr_bin,
                     "expected syslinux's mbr.bin (440 bytes of boot code)");
  unsigned char mbr[kSector] = {};
  std::memcpy(mbr, code.data(), 440);
  PutLe32(mbr + 440, kDiskId);
  unsigned char* e = mbr + 446;  // first partition entry
  e[0] = 0x80;                   // active: mbr.bin boots it
  // CHS fields at their "use LBA" maximum: SeaBIOS offers EDD, which mbr.bin uses.
  e[1] = 0xFE, e[2] = 0xFF, e[3] = 0xFF;
  e[4] = 0x0E;  // FAT16, LBA
  e[5] = 0xFE, e[6] = 0xFF, e[7] = 0xFF;
  PutLe32(e + 8, static_cast<uint32_t>(kPartStartLba));
  PutLe32(e + 12, static_cast<uint32_t>(part_sectors));
  if (root_sectors > 0) {
    unsigned char* r = mbr + 446 + 16;  // second entry: not active, the kernel mounts it
    r[1] = 0xFE, r[2] = 0xFF, r[3] = 0xFF;
    r[4] = 0x83;  // Linux
    r[5] = 0xFE, r[6] = 0xFF, r[7] = 0xFF;
    PutLe32(r + 8, static_cast<uint32_t>(root_lba));
    PutLe32(r + 12, static_cast<uint32_t>(root_sectors));
  }
  mbr[510] = 0x55, mbr[511] = 0xAA;
  Fd fd = CTV_TRY(OpenFile(disk, O_WRONLY | O_CLOEXEC));
  if (::pwrite(fd.Get(), mbr, sizeof mbr, 0) != static_cast<ssize_t>(sizeof mbr))
    return ErrnoError("write MBR to", disk);
  return Ok();
}


Status CopyFileContents(const std::string& from, const std::string& to) {
  Fd in = CTV_TRY(OpenFile(from, O_RDONLY | O_CLOEXEC));
  Fd out = CTV_TRY(OpenFile(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  for (;;) {
    ssize_t n = ::copy_file_range(in.Get(), nullptr, out.Get(), nullptr, 1 << 24, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("copy " + from + " to", to);
    if (n == 0) return Ok();
  }
}

// Copies `from` into `to` at byte `at`, data extents only (the ext4 image is mostly holes, which
// the disk file keeps).
Status CopyInto(const std::string& from, const std::string& to, uint64_t at) {
  Fd in = CTV_TRY(OpenFile(from, O_RDONLY | O_CLOEXEC));
  Fd out = CTV_TRY(OpenFile(to, O_WRONLY | O_CLOEXEC));
  uint64_t size = CTV_TRY(FileSize(from));
  off_t pos = 0;
  while (static_cast<uint64_t>(pos) < size) {
    off_t data = ::lseek(in.Get(), pos, SEEK_DATA);
    if (data < 0 && errno == ENXIO) break;  // only a hole is left
    if (data < 0) return ErrnoError("seek data in", from);
    off_t hole = ::lseek(in.Get(), data, SEEK_HOLE);
    if (hole < 0) return ErrnoError("seek hole in", from);
    loff_t src = data, dst = static_cast<loff_t>(at) + data;
    while (src < hole) {
      ssize_t n = ::copy_file_range(in.Get(), &src, out.Get(), &dst,
                                    static_cast<size_t>(hole - src), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError("copy " + from + " into", to);
      if (n == 0) break;
    }
    pos = hole;
  }
  return Ok();
}

// Where the configuration slot's bytes are: searched in the FAT partition for the slot content
// the disk was built with; exactly one match (a contiguous run of the file's clusters).
Result<uint64_t> FindConfigSlot(const std::string& disk, uint64_t fat_end) {
  std::string slot = CTV_TRY(SlotConfig("console=ttyS0"));
  Fd fd = CTV_TRY(OpenFile(disk, O_RDONLY | O_CLOEXEC));
  std::string part(fat_end - kPartOffset, '\0');
  ssize_t n = ::pread(fd.Get(), part.data(), part.size(), static_cast<off_t>(kPartOffset));
  if (n != static_cast<ssize_t>(part.size())) return ErrnoError("read the FAT partition of", disk);
  size_t at = part.find(slot);
  if (at == std::string::npos || part.find(slot, at + 1) != std::string::npos)
    return MakeError("find /syslinux.cfg's bytes in", disk,
                     "expected one contiguous copy of the configuration slot in the FAT partition");
  return kPartOffset + at;
}

// The FAT partition's size in bytes, from the MBR's first entry.
Result<uint64_t> FatEnd(const std::string& disk) {
  Fd fd = CTV_TRY(OpenFile(disk, O_RDONLY | O_CLOEXEC));
  unsigned char mbr[kSector];
  if (::pread(fd.Get(), mbr, sizeof mbr, 0) != static_cast<ssize_t>(sizeof mbr))
    return ErrnoError("read the MBR of", disk);
  auto le32 = [](const unsigned char* p) {
    return uint64_t{p[0]} | uint64_t{p[1]} << 8 | uint64_t{p[2]} << 16 | uint64_t{p[3]} << 24;
  };
  return (le32(mbr + 446 + 8) + le32(mbr + 446 + 12)) * kSector;
}

std::string MtoolsImage(const std::string& disk) {
  return disk + "@@" + std::to_string(kPartOffset);
}

// Writes the configuration for `cmdline` as /syslinux.cfg of the disk's FAT partition (padded to
// its slot when `slot`).
Status WriteConfig(const std::string& disk, const std::string& cmdline, bool slot = false) {
  std::string cfg = disk + ".cfg";
  std::string text = SyslinuxConfig(cmdline);
  if (slot) text = CTV_TRY(SlotConfig(cmdline));
  CTV_CHECK(WriteFile(cfg, text, 0600));
  Status st = RunTool({"mcopy", "-o", "-i", MtoolsImage(disk), cfg, "::/syslinux.cfg"});
  ::unlink(cfg.c_str());
  return st;
}

}  // namespace

Result<std::string> SlotConfig(const std::string& kernel_cmdline) {
  std::string cfg = SyslinuxConfig(kernel_cmdline);
  if (cfg.size() > kConfigSlotBytes)
    return MakeError("write the bootloader configuration", "/syslinux.cfg",
                     "the kernel command line makes it " + std::to_string(cfg.size()) +
                         " bytes, more than its " + std::to_string(kConfigSlotBytes) +
                         "-byte slot (shorter probe arguments or cmdline option)");
  cfg.append(kConfigSlotBytes - cfg.size(), '\n');
  return cfg;
}

std::string SyslinuxConfig(const std::string& kernel_cmdline) {
  // SERIAL first: everything SYSLINUX prints after it also goes to COM1 (the guest console).
  return "SERIAL 0 115200\n"
         "PROMPT 0\n"
         "TIMEOUT 0\n"
         "DEFAULT ctv\n"
         "LABEL ctv\n"
         "  KERNEL /vmlinuz\n"
         "  INITRD /initrd\n"
         "  APPEND " +
         kernel_cmdline + "\n";
}

// A build killed half-way leaves its `<disk>.tmp-<pid>` (a distro disk's is hundreds of MiB):
// removed by the next build when that process is gone.
static void RemoveStaleTemps(const std::string& cache_dir) {
  auto names = ctv::fs::ListDir(cache_dir);
  if (!names) return;
  for (const std::string& n : *names) {
    size_t at = n.rfind(".tmp-");
    if (at == std::string::npos || (!n.starts_with("bootdisk-") && !n.starts_with("distrodisk-")))
      continue;
    std::string pid = n.substr(at + 5);
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (::access(("/proc/" + pid).c_str(), F_OK) != 0) ::unlink((cache_dir + "/" + n).c_str());
  }
}

Result<BootDisk> BuildBootDisk(const BootDiskInputs& in) {
  std::string mkfs = CTV_TRY(Tool("mkfs.fat", "dosfstools"));
  CTV_TRY(Tool("mcopy", "mtools"));
  std::string syslinux = CTV_TRY(Tool("syslinux", "syslinux"));
  if (::access(in.mbr_bin.c_str(), R_OK) != 0)
    return ErrnoError("find MBR boot code", in.mbr_bin, "install the Debian package syslinux-common");

  const bool with_root = !in.root_image.empty();
  Sha256 key;
  key.Update(kLayoutVersion);
  for (const std::string& f : {in.bzimage, in.initrd, in.mbr_bin, syslinux})
    key.Update("\n" + CTV_TRY(Sha256OciOfFile(f)));
  if (with_root) key.Update("\nroot " + in.root_key + " slot " + std::to_string(kConfigSlotBytes));
  BootDisk d;
  d.key = Hex(key.FinishOci(), 24);
  const char* prefix = with_root ? "distrodisk-" : "bootdisk-";
  d.path = in.cache_dir + "/" + prefix + d.key + ".raw";
  if (::access(d.path.c_str(), R_OK) == 0) {
    d.cached = true;
    if (with_root) {
      d.root_offset = CTV_TRY(FatEnd(d.path));
      d.config_offset = CTV_TRY(FindConfigSlot(d.path, d.root_offset));
    }
    return d;
  }
  CTV_CHECK(ctv::fs::MakeDirs(in.cache_dir));
  RemoveStaleTemps(in.cache_dir);

  // The partition: kernel + initramfs + SYSLINUX (~120 KiB) + FAT overhead, rounded to MiB.
  const uint64_t mib = 1 << 20;
  uint64_t payload = CTV_TRY(FileSize(in.bzimage)) + CTV_TRY(FileSize(in.initrd));
  uint64_t part_bytes = (payload + payload / 16 + 2 * mib + mib - 1) / mib * mib;
  // FAT16 needs at least 4085 clusters: 8 MiB of 2 KiB clusters plus its tables.
  part_bytes = std::max<uint64_t>(part_bytes, 9 * mib);
  const uint64_t root_offset = kPartOffset + part_bytes;  // MiB-aligned
  const uint64_t root_bytes =
      with_root ? (CTV_TRY(FileSize(in.root_image)) + mib - 1) / mib * mib : 0;
  std::string tmp = d.path + ".tmp-" + std::to_string(::getpid());
  Status st = [&]() -> Status {
    {
      Fd fd = CTV_TRY(OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      if (::ftruncate(fd.Get(), static_cast<off_t>(root_offset + root_bytes)) != 0)
        return ErrnoError("size boot disk", tmp);
    }
    CTV_CHECK(WriteMbr(tmp, in.mbr_bin, part_bytes / kSector, root_offset / kSector,
                       root_bytes / kSector));
    // FAT16, 2 KiB clusters; fixed volume id and --invariant: the same bytes every build.
    CTV_CHECK(RunTool({mkfs, "--offset", std::to_string(kPartStartLba), "-F", "16", "-s", "4",
                       "-n", "CTVBOOT", "-i", "63747662", "--invariant", tmp,
                       std::to_string(part_bytes / 1024)}));
    CTV_CHECK(RunTool({"mcopy", "-i", MtoolsImage(tmp), in.bzimage, "::/vmlinuz"}));
    CTV_CHECK(RunTool({"mcopy", "-i", MtoolsImage(tmp), in.initrd, "::/initrd"}));
    CTV_CHECK(WriteConfig(tmp, "console=ttyS0", with_root));
    // ldlinux.sys and ldlinux.c32 into the FAT, and the partition's boot record pointing at them.
    CTV_CHECK(RunTool({syslinux, "--offset", std::to_string(kPartOffset), "--install", tmp}));
    if (with_root) {
      CTV_CHECK(CopyInto(in.root_image, tmp, root_offset));
      d.root_offset = root_offset;
      d.config_offset = CTV_TRY(FindConfigSlot(tmp, root_offset));
    }
    if (::rename(tmp.c_str(), d.path.c_str()) != 0)
      return ErrnoError("rename " + tmp + " to", d.path);
    return Ok();
  }();
  if (!st) {
    ::unlink(tmp.c_str());
    return std::move(st).error();
  }
  // Each kernel or initramfs change makes one; distro disks are hundreds of MiB: two of them.
  PruneCache(in.cache_dir, prefix, ".raw", with_root ? 2 : 3);
  Log(LogLevel::kInfo, "guest: built boot disk {} ({} MiB)", d.path,
      (root_offset + root_bytes) / mib);
  return d;
}

Status InstanceBootDisk(const BootDisk& base, const std::string& dest,
                        const std::string& kernel_cmdline) {
  Status st = CopyFileContents(base.path, dest);
  if (st) st = WriteConfig(dest, kernel_cmdline);
  if (!st) ::unlink(dest.c_str());
  return st;
}

Status InstanceOverlayDisk(const BootDisk& base, const std::string& dest,
                           const std::string& kernel_cmdline) {
  if (base.config_offset == 0)
    return MakeError("make an overlay of", base.path, "the disk has no configuration slot");
  std::string img = CTV_TRY(Tool("qemu-img", "qemu-utils"));
  std::string io = CTV_TRY(Tool("qemu-io", "qemu-utils"));
  std::string cfg = dest + ".cfg";
  Status st = [&]() -> Status {
    CTV_CHECK(WriteFile(cfg, CTV_TRY(SlotConfig(kernel_cmdline)), 0600));
    // The backing file is named absolute and its format recorded: QEMU (and libvirt) open it
    // read-only without probing; every write of the guest lands in the overlay.
    CTV_CHECK(RunTool({img, "create", "-q", "-f", "qcow2", "-F", "raw", "-b", base.path, dest}));
    CTV_CHECK(RunTool({io, "-f", "qcow2", "-c",
                       "write -q -s " + cfg + " " + std::to_string(base.config_offset) + " " +
                           std::to_string(kConfigSlotBytes),
                       dest}));
    return Ok();
  }();
  ::unlink(cfg.c_str());
  if (!st) ::unlink(dest.c_str());
  return st;
}

}  // namespace ctv::vm
