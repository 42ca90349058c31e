#include "vm/libvirt/scratch_volume.h"

#include <cstdlib>

#include "core/log.h"
#include "core/markup.h"
#include "vm/libvirt/conn.h"
#include "vm/libvirt/volumes.h"

namespace ctv::vm::lv {

Result<ScratchVolume> ScratchVolume::Create(virConnectPtr conn, const std::string& instance,
                                            uint64_t mib) {
  std::string name = instance + "-disk.raw";
  std::string where = std::string(kPoolName) + "/" + name;
  virStoragePoolPtr pool = virStoragePoolLookupByName(conn, kPoolName);
  if (!pool) {
    Error e = LastError("find storage pool", kPoolName);
    e.context += " (for the scratch disk " + name + "; the guest's volumes create the pool)";
    return e;
  }
  if (virStorageVolPtr old = virStorageVolLookupByName(pool, name.c_str())) {
    virStorageVolDelete(old, 0);  // a killed run's leftover of this very instance name
    virStorageVolFree(old);
  }
  // allocation 0: the dir pool creates the file sparse (ftruncate), nothing is written.
  std::string xml = "<volume>\n  <name>" + EscapeMarkup(name) +
                    "</name>\n  <allocation>0</allocation>\n  <capacity unit='MiB'>" +
                    std::to_string(mib) +
                    "</capacity>\n  <target>\n    <format type='raw'/>\n"
                    "    <permissions><mode>0600</mode></permissions>\n  </target>\n</volume>\n";
  ScratchVolume v;
  v.vol_ = virStorageVolCreateXML(pool, xml.c_str(), 0);
  Error create_error = v.vol_ ? Error{} : LastError("create volume", where);
  virStoragePoolFree(pool);
  if (!v.vol_) return create_error;
  char* path = virStorageVolGetPath(v.vol_);
  if (!path) return LastError("get path of volume", where);  // `v` deletes the volume
  v.path_ = path;
  std::free(path);
  return v;
}

ScratchVolume& ScratchVolume::operator=(ScratchVolume&& o) noexcept {
  if (this != &o) {
    Reset();
    vol_ = std::exchange(o.vol_, nullptr);
    path_ = std::move(o.path_);
  }
  return *this;
}

void ScratchVolume::Reset() {
  if (!vol_) return;
  if (virStorageVolDelete(vol_, 0) < 0)
    Log(LogLevel::kWarn, "vm: {}", LastError("delete scratch volume", path_).ToString());
  virStorageVolFree(vol_);
  vol_ = nullptr;
  path_.clear();
}

}  // namespace ctv::vm::lv
