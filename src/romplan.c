/* romplan.c - a whole-package flash planned and gated (see romplan.h). */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "fastboot.h"
#include "catalog.h"
#include "romplan.h"
#include "xmem.h"

const char *
rom_choice_name(enum rom_choice c)
{
	switch (c) {
	case ROM_WIPE:
		return "wipe";
	case ROM_WIPE_LOCK:
		return "wipe and lock";
	default:
		return "keep data";
	}
}

const char *
rom_choice_script(enum rom_choice c)
{
	switch (c) {
	case ROM_WIPE:
		return "flash_all.sh";
	case ROM_WIPE_LOCK:
		return "flash_all_lock.sh";
	default:
		return "flash_all_except_storage.sh";
	}
}

static enum rom_text
choice_text(enum rom_choice c)
{
	return c == ROM_WIPE ? RT_FLASH_ALL : c == ROM_WIPE_LOCK ? RT_LOCK :
	    RT_EXCEPT_STORAGE;
}

static struct rom_gate *
gate(struct rom_plan *pl, const char *name, enum gate_state st,
    const char *fmt, ...)
{
	struct rom_gate *g;
	va_list ap;

	if (pl->ngates >= ROM_MAX_GATES)
		return NULL;
	g = &pl->gates[pl->ngates++];
	g->name = name;
	g->st = st;
	va_start(ap, fmt);
	vsnprintf(g->why, sizeof(g->why), fmt, ap);
	va_end(ap);
	if (st == GATE_FAIL)
		pl->blocked = 1;
	return g;
}

/* Xiaomi's pseudo-partitions: lists the bootloader checks the images
 * against; no phone lists them as partitions. */
static int
pseudo_part(const char *p)
{
	return strcmp(p, "crclist") == 0 || strcmp(p, "sparsecrclist") == 0;
}

/* What a partition name in the script reaches on this phone, as AOSP
 * fastboot sends it: has-slot yes appends the current slot; anything
 * else goes as written (Xiaomi's "_ab" names both slots to its
 * bootloader).  0, or -1 with why. */
static int
resolve(const struct fbvars *v, const char *part, char *target, size_t tlen,
    uint64_t *size, int *logical, char *why, size_t wlen)
{
	const struct fb_part *fp;
	size_t n = strlen(part);

	*size = 0;
	*logical = 0;
	snprintf(target, tlen, "%s", part);
	if (n > 3 && strcmp(part + n - 3, "_ab") == 0) {
		char a[80], b[80];

		snprintf(a, sizeof(a), "%.*s_a", (int)(n - 3), part);
		snprintf(b, sizeof(b), "%.*s_b", (int)(n - 3), part);
		if (fbvars_part(v, a) == NULL || fbvars_part(v, b) == NULL) {
			snprintf(why, wlen, "the phone has no %s and %s for "
			    "%s", a, b, part);
			return -1;
		}
		fp = fbvars_part(v, a);
		*size = fp->has_size ? fp->size : 0;
		*logical = fp->logical == 1;
		return 0;
	}
	if (fbvars_has_slot(v, part) == 1) {
		if (v->current_slot[0] == '\0') {
			snprintf(why, wlen, "%s has slots but the phone does "
			    "not say which is current", part);
			return -1;
		}
		snprintf(target, tlen, "%s_%s", part, v->current_slot);
	}
	fp = fbvars_part(v, target);
	if (fp == NULL) {
		if (pseudo_part(part))
			return 0;
		snprintf(why, wlen, "the phone has no partition %s", target);
		return -1;
	}
	*size = fp->has_size ? fp->size : 0;
	*logical = fp->logical == 1;
	return 0;
}

static int
wipes_data(const char *part)
{
	return strcmp(part, "userdata") == 0 || strcmp(part, "metadata") == 0;
}

static struct rom_step *
add(struct rom_plan *pl, enum rom_op op)
{
	struct rom_step *s;

	pl->steps = xrealloc(pl->steps, (pl->n + 1) * sizeof(*pl->steps));
	s = &pl->steps[pl->n++];
	memset(s, 0, sizeof(*s));
	s->op = op;
	s->risk = "none";
	return s;
}

/* The package's anti-rollback index, as the script would compute it. */
static int
pkg_anti(const struct rom_pkg *p, const struct rs_script *s)
{
	if (s->anti_file[0] != '\0' && strcmp(s->anti_file,
	    "images/anti_version.txt") == 0 && p->text[RT_ANTI] != NULL) {
		const char *t = p->text[RT_ANTI];
		char *end;
		long v;

		while (*t == ' ' || *t == '\t')
			t++;
		v = strtol(t, &end, 10);
		if (end == t)
			return 0;	/* empty: the script's default */
		return v < 0 || v > 1000000 ? -1 : (int)v;
	}
	return s->anti >= 0 ? s->anti : 0;
}

static void
gate_battery(struct rom_plan *pl, const struct fbvars *v, int force)
{
	const char *low = NULL;
	char buf[96];

	if (v->battery_soc_ok == 0)
		low = "the phone says its battery is too low to flash";
	else if (v->battery_mv > 0 && v->battery_mv < ROM_MIN_MV) {
		snprintf(buf, sizeof(buf), "the battery is at %d mV (below "
		    "%d mV)", v->battery_mv, ROM_MIN_MV);
		low = buf;
	} else if (v->battery_soc_percent >= 0 &&
	    v->battery_soc_percent < 15) {
		snprintf(buf, sizeof(buf), "the battery is at %d %%",
		    v->battery_soc_percent);
		low = buf;
	}
	if (low != NULL && force)
		gate(pl, "battery", GATE_WARN, "%s: going on (--force); a "
		    "phone that dies mid-flash may not start again", low);
	else if (low != NULL)
		gate(pl, "battery", GATE_FAIL, "%s: charge it first (or give "
		    "--force)", low);
	else if (v->battery_soc_ok == 1 || v->battery_mv > 0 ||
	    v->battery_soc_percent >= 0) {
		if (v->battery_mv > 0)
			gate(pl, "battery", GATE_OK, "%d mV%s", v->battery_mv,
			    v->battery_soc_ok == 1 ? ", battery-soc-ok" : "");
		else
			gate(pl, "battery", GATE_OK, "the phone says it is "
			    "charged enough");
	} else
		gate(pl, "battery", GATE_WARN, "the phone does not say how "
		    "charged it is: keep it on the charger");
}

int
romplan_build(const struct rom_pkg *p, enum rom_choice choice,
    const struct fbvars *v, const struct romplan_opts *o,
    struct rom_plan *pl, char *err, size_t errlen)
{
	enum rom_text t = choice_text(choice);
	struct rs_script s;
	char why[300], first[300] = "";
	int bad = 0, rc;

	memset(pl, 0, sizeof(*pl));
	pl->choice = choice;
	pl->script = rom_choice_script(choice);
	pl->anti_pkg = pl->anti_phone = -1;
	if (p->kind != ROM_XIAOMI)
		return dm_fail(err, errlen, DM_EUNSUPP, "%s is %s: droidmedic "
		    "flashes Xiaomi fastboot packages whole (an image alone: "
		    "droidmedic fastboot-flash -s SERIAL PART IMAGE)",
		    p->path, p->kind == ROM_AOSP ? "an AOSP factory image, "
		    "which droidmedic recognises but does not flash whole yet"
		    : p->kind == ROM_IMAGE ? "not an archive" :
		    "no firmware package droidmedic knows (no flash_all.sh)");
	if (p->text[t] == NULL)
		return dm_fail(err, errlen, DM_ENOENT, "%s has no %s: it "
		    "cannot %s (the package has%s%s%s)", p->path, pl->script,
		    rom_choice_name(choice),
		    p->text[RT_FLASH_ALL] ? " flash_all.sh" : "",
		    p->text[RT_EXCEPT_STORAGE] ?
		    " flash_all_except_storage.sh" : "",
		    p->text[RT_LOCK] ? " flash_all_lock.sh" : "");
	rc = rs_parse_xiaomi(p->text[t], p->textlen[t], &s, why, sizeof(why));
	if (rc < 0)
		return dm_fail(err, errlen, rc, "%s%s: %s", p->top,
		    pl->script, why);
	snprintf(pl->product, sizeof(pl->product), "%s", v->product);
	snprintf(pl->serialno, sizeof(pl->serialno), "%s", v->serialno);

	/* package: its hash, as given or as a catalog gives it */
	if (o->want_sha256 == NULL && o->cat_hash != NULL)
		gate(pl, "package", GATE_OK, "%s %s as the catalog %s gives "
		    "for %s %s%s%s%s", o->cat_hash->sha256[0] &&
		    strcasecmp(o->cat_hash->sha256, p->sha256) == 0 ?
		    "SHA-256" : "MD5", o->cat_hash->sha256[0] &&
		    strcasecmp(o->cat_hash->sha256, p->sha256) == 0 ?
		    p->sha256 : p->md5, o->cat_hash->catalog,
		    o->cat_hash->name ? o->cat_hash->name :
		    o->cat_hash->codename, o->cat_hash->version,
		    o->cat_hash->region ? " (" : "", o->cat_hash->region ?
		    o->cat_hash->region : "", o->cat_hash->region ? ")" : "");
	else if (o->want_sha256 == NULL && o->cat_name != NULL)
		gate(pl, "package", GATE_FAIL, "the catalog %s gives %s for "
		    "%s, and this file's differs (SHA-256 %s, MD5 %s): a "
		    "damaged download or another package", o->cat_name->catalog,
		    o->cat_name->sha256[0] ? o->cat_name->sha256 :
		    o->cat_name->md5[0] ? o->cat_name->md5 : "no hash",
		    o->cat_name->file, p->sha256, p->md5);
	else if (o->want_sha256 == NULL)
		gate(pl, "package", GATE_FAIL, "no SHA-256 to check the "
		    "package against: give --sha256 (the vendor's), or add "
		    "the package to a catalog%s; this one's is %s",
		    o->cat_sample ? " (only a sample catalog knows it)" : "",
		    p->sha256);
	else if (strcasecmp(o->want_sha256, p->sha256) != 0)
		gate(pl, "package", GATE_FAIL, "SHA-256 is %s, not the "
		    "expected %s: a damaged or different package",
		    p->sha256, o->want_sha256);
	else
		gate(pl, "package", GATE_OK, "SHA-256 %s as expected",
		    p->sha256);

	/* product */
	snprintf(pl->pkg_product, sizeof(pl->pkg_product), "%s",
	    s.product[0] ? s.product : p->device);
	if (pl->pkg_product[0] == '\0')
		gate(pl, "product", GATE_FAIL, "the package does not say "
		    "which phone it is for (no product check, no misc.txt)");
	else if (v->product[0] == '\0')
		gate(pl, "product", GATE_FAIL, "the phone does not say its "
		    "product: cannot tell it is a %s", pl->pkg_product);
	else if (strcmp(pl->pkg_product, v->product) != 0)
		gate(pl, "product", GATE_FAIL, "the package is for %s, this "
		    "phone is %s: a ROM for another model can leave it "
		    "unbootable", pl->pkg_product, v->product);
	else if (s.product[0] && p->device[0] &&
	    strcmp(s.product, p->device) != 0)
		gate(pl, "product", GATE_WARN, "%s (misc.txt says %s)",
		    v->product, p->device);
	else
		gate(pl, "product", GATE_OK, "%s", v->product);

	/* rollback */
	pl->anti_pkg = pkg_anti(p, &s);
	pl->anti_phone = v->anti;
	if (s.anti_check || s.anti >= 0 || s.anti_file[0]) {
		int phone = v->anti >= 0 ? v->anti : 0;

		if (pl->anti_pkg < 0)
			gate(pl, "rollback", GATE_FAIL, "the package's "
			    "anti-rollback index does not read as a number");
		else if (phone > pl->anti_pkg)
			gate(pl, "rollback", GATE_FAIL, "the phone's "
			    "anti-rollback index is %d, the package's %d: an "
			    "older build on this phone is refused by its "
			    "bootloader and can brick it", phone,
			    pl->anti_pkg);
		else
			gate(pl, "rollback", GATE_OK, "phone %d%s, package %d",
			    phone, v->anti < 0 ? " (it does not say: 0)" : "",
			    pl->anti_pkg);
	} else if (v->anti > 0)
		gate(pl, "rollback", GATE_WARN, "the phone's anti-rollback "
		    "index is %d and the package does not say its own",
		    v->anti);

	gate_battery(pl, v, o->force);

	if (v->unlocked == 0)
		gate(pl, "bootloader", GATE_FAIL, "locked: the phone refuses "
		    "flashing until it is unlocked (unlocking erases user "
		    "data)");
	else if (v->unlocked == 1)
		gate(pl, "bootloader", GATE_OK, "unlocked");
	else
		gate(pl, "bootloader", GATE_WARN, "the phone does not say "
		    "whether it is unlocked");

	if (v->snapshot_update_status[0] != '\0' &&
	    strcmp(v->snapshot_update_status, "none") != 0) {
		struct rom_step *st = add(pl, OP_SNAPSHOT_CANCEL);

		snprintf(st->target, sizeof(st->target), "cancel");
		st->risk = "flash";
		st->checked = 1;
		gate(pl, "update", GATE_OK, "a system update is pending "
		    "(%s): it is cancelled first", v->snapshot_update_status);
	}

	/* the steps */
	for (size_t i = 0; i < s.n; i++) {
		const struct rs_step *rs = &s.steps[i];
		struct rom_step *st;
		int logical = 0;

		switch (rs->kind) {
		case RS_FLASH:
			st = add(pl, OP_FLASH);
			break;
		case RS_ERASE:
			st = add(pl, OP_ERASE);
			break;
		case RS_SET_ACTIVE:
			st = add(pl, OP_SET_ACTIVE);
			break;
		case RS_OEM_LOCK:
			st = add(pl, OP_OEM_LOCK);
			break;
		default:
			st = add(pl, OP_REBOOT);
			break;
		}
		st->line = rs->line;
		st->checked = rs->checked;
		snprintf(st->part, sizeof(st->part), "%s", rs->part);
		snprintf(st->file, sizeof(st->file), "%s", rs->file);
		if (rs->if_crc && strcmp(v->crc, "1") != 0) {
			st->skip = 1;
			snprintf(st->skip_why, sizeof(st->skip_why), "the "
			    "phone's crc is %s, not 1", v->crc[0] ? v->crc :
			    "not given");
		}
		if (rs->kind == RS_SET_ACTIVE) {
			snprintf(st->target, sizeof(st->target), "%s",
			    rs->part);
			st->risk = "boot";
			if (v->slot_count >= 0 && v->slot_count < 2 &&
			    !st->skip) {
				bad++;
				if (!first[0])
					snprintf(first, sizeof(first), "line "
					    "%d: set_active on a phone without "
					    "slots", rs->line);
			}
			continue;
		}
		if (rs->kind == RS_OEM_LOCK) {
			snprintf(st->target, sizeof(st->target), "lock");
			st->risk = "lock";
			pl->locks = 1;
			continue;
		}
		if (rs->kind == RS_REBOOT)
			continue;
		st->risk = wipes_data(rs->part) ? "user-data" : "flash";
		if (wipes_data(rs->part) && !st->skip)
			pl->wipes = 1;
		if (resolve(v, rs->part, st->target, sizeof(st->target),
		    &st->part_size, &logical, why, sizeof(why)) < 0) {
			if (st->skip)
				continue;
			bad++;
			if (!first[0])
				snprintf(first, sizeof(first), "line %d: %s",
				    rs->line, why);
			continue;
		}
		if (logical && !st->skip && v->is_userspace != 1) {
			bad++;
			if (!first[0])
				snprintf(first, sizeof(first), "line %d: %s "
				    "is a logical partition: the bootloader "
				    "cannot write it", rs->line, st->target);
		}
		if (rs->kind == RS_FLASH) {
			const struct rom_member *m = rompkg_member(p,
			    rs->file);

			if (m == NULL || !m->regular || m->size == 0) {
				if (st->skip)
					continue;
				bad++;
				if (!first[0])
					snprintf(first, sizeof(first), "line "
					    "%d: %s is %s", rs->line, rs->file,
					    m == NULL ? "not in the package" :
					    m->size == 0 ? "empty" :
					    "not a regular file");
				continue;
			}
			snprintf(st->entry, sizeof(st->entry), "%s", m->name);
			snprintf(st->sha256, sizeof(st->sha256), "%s",
			    m->sha256);
			st->size = m->size;
			st->expanded = m->expanded;
			if (!st->skip)
				pl->flash_bytes += m->size;
			if (st->part_size > 0 && st->expanded > st->part_size &&
			    !st->skip) {
				char a[32], b[32];

				fb_size_text(st->expanded, a, sizeof(a));
				fb_size_text(st->part_size, b, sizeof(b));
				bad++;
				if (!first[0])
					snprintf(first, sizeof(first), "line "
					    "%d: %s (%s) does not fit %s (%s)",
					    rs->line, rs->file, a, st->target,
					    b);
			}
		}
	}
	if (bad)
		gate(pl, "partitions", GATE_FAIL, "%s%s: the script would "
		    "stop there with the phone half-flashed", first,
		    bad > 1 ? " (and more)" : "");
	else
		gate(pl, "partitions", GATE_OK, "every partition is on the "
		    "phone, every image in the package and fits");

	if (pl->wipes || pl->locks) {
		const char *what = pl->wipes && pl->locks ? "erases user data "
		    "and relocks the bootloader" : pl->wipes ? "erases user "
		    "data" : "relocks the bootloader (which can erase user "
		    "data)";

		if (o->backup_id != NULL)
			gate(pl, "backup", GATE_OK, "it %s; backup %s was made "
			    "and verified in the last 12 hours", what,
			    o->backup_id);
		else if (o->without_backup)
			gate(pl, "backup", GATE_WARN, "it %s and there is no "
			    "recent backup: going on without one, as asked "
			    "(--without-backup)", what);
		else
			gate(pl, "backup", GATE_FAIL, "it %s: make a backup "
			    "first (droidmedic backup -s SERIAL, in adb mode), "
			    "or give --without-backup", what);
	}
	rs_script_free(&s);
	return 0;
}

void
romplan_free(struct rom_plan *pl)
{
	free(pl->steps);
	memset(pl, 0, sizeof(*pl));
}

size_t
romplan_parts(const struct rom_pkg *p, enum rom_choice choice,
    char (*names)[80], size_t max)
{
	enum rom_text t = choice_text(choice);
	struct rs_script s;
	char why[256];
	size_t n = 0;

	if (p->text[t] == NULL || rs_parse_xiaomi(p->text[t], p->textlen[t],
	    &s, why, sizeof(why)) < 0)
		return 0;
	for (size_t i = 0; i < s.n && n < max; i++) {
		const char *part = s.steps[i].part;
		size_t k = strlen(part), j;

		if (s.steps[i].kind != RS_FLASH && s.steps[i].kind != RS_ERASE)
			continue;
		if (k > 3 && strcmp(part + k - 3, "_ab") == 0)
			k -= 3;
		for (j = 0; j < n; j++)
			if (strncmp(names[j], part, k) == 0 &&
			    names[j][k] == '\0')
				break;
		if (j == n)
			snprintf(names[n++], 80, "%.*s", (int)k, part);
	}
	rs_script_free(&s);
	return n;
}

const char *
rom_op_name(enum rom_op op)
{
	switch (op) {
	case OP_FLASH:
		return "flash";
	case OP_ERASE:
		return "erase";
	case OP_SET_ACTIVE:
		return "set_active";
	case OP_OEM_LOCK:
		return "oem lock";
	case OP_REBOOT:
		return "reboot";
	default:
		return "snapshot-update";
	}
}

#define GATE_WRAP	180

static const char *
gate_word(enum gate_state st)
{
	return st == GATE_OK ? "ok" : st == GATE_WARN ? "WARN" : "REFUSED";
}

const struct rom_gate *
romplan_first_failed(const struct rom_plan *pl)
{
	for (int i = 0; i < pl->ngates; i++)
		if (pl->gates[i].st == GATE_FAIL)
			return &pl->gates[i];
	return NULL;
}

void
romplan_lines(const struct rom_plan *pl, const struct rom_pkg *p,
    void (*line)(void *ud, const char *text), void *ud)
{
	char buf[2048], a[32], b[32];
	size_t k = 0;

	snprintf(buf, sizeof(buf), "package %s: %s, %s, %zu members%s%s",
	    p->path, rompkg_kind_name(p->kind), p->format, p->n,
	    p->build[0] ? ", build " : "", p->build);
	line(ud, buf);
	snprintf(buf, sizeof(buf), "phone %s (serial %s); %s with %s%s%s",
	    pl->product[0] ? pl->product : "?", pl->serialno[0] ?
	    pl->serialno : "?", rom_choice_name(pl->choice), p->top,
	    pl->script, pl->wipes ? " - ERASES USER DATA" : "");
	line(ud, buf);
	for (int i = 0; i < pl->ngates; i++) {
		/* A long reason goes on over indented lines (a job's log
		 * line holds 255 bytes). */
		const char *w = pl->gates[i].why;
		int first = 1;

		do {
			size_t n = strlen(w);

			if (n > GATE_WRAP) {
				n = GATE_WRAP;
				while (n > GATE_WRAP / 2 && w[n] != ' ')
					n--;
			}
			if (first)
				snprintf(buf, sizeof(buf), "  gate %-10s %-7s "
				    "%.*s", pl->gates[i].name,
				    gate_word(pl->gates[i].st), (int)n, w);
			else
				snprintf(buf, sizeof(buf), "%26s%.*s", "",
				    (int)n, w);
			line(ud, buf);
			first = 0;
			w += n;
			while (*w == ' ')
				w++;
		} while (*w != '\0');
	}
	for (size_t i = 0; i < pl->n; i++) {
		const struct rom_step *s = &pl->steps[i];
		int m;

		if (!s->skip)
			k++;
		m = snprintf(buf, sizeof(buf), "  %s%-3zu %-10s %-22s",
		    s->skip ? "-" : " ", s->skip ? (size_t)0 : k,
		    rom_op_name(s->op), s->target[0] ? s->target : s->part);
		if (m < 0 || (size_t)m >= sizeof(buf))
			continue;
		if (s->op == OP_FLASH) {
			fb_size_text(s->size, a, sizeof(a));
			if (s->part_size > 0)
				fb_size_text(s->part_size, b, sizeof(b));
			else
				snprintf(b, sizeof(b), "?");
			m += snprintf(buf + m, sizeof(buf) - (size_t)m,
			    " %s (%s%s, partition %s)", s->file, a,
			    s->expanded != s->size ? " sparse" : "", b);
		}
		if ((size_t)m < sizeof(buf))
			snprintf(buf + m, sizeof(buf) - (size_t)m, "  [%s]%s%s",
			    s->risk, s->skip ? " skipped: " : "",
			    s->skip ? s->skip_why : "");
		line(ud, buf);
	}
	fb_size_text(pl->flash_bytes, a, sizeof(a));
	snprintf(buf, sizeof(buf), "%zu steps, %s of images%s", k, a,
	    pl->blocked ? "; REFUSED: nothing will be sent" : "");
	line(ud, buf);
}

cJSON *
romplan_json(const struct rom_plan *pl, const struct rom_pkg *p)
{
	cJSON *j = cJSON_CreateObject(), *a, *o;

	o = cJSON_AddObjectToObject(j, "package");
	cJSON_AddStringToObject(o, "path", p->path);
	cJSON_AddStringToObject(o, "kind", rompkg_kind_name(p->kind));
	cJSON_AddStringToObject(o, "format", p->format);
	cJSON_AddNumberToObject(o, "size", (double)p->file_size);
	cJSON_AddStringToObject(o, "sha256", p->sha256);
	cJSON_AddStringToObject(o, "md5", p->md5);
	cJSON_AddStringToObject(o, "device", p->device);
	cJSON_AddStringToObject(o, "build", p->build);
	cJSON_AddStringToObject(j, "choice", pl->choice == ROM_WIPE ? "wipe" :
	    pl->choice == ROM_WIPE_LOCK ? "lock" : "keep-data");
	cJSON_AddStringToObject(j, "script", pl->script);
	cJSON_AddStringToObject(j, "product", pl->product);
	cJSON_AddStringToObject(j, "serialno", pl->serialno);
	cJSON_AddStringToObject(j, "package_product", pl->pkg_product);
	if (pl->anti_pkg >= 0)
		cJSON_AddNumberToObject(j, "anti_package", pl->anti_pkg);
	if (pl->anti_phone >= 0)
		cJSON_AddNumberToObject(j, "anti_phone", pl->anti_phone);
	cJSON_AddBoolToObject(j, "wipes", pl->wipes);
	cJSON_AddBoolToObject(j, "locks", pl->locks);
	cJSON_AddBoolToObject(j, "blocked", pl->blocked);
	cJSON_AddNumberToObject(j, "flash_bytes", (double)pl->flash_bytes);
	a = cJSON_AddArrayToObject(j, "gates");
	for (int i = 0; i < pl->ngates; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "gate", pl->gates[i].name);
		cJSON_AddStringToObject(o, "state", pl->gates[i].st ==
		    GATE_OK ? "ok" : pl->gates[i].st == GATE_WARN ? "warn" :
		    "refused");
		cJSON_AddStringToObject(o, "why", pl->gates[i].why);
		cJSON_AddItemToArray(a, o);
	}
	a = cJSON_AddArrayToObject(j, "steps");
	for (size_t i = 0; i < pl->n; i++) {
		const struct rom_step *s = &pl->steps[i];

		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "op", rom_op_name(s->op));
		cJSON_AddStringToObject(o, "target", s->target);
		if (s->part[0])
			cJSON_AddStringToObject(o, "part", s->part);
		if (s->op == OP_FLASH) {
			cJSON_AddStringToObject(o, "file", s->file);
			cJSON_AddNumberToObject(o, "size", (double)s->size);
			cJSON_AddNumberToObject(o, "expanded",
			    (double)s->expanded);
			if (s->sha256[0])
				cJSON_AddStringToObject(o, "sha256",
				    s->sha256);
		}
		if (s->part_size > 0)
			cJSON_AddNumberToObject(o, "partition_size",
			    (double)s->part_size);
		cJSON_AddStringToObject(o, "risk", s->risk);
		if (s->line > 0)
			cJSON_AddNumberToObject(o, "line", s->line);
		if (s->skip)
			cJSON_AddStringToObject(o, "skipped", s->skip_why);
		cJSON_AddItemToArray(a, o);
	}
	return j;
}
