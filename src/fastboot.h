/* fastboot.h - the host side of fastboot: droidmedic's own client.
 *
 * Transports (protocols.md section 8):
 *   "tcp:HOST:PORT"  the FB01 handshake, then every message in both
 *                    directions is a frame: 8-byte big-endian length and
 *                    the bytes;
 *   "usb:BUS-PORT"   interface ff/42/03, one bulk transfer per command
 *                    and per response, no zero-length packets.
 * A command is one ASCII message of at most 4096 bytes (64 on old
 * bootloaders); the phone answers with any number of INFO and TEXT
 * messages (each one restarts the timeout), then OKAY, FAIL or, for
 * download:, DATA.  Responses are at most 256 bytes.
 *
 * Flashing is two calls so that the plan can be shown and confirmed
 * before anything goes out: fb_flash_plan() asks the phone what it needs
 * (slots, partition sizes, lock state, battery, max-download-size), checks
 * the image's layout and decides the target partitions and the pieces;
 * fb_flash_run() sends them.  The image's SHA-256, over every byte of
 * the file (or archive entry), is computed when the caller asks: when it
 * expects one (--sha256), by fb_flash_plan() in a pass of its own, and
 * nothing is sent unless it matches; when it only wants to know it
 * (--hash), by fb_flash_run() while it sends, for the report.  Without
 * either, as AOSP fastboot, it is not computed (hashing costs more CPU
 * than the whole rest of a flash).  Neither call ever holds the image in
 * memory.
 *
 * A connection belongs to one thread at a time. */
#ifndef DM_FASTBOOT_H
#define DM_FASTBOOT_H

#include <stddef.h>
#include <stdint.h>

#include "sparse.h"

struct fbvars;
struct fb_conn;

#define FB_CMD_MAX	4096	/* longest command a phone takes */
#define FB_RESP_MAX	256	/* longest response we accept */
/* Default wait for a reply; flash and erase wait longer (FB_SLOW_MS),
 * and every INFO or TEXT restarts the clock. */
#define FB_CMD_MS	30000
#define FB_SLOW_MS	(10 * 60 * 1000)

/* What the phone says while it works, and how a download goes. */
struct fb_hooks {
	/* An INFO or TEXT message (tag "INFO"/"TEXT"), NUL-terminated,
	 * control characters replaced. */
	void (*info)(void *ud, const char *tag, const char *msg);
	/* Bytes of the current download sent so far; a non-zero return
	 * stops it (DM_ECANCEL) at the next chunk.  Also, while
	 * fb_flash_plan() reads an image that is not a file (an archive
	 * entry, decompressed), the bytes of it read so far, total its
	 * size, every few MiB; a non-zero return stops the plan. */
	int (*progress)(void *ud, uint64_t done, uint64_t total);
	void *ud;
};

/* Open addr ("tcp:..." or "usb:..."); timeout_ms bounds the connect
 * and the handshake.  0 and *out, or a negative dm_err with err set. */
int fb_open(const char *addr, int timeout_ms, struct fb_conn **out,
    char *err, size_t errlen);
/* The same over a transport the caller opened (tests and fuzzing use an
 * in-memory one): framed says whether it is TCP (8-byte frames; the
 * FB01 handshake is taken as done).  The connection takes the transport
 * over; fb_close() closes it. */
struct transport;
void fb_open_over(const struct transport *t, int framed,
    struct fb_conn **out);
void fb_close(struct fb_conn *c);
const char *fb_addr(const struct fb_conn *c);
void fb_set_hooks(struct fb_conn *c, const struct fb_hooks *h);

/* One response as it was parsed; the payload is NUL-terminated with
 * control characters (and anything not printable ASCII) shown as '?'. */
enum fb_resp_kind { FB_OKAY, FB_FAIL, FB_DATA, FB_INFO, FB_TEXT };
struct fb_resp {
	enum fb_resp_kind kind;
	char msg[FB_RESP_MAX + 1];
	uint32_t data_size;	/* FB_DATA: the size the phone asked for */
};
/* Parse one response message (pure: the fuzz target).  0 or DM_EPROTO
 * with the reason in err (an unknown tag, a DATA size that is not 8 hex
 * digits, a message longer than FB_RESP_MAX). */
int fb_parse_response(const void *buf, size_t len, struct fb_resp *r,
    char *err, size_t errlen);

/* Send cmd and wait for the final response.  OKAY: 0 with its payload in
 * resp (may be NULL).  FAIL: DM_EREFUSED and err is the phone's own
 * words.  DATA where none was due, or anything malformed: DM_EPROTO. */
int fb_command(struct fb_conn *c, const char *cmd, char *resp,
    size_t resplen, int timeout_ms, char *err, size_t errlen);

/* getvar:name.  0 and the value; DM_EREFUSED when the phone does not
 * know the variable. */
int fb_getvar(struct fb_conn *c, const char *name, char *val, size_t len,
    char *err, size_t errlen);
/* getvar:all into v (every INFO line, see fbvars_add_info_line).  A phone
 * that refuses "all" gives DM_EREFUSED; then ask variables one by one. */
int fb_getvar_all(struct fb_conn *c, struct fbvars *v, char *err,
    size_t errlen);

/* download:%08x of size bytes produced by out-calls to fb_download_data,
 * then the phone's OKAY.  A write past size is refused. */
int fb_download_begin(struct fb_conn *c, uint32_t size, char *err,
    size_t errlen);
int fb_download_data(struct fb_conn *c, const void *buf, size_t len,
    char *err, size_t errlen);
int fb_download_end(struct fb_conn *c, char *err, size_t errlen);

/* An image to flash: a source the flasher can read twice (the check
 * pass and the data pass), rewinding between them.  A regular file, or an
 * entry of an archive (fbarchive.c) streamed out of it.  Only a file is
 * read by descriptor (sendfile, the hash thread); any other source goes
 * through src.read and src.skip alone, and is read to its end in the
 * check pass, so that a damaged one is refused before anything is
 * sent. */
struct fb_image {
	struct sparse_src src;
	int (*rewind)(void *ud, char *err, size_t errlen);
	/* Release what src.ud holds; NULL when nothing. */
	void (*close)(void *ud);
	/* The source's own words for its last failed read or skip ("" when
	 * none; NULL for a source that has none): a read returns only a
	 * dm_err, and the flasher adds these to its message. */
	const char *(*why)(void *ud);
	uint64_t size;		/* bytes, 0 when unknown */
	char name[256];		/* for messages */
};
/* An image from a regular file: 0, or a dm_err with err set.  Close
 * with fb_image_close(). */
int fb_image_open_file(struct fb_image *img, const char *path, char *err,
    size_t errlen);
/* An image from the entry named entry ("images/boot.img"; a leading "./"
 * on either side is ignored) of the archive file archive, in any format
 * and compression libarchive reads (zip, tar, tar.gz, tar.xz, 7z...).
 * The entry is never extracted: each pass reopens the archive, walks to
 * the entry and streams it, decompressing again, through bounded buffers.
 * size is what the entry's header says; the entry must be a regular file
 * with a size, not encrypted.  The first entry of that name is the one
 * (an archive rarely holds two).  0, or a dm_err with err set: DM_ENOENT
 * for no such entry (naming a few entries like it), DM_EINVAL for an
 * entry that cannot be flashed or a file libarchive does not read
 * (DM_EUNSUPP for an encrypted entry),
 * DM_EIO for a damaged archive (libarchive's words).  A read that finds
 * the archive damaged, or the entry shorter than its header says, fails
 * with DM_EIO and why() says which.  name is "ARCHIVE:ENTRY".  Close with
 * fb_image_close(). */
int fb_image_open_archive(struct fb_image *img, const char *archive,
    const char *entry, char *err, size_t errlen);
void fb_image_close(struct fb_image *img);

#define FB_MAX_TARGETS	4

/* What fb_flash_plan() decided, for showing and for fb_flash_run(). */
struct fb_flash_plan {
	char part[72];			/* as asked: "boot" */
	char targets[FB_MAX_TARGETS][80];	/* "boot_a" (two for --slot all) */
	int ntargets;
	int logical;			/* targets live in super */
	int userspace;			/* the phone is in fastbootd */
	uint64_t part_size;		/* the target's size, 0 unknown */
	uint64_t image_size;		/* bytes in the file */
	uint64_t expanded;		/* bytes once written */
	int sparse;
	uint64_t max_download;		/* what the phone takes per download */
	struct sparse_map map;
	struct sparse_piece *pieces;
	size_t npieces;
	uint64_t send_bytes;		/* sum of piece sizes, per target */
	char sha256[65];		/* of the image file, lowercase hex,
					 * when want_sha256 was given (then
					 * it is that one); else "" */
	int hash_inline;		/* no sha256: the run computes it */
	char product[64], serialno[64];
	int unlocked;			/* -1 unknown */
	char warn[3][160];		/* said before going on */
	int nwarn;
};

struct fb_flash_opts {
	const char *part;		/* "boot", "boot_a", "system" */
	const char *slot;		/* NULL: the current slot; "a", "b",
					 * "other" or "all" */
	const char *want_sha256;	/* refuse unless the image has it */
	const char *want_product;	/* refuse unless the phone is it */
	int force;			/* go on with a low battery */
	int hash;			/* without want_sha256: compute the
					 * SHA-256 while sending */
	/* The image's layout, already read and checked by the caller (a
	 * ROM package read through, its every member checked): the plan
	 * then reads nothing of the image.  Not with want_sha256. */
	const struct sparse_map *map;
};

/* Ask the phone, check the image, plan.  With want_sha256 the whole
 * image is read and hashed here (plan->sha256) and must match; without,
 * only its layout is read (the sparse header and each chunk's header,
 * data skipped over; nothing of a raw image), which is checked as fully
 * as the whole pass checks it: that every chunk is well formed and its
 * data all there.  An image that is not a file (an archive entry) is
 * read on to its end either way, so that an archive that does not
 * decompress or fails its checksum is refused here.  Refusals (locked
 * bootloader, a logical partition outside fastbootd, an image larger
 * than its partition, a wrong hash or product, a malformed or damaged
 * image) come back as DM_EINVAL/DM_EREFUSED/DM_EIO with the reason in
 * err, before a byte of image data is sent.  Free a plan with
 * fb_flash_plan_free(). */
int fb_flash_plan(struct fb_conn *c, struct fb_image *img,
    const struct fb_flash_opts *o, struct fb_flash_plan *plan, char *err,
    size_t errlen);
void fb_flash_plan_free(struct fb_flash_plan *plan);

/* Where a run got to, for reporting what was and was not flashed. */
struct fb_flash_result {
	int targets_done;		/* targets fully flashed */
	size_t pieces_done;		/* pieces of the current target the
					 * phone wrote */
	uint64_t bytes_sent;
	char sha256[65];		/* the image file's SHA-256, lowercase
					 * hex: the plan's when it was checked
					 * first, else when the plan says
					 * hash_inline, computed while sending
					 * (set once the first target's last
					 * piece is sent; "" before); else "" */
};

/* Send the plan: for each target, resize it first when it is logical,
 * then each piece with download: and flash:.  A FAIL stops at once with
 * the phone's words in err; so does a lost link (DM_ECONN/DM_ECLOSED).
 * When the plan says hash_inline the image is hashed while the first
 * target's pieces go (a file by a thread of its own reading alongside;
 * any other image in line, through its reads, to its end) and the hash
 * is finished before that target's last flash:, so a run that succeeds
 * reports it in res->sha256; failing to compute it (a read error, a file
 * that changed size, a damaged archive) stops the run there.  A file
 * that is not being hashed goes over TCP from the file itself
 * (sendfile); nothing else does.  The image is read from
 * its start again for each target.  A failed read's message carries the
 * source's own words (fb_image.why). */
int fb_flash_run(struct fb_conn *c, struct fb_image *img,
    struct fb_flash_plan *plan, struct fb_flash_result *res, char *err,
    size_t errlen);

/* "300000 bytes", "4.0 MiB", "2.00 GiB". */
void fb_size_text(uint64_t n, char *buf, size_t len);

/* reboot targets: "system" (or "" / NULL), "bootloader", "fastboot",
 * "recovery".  The phone answers OKAY, then leaves. */
int fb_reboot(struct fb_conn *c, const char *target, char *err,
    size_t errlen);

#endif
