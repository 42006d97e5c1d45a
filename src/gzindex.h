/* gzindex.h - random access into a gzip file, for ROM packages (.tgz).
 *
 * A gzip stream can only be decompressed from its start.  A Xiaomi ROM is
 * one multi-gigabyte .tgz whose flash script writes its images in another
 * order than the tar holds them, so streaming each image from the start
 * of the file decompresses the package again and again.  Instead, the one
 * pass that reads the package through (rompkg.c) decompresses it here,
 * and every GZ_SPAN bytes of output, where a deflate block begins, it
 * notes where the compressed data stands (byte and bit) and the 32 KiB of
 * output before it (what the next blocks may refer back to).  Reading
 * from output offset O later starts from the last such point before O:
 * at most GZ_SPAN bytes are decompressed for nothing.  (The technique of
 * zlib's examples/zran.c, written anew here.)  Concatenated gzip members
 * (pigz, cat a.gz b.gz) are followed; each member's CRC and length are
 * checked by zlib as the build pass reaches its end.
 *
 * The index is read-only once built: several images (and threads) may
 * read through it at once, each with its own descriptor. */
#ifndef DM_GZINDEX_H
#define DM_GZINDEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GZ_SPAN		(16u << 20)	/* output bytes between points */
#define GZ_WINDOW	32768u

struct gzidx;
struct gzbuild;

/* 1 when buf starts with the gzip magic. */
int gz_is_gzip(const void *buf, size_t n);

/* Decompress the gzip file fd (positioned at its start) as it is read,
 * building its index.  feed (may be NULL) sees every compressed byte read,
 * in order (the package's hashes). */
int gzbuild_new(int fd, void (*feed)(void *ud, const void *p, size_t n),
    void *ud, struct gzbuild **out, char *err, size_t errlen);
/* Points every span bytes of output instead of GZ_SPAN (tests use small
 * ones); before the first read. */
void gzbuild_set_span(struct gzbuild *b, uint64_t span);
/* The next decompressed bytes: > 0 and *p set, 0 at the end of the last
 * member, or a negative dm_err with err (DM_EIO for a damaged or cut
 * short file: zlib's words).  A non-zero return of stop() (checked every
 * block) gives DM_ECANCEL. */
ssize_t gzbuild_read(struct gzbuild *b, const void **p, char *err,
    size_t errlen);
/* Decompressed bytes handed out so far. */
uint64_t gzbuild_out(const struct gzbuild *b);
/* Read on to the end (checking every member's CRC), then give the index
 * (free it with gzidx_free) and free b.  0 or a dm_err (b freed either
 * way). */
int gzbuild_finish(struct gzbuild *b, struct gzidx **idx, char *err,
    size_t errlen);
void gzbuild_free(struct gzbuild *b);

void gzidx_free(struct gzidx *x);
size_t gzidx_points(const struct gzidx *x);
uint64_t gzidx_size(const struct gzidx *x);	/* decompressed bytes */

/* A reader of [off, off + len) of the decompressed stream of path
 * (which must be the file the index was built from). */
struct gzread;
int gzread_open(const char *path, const struct gzidx *x, uint64_t off,
    uint64_t len, struct gzread **out, char *err, size_t errlen);
/* Up to n bytes; 0 at the end of the range; a negative dm_err (the
 * reason in gzread_why()). */
ssize_t gzread_read(struct gzread *r, void *buf, size_t n);
/* Skip n bytes of the range (a long skip jumps by the index). */
int gzread_skip(struct gzread *r, uint64_t n);
/* Back to the range's start. */
int gzread_rewind(struct gzread *r, char *err, size_t errlen);
const char *gzread_why(const struct gzread *r);
void gzread_close(struct gzread *r);

/* An image to flash (fastboot.h) read this way: the member of a .tgz at
 * off, size bytes, named name in messages. */
struct fb_image;
int fb_image_open_gz(struct fb_image *img, const char *path,
    const struct gzidx *x, uint64_t off, uint64_t size, const char *name,
    char *err, size_t errlen);

#endif
