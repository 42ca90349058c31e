#include "vm/guest/kernel.h"

#include <dirent.h>
#include <lzma.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/digest.h"
#include "core/fd.h"

namespace ctv::vm {
namespace {

constexpr unsigned char kXzMagic[] = {0xFD, '7', 'z', 'X', 'Z', 0x00};

// Natural-ish version compare so 6.1.0-10 sorts before 6.1.0-56.
bool VersionLess(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (isdigit(a[i]) && isdigit(b[j])) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && isdigit(a[i2])) ++i2;
      while (j2 < b.size() && isdigit(b[j2])) ++j2;
      long x = std::stol(a.substr(i, i2 - i)), y = std::stol(b.substr(j, j2 - j));
      if (x != y) return x < y;
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

}  // namespace

Result<std::string> ReadKernelRelease(const std::string& bzimage) {
  std::string data = CTV_TRY(ReadFile(bzimage));
  // Boot protocol: "HdrS" at 0x202; kernel_version (u16 at 0x20E) + 0x200 points at the string.
  if (data.size() < 0x210 || data.compare(0x202, 4, "HdrS") != 0) {
    errno = ENOEXEC;
    return ErrnoError("read kernel release of", bzimage, "not a bzImage (no HdrS header)");
  }
  unsigned off = static_cast<unsigned char>(data[0x20E]) |
                 (static_cast<unsigned>(static_cast<unsigned char>(data[0x20F])) << 8);
  off += 0x200;
  if (off >= data.size())
    return MakeError("read kernel release of", bzimage, "bad kernel_version offset");
  size_t end = data.find_first_of(std::string(" \0", 2), off);
  if (end == std::string::npos || end == off)
    return MakeError("read kernel release of", bzimage, "empty kernel_version");
  return data.substr(off, end - off);
}

Result<KernelFile> FindKernel(const std::string& path, const std::string& modules_root) {
  KernelFile k;
  if (!path.empty()) {
    k.path = path;
  } else {
    DIR* d = opendir("/boot");
    if (!d)
      return ErrnoError("list kernels in", "/boot", "install linux-image-amd64 or pass --kernel");
    std::vector<std::string> releases;
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.rfind("vmlinuz-", 0) != 0) continue;
      std::string rel = n.substr(8);
      struct stat st;
      if (stat((modules_root + "/" + rel + "/modules.dep").c_str(), &st) == 0)
        releases.push_back(rel);
    }
    closedir(d);
    if (releases.empty()) {
      errno = ENOENT;
      return ErrnoError("find a guest kernel in", "/boot",
                        "no vmlinuz-* with modules under " + modules_root +
                            "; install linux-image-amd64 or pass --kernel");
    }
    std::sort(releases.begin(), releases.end(), VersionLess);
    k.path = "/boot/vmlinuz-" + releases.back();
  }
  k.release = CTV_TRY(ReadKernelRelease(k.path));
  k.digest = CTV_TRY(Sha256OciOfFile(k.path));
  return k;
}

Result<std::string> ExtractVmlinux(const KernelFile& kernel, const std::string& cache_dir) {
  std::string hex = kernel.digest.substr(kernel.digest.find(':') + 1, 16);
  std::string out = cache_dir + "/vmlinux-" + hex;
  if (access(out.c_str(), R_OK) == 0) return out;

  std::string data = CTV_TRY(ReadFile(kernel.path));
  const void* hit = ::memmem(data.data(), data.size(), kXzMagic, sizeof kXzMagic);
  if (!hit) {
    errno = ENOEXEC;
    return ErrnoError("find the XZ payload in", kernel.path,
                      "not an XZ-compressed bzImage; boot it as a bzImage instead");
  }
  size_t start = static_cast<size_t>(static_cast<const char*>(hit) - data.data());

  lzma_stream strm = LZMA_STREAM_INIT;
  // The x86 kernel's XZ stream uses CRC32 (or none) and the BCJ filter; the decoder handles both.
  if (lzma_stream_decoder(&strm, UINT64_MAX, 0) != LZMA_OK)
    return MakeError("start XZ decoder for", kernel.path);
  std::string elf;
  elf.resize(64u << 20);
  strm.next_in = reinterpret_cast<const uint8_t*>(data.data() + start);
  strm.avail_in = data.size() - start;
  size_t produced = 0;
  lzma_ret r;
  for (;;) {
    if (produced == elf.size()) elf.resize(elf.size() * 2);
    strm.next_out = reinterpret_cast<uint8_t*>(elf.data() + produced);
    strm.avail_out = elf.size() - produced;
    r = lzma_code(&strm, LZMA_FINISH);
    produced = elf.size() - strm.avail_out;
    if (r == LZMA_STREAM_END) break;  // bytes after the stream (bzImage trailer) are ignored
    if (r != LZMA_OK && r != LZMA_BUF_ERROR) break;
    if (r == LZMA_BUF_ERROR && strm.avail_out != 0) break;
  }
  lzma_end(&strm);
  if (r != LZMA_STREAM_END)
    return MakeError("decompress the XZ payload of", kernel.path,
                     "liblzma error " + std::to_string(r));
  elf.resize(produced);
  if (elf.size() < 4 || elf.compare(0, 4,
                                    "\x7f"
                                    "ELF") != 0) {
    errno = ENOEXEC;
    return ErrnoError("unpack vmlinux from", kernel.path, "payload is not an ELF");
  }
  mkdir(cache_dir.c_str(), 0755);
  CTV_CHECK(WriteFileAtomic(out, elf, 0644));
  return out;
}

}  // namespace ctv::vm
