#include "vm/libvirt/volumes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/fd.h"
#include "core/log.h"
#include "core/markup.h"
#include "vm/libvirt/conn.h"

namespace ctv::vm::lv {
namespace {

struct PoolFree {
  void operator()(virStoragePoolPtr p) const { virStoragePoolFree(p); }
};
struct VolFree {
  void operator()(virStorageVolPtr v) const { virStorageVolFree(v); }
};
struct StreamFree {
  void operator()(virStreamPtr s) const { virStreamFree(s); }
};
using Pool = std::unique_ptr<virStoragePool, PoolFree>;
using Vol = std::unique_ptr<virStorageVol, VolFree>;
using Stream = std::unique_ptr<virStream, StreamFree>;

std::string PoolXml() {
  return std::string("<pool type='dir'>\n  <name>") + kPoolName +
         "</name>\n  <target>\n    <path>" + kPoolPath +
         "</path>\n    <permissions><mode>0755</mode></permissions>\n  </target>\n</pool>\n";
}

std::string VolumeXml(const std::string& name, off_t size) {
  return "<volume>\n  <name>" + EscapeMarkup(name) + "</name>\n  <capacity unit='bytes'>" +
         std::to_string(size) +
         "</capacity>\n  <target>\n    <format type='raw'/>\n"
         "    <permissions><mode>0644</mode></permissions>\n  </target>\n</volume>\n";
}

Result<Pool> OpenPool(virConnectPtr conn) {
  Pool pool(virStoragePoolLookupByName(conn, kPoolName));
  if (!pool) {
    // WITH_BUILD makes the directory. Two runs may race to create it: the loser finds the pool.
    pool.reset(virStoragePoolCreateXML(conn, PoolXml().c_str(),
                                       VIR_STORAGE_POOL_CREATE_WITH_BUILD));
    if (!pool) pool.reset(virStoragePoolLookupByName(conn, kPoolName));
    if (!pool) {
      Error e = LastError("create storage pool", kPoolName);
      e.context += std::string(" (a dir pool at ") + kPoolPath +
                   " on the daemon's host, for the guest's kernel and initramfs; the daemon needs "
                   "its storage driver)";
      return e;
    }
  }
  if (virStoragePoolIsActive(pool.get()) != 1 && virStoragePoolCreate(pool.get(), 0) < 0)
    return LastError("start storage pool", kPoolName);
  // Another run may have added volumes since the daemon last looked.
  if (virStoragePoolRefresh(pool.get(), 0) < 0) return LastError("refresh storage pool", kPoolName);
  return pool;
}

std::string PathOf(virStorageVolPtr v) {
  char* p = virStorageVolGetPath(v);
  std::string s = p ? p : "";
  std::free(p);
  return s;
}

// Feeds virStreamSendAll from a file descriptor.
int ReadChunk(virStreamPtr, char* data, size_t n, void* opaque) {
  int fd = *static_cast<int*>(opaque);
  for (;;) {
    ssize_t r = ::read(fd, data, n);
    if (r >= 0 || errno != EINTR) return static_cast<int>(r);
  }
}

Status Upload(virConnectPtr conn, virStoragePoolPtr pool, const std::string& local_path,
              const std::string& name, off_t size) {
  Fd fd = CTV_TRY(OpenFile(local_path, O_RDONLY));
  std::string part = name + ".part";
  if (Vol old(virStorageVolLookupByName(pool, part.c_str())); old)
    virStorageVolDelete(old.get(), 0);  // a killed upload's leftover
  Vol vol(virStorageVolCreateXML(pool, VolumeXml(part, size).c_str(), 0));
  if (!vol) return LastError("create volume", std::string(kPoolName) + "/" + part);
  Status st = [&]() -> Status {
    Stream stream(virStreamNew(conn, 0));
    if (!stream) return LastError("create upload stream for", local_path);
    if (virStorageVolUpload(vol.get(), stream.get(), 0, size, 0) < 0)
      return LastError("upload to volume", std::string(kPoolName) + "/" + part);
    int in = fd.Get();
    if (virStreamSendAll(stream.get(), ReadChunk, &in) < 0) {
      Error e = LastError("upload", local_path);
      virStreamAbort(stream.get());
      return e;
    }
    if (virStreamFinish(stream.get()) < 0) return LastError("finish upload of", local_path);
    // The daemon copies the complete .part to its final name: a volume named `name` is complete.
    Vol done(virStorageVolCreateXMLFrom(pool, VolumeXml(name, size).c_str(), vol.get(), 0));
    if (!done) return LastError("copy volume", std::string(kPoolName) + "/" + name);
    return Ok();
  }();
  virStorageVolDelete(vol.get(), 0);
  return st;
}

// The volume's mtime on its host (seconds, from its XML's <timestamps>); 0 when not reported.
double MtimeOf(virStorageVolPtr v) {
  char* xml = virStorageVolGetXMLDesc(v, 0);
  if (!xml) return 0;
  std::string x = xml;
  std::free(xml);
  size_t at = x.find("<mtime>");
  return at == std::string::npos ? 0 : std::strtod(x.c_str() + at + 7, nullptr);
}

// Keeps the kKeepPerKind newest volumes of `name`'s kind ("initrd-", "vmlinux-"...: the part up
// to the first '-'), as the local guest cache does: each image, kernel or ctv-init change
// uploads a new one. `name` itself is kept. A running QEMU has its files open: deleting is safe.
void PruneKind(virStoragePoolPtr pool, const std::string& name) {
  constexpr size_t kKeepPerKind = 3;
  std::string kind = name.substr(0, name.find('-') + 1);
  if (kind.empty()) return;
  virStorageVolPtr* vols = nullptr;
  int n = virStoragePoolListAllVolumes(pool, &vols, 0);
  std::vector<std::pair<double, Vol>> found;
  for (int i = 0; i < n; ++i) {
    Vol v(vols[i]);
    const char* vn = virStorageVolGetName(v.get());
    std::string s = vn ? vn : "";
    if (s.rfind(kind, 0) != 0 || s == name || s.find(".part") != std::string::npos) continue;
    double t = MtimeOf(v.get());
    found.emplace_back(t, std::move(v));
  }
  std::free(vols);
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = kKeepPerKind - 1; i < found.size(); ++i) {
    Log(LogLevel::kInfo, "vm: removing old volume {} from pool {}",
        virStorageVolGetName(found[i].second.get()), kPoolName);
    virStorageVolDelete(found[i].second.get(), 0);
  }
}

}  // namespace

Result<VolumePath> EnsureVolume(virConnectPtr conn, const std::string& local_path,
                                const std::string& name) {
  struct stat sb;
  if (::stat(local_path.c_str(), &sb) != 0) return ErrnoError("stat guest file", local_path);
  Pool pool = CTV_TRY(OpenPool(conn));
  bool uploaded = false;
  Vol vol(virStorageVolLookupByName(pool.get(), name.c_str()));
  if (!vol) {
    int64_t t0 = MonotonicNs();
    Log(LogLevel::kInfo, "vm: uploading {} ({} MiB) to libvirt pool {} as {}", local_path,
        sb.st_size >> 20, kPoolName, name);
    CTV_CHECK(Upload(conn, pool.get(), local_path, name, sb.st_size));
    Log(LogLevel::kInfo, "vm: uploaded {} in {} ms", name, (MonotonicNs() - t0) / 1'000'000);
    vol.reset(virStorageVolLookupByName(pool.get(), name.c_str()));
    if (!vol) return LastError("find uploaded volume", std::string(kPoolName) + "/" + name);
    uploaded = true;
    PruneKind(pool.get(), name);
  }
  std::string path = PathOf(vol.get());
  if (path.empty()) return LastError("get path of volume", std::string(kPoolName) + "/" + name);
  return VolumePath{path, uploaded};
}

}  // namespace ctv::vm::lv
