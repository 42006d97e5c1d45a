/* fbcmd.c - erase, set_active, boot, oem, flashing, snapshot-update and
 * the logical partition commands over a fastboot connection, and the
 * small questions their plans ask.  See fbcmd.h.  The plans and the
 * confirmation are src/cli_fbcmd.c's.  Runs on the caller's thread. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fbcmd.h"
#include "fbvars.h"
#include "xmem.h"

/* Bytes read from the image and handed to the download at a time. */
#define BOOT_CHUNK	(1u << 20)

/* ---- the log --------------------------------------------------------- */

void
fbcmd_log_init(struct fbcmd_log *l)
{
	memset(l, 0, sizeof(*l));
}

void
fbcmd_log_done(struct fbcmd_log *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
	l->line = NULL;
	l->n = l->cap = l->bytes = l->dropped = 0;
}

int
fbcmd_log_add(struct fbcmd_log *l, const char *msg)
{
	size_t len = strlen(msg) + 1;

	if (l->n >= FBCMD_LOG_LINES || l->bytes + len > FBCMD_LOG_BYTES) {
		l->dropped++;
		return DM_ENOMEM;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->line = xrealloc(l->line, l->cap * sizeof(*l->line));
	}
	l->line[l->n++] = xstrdup(msg);
	l->bytes += len;
	return 0;
}

static void
log_info_hook(void *ud, const char *tag, const char *msg)
{
	struct fbcmd_log *l = ud;

	(void)fbcmd_log_add(l, msg);
	if (l->live.info != NULL)
		l->live.info(l->live.ud, tag, msg);
}

static int
log_progress_hook(void *ud, uint64_t done, uint64_t total)
{
	struct fbcmd_log *l = ud;

	return l->live.progress != NULL ?
	    l->live.progress(l->live.ud, done, total) : 0;
}

/* The connection's hooks for one call: into log, or none. */
static void
hooks_on(struct fb_conn *c, struct fbcmd_log *log)
{
	struct fb_hooks h = { log_info_hook, log_progress_hook, log };

	fb_set_hooks(c, log != NULL ? &h : NULL);
}

/* One command, its INFO/TEXT into log. */
static int
run(struct fb_conn *c, const char *cmd, char *resp, size_t resplen, int ms,
    struct fbcmd_log *log, char *err, size_t errlen)
{
	int rc;

	hooks_on(c, log);
	rc = fb_command(c, cmd, resp, resplen, ms, err, errlen);
	fb_set_hooks(c, NULL);
	return rc;
}

/* A partition or slot name fit to go into a command. */
static int
check_name(const char *what, const char *name, char *err, size_t errlen)
{
	if (name == NULL || *name == '\0' || strlen(name) > 64)
		return dm_fail(err, errlen, DM_EINVAL, "a %s name is 1 to 64 "
		    "characters", what);
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' &&
		    *p != '.')
			return dm_fail(err, errlen, DM_EINVAL, "bad %s name "
			    "'%s' (letters, digits, '_', '-' and '.')", what,
			    name);
	return 0;
}

/* ---- asking ---------------------------------------------------------- */

int
fbcmd_ask(struct fb_conn *c, struct fbvars *v, const char *name, char *err,
    size_t errlen)
{
	char val[FB_RESP_MAX + 1];
	int rc;

	rc = fb_getvar(c, name, val, sizeof(val), err, errlen);
	if (rc == DM_EREFUSED) {
		err[0] = '\0';
		return 0;
	}
	if (rc < 0)
		return rc;
	(void)fbvars_set(v, name, val);
	return 0;
}

int
fbcmd_slot_name(const struct fbvars *v, const char *slot, char out[2])
{
	int nslots = v->slot_count > 0 ? v->slot_count : 0;
	char s;

	out[0] = out[1] = '\0';
	if (slot == NULL || nslots < 2)
		return -1;
	if (strcmp(slot, "other") == 0) {
		if (nslots != 2 || v->current_slot[0] == '\0')
			return -1;
		out[0] = v->current_slot[0] == 'a' ? 'b' : 'a';
		return 0;
	}
	if (slot[0] == '_')
		slot++;
	if (strlen(slot) != 1)
		return -1;
	s = (char)tolower((unsigned char)slot[0]);
	if (s < 'a' || s >= 'a' + nslots)
		return -1;
	out[0] = s;
	return 0;
}

int
fbcmd_active_slot(const struct fbvars *v, const char *want, char out[2],
    char *err, size_t errlen)
{
	if (v->slot_count < 2)
		return dm_fail(err, errlen, DM_EUNSUPP, "this phone has no A/B "
		    "slots (it %s): set_active does not apply",
		    v->slot_count < 0 ? "does not say slot-count" : "has one");
	if (strcmp(want, "other") == 0 && v->current_slot[0] == '\0')
		return dm_fail(err, errlen, DM_EINVAL, "the phone did not say "
		    "its current slot, so 'other' means nothing: name the "
		    "slot");
	if (fbcmd_slot_name(v, want, out) < 0)
		return dm_fail(err, errlen, DM_EINVAL, "no slot '%s' on this "
		    "phone (it has %s)", want, v->slot_count == 2 ? "a and b" :
		    v->slot_count == 3 ? "a, b and c" : "a to d");
	return 0;
}

int
fbcmd_targets(struct fb_conn *c, struct fbvars *v, const char *part,
    const char *slot, char targets[FBCMD_MAX_TARGETS][80], int *n,
    char *note, size_t notelen, char *err, size_t errlen)
{
	char name[96], s[2];
	int rc, nslots;

	*n = 0;
	if (note != NULL && notelen > 0)
		note[0] = '\0';
	if ((rc = check_name("partition", part, err, errlen)) < 0)
		return rc;
	snprintf(name, sizeof(name), "has-slot:%s", part);
	if ((rc = fbcmd_ask(c, v, name, err, errlen)) < 0)
		return rc;
	if (fbvars_has_slot(v, part) != 1) {
		if (slot != NULL && note != NULL)
			snprintf(note, notelen, "%s has no slots: --slot is "
			    "ignored", part);
		snprintf(targets[0], 80, "%s", part);
		*n = 1;
		return 0;
	}
	nslots = v->slot_count > 1 ? v->slot_count : 2;
	if (nslots > FBCMD_MAX_TARGETS)
		nslots = FBCMD_MAX_TARGETS;
	if (slot != NULL && strcmp(slot, "all") == 0) {
		for (int i = 0; i < nslots; i++)
			snprintf(targets[i], 80, "%s_%c", part, 'a' + i);
		*n = nslots;
		return 0;
	}
	if (slot == NULL) {
		if (v->current_slot[0] == '\0')
			return dm_fail(err, errlen, DM_EINVAL, "%s has slots "
			    "but the phone did not say which is current: "
			    "name one (--slot a or b)", part);
		snprintf(targets[0], 80, "%s_%s", part, v->current_slot);
		*n = 1;
		return 0;
	}
	if (fbcmd_slot_name(v, slot, s) < 0) {
		if (strcmp(slot, "other") == 0)
			return dm_fail(err, errlen, DM_EINVAL, "the phone did "
			    "not say its current slot: name the slot (--slot "
			    "a or b)");
		return dm_fail(err, errlen, DM_EINVAL, "no slot '%s' on this "
		    "phone (it has %d)", slot, nslots);
	}
	snprintf(targets[0], 80, "%s_%s", part, s);
	*n = 1;
	return 0;
}

int
fbcmd_parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
		{ "", 0 }, { "K", 10 }, { "KiB", 10 }, { "M", 20 },
		{ "MiB", 20 }, { "G", 30 }, { "GiB", 30 },
	};
	unsigned long long v;
	char *end;
	int hex;

	*out = 0;
	if (s == NULL || !isdigit((unsigned char)s[0]))
		return DM_EINVAL;
	hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	errno = 0;
	v = strtoull(hex ? s + 2 : s, &end, hex ? 16 : 10);
	if (errno != 0 || (hex && end == s + 2))
		return DM_EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].suffix) != 0)
			continue;
		if (hex && units[i].shift != 0)
			return DM_EINVAL;
		if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
			return DM_EINVAL;
		*out = (uint64_t)v << units[i].shift;
		return 0;
	}
	return DM_EINVAL;
}

int
fbcmd_parse_unlock_ability(const char *line)
{
	const char *p = line, *key;

	while (*p == ' ' || *p == '\t')
		p++;
	key = strstr(p, "unlock_ability");
	if (key != NULL)
		p = key + strlen("unlock_ability");
	else if (!isdigit((unsigned char)*p))
		return -1;	/* a bare number, or nothing we know */
	while (*p == ' ' || *p == '\t' || *p == ':' || *p == '=')
		p++;
	if (!isdigit((unsigned char)*p))
		return -1;
	/* Some loaders print the whole flag word: anything non-zero. */
	while (*p == '0')
		p++;
	return isdigit((unsigned char)*p) ? 1 : 0;
}

/* ---- commands -------------------------------------------------------- */

int
fbcmd_erase(struct fb_conn *c, const char *part, struct fbcmd_log *log,
    char *err, size_t errlen)
{
	char cmd[96];
	int rc;

	if ((rc = check_name("partition", part, err, errlen)) < 0)
		return rc;
	snprintf(cmd, sizeof(cmd), "erase:%s", part);
	return run(c, cmd, NULL, 0, FB_SLOW_MS, log, err, errlen);
}

int
fbcmd_set_active(struct fb_conn *c, const char *slot, struct fbcmd_log *log,
    char *err, size_t errlen)
{
	char cmd[32];

	if (slot != NULL && slot[0] == '_')
		slot++;
	if (slot == NULL || strlen(slot) != 1 ||
	    !islower((unsigned char)slot[0]))
		return dm_fail(err, errlen, DM_EINVAL, "a slot is one letter "
		    "(a, b)");
	snprintf(cmd, sizeof(cmd), "set_active:%s", slot);
	return run(c, cmd, NULL, 0, FB_CMD_MS, log, err, errlen);
}

/* Open and check; fd and size out. */
static int
boot_open(const char *path, uint64_t max_download, int *fd, uint64_t *size,
    char *err, size_t errlen)
{
	static const char magic[8] = "ANDROID!";
	char head[8], a[32], b[32];
	struct stat st;
	ssize_t n;

	*fd = -1;
	*size = 0;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return dm_fail(err, errlen, dm_from_errno(errno), "%s: %s",
		    path, strerror(errno));
	if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		dm_fail(err, errlen, DM_EINVAL, "%s: not a regular file",
		    path);
		goto bad;
	}
	if (st.st_size == 0) {
		dm_fail(err, errlen, DM_EINVAL, "%s: empty file", path);
		goto bad;
	}
	fb_size_text((uint64_t)st.st_size, a, sizeof(a));
	if ((uint64_t)st.st_size > UINT32_MAX) {
		dm_fail(err, errlen, DM_EINVAL, "%s is %s: one fastboot "
		    "download holds at most 4 GiB", path, a);
		goto bad;
	}
	if (max_download > 0 && (uint64_t)st.st_size > max_download) {
		fb_size_text(max_download, b, sizeof(b));
		dm_fail(err, errlen, DM_EINVAL, "%s is %s but the phone "
		    "takes at most %s in one download (max-download-size), "
		    "and boot cannot split an image", path, a, b);
		goto bad;
	}
	n = pread(*fd, head, sizeof(head), 0);
	if (n != (ssize_t)sizeof(head) || memcmp(head, magic, 8) != 0) {
		dm_fail(err, errlen, DM_EINVAL, "%s is not an Android boot "
		    "image (it does not start with ANDROID!)", path);
		goto bad;
	}
	*size = (uint64_t)st.st_size;
	return 0;
bad:
	close(*fd);
	*fd = -1;
	return DM_EINVAL;
}

int
fbcmd_boot_check(const char *path, uint64_t max_download, uint64_t *size,
    char *err, size_t errlen)
{
	int fd, rc;

	rc = boot_open(path, max_download, &fd, size, err, errlen);
	if (rc == 0)
		close(fd);
	return rc;
}

int
fbcmd_boot(struct fb_conn *c, const char *path, uint64_t max_download,
    struct fbcmd_log *log, char *err, size_t errlen)
{
	uint64_t size, left;
	char *buf = NULL;
	int fd, rc;

	rc = boot_open(path, max_download, &fd, &size, err, errlen);
	if (rc < 0)
		return rc;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	hooks_on(c, log);
	rc = fb_download_begin(c, (uint32_t)size, err, errlen);
	if (rc < 0)
		goto out;
	buf = xmalloc(BOOT_CHUNK);
	for (left = size; left > 0;) {
		size_t want = left < BOOT_CHUNK ? (size_t)left : BOOT_CHUNK;
		ssize_t n = read(fd, buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = dm_fail(err, errlen, DM_EIO, "%s: %s after %"
			    PRIu64 " of %" PRIu64 " bytes", path, n < 0 ?
			    strerror(errno) : "the file got shorter",
			    size - left, size);
			goto out;
		}
		rc = fb_download_data(c, buf, (size_t)n, err, errlen);
		if (rc < 0)
			goto out;
		left -= (uint64_t)n;
	}
	rc = fb_download_end(c, err, errlen);
	if (rc == 0)
		rc = fb_command(c, "boot", NULL, 0, FB_CMD_MS, err, errlen);
out:
	fb_set_hooks(c, NULL);
	free(buf);
	close(fd);
	return rc;
}

int
fbcmd_oem(struct fb_conn *c, const char *args, struct fbcmd_log *log,
    char *err, size_t errlen)
{
	char cmd[FB_CMD_MAX + 1];

	if (args == NULL || *args == '\0')
		return dm_fail(err, errlen, DM_EINVAL, "oem needs a command "
		    "(oem device-info)");
	if (snprintf(cmd, sizeof(cmd), "oem %s", args) >= (int)sizeof(cmd))
		return dm_fail(err, errlen, DM_EINVAL, "oem command longer "
		    "than %d bytes", FB_CMD_MAX);
	for (const char *p = args; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return dm_fail(err, errlen, DM_EINVAL, "oem commands "
			    "are printable ASCII");
	return run(c, cmd, NULL, 0, FB_SLOW_MS, log, err, errlen);
}

int
fbcmd_flashing(struct fb_conn *c, const char *verb, struct fbcmd_log *log,
    char *err, size_t errlen)
{
	static const char *const verbs[] = { "lock", "unlock",
	    "lock_critical", "unlock_critical" };
	char cmd[48];

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (verb == NULL || strcmp(verb, verbs[i]) != 0)
			continue;
		snprintf(cmd, sizeof(cmd), "flashing %s", verb);
		return run(c, cmd, NULL, 0, FB_SLOW_MS, log, err, errlen);
	}
	return dm_fail(err, errlen, DM_EINVAL, "no flashing '%s' (lock, "
	    "unlock, lock_critical, unlock_critical, get_unlock_ability)",
	    verb ? verb : "");
}

int
fbcmd_get_unlock_ability(struct fb_conn *c, int *ability,
    struct fbcmd_log *log, char *err, size_t errlen)
{
	struct fbcmd_log own;
	struct fbcmd_log *l = log;
	char okay[FB_RESP_MAX + 1];
	size_t first;
	int rc;

	*ability = -1;
	if (l == NULL) {
		fbcmd_log_init(&own);
		l = &own;
	}
	first = l->n;
	rc = run(c, "flashing get_unlock_ability", okay, sizeof(okay),
	    FB_CMD_MS, l, err, errlen);
	if (rc == 0) {
		for (size_t i = first; i < l->n && *ability < 0; i++)
			*ability = fbcmd_parse_unlock_ability(l->line[i]);
		if (*ability < 0 && okay[0] != '\0')
			*ability = fbcmd_parse_unlock_ability(okay);
		if (*ability < 0)
			rc = dm_fail(err, errlen, DM_EPROTO, "the phone "
			    "answered get_unlock_ability without saying it");
	}
	if (l == &own)
		fbcmd_log_done(&own);
	return rc;
}

int
fbcmd_snapshot_update(struct fb_conn *c, const char *what,
    struct fbcmd_log *log, char *err, size_t errlen)
{
	char cmd[48];

	if (what == NULL || (strcmp(what, "cancel") && strcmp(what, "merge")))
		return dm_fail(err, errlen, DM_EINVAL, "snapshot-update "
		    "takes cancel or merge");
	snprintf(cmd, sizeof(cmd), "snapshot-update:%s", what);
	return run(c, cmd, NULL, 0, FB_SLOW_MS, log, err, errlen);
}

static int
logical(struct fb_conn *c, const char *verb, const char *name,
    const uint64_t *size, struct fbcmd_log *log, char *err, size_t errlen)
{
	char cmd[160];
	int rc;

	if ((rc = check_name("partition", name, err, errlen)) < 0)
		return rc;
	if (size != NULL)
		snprintf(cmd, sizeof(cmd), "%s-logical-partition:%s:%" PRIu64,
		    verb, name, *size);
	else
		snprintf(cmd, sizeof(cmd), "%s-logical-partition:%s", verb,
		    name);
	return run(c, cmd, NULL, 0, FB_SLOW_MS, log, err, errlen);
}

int
fbcmd_create_logical(struct fb_conn *c, const char *name, uint64_t size,
    struct fbcmd_log *log, char *err, size_t errlen)
{
	return logical(c, "create", name, &size, log, err, errlen);
}

int
fbcmd_delete_logical(struct fb_conn *c, const char *name,
    struct fbcmd_log *log, char *err, size_t errlen)
{
	return logical(c, "delete", name, NULL, log, err, errlen);
}

int
fbcmd_resize_logical(struct fb_conn *c, const char *name, uint64_t size,
    struct fbcmd_log *log, char *err, size_t errlen)
{
	return logical(c, "resize", name, &size, log, err, errlen);
}
