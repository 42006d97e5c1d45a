/* sparse.h - Android sparse images: read, check, resplit for fastboot,
 * and expand (for the device simulator).
 *
 * A sparse image is a 28-byte header and a list of chunks, each of which
 * covers some blocks of the expanded image: RAW (data follows), FILL (a
 * 32-bit pattern repeated), DONT_CARE (left as it is on the device) and
 * CRC32 (a checksum, covering no blocks).  docs: protocols.md sections 9
 * and 10.
 *
 * Images run to GiBs and may come from a file or from a stream (an entry
 * of an archive), so nothing here holds a whole image: all input goes
 * through a read callback and memory stays bounded by the chunk list.
 * Flashing takes two passes over the input:
 *
 *   1. sparse_map_read() reads the input once and checks it, keeping only
 *      where each chunk lies (struct sparse_map);
 *   2. sparse_plan() cuts the map into pieces no larger than the device's
 *      max-download-size, each a whole sparse image of its own, and tells
 *      the size of each before a byte is sent;
 *   3. a struct sparse_writer reads the input again from its start, once,
 *      strictly in order, and produces the pieces one after the other.
 *
 * Between 1 and 3 the caller rewinds the file or opens the entry again.
 * Errors return a negative enum dm_err and a sentence in err (which
 * chunk, which byte).  None of this is thread-aware: one object, one
 * thread at a time. */
#ifndef DM_SPARSE_H
#define DM_SPARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SPARSE_MAGIC		0xED26FF3Au
#define SPARSE_FILE_HDR_SZ	28u	/* the header as written here */
#define SPARSE_CHUNK_HDR_SZ	12u
/* Block size that raw input is cut into: what AOSP fastboot uses. */
#define SPARSE_BLK_SZ		4096u
/* No piece is larger than this, whatever the device allows (AOSP's
 * RESPARSE_LIMIT), so each download:%08x fits 32 bits. */
#define SPARSE_PIECE_MAX	(1ull << 30)
/* The chunk list of one image is capped: 24 bytes each, so 48 MiB. */
#define SPARSE_MAX_CHUNKS	(2u << 20)

/* Where the bytes come from.
 * read: up to len bytes into buf; the count, 0 at the end, or a negative
 *   dm_err.  A short count is not the end.
 * skip: optional (NULL to read and discard instead): move len bytes on
 *   without returning them, 0 or a negative dm_err; DM_EUNSUPP means
 *   "cannot here", and the bytes are read instead.  It is only used when
 *   the input's size is known, and never to go past it. */
struct sparse_src {
	ssize_t (*read)(void *ud, void *buf, size_t len);
	int (*skip)(void *ud, uint64_t len);
	void *ud;
};

enum sparse_chunk_type {
	SPARSE_RAW = 0xCAC1,
	SPARSE_FILL = 0xCAC2,
	SPARSE_DONT_CARE = 0xCAC3,
	SPARSE_CRC32 = 0xCAC4
};

/* One run of output blocks.  Chunks that cover no block are dropped
 * (except CRC32, kept with nblk 0) and a DONT_CARE that follows another
 * is merged into it, so n may be below the header's chunk count. */
struct sparse_chunk {
	uint64_t in_off;	/* RAW: where its data starts in the input */
	uint32_t blk;		/* first output block */
	uint32_t nblk;		/* blocks covered */
	uint32_t fill;		/* FILL: the pattern (CRC32: the checksum),
				 * as read little-endian */
	uint16_t type;		/* enum sparse_chunk_type */
};

struct sparse_map {
	int sparse;		/* the input was a sparse image (else raw,
				 * mapped as one RAW chunk) */
	uint32_t blk_sz, total_blks;
	uint64_t in_size;	/* bytes of input */
	uint64_t trailing;	/* sparse only: bytes after the last chunk
				 * (tolerated, never sent) */
	uint64_t raw_tail;	/* raw only: bytes in the last, partial block
				 * (padded with zeros on output), or 0 */
	struct sparse_chunk *chunks;	/* in block order, covering
					 * [0, total_blks) exactly */
	size_t n;
};

/* 1 when buf starts with the sparse magic, else 0. */
int sparse_is_sparse(const void *buf, size_t n);

/* The layout pass: read the whole input from src (from its current
 * position, to its end) and check it.  in_size is the input's length if
 * known (the file's or the archive entry's size), else 0: then the input
 * is read to its end to measure it, and skip is not used.  A sparse image
 * is checked fully: header (magic, major version 1, header sizes, block
 * size), each chunk (type, sizes, blocks), the chunk count, that the
 * blocks add up to total_blks and that the data is all there.  Anything
 * else is raw input, cut into blocks of raw_blk_sz bytes (normally
 * SPARSE_BLK_SZ; a multiple of 4); raw_blk_sz 0 refuses raw input ("bad
 * sparse magic").  Returns 0, or a negative dm_err with the reason in err
 * (then m holds nothing to free).  Free a good map with sparse_map_free. */
int sparse_map_read(const struct sparse_src *src, uint64_t in_size,
    uint32_t raw_blk_sz, struct sparse_map *m, char *err, size_t errlen);
void sparse_map_free(struct sparse_map *m);
/* A deep copy of src (free it with sparse_map_free). */
void sparse_map_copy(struct sparse_map *dst, const struct sparse_map *src);

/* One download.  size and verbatim are for the caller; the rest is for
 * the writer (blk_first/blk_end may be shown as progress). */
struct sparse_piece {
	uint64_t size;		/* exact bytes the writer produces */
	int verbatim;		/* the input itself, byte for byte */
	uint32_t blk_first;	/* output blocks carried: [first, end) */
	uint32_t blk_end;
	size_t c0, c1;		/* chunks [c0, c1) of the map */
	uint32_t nchunks;	/* chunks in the piece's header */
};

/* Cut the map into pieces for a device taking at most limit bytes per
 * download (max-download-size; 0 for no limit).  As AOSP fastboot does:
 * an input that fits limit (and 4 GiB - 1) is one verbatim piece, sent
 * unchanged; anything larger is cut into sparse images of at most
 * min(limit, SPARSE_PIECE_MAX) bytes.  Each of those has the whole
 * total_blks: a DONT_CARE for the blocks before its own, its chunks (RAW
 * cut at block boundaries where it fills the piece), a DONT_CARE to the
 * end; no CRC32.  Pieces are filled to within a block of the limit.
 * Flashed in order, they give the same partition as the whole image.
 * *pieces is malloc'd (free() it).  Returns 0 or a negative dm_err. */
int sparse_plan(const struct sparse_map *m, uint64_t limit,
    struct sparse_piece **pieces, size_t *npieces, char *err, size_t errlen);

/* The data pass.  The writer reads src from the input's start (rewind the
 * file or reopen the entry after sparse_map_read) strictly forwards, so
 * pieces must be written in plan order, each once.  m and src are
 * borrowed and must outlive the writer.  It holds about 1 MiB. */
struct sparse_writer;

struct sparse_writer *sparse_writer_new(const struct sparse_map *m,
    const struct sparse_src *src);
void sparse_writer_free(struct sparse_writer *w);

/* Produce piece p's bytes, in order, through out(ud, buf, len), which
 * returns 0 or a negative dm_err to stop.  Exactly p->size bytes go out,
 * or the call fails: an input that ends early gives "the image ended at
 * byte X, N bytes early".  After a failure the writer is spent. */
int sparse_write_piece(struct sparse_writer *w, const struct sparse_piece *p,
    int (*out)(void *ud, const void *buf, size_t len), void *ud,
    char *err, size_t errlen);

/* The same, but the bytes the piece takes from the input unchanged (RAW
 * data, all of a verbatim piece) are not read: raw(ud, off, len) is told
 * to send input bytes [off, off + len) itself, say with sendfile() from
 * the file, and the writer moves past them with the source's skip.  out
 * has then been given every byte before them, so the order holds.  raw
 * returns 0 or a negative dm_err, as out does.  Meant for a file (a
 * source whose skip works and whose size is known); elsewhere the writer
 * reads the bytes it passes and throws them away. */
int sparse_write_piece_raw(struct sparse_writer *w,
    const struct sparse_piece *p,
    int (*out)(void *ud, const void *buf, size_t len),
    int (*raw)(void *ud, uint64_t off, uint64_t len), void *ud,
    char *err, size_t errlen);

/* For the device simulator: expand the image read from src into fd with
 * pwrite(), checking it as sparse_map_read() does.  Sparse: RAW and FILL
 * blocks are written, DONT_CARE left as they are, and the file is grown
 * to total_blks * blk_sz if smaller (never shrunk).  Raw: written from
 * offset 0 and the file cut to its length.  Returns 0 or a negative
 * dm_err with err set; a bad image may leave some blocks written. */
int sparse_expand_to_fd(const struct sparse_src *src, int fd, char *err,
    size_t errlen);

/* A source over a file descriptor: read(), and lseek() for skip (pipes
 * fall back to reading).  *fdp is borrowed. */
void sparse_src_fd(struct sparse_src *src, int *fdp);

/* A source over len bytes in memory (the simulator's download): read
 * copies, skip moves on.  sparse_expand_to_fd() knows it and writes RAW
 * data to the file straight from buf, copying nothing.  m holds the
 * position; m and buf are borrowed. */
struct sparse_mem {
	const uint8_t *p;
	size_t len, pos;
};
void sparse_src_mem(struct sparse_src *src, struct sparse_mem *m,
    const void *buf, size_t len);

#endif
