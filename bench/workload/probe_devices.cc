// Device modes: read the first disk (or a file) with O_DIRECT, write to the console.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "bench/workload/probe.h"
#include "core/markers.h"

namespace ctv::probe {

namespace {

// The driver bound to sysfs device directory `dir` ("" when none).
std::string DriverOf(const std::string& dir) {
  char buf[512];
  ssize_t n = readlink((dir + "/driver").c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = '\0';
  const char* base = std::strrchr(buf, '/');
  return base ? base + 1 : buf;
}

// The first disk, "vda" or "sda" style, in name order; "" when none.
std::string FirstDisk() {
  std::string best;
  if (DIR* d = opendir("/sys/block")) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if ((n.rfind("vd", 0) == 0 || n.rfind("sd", 0) == 0) && (best.empty() || n < best)) best = n;
    }
    closedir(d);
  }
  return best;
}

constexpr size_t kBlock = 1 << 20;

// blkread --path: the first `mib` MiB of a regular file with O_DIRECT (past every page cache, so
// a cgroup's read limit on the file system's disk is what paces it), in 1 MiB blocks.
int ReadFileDirect(const char* path, int64_t mib) {
  int fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "ctv-probe: blkread: open %s with O_DIRECT: %s\n", path,
                 std::strerror(errno));
    return 1;
  }
  struct stat st{};
  fstat(fd, &st);
  if (static_cast<int64_t>(st.st_size >> 20) < mib) {
    std::fprintf(stderr, "ctv-probe: blkread: --mib %lld exceeds %s's %lld MiB\n",
                 static_cast<long long>(mib), path, static_cast<long long>(st.st_size >> 20));
    return 2;
  }
  void* buf = nullptr;
  if (posix_memalign(&buf, 4096, kBlock) != 0) return 1;
  int64_t start = Now();
  for (int64_t i = 0; i < mib; ++i) {
    ssize_t r = pread(fd, buf, kBlock, static_cast<off_t>(i) * static_cast<off_t>(kBlock));
    if (r != static_cast<ssize_t>(kBlock)) {
      std::fprintf(stderr, "ctv-probe: blkread: read MiB %lld of %s: %s\n",
                   static_cast<long long>(i), path, r < 0 ? std::strerror(errno) : "short read");
      return 1;
    }
  }
  double seconds = static_cast<double>(Now() - start) / 1e9;
  close(fd);
  std::free(buf);
  std::printf(
      "{\"mode\":\"blkread\",\"path\":%s,\"file_dev\":\"%u:%u\",\"bytes\":%lld,"
      "\"block_bytes\":%zu,\"o_direct\":true,\"seconds\":%.6f,\"mib_per_s\":%.3f}\n",
      JsonString(path).c_str(), major(st.st_dev), minor(st.st_dev),
      static_cast<long long>(mib) << 20, kBlock, seconds, static_cast<double>(mib) / seconds);
  return 0;
}

}  // namespace

int BlkRead(const Options& o) {
  int64_t mib = o.Int("--mib", -1, 1, 1 << 20);
  int64_t timeout_s = o.Int("--timeout", 10, 1, 3600);
  int64_t t0 = Now(), deadline = t0 + timeout_s * 1000000000LL;
  if (const char* path = o.Get("--path")) return ReadFileDirect(path, mib);
  // Disks appear asynchronously after the driver loads (SCSI scans in the background): wait for
  // the sysfs entry, then for devtmpfs's node.
  std::string name;
  while ((name = FirstDisk()).empty() && Now() < deadline) SleepMs(5);
  if (name.empty()) {
    std::fprintf(stderr, "ctv-probe: blkread: no disk (/sys/block/vd*, sd*) within %lld s\n",
                 static_cast<long long>(timeout_s));
    return 1;
  }
  std::string dev = "/dev/" + name;
  int fd;
  while ((fd = open(dev.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC)) < 0 && errno == ENOENT &&
         Now() < deadline)
    SleepMs(5);
  if (fd < 0) {
    std::fprintf(stderr, "ctv-probe: blkread: open %s with O_DIRECT: %s\n", dev.c_str(),
                 std::strerror(errno));
    return 1;
  }
  int64_t waited = Now() - t0;
  long long sectors = std::atoll(ReadSmall(("/sys/block/" + name + "/size").c_str()).c_str());
  int64_t disk_mib = sectors * 512 >> 20;
  if (mib > disk_mib) {
    std::fprintf(stderr, "ctv-probe: blkread: --mib %lld exceeds %s's %lld MiB\n",
                 static_cast<long long>(mib), dev.c_str(), static_cast<long long>(disk_mib));
    return 2;
  }
  // The drivers from the disk up to its controller: vda -> virtio_blk, virtio-pci (or
  // virtio-mmio); sda -> sd, ata_piix (or ahci).
  std::string driver, controller;
  char real[PATH_MAX];
  if (realpath(("/sys/block/" + name + "/device").c_str(), real)) {
    for (std::string dir = real; dir.size() > std::strlen("/sys/devices");
         dir = dir.substr(0, dir.rfind('/'))) {
      std::string d = DriverOf(dir);
      if (d.empty()) continue;
      if (driver.empty()) {
        driver = d;
      } else if (d != driver) {
        controller = d;
        break;
      }
    }
  }
  void* buf = nullptr;
  if (posix_memalign(&buf, 4096, kBlock) != 0) return 1;
  int64_t start = Now();
  for (int64_t i = 0; i < mib; ++i) {
    ssize_t r = pread(fd, buf, kBlock, static_cast<off_t>(i) * static_cast<off_t>(kBlock));
    if (r != static_cast<ssize_t>(kBlock)) {
      std::fprintf(stderr, "ctv-probe: blkread: read MiB %lld of %s: %s\n",
                   static_cast<long long>(i), dev.c_str(),
                   r < 0 ? std::strerror(errno) : "short read");
      return 1;
    }
  }
  double seconds = static_cast<double>(Now() - start) / 1e9;
  close(fd);
  std::free(buf);
  std::printf(
      "{\"mode\":\"blkread\",\"device\":%s,\"driver\":%s,\"controller_driver\":%s,"
      "\"disk_mib\":%lld,\"bytes\":%lld,\"block_bytes\":%zu,\"o_direct\":true,"
      "\"wait_ms\":%.1f,\"seconds\":%.6f,\"mib_per_s\":%.3f,\"clock\":\"CLOCK_MONOTONIC of the "
      "machine the probe ran on (a guest's own clock in a VM)\"}\n",
      JsonString(dev).c_str(), JsonString(driver).c_str(), JsonString(controller).c_str(),
      static_cast<long long>(disk_mib), static_cast<long long>(mib) << 20, kBlock,
      static_cast<double>(waited) / 1e6, seconds, static_cast<double>(mib) / seconds);
  return 0;
}

int Emit(const Options& o) {
  int64_t kib = o.Int("--kib", -1, 1, 1 << 20);
  // 64-byte lines the harness takes as output, never as a marker (no "CTV-" prefix, no JSON).
  char line[64];
  std::memset(line, 'x', sizeof line - 1);
  line[sizeof line - 1] = '\n';
  char chunk[1024];
  for (size_t i = 0; i < sizeof chunk; i += sizeof line) std::memcpy(chunk + i, line, sizeof line);
  int64_t start = Now();
  for (int64_t i = 0; i < kib; ++i)
    if (!WriteFull(1, chunk, sizeof chunk)) {
      std::fprintf(stderr, "ctv-probe: emit: write: %s\n", std::strerror(errno));
      return 1;
    }
  // A tty's write returns once the data is in its buffer: wait until it was sent.
  bool drained = isatty(1) && tcdrain(1) == 0;
  double seconds = static_cast<double>(Now() - start) / 1e9;
  char buf[320];
  int n = std::snprintf(
      buf, sizeof buf,
      "{\"mode\":\"emit\",\"bytes\":%lld,\"tty_drained\":%s,\"seconds\":%.6f,\"kib_per_s\":%.3f,"
      "\"clock\":\"CLOCK_MONOTONIC of the machine the probe ran on (a guest's own clock in a "
      "VM)\"}\n",
      static_cast<long long>(kib) << 10, drained ? "true" : "false", seconds,
      static_cast<double>(kib) / seconds);
  return WriteFull(1, buf, static_cast<size_t>(n)) ? 0 : 1;
}

}  // namespace ctv::probe
