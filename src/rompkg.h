/* rompkg.h - a firmware package, read once through.
 *
 * rompkg_open() reads the whole package in one pass with libarchive,
 * never unpacking it to disk: it lists the members, keeps the small texts
 * that say what to do (Xiaomi's flash scripts, misc.txt,
 * images/anti_version.txt; AOSP's android-info.txt), reads every member's
 * data to its end (so a damaged or cut-short package is refused here, in
 * libarchive's words, before anything goes to a phone), hashes each
 * member with SHA-256 and notes its sparse header, and hashes the
 * package file itself (SHA-256 and MD5, over every byte of the file) on
 * the way.  Each member's sparse layout is read in the same pass.  A
 * gzip-compressed package (a .tgz) is decompressed by gzindex.c, which
 * keeps access points as it goes, and libarchive reads the tar from it:
 * an image is later read from where its data starts (fb_image_open_gz),
 * without decompressing the package from its start again.  Any other
 * package is streamed by fb_image_open_archive() (fbarchive.c).
 *
 * Kinds:
 *   xiaomi-fastboot  one top folder with images/ and flash_all*.sh
 *                    (a .tgz as Xiaomi ships it, or any archive so laid
 *                    out);
 *   aosp-factory     a top folder with image-*.zip and flash-all.sh
 *                    (recognised and listed; not flashed yet);
 *   image            a file libarchive does not take for an archive. */
#ifndef DM_ROMPKG_H
#define DM_ROMPKG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sparse.h"

struct gzidx;

enum rom_kind { ROM_UNKNOWN, ROM_XIAOMI, ROM_AOSP, ROM_IMAGE };

struct rom_member {
	char *name;		/* as in the archive */
	uint64_t size;
	int regular;		/* a regular file (else folder, link...) */
	int sparse;		/* starts with the sparse magic */
	uint64_t expanded;	/* sparse: total_blks * blk_sz; else size */
	char sha256[65];	/* regular files */
	uint64_t offset;	/* gzip packages: where its data starts in
				 * the decompressed stream */
	struct sparse_map map;	/* its layout, read in the same pass */
	int has_map;
};

/* The texts a package may carry, by role. */
enum rom_text {
	RT_FLASH_ALL,		/* flash_all.sh: wipes user data */
	RT_EXCEPT_STORAGE,	/* flash_all_except_storage.sh: keeps it */
	RT_LOCK,		/* flash_all_lock.sh: wipes, then locks */
	RT_MISC,		/* misc.txt */
	RT_ANTI,		/* images/anti_version.txt */
	RT_ANDROID_INFO,	/* android-info.txt */
	RT_COUNT
};

struct rom_pkg {
	char path[PATH_MAX];
	enum rom_kind kind;
	char format[96];	/* libarchive's words: "GNU tar format, gzip" */
	char top[256];		/* "liuqin_images_.../" or "" */
	struct rom_member *m;
	size_t n;
	char *text[RT_COUNT];	/* NUL-terminated, or NULL when absent */
	size_t textlen[RT_COUNT];
	uint64_t file_size;
	dev_t dev;
	ino_t ino;
	int64_t mtime_ns;	/* to see the file change under us */
	char sha256[65], md5[33];
	struct gzidx *gz;	/* a gzip package's index (gzindex.h): its
				 * members are read from anywhere */
	char device[64];	/* misc.txt device= */
	char build[96];		/* misc.txt build_number= */
};

/* Read path through.  progress (may be NULL) gets the bytes of the file
 * read so far and its size, every few MiB; non-zero stops the read
 * (DM_ECANCEL).  0, or a dm_err with err set: DM_EIO for a damaged
 * package, DM_EINVAL for one that is not a firmware package droidmedic
 * knows (a hostile member name, two members of one name...).  Free with
 * rompkg_free(). */
int rompkg_open(const char *path, struct rom_pkg *p,
    int (*progress)(void *ud, uint64_t done, uint64_t total), void *ud,
    char *err, size_t errlen);
void rompkg_free(struct rom_pkg *p);

/* The member at rel (relative to the top folder: "images/boot.img"), or
 * NULL. */
const struct rom_member *rompkg_member(const struct rom_pkg *p,
    const char *rel);
/* Whether the file is still the one read (size, mtime, inode): 0, or
 * DM_EINVAL with err. */
int rompkg_unchanged(const struct rom_pkg *p, char *err, size_t errlen);

const char *rompkg_kind_name(enum rom_kind k);

#endif
