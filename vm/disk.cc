#include "vm/disk.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/fd.h"

namespace ctv::vm {

Result<ScratchDisk> CreateScratchDisk(const std::string& path, uint64_t mib) {
  Fd fd = CTV_TRY(OpenFile(path, O_RDWR | O_CREAT | O_TRUNC, 0600));
  if (::ftruncate(fd.Get(), static_cast<off_t>(mib << 20)) != 0)
    return ErrnoError("size scratch disk", path, std::to_string(mib) + " MiB");
  ScratchDisk d{path, "none", ""};
  // Whether QEMU could open it with cache=none: the same open(O_DIRECT) it would do.
  if (auto direct = OpenFile(path, O_RDONLY | O_DIRECT); !direct) {
    if (direct.error().code != EINVAL) return std::move(direct).error();
    d.cache = "writeback";
    d.note =
        "the scratch disk's filesystem has no O_DIRECT (tmpfs?), so QEMU opens it with "
        "cache=writeback: reads of its holes come from the host page cache (put --state-dir on a "
        "disk filesystem for cache=none)";
  }
  return d;
}

}  // namespace ctv::vm
