/* vfs.h - the part of a simulated phone's file system that adb can reach,
 * kept in host directories under the phone's state directory:
 *
 *   /sdcard, /storage/emulated/0, /storage/self/primary  ->  DIR/storage
 *   /data/local/tmp                                      ->  DIR/tmp
 *   /efs (Samsung's; root only: VFS_ROOT)                ->  DIR/efs
 *   /data/app (the user apps' APKs: the shell user reads  ->  DIR/app
 *              them but may neither list /data/app itself nor write
 *              there; VFS_WRITE says a caller would write)
 *
 * Every other path is refused (EACCES, as a shell user would see on most of
 * a real phone).  A path is never allowed out of its tree: ".." is refused
 * outright, and a symlink whose target lands outside is refused too.
 *
 * Functions return 0 or a negative errno (the sync protocol reports errno
 * values to the host, so they are kept as they are).  Safe from any thread;
 * the file system does the locking. */
#ifndef DM_SIM_VFS_H
#define DM_SIM_VFS_H

#include <stddef.h>
#include <stdint.h>

struct storage_entry;
struct vfs;

/* Flags for vfs_resolve(). */
#define VFS_NOFOLLOW	1	/* a final symlink is not followed */
#define VFS_ROOT	2	/* as root: /efs may be reached */
#define VFS_WRITE	4	/* the caller would write there */

/* Create (if needed) DIR/storage, DIR/tmp and DIR/efs.  0 or -errno. */
int vfs_new(struct vfs **out, const char *dir);
void vfs_free(struct vfs *v);
const char *vfs_storage_dir(const struct vfs *v);

/* Map a device path to a host path (*out malloc'ed).  The last component
 * may be missing; everything before it must exist and stay inside.
 * 0, -EACCES (outside, "..", escaping symlink), -ENOENT, -ENOTDIR,
 * -ENAMETOOLONG. */
int vfs_resolve(const struct vfs *v, const char *devpath, int flags,
    char **out);

/* Empty storage and tmp, as erasing userdata does (not /efs).  0 or
 * -errno. */
int vfs_wipe(const struct vfs *v);

/* mkdir -p of a device directory.  0 or -errno. */
int vfs_mkdirs(const struct vfs *v, const char *devdir, unsigned mode,
    int flags);

/* Create a profile's files and folders.  A file that already exists with
 * the right size is left alone (so a large benchmark file is made once).
 * 0 or -errno with the path in err. */
int vfs_populate(const struct vfs *v, const struct storage_entry *e,
    size_t n, char *err, size_t errlen);

/* A file of size bytes of vfs_pattern(seed) at devpath (as root; its
 * folders made), left alone when it is there with that size.  For the
 * APKs of the user apps.  0 or -errno. */
int vfs_put_pattern(const struct vfs *v, const char *devpath, uint64_t seed,
    uint64_t size);

/* A simulated user app's APK k (0 the base, then its splits): the seed
 * and size of its pattern, fixed by the package name. */
void vfs_apk_spec(const char *pkg, size_t k, uint64_t *seed,
    uint64_t *size);

/* The deterministic content of a "seed" file: byte i is byte (i % 8) of
 * the little-endian splitmix64 output number i / 8 for that seed. */
void vfs_pattern(uint64_t seed, uint64_t offset, uint8_t *buf, size_t len);

#endif
