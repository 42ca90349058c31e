/* The POSIX ACL functions libarchive's archive refers to, for a static executable.
 *
 * Debian ships libacl only as a shared library, and libarchive.a's disk reader/writer object
 * (archive_disk_acl_linux.o) refers to it. ctvrt never asks libarchive for ACLs: it reads no disk
 * entries and extracts layers without ARCHIVE_EXTRACT_ACL, so libarchive never calls these. If
 * it ever did, each fails as on a file system without ACL support (ENOTSUP), which libarchive
 * reports as a warning, instead of the executable needing the dynamic loader.
 * Types as in <sys/acl.h> (libacl1-dev, not installed): acl_t, acl_entry_t and acl_permset_t are
 * pointers; acl_type_t, acl_tag_t and acl_perm_t are integers. */
#include <errno.h>
#pragma GCC diagnostic ignored "-Wunused-parameter" /* the arguments are not looked at */
#include <stddef.h>

#define CTV_ACL_ABSENT_INT(name, ...) \
  int name(__VA_ARGS__) {             \
    errno = ENOTSUP;                  \
    return -1;                        \
  }
#define CTV_ACL_ABSENT_PTR(name, ...) \
  void* name(__VA_ARGS__) {           \
    errno = ENOTSUP;                  \
    return NULL;                      \
  }

CTV_ACL_ABSENT_PTR(acl_init, int count)
CTV_ACL_ABSENT_PTR(acl_get_fd, int fd)
CTV_ACL_ABSENT_PTR(acl_get_file, const char* path, unsigned type)
CTV_ACL_ABSENT_PTR(acl_get_qualifier, void* entry)
CTV_ACL_ABSENT_INT(acl_free, void* obj)
CTV_ACL_ABSENT_INT(acl_create_entry, void** acl, void** entry)
CTV_ACL_ABSENT_INT(acl_get_entry, void* acl, int which, void** entry)
CTV_ACL_ABSENT_INT(acl_get_permset, void* entry, void** permset)
CTV_ACL_ABSENT_INT(acl_get_perm, void* permset, unsigned perm)
CTV_ACL_ABSENT_INT(acl_add_perm, void* permset, unsigned perm)
CTV_ACL_ABSENT_INT(acl_clear_perms, void* permset)
CTV_ACL_ABSENT_INT(acl_get_tag_type, void* entry, int* tag)
CTV_ACL_ABSENT_INT(acl_set_tag_type, void* entry, int tag)
CTV_ACL_ABSENT_INT(acl_set_qualifier, void* entry, const void* qualifier)
CTV_ACL_ABSENT_INT(acl_set_fd, int fd, void* acl)
CTV_ACL_ABSENT_INT(acl_set_file, const char* path, unsigned type, void* acl)
