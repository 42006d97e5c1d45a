/* fuzz_bkarc.c - libFuzzer target: whatever lies on disk where a backup
 * archive should be, walked with bkr_each (every member it gives has a
 * safe name, a known type and a link target when a link; files are hashed
 * to their end, never past their size), and the name rules on the input
 * itself (a name, a NUL, a link target), checked against a second, plain
 * reading of the rules. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bkarc.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT	(1u << 20)
#define MAX_HASH	(64u << 20)	/* bigger members: read a little, stop */
#define MAX_MEMBERS	20000

static char path[64];
static int fd = -1;

static void
cleanup(void)
{
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
}

/* The private file the archive is read from, made once. */
static int
scratch(void)
{
	const char *tmp = getenv("TMPDIR");

	if (fd >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/fuzz_bkarc.XXXXXX",
	    tmp != NULL && tmp[0] == '/' && strlen(tmp) < 40 ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	atexit(cleanup);
	return 0;
}

/* ---- the rules, read a second way --------------------------------------- */

/* Walk p's components from depth d: 0 when ".." ever takes it below the
 * root, else 1; *normal gets the count of plain components. */
static int
walk(const char *p, int d, int *normal, int *climbs)
{
	int ok = d >= 0;

	*normal = 0;
	*climbs = 0;
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			(*climbs)++;
			if (--d < 0)
				ok = 0;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			(*normal)++;
			d++;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return ok;
}

static int
safe_too(const char *name, const char *target)
{
	int normal, climbs, tn, tc;

	if (name[0] == '\0' || name[0] == '/')
		return 0;
	walk(name, 0, &normal, &climbs);
	if (climbs > 0)
		return 0;
	if (target == NULL)
		return 1;
	if (target[0] == '\0' || target[0] == '/')
		return 0;
	/* From the link's folder: one level above the link itself. */
	return walk(target, normal - 1, &tn, &tc);
}

static void
names(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 2), why[300], tiny[1];
	const char *name, *target = NULL;
	size_t l;
	int got;

	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	buf[size + 1] = '\0';
	name = buf;
	l = strlen(buf);
	if (l < size)
		target = buf + l + 1;	/* up to the next NUL, if any */
	got = bk_name_safe(name, target, why, sizeof(why));
	if (got != 0 && got != 1)
		abort();
	if (got != safe_too(name, target))
		abort();
	if (got == 0 && why[0] == '\0')
		abort();
	/* Tiny and absent buffers for the reason. */
	if (bk_name_safe(name, target, tiny, sizeof(tiny)) != got ||
	    bk_name_safe(name, target, NULL, 0) != got)
		abort();
	if (!got && tiny[0] != '\0')
		abort();
	/* The name alone. */
	if (bk_name_safe(name, NULL, why, sizeof(why)) !=
	    safe_too(name, NULL))
		abort();
	free(buf);
}

/* ---- the archive -------------------------------------------------------- */

struct seen {
	int n;
	char err[512];		/* bkr_hash's words */
};

static int
member(void *ud, struct bkr *r, const struct bkr_member *m)
{
	static const char zero[BK_HEX];
	struct seen *s = ud;
	char why[300], hex[BK_HEX], buf[4096];
	uint64_t n = 0;
	size_t l;
	int rc;

	if (m->name == NULL || m->name[0] == '\0')
		abort();
	if (m->type != BK_FILE && m->type != BK_DIR && m->type != BK_LINK)
		abort();
	if ((m->type == BK_LINK) != (m->target != NULL))
		abort();
	if (!bk_name_safe(m->name, m->target, why, sizeof(why)) ||
	    !safe_too(m->name, m->target))
		abort();
	/* A folder's slash is gone: no name given ends with one. */
	l = strlen(m->name);
	if (m->name[l - 1] == '/')
		abort();
	/* No check on m->mode: bkarc.h says permission bits, but a header
	 * can bring bits above 07777 (archive_entry_perm() only takes the
	 * file type out) and bkr_each passes them on. */
	if (++s->n > MAX_MEMBERS)
		return 1;
	if (m->type != BK_FILE)
		return 0;
	if (m->size > MAX_HASH) {
		/* A bomb, most likely: taste it and stop the walk. */
		for (int i = 0; i < 16; i++) {
			long got = bkr_read(r, buf, sizeof(buf));

			if (got < 0 && got != DM_EIO)
				abort();
			if (got <= 0)
				break;
			if ((size_t)got > sizeof(buf))
				abort();
		}
		return 1;
	}
	memcpy(hex, zero, sizeof(hex));
	rc = bkr_hash(r, hex, &n, s->err, sizeof(s->err));
	if (rc == 0) {
		if (strlen(hex) != BK_HEX - 1 ||
		    strspn(hex, "0123456789abcdef") != BK_HEX - 1)
			abort();
		/* Sparse members hash less than their size, never more. */
		if (n > m->size)
			abort();
	} else {
		if (rc != DM_EIO || s->err[0] == '\0')
			abort();
		/* Damaged data: stop here, as a restore would. */
		return rc;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s;
	char err[512];
	int rc;

	if (size > MAX_INPUT)
		return 0;
	names(data, size);
	if (scratch() < 0)
		abort();
	if (ftruncate(fd, 0) < 0 ||
	    (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	memset(&s, 0, sizeof(s));
	err[0] = '\0';
	rc = bkr_each(path, member, &s, err, sizeof(err));
	if (rc > 1 || rc <= DM_ERR_MIN_)
		abort();
	/* A refusal or damage always says why: bkr_each, or bkr_hash when
	 * the member's data was what broke. */
	if (rc < 0 && err[0] == '\0' && s.err[0] == '\0')
		abort();
	return 0;
}
