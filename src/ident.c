/* ident.c - a phone's identity from its own outputs (see ident.h).
 *
 * ident_from_props() reads one property list (getprop of a live phone,
 * or build.prop files merged with props_android_derive()); the battery
 * and df readers take the raw text of those commands.  Which command to
 * run, and when, is the ADB side's business; showing the result is the
 * dashboard's.  Pure functions on caller-owned memory, any thread. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "ident.h"
#include "props.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define TEXT_MAX	(8u << 20)	/* battery / df text looked at */
#define TEXT_LINE	1024

static void bat_reset(struct ident_battery *b);

/* ---- small helpers ---- */

/* Copy, cut to fit without splitting a UTF-8 character. */
static void
cpy(char *dst, size_t size, const char *src)
{
	size_t n;

	if (size == 0)
		return;
	if (src == NULL)
		src = "";
	n = strlen(src);
	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

#define CPY(dst, src)	cpy((dst), sizeof(dst), (src))

/* Append, cut the same way. */
static void
cat(char *dst, size_t size, const char *src)
{
	size_t n = strlen(dst);

	if (n < size)
		cpy(dst + n, size - n, src);
}

#define CAT(dst, src)	cat((dst), sizeof(dst), (src))

/* Fill dst (and src, the key used) from the first non-empty key. */
static void
take(const struct props *p, const char *const *keys, char *dst,
    size_t size, char *src, size_t srcsize)
{
	const char *which = NULL, *v = props_first(p, keys, &which);

	cpy(dst, size, v);
	if (src != NULL)
		cpy(src, srcsize, v ? which : "");
}

#define TAKE(keys, dst)	take(p, (keys), (dst), sizeof(dst), NULL, 0)
#define TAKE_SRC(keys, dst, src) \
	take(p, (keys), (dst), sizeof(dst), (src), sizeof(src))

static int
tri(const char *v)
{
	if (v == NULL)
		return -1;
	if (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
	    strcasecmp(v, "yes") == 0)
		return 1;
	if (strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 ||
	    strcasecmp(v, "no") == 0)
		return 0;
	return -1;
}

/* A whole decimal integer in [lo, hi], else IDENT_NONE. */
static long long
num(const char *v, long long lo, long long hi)
{
	long long n = 0;
	int neg = 0, digits = 0;

	if (v == NULL)
		return IDENT_NONE;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '-' || *v == '+')
		neg = *v++ == '-';
	for (; *v >= '0' && *v <= '9'; v++, digits++) {
		if (n > (hi > -lo ? hi : -lo) / 10)
			return IDENT_NONE;
		n = n * 10 + (*v - '0');
	}
	while (*v == ' ' || *v == '\t' || *v == '\r')
		v++;
	if (digits == 0 || *v != '\0')
		return IDENT_NONE;
	if (neg)
		n = -n;
	return n < lo || n > hi ? IDENT_NONE : n;
}

static int
num_int(const char *v)
{
	return (int)num(v, -2000000000LL, 2000000000LL);
}

/* First non-empty item of a comma list ("Ncell,Namaste"). */
static void
first_item(char *dst, size_t size, const char *list)
{
	const char *s = list, *e;

	cpy(dst, size, "");
	if (s == NULL)
		return;
	for (;;) {
		size_t n;

		while (*s == ' ')
			s++;
		e = strchr(s, ',');
		n = e ? (size_t)(e - s) : strlen(s);
		while (n > 0 && s[n - 1] == ' ')
			n--;
		if (n > 0) {
			char tmp[IDENT_LONG];

			if (n >= sizeof(tmp)) {
				n = sizeof(tmp) - 1;
				while (n > 0 &&
				    ((unsigned char)s[n] & 0xc0) == 0x80)
					n--;
			}
			memcpy(tmp, s, n);
			tmp[n] = '\0';
			cpy(dst, size, tmp);
			return;
		}
		if (e == NULL)
			return;
		s = e + 1;
	}
}

static int
has_prefix_ci(const char *s, const char *pre)
{
	return strncasecmp(s, pre, strlen(pre)) == 0;
}

/* s starts with word w (case aside), followed by a space or the end. */
static int
starts_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	return n > 0 && strncasecmp(s, w, n) == 0 &&
	    (s[n] == '\0' || s[n] == ' ');
}

static void
upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

/* "global" -> "Global", "eea"/"eu" -> "EEA", "cn" -> "CN". */
static void
norm_region(char *dst, size_t size, const char *v)
{
	if (strcasecmp(v, "global") == 0)
		cpy(dst, size, "Global");
	else if (strcasecmp(v, "eea") == 0 || strcasecmp(v, "eu") == 0)
		cpy(dst, size, "EEA");
	else {
		cpy(dst, size, v);
		upper(dst);
	}
}

/* ---- Xiaomi naming ---- */

/* Suffixes of ro.product.mod_device and what market each means (NULL:
 * a ROM flavour, not a market). */
static const struct {
	const char *tok;
	const char *region;
} mod_suffixes[] = {
	{ "global", "Global" }, { "eea", "EEA" }, { "eu", "EEA" },
	{ "ru", "RU" }, { "in", "IN" }, { "tw", "TW" }, { "id", "ID" },
	{ "tr", "TR" }, { "jp", "JP" }, { "kr", "KR" }, { "cn", "CN" },
	{ "xiaomieu", NULL },
};

/* Split "beryl_global" into base "beryl" and market "Global";
 * "psyche_xiaomieu_global" gives "psyche" and "Global", "x_in_global"
 * gives "IN" (the country beats "global"). */
static void
mod_device_split(const char *mod, char *base, size_t bsize, char *region,
    size_t rsize)
{
	char tmp[IDENT_STR];
	const char *best = NULL;
	char *us;

	cpy(tmp, sizeof(tmp), mod);
	while ((us = strrchr(tmp, '_')) != NULL && us != tmp) {
		size_t i;

		for (i = 0; i < NELEM(mod_suffixes); i++)
			if (strcmp(us + 1, mod_suffixes[i].tok) == 0)
				break;
		if (i == NELEM(mod_suffixes))
			break;
		if (mod_suffixes[i].region != NULL && (best == NULL ||
		    strcmp(best, "Global") == 0))
			best = mod_suffixes[i].region;
		*us = '\0';
	}
	cpy(base, bsize, tmp);
	cpy(region, rsize, best);
}

/* Market from a Xiaomi version: "V13.0.5.0.SLDCNXM", "OS2.0.211.0.VOQMIXM"
 * end in [Android letter][2-letter device][2-letter market]XM. */
static int
xiaomi_incr_region(const char *v, char *dst, size_t size)
{
	const char *dot = v ? strrchr(v, '.') : NULL;
	char code[3];

	if (dot == NULL || strlen(dot + 1) != 7 || strcmp(dot + 6, "XM") != 0)
		return 0;
	for (int i = 1; i <= 7; i++)
		if (dot[i] < 'A' || dot[i] > 'Z')
			return 0;
	if (!(has_prefix_ci(v, "V") || has_prefix_ci(v, "OS")))
		return 0;
	/* [1] Android, [2..3] device, [4..5] market, [6..7] "XM" */
	code[0] = dot[4];
	code[1] = dot[5];
	code[2] = '\0';
	if (strcmp(code, "MI") == 0)
		cpy(dst, size, "Global");
	else if (strcmp(code, "EU") == 0)
		cpy(dst, size, "EEA");
	else
		cpy(dst, size, code);
	return 1;
}

/* ---- the fields ---- */

static void
ident_name(struct dev_identity *id)
{
	const char *brand = id->brand[0] ? id->brand : id->manufacturer;
	char cap[IDENT_STR];
	int lower = 1;

	cpy(cap, sizeof(cap), brand);
	for (const char *s = cap; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			lower = 0;
	if (lower && cap[0] >= 'a' && cap[0] <= 'z')
		cap[0] = (char)(cap[0] - 'a' + 'A');	/* "samsung" */

	if (id->marketname[0] != '\0') {
		if (cap[0] == '\0' || starts_word(id->marketname, id->brand) ||
		    starts_word(id->marketname, id->manufacturer)) {
			CPY(id->name, id->marketname);
		} else {
			CPY(id->name, cap);
			CAT(id->name, " ");
			CAT(id->name, id->marketname);
		}
	} else if (id->model[0] != '\0') {
		if (cap[0] == '\0' || starts_word(id->model, brand)) {
			CPY(id->name, id->model);
		} else {
			CPY(id->name, cap);
			CAT(id->name, " ");
			CAT(id->name, id->model);
		}
	} else {
		CPY(id->name, cap);
	}
}

static void
ident_region(struct dev_identity *id, const struct props *p)
{
	static const char *const samsung[] = {
		"ro.csc.sales_code", "ro.boot.sales_code", NULL
	};
	static const char *const samsung_late[] = {
		"persist.sys.prev_salescode", "ro.boot.carrierid", NULL
	};
	static const char *const country[] = {
		"ro.miui.region", "ro.csc.countryiso_code",
		"ro.csc.country_code", NULL
	};
	static const char *const incr[] = {
		"ro.mi.os.version.incremental", "ro.build.version.incremental",
		NULL
	};
	const char *v, *which = NULL;
	char base[IDENT_STR], reg[32];

	v = props_get(p, "ro.boot.hwc");
	if (v != NULL && *v != '\0')
		norm_region(id->hw_region, sizeof(id->hw_region), v);
	v = props_first(p, country, NULL);
	if (v != NULL) {
		CPY(id->country, v);
		upper(id->country);
	}

	/* The firmware's market first: it decides which ROM fits. */
	v = props_get(p, "ro.miui.build.region");
	if (v != NULL && *v != '\0') {
		norm_region(id->region, sizeof(id->region), v);
		CPY(id->region_src, "ro.miui.build.region");
		return;
	}
	if (id->mod_device[0] != '\0') {
		mod_device_split(id->mod_device, base, sizeof(base), reg,
		    sizeof(reg));
		if (reg[0] != '\0') {
			CPY(id->region, reg);
			CPY(id->region_src, "ro.product.mod_device");
			return;
		}
	}
	for (size_t i = 0; incr[i] != NULL; i++)
		if (xiaomi_incr_region(props_get(p, incr[i]), id->region,
		    sizeof(id->region))) {
			CPY(id->region_src, incr[i]);
			return;
		}
	v = props_first(p, samsung, &which);
	if (v == NULL) {
		/* "/prism/etc/carriers/single/EUX": the CSC is the tail. */
		const char *path = props_get(p, "persist.sys.omc_etcpath");
		const char *slash = path ? strrchr(path, '/') : NULL;

		if (slash != NULL && slash[1] != '\0') {
			v = slash + 1;
			which = "persist.sys.omc_etcpath";
		}
	}
	if (v == NULL)
		v = props_first(p, samsung_late, &which);
	if (v != NULL) {
		CPY(id->region, v);
		upper(id->region);
		CPY(id->region_src, which);
		return;
	}
	if (id->hw_region[0] != '\0') {
		CPY(id->region, id->hw_region);
		CPY(id->region_src, "ro.boot.hwc");
	}
}

/* "V130" -> "13", "V125" -> "12.5", "V12" -> "12". */
static void
miui_version(const char *v, char *dst, size_t size)
{
	size_t n;

	if (*v == 'V' || *v == 'v')
		v++;
	n = strlen(v);
	if (n == 3 && strspn(v, "0123456789") == 3 && v[0] == '1') {
		if (v[2] == '0')
			snprintf(dst, size, "%.2s", v);
		else
			snprintf(dst, size, "%.2s.%c", v, v[2]);
	} else {
		cpy(dst, size, v);
	}
}

static void
ident_os(struct dev_identity *id, const struct props *p)
{
	static const char *const mi_os_build[] = {
		"ro.mi.os.version.incremental", "ro.build.version.incremental",
		NULL
	};
	static const char *const sam_build[] = {
		"ro.build.PDA", "ro.build.version.incremental", NULL
	};
	const char *mi_os = props_get(p, "ro.mi.os.version.name");
	const char *miui = props_get(p, "ro.miui.ui.version.name");
	const char *oneui = props_get(p, "ro.build.version.oneui");
	const char *v;
	long long code;

	if (mi_os != NULL && *mi_os != '\0') {
		CPY(id->skin, "HyperOS");
		CPY(id->skin_version, has_prefix_ci(mi_os, "OS") ?
		    mi_os + 2 : mi_os);
		TAKE(mi_os_build, id->skin_build);
	} else if (miui != NULL && *miui != '\0') {
		/* V816 and up name HyperOS builds, whatever their number. */
		code = num(miui[0] == 'V' ? miui + 1 : miui, 0, 100000);
		if (code != IDENT_NONE && code >= 800) {
			CPY(id->skin, "HyperOS");
		} else {
			CPY(id->skin, "MIUI");
			miui_version(miui, id->skin_version,
			    sizeof(id->skin_version));
		}
		CPY(id->skin_build,
		    props_str(p, "ro.build.version.incremental"));
	} else if ((code = num(oneui, 1, 999999)) != IDENT_NONE) {
		/* 80500 -> 8.5, 60101 -> 6.1.1 */
		int maj = (int)(code / 10000), min = (int)(code / 100 % 100);
		int pat = (int)(code % 100);

		CPY(id->skin, "One UI");
		if (pat != 0)
			snprintf(id->skin_version, sizeof(id->skin_version),
			    "%d.%d.%d", maj, min, pat);
		else
			snprintf(id->skin_version, sizeof(id->skin_version),
			    "%d.%d", maj, min);
		TAKE(sam_build, id->skin_build);
	}

	if ((v = props_get(p, "ro.crdroid.build.version")) != NULL &&
	    *v != '\0') {
		CPY(id->rom, "crDroid");
		CPY(id->rom_version, v);
	} else if ((v = props_get(p, "ro.lineage.build.version")) != NULL &&
	    *v != '\0') {
		CPY(id->rom, "LineageOS");
		CPY(id->rom_version, v);
	} else if ((v = props_get(p, "ro.modversion")) != NULL && *v != '\0') {
		if (strstr(v, "xiaomi.eu") != NULL)
			CPY(id->rom, "xiaomi.eu");
		else
			CPY(id->rom, v);
	}

	/* "MIUI 13 (xiaomi.eu)", "HyperOS 2.0", "crDroid 11.4" */
	CPY(id->os, id->skin);
	if (id->skin_version[0] != '\0') {
		CAT(id->os, " ");
		CAT(id->os, id->skin_version);
	}
	if (id->rom[0] != '\0') {
		CAT(id->os, id->skin[0] ? " (" : "");
		CAT(id->os, id->rom);
		if (id->rom_version[0] != '\0') {
			CAT(id->os, " ");
			CAT(id->os, id->rom_version);
		}
		CAT(id->os, id->skin[0] ? ")" : "");
	}
}

static void
ident_lock(struct dev_identity *id, const struct props *p)
{
	const char *vbmeta = props_get(p, "ro.boot.vbmeta.device_state");
	const char *flash = props_get(p, "ro.boot.flash.locked");
	const char *vbs = props_get(p, "ro.boot.verifiedbootstate");

	CPY(id->vb_state, vbs);
	CPY(id->vbmeta_state, vbmeta);
	id->lock = IDENT_LOCK_UNKNOWN;
	if (vbmeta != NULL && (strcmp(vbmeta, "locked") == 0 ||
	    strcmp(vbmeta, "unlocked") == 0)) {
		id->lock = vbmeta[0] == 'l' ? IDENT_LOCK_LOCKED :
		    IDENT_LOCK_UNLOCKED;
		CPY(id->lock_src, "ro.boot.vbmeta.device_state");
	} else if (tri(flash) >= 0) {
		id->lock = tri(flash) ? IDENT_LOCK_LOCKED :
		    IDENT_LOCK_UNLOCKED;
		CPY(id->lock_src, "ro.boot.flash.locked");
	} else if (vbs != NULL && (strcmp(vbs, "green") == 0 ||
	    strcmp(vbs, "yellow") == 0 || strcmp(vbs, "orange") == 0)) {
		/* Green and yellow need a locked bootloader; orange means
		 * unlocked.  Red says verification failed, not the lock. */
		id->lock = vbs[0] == 'o' ? IDENT_LOCK_UNLOCKED :
		    IDENT_LOCK_LOCKED;
		CPY(id->lock_src, "ro.boot.verifiedbootstate");
	}
	id->oem_unlock_allowed = tri(props_get(p, "sys.oem_unlock_allowed"));
}

static enum ident_boot
boot_kind(const char *m)
{
	static const char *const factory[] = {
		"ffbm", "qmmi", "factory", "meta", "ate", "ftm", "kernel_ate",
		NULL
	};

	if (*m == '\0')
		return IDENT_BOOT_UNKNOWN;
	if (strcmp(m, "normal") == 0 || strcmp(m, "unknown") == 0 ||
	    strcmp(m, "reboot") == 0)
		return IDENT_BOOT_NORMAL;
	if (strcmp(m, "charger") == 0)
		return IDENT_BOOT_CHARGER;
	if (strcmp(m, "recovery") == 0)
		return IDENT_BOOT_RECOVERY;
	for (int i = 0; factory[i] != NULL; i++)
		if (has_prefix_ci(m, factory[i]))
			return IDENT_BOOT_FACTORY;
	return IDENT_BOOT_OTHER;
}

static void
ident_boot(struct dev_identity *id, const struct props *p)
{
	const char *bm = props_get(p, "ro.bootmode");
	const char *bm2 = props_get(p, "ro.boot.mode");
	const char *slot = props_str(p, "ro.boot.slot_suffix");
	const char *fb = props_get(p, "ro.factory.factory_binary");

	/* init copies androidboot.mode into ro.bootmode, "unknown" when
	 * the bootloader gave none; ro.boot.mode is the raw one. */
	if (bm != NULL && *bm != '\0' &&
	    (strcmp(bm, "unknown") != 0 || bm2 == NULL || *bm2 == '\0')) {
		CPY(id->boot_mode, bm);
		CPY(id->boot_mode_src, "ro.bootmode");
	} else if (bm2 != NULL && *bm2 != '\0') {
		CPY(id->boot_mode, bm2);
		CPY(id->boot_mode_src, "ro.boot.mode");
	}
	id->boot = boot_kind(id->boot_mode);
	id->boot_completed = tri(props_get(p, "sys.boot_completed"));
	if (fb != NULL && *fb != '\0')
		id->factory_binary = strcasecmp(fb, "factory") == 0;
	CPY(id->slot, slot[0] == '_' ? slot + 1 : slot);
	id->ab = tri(props_get(p, "ro.build.ab_update"));
	id->dynamic_partitions = tri(props_get(p,
	    "ro.boot.dynamic_partitions"));
}

void
ident_init(struct dev_identity *id)
{
	if (id == NULL)
		return;
	memset(id, 0, sizeof(*id));
	id->sdk = id->first_sdk = IDENT_NONE;
	id->oem_unlock_allowed = id->warranty_bit = id->debuggable = -1;
	id->ab = id->dynamic_partitions = id->boot_completed = -1;
	id->factory_binary = -1;
	bat_reset(&id->battery);
	id->storage.use_pct = IDENT_NONE;
}

int
ident_from_props(struct dev_identity *id, const struct props *p)
{
	static const char *const market[] = {
		"ro.product.marketname", "ro.product.vendor.marketname",
		"ro.product.odm.marketname", "ro.product.product.marketname",
		"ro.vendor.oplus.market.name", "ro.config.marketing_name",
		NULL
	};
	static const char *const serial[] = {
		"ro.serialno", "ro.boot.serialno", NULL
	};
	static const char *const fpkeys[] = {
		"ro.build.fingerprint", "ro.system.build.fingerprint",
		"ro.vendor.build.fingerprint", "ro.odm.build.fingerprint",
		"ro.product.build.fingerprint", NULL
	};
	static const char *const release[] = {
		"ro.build.version.release",
		"ro.build.version.release_or_codename",
		"ro.build.version.release_or_preview_display", NULL
	};
	static const char *const carrier[] = {
		"gsm.sim.operator.alpha", "gsm.operator.alpha", NULL
	};
	static const char *const bootloader[] = {
		"ro.bootloader", "ro.boot.bootloader", NULL
	};
	static const char *const hardware[] = {
		"ro.hardware", "ro.boot.hardware", NULL
	};
	static const char *const warranty[] = {
		"ro.boot.warranty_bit", "ro.warranty_bit", NULL
	};
	static const char *const locale[] = {
		"persist.sys.locale", "ro.product.locale", NULL
	};
	struct ident_battery bat;
	struct ident_storage sto;
	const char *v;
	char base[IDENT_STR], reg[32];

	if (id == NULL || p == NULL)
		return DM_EINVAL;
	bat = id->battery;
	sto = id->storage;
	ident_init(id);
	id->battery = bat;
	id->storage = sto;

	/* Per-partition ro.product.* as init resolves them: the odm and
	 * vendor images know the device, system may be a generic one. */
	CPY(id->brand, props_product(p, "brand", NULL));
	CPY(id->manufacturer, props_product(p, "manufacturer", NULL));
	CPY(id->model, props_product(p, "model", NULL));
	CPY(id->device, props_product(p, "device", NULL));
	CPY(id->product, props_product(p, "name", NULL));
	if (id->device[0] == '\0')
		CPY(id->device, props_str(p, "ro.build.product"));
	TAKE(market, id->marketname);
	CPY(id->board, props_str(p, "ro.product.board"));
	CPY(id->mod_device, props_str(p, "ro.product.mod_device"));
	CPY(id->codename, id->device);
	if (id->mod_device[0] != '\0') {
		mod_device_split(id->mod_device, base, sizeof(base), reg,
		    sizeof(reg));
		if (base[0] != '\0')
			CPY(id->codename, base);
	}
	TAKE(serial, id->serial);
	ident_name(id);

	ident_region(id, p);
	/* Lists, one item per SIM: "3," or ",Jio" may have empty items. */
	for (int i = 0; carrier[i] != NULL; i++) {
		first_item(id->carrier, sizeof(id->carrier),
		    props_get(p, carrier[i]));
		if (id->carrier[0] != '\0') {
			CPY(id->carrier_src, carrier[i]);
			break;
		}
	}
	CPY(id->sim_state, props_str(p, "gsm.sim.state"));

	TAKE_SRC(fpkeys, id->fingerprint, id->fingerprint_src);
	TAKE(release, id->android);
	id->sdk = num_int(props_get(p, "ro.build.version.sdk"));
	id->first_sdk = num_int(props_get(p, "ro.product.first_api_level"));
	CPY(id->security_patch,
	    props_str(p, "ro.build.version.security_patch"));
	CPY(id->vendor_patch, props_str(p, "ro.vendor.build.security_patch"));
	CPY(id->build_id, props_str(p, "ro.build.id"));
	CPY(id->incremental, props_str(p, "ro.build.version.incremental"));
	CPY(id->display_id, props_str(p, "ro.build.display.id"));
	CPY(id->build_type, props_str(p, "ro.build.type"));
	CPY(id->build_tags, props_str(p, "ro.build.tags"));
	CPY(id->build_date, props_str(p, "ro.build.date"));
	ident_os(id, p);
	first_item(id->baseband, sizeof(id->baseband),
	    props_get(p, "gsm.version.baseband"));
	v = props_first(p, bootloader, NULL);
	if (v != NULL && strcmp(v, "unknown") != 0)
		CPY(id->bootloader, v);

	ident_lock(id, p);
	id->warranty_bit = tri(props_first(p, warranty, NULL));
	id->debuggable = tri(props_get(p, "ro.debuggable"));
	v = props_get(p, "ro.crypto.state");
	if (v != NULL && *v != '\0') {
		const char *t = props_str(p, "ro.crypto.type");

		CPY(id->encryption, v);
		if (*t != '\0') {
			CAT(id->encryption, " (");
			CAT(id->encryption, t);
			CAT(id->encryption, ")");
		}
	}

	ident_boot(id, p);

	TAKE(hardware, id->hardware);
	CPY(id->platform, props_str(p, "ro.board.platform"));
	CPY(id->soc_maker, props_str(p, "ro.soc.manufacturer"));
	CPY(id->soc_model, props_str(p, "ro.soc.model"));
	CPY(id->abi, props_str(p, "ro.product.cpu.abi"));
	TAKE(locale, id->locale);
	return 0;
}

/* ---- text, line by line ---- */

struct lines {
	const char *s;
	size_t n, i;
	char buf[TEXT_LINE];
};

/* Next line, NUL-terminated and cut to fit, without CR/LF; NULs in the
 * text become spaces.  NULL at the end. */
static char *
lines_next(struct lines *l)
{
	size_t k = 0;

	if (l->i >= l->n)
		return NULL;
	while (l->i < l->n && l->s[l->i] != '\n') {
		char c = l->s[l->i++];

		if (k < sizeof(l->buf) - 1)
			l->buf[k++] = c ? c : ' ';
	}
	l->i++;
	while (k > 0 && l->buf[k - 1] == '\r')
		k--;
	l->buf[k] = '\0';
	return l->buf;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* ---- dumpsys battery ---- */

static const char *const bat_status[] = {
	NULL, "unknown", "charging", "discharging", "not charging", "full"
};
static const char *const bat_health[] = {
	NULL, "unknown", "good", "overheat", "dead", "over voltage",
	"failure", "cold"
};

static void
bat_reset(struct ident_battery *b)
{
	memset(b, 0, sizeof(*b));
	b->present = b->ac = b->usb = b->wireless = b->dock = -1;
	b->level = b->scale = b->percent = b->status = b->health =
	    b->temp_dc = b->voltage_mv = b->current_now = IDENT_NONE;
	b->charge_uah = IDENT_NONE;
}

static void
set_once(int *dst, int v)
{
	if (*dst == IDENT_NONE)
		*dst = v;
}

static void
set_tri_once(int *dst, const char *v)
{
	if (*dst == -1)
		*dst = tri(v);
}

int
ident_battery_parse(struct ident_battery *b, const char *text, size_t len)
{
	struct lines *l;
	char *line;
	int seen = 0;

	if (b == NULL)
		return DM_EINVAL;
	bat_reset(b);
	if (text == NULL)
		return DM_EINVAL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return DM_ENOMEM;
	l->s = text;
	l->n = len < TEXT_MAX ? len : TEXT_MAX;
	while ((line = lines_next(l)) != NULL) {
		char *colon = strchr(line, ':'), *k, *v;
		int known = 1;

		if (colon == NULL)
			continue;
		*colon = '\0';
		k = trim(line);
		v = trim(colon + 1);
		if (strcasecmp(k, "AC powered") == 0)
			set_tri_once(&b->ac, v);
		else if (strcasecmp(k, "USB powered") == 0)
			set_tri_once(&b->usb, v);
		else if (strcasecmp(k, "Wireless powered") == 0)
			set_tri_once(&b->wireless, v);
		else if (strcasecmp(k, "Dock powered") == 0)
			set_tri_once(&b->dock, v);
		else if (strcasecmp(k, "present") == 0)
			set_tri_once(&b->present, v);
		else if (strcasecmp(k, "status") == 0)
			set_once(&b->status, num_int(v));
		else if (strcasecmp(k, "health") == 0)
			set_once(&b->health, num_int(v));
		else if (strcasecmp(k, "level") == 0)
			set_once(&b->level, num_int(v));
		else if (strcasecmp(k, "scale") == 0)
			set_once(&b->scale, num_int(v));
		else if (strcasecmp(k, "voltage") == 0)
			set_once(&b->voltage_mv, num_int(v));
		else if (strcasecmp(k, "temperature") == 0)
			set_once(&b->temp_dc, num_int(v));
		else if (strcasecmp(k, "current now") == 0)
			set_once(&b->current_now, num_int(v));
		else if (strcasecmp(k, "Charge counter") == 0) {
			if (b->charge_uah == IDENT_NONE)
				b->charge_uah = num(v, 0, 1LL << 50);
		} else if (strcasecmp(k, "technology") == 0) {
			if (b->technology[0] == '\0')
				CPY(b->technology, v);
		} else
			known = 0;
		seen += known;
	}
	free(l);
	if (b->voltage_mv != IDENT_NONE && b->voltage_mv > 100000)
		b->voltage_mv /= 1000;	/* some print microvolts */
	else if (b->voltage_mv != IDENT_NONE && b->voltage_mv > 0 &&
	    b->voltage_mv < 100)
		b->voltage_mv *= 1000;	/* old ones print volts */
	if (b->level != IDENT_NONE && b->level >= 0) {
		int scale = b->scale != IDENT_NONE && b->scale > 0 ?
		    b->scale : 100;

		b->percent = (int)((long long)b->level * 100 / scale);
		if (b->percent > 100)
			b->percent = 100;
	}
	if (b->status != IDENT_NONE && b->status > 0 &&
	    (size_t)b->status < NELEM(bat_status))
		CPY(b->status_text, bat_status[b->status]);
	if (b->health != IDENT_NONE && b->health > 0 &&
	    (size_t)b->health < NELEM(bat_health))
		CPY(b->health_text, bat_health[b->health]);
	b->valid = seen > 0;
	return b->valid ? 0 : DM_EINVAL;
}

/* ---- df ---- */

#define DF_TOK	16

struct dfcols {
	int fs, size, used, avail, pct, mount;
	long long unit;		/* bytes per number; 0: "228G" style */
	int header;
};

/* "228G" "3.3M" "0" "596K" (powers of 1024) -> bytes; -1 if not one. */
static long long
df_human(const char *s)
{
	unsigned long long whole = 0, frac = 0, fdiv = 1, mul = 1;
	int digits = 0;

	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (whole > (1ULL << 40))
			return -1;
		whole = whole * 10 + (unsigned)(*s - '0');
	}
	if (*s == '.' || *s == ',') {
		for (s++; *s >= '0' && *s <= '9'; s++, digits++)
			if (fdiv < 1000000) {
				frac = frac * 10 + (unsigned)(*s - '0');
				fdiv *= 10;
			}
	}
	if (digits == 0)
		return -1;
	switch (*s) {
	case 'K': case 'k': mul = 1ULL << 10; s++; break;
	case 'M': case 'm': mul = 1ULL << 20; s++; break;
	case 'G': case 'g': mul = 1ULL << 30; s++; break;
	case 'T': case 't': mul = 1ULL << 40; s++; break;
	case 'P': case 'p': mul = 1ULL << 50; s++; break;
	case 'B': case '\0': break;
	default: return -1;
	}
	if (*s == 'i')
		s++;
	if (*s == 'B')
		s++;
	if (*s != '\0' || whole > (1ULL << 62) / mul)
		return -1;
	/* frac/fdiv of mul, without overflowing */
	return (long long)(whole * mul + mul / fdiv * frac +
	    mul % fdiv * frac / fdiv);
}

static long long
df_size(const char *s, long long unit)
{
	long long n;

	if (unit == 0)
		return df_human(s);
	n = num(s, 0, 1LL << 52);
	if (n == IDENT_NONE || n > (1LL << 62) / unit)
		return -1;
	return n * unit;
}

static int
df_rank(const char *mount)
{
	static const char *const order[] = {
		"/data", "/storage/emulated", "/data/media",
		"/storage/emulated/0", "/sdcard", NULL
	};

	for (int i = 0; order[i] != NULL; i++)
		if (strcmp(mount, order[i]) == 0)
			return i;
	return -1;
}

static void
df_header(struct dfcols *c, char **tok, int ntok)
{
	c->fs = 0;
	c->size = c->used = c->avail = c->pct = c->mount = -1;
	c->unit = 0;
	c->header = 1;
	for (int i = 0; i < ntok; i++) {
		const char *t = tok[i];
		char *end;
		long blk;

		if (strcasecmp(t, "Size") == 0) {
			c->size = i;
		} else if (strstr(t, "-blocks") != NULL) {
			/* "1K-blocks", "1k-blocks", "1024-blocks" */
			blk = strtol(t, &end, 10);
			/* Bounded before scaling: a hostile "9999999999K"
			 * would overflow. */
			if (blk < 0 || blk > (1L << 20))
				blk = 0;
			else if (*end == 'K' || *end == 'k')
				blk *= 1024;
			c->size = i;
			c->unit = blk > 0 && blk <= (1L << 20) ? blk : 1024;
		} else if (strcasecmp(t, "Used") == 0) {
			c->used = i;
		} else if (strcasecmp(t, "Avail") == 0 ||
		    strcasecmp(t, "Available") == 0 ||
		    strcasecmp(t, "Free") == 0) {
			c->avail = i;
		} else if (strcasecmp(t, "Use%") == 0 ||
		    strcasecmp(t, "Capacity") == 0) {
			c->pct = i;
		} else if (strcasecmp(t, "Mounted") == 0) {
			c->mount = i;
		}
	}
	/* Old toolbox df: "Filesystem Size Used Free Blksize", and its
	 * first column is the mount point. */
	if (c->mount < 0) {
		c->mount = 0;
		c->fs = -1;
	}
}

int
ident_storage_parse(struct ident_storage *s, const char *text, size_t len)
{
	/* toybox's columns until a header says otherwise */
	struct dfcols c = { 0, 1, 2, 3, 4, 5, 0, 0 };
	struct lines *l;
	char *line, pending[64] = "";
	int best = 99;

	if (s == NULL)
		return DM_EINVAL;
	memset(s, 0, sizeof(*s));
	s->use_pct = IDENT_NONE;
	if (text == NULL)
		return DM_EINVAL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return DM_ENOMEM;
	l->s = text;
	l->n = len < TEXT_MAX ? len : TEXT_MAX;
	while ((line = lines_next(l)) != NULL) {
		char *tok[DF_TOK + 1], *save = NULL, *t, held[64];
		long long size, used, avail, pct = IDENT_NONE;
		long long unit;
		int ntok = 0, rank, maxcol;

		if (pending[0] != '\0') {
			CPY(held, pending);
			tok[ntok++] = held;
		}
		for (t = strtok_r(line, " \t", &save); t != NULL &&
		    ntok < DF_TOK; t = strtok_r(NULL, " \t", &save))
			tok[ntok++] = t;
		if (ntok == 0)
			continue;
		if (strcasecmp(tok[0], "Filesystem") == 0) {
			df_header(&c, tok, ntok);
			pending[0] = '\0';
			continue;
		}
		/* busybox puts a long filesystem name alone on a line */
		if (ntok == 1 && c.fs == 0 && pending[0] == '\0') {
			CPY(pending, tok[0]);
			continue;
		}
		pending[0] = '\0';
		maxcol = c.mount;
		if (c.size > maxcol)
			maxcol = c.size;
		if (c.used > maxcol)
			maxcol = c.used;
		if (c.avail > maxcol)
			maxcol = c.avail;
		if (c.pct > maxcol)
			maxcol = c.pct;
		if (c.size < 0 || c.used < 0 || c.avail < 0 || ntok <= maxcol)
			continue;
		rank = df_rank(tok[c.mount]);
		if (rank < 0 || rank >= best)
			continue;
		unit = c.unit;
		if (!c.header && strspn(tok[c.size], "0123456789") ==
		    strlen(tok[c.size]))
			unit = 1024;	/* plain df without a header */
		size = df_size(tok[c.size], unit);
		used = df_size(tok[c.used], unit);
		avail = df_size(tok[c.avail], unit);
		if (size < 0 || used < 0 || avail < 0)
			continue;
		if (c.pct >= 0) {
			char pc[16];

			CPY(pc, tok[c.pct]);
			if (pc[0] != '\0' && pc[strlen(pc) - 1] == '%')
				pc[strlen(pc) - 1] = '\0';
			pct = num(pc, 0, 100);
		}
		if (pct == IDENT_NONE && size > 0)
			pct = (used * 100 + size - 1) / size;
		best = rank;
		s->valid = 1;
		CPY(s->mount, tok[c.mount]);
		CPY(s->fs, c.fs >= 0 ? tok[c.fs] : "");
		s->size = (unsigned long long)size;
		s->used = (unsigned long long)used;
		s->avail = (unsigned long long)avail;
		s->use_pct = (int)pct;
		s->approx = unit == 0;
	}
	free(l);
	return s->valid ? 0 : DM_ENOENT;
}

/* ---- output ---- */

const char *
ident_lock_name(enum ident_lock lk)
{
	switch (lk) {
	case IDENT_LOCK_LOCKED:
		return "locked";
	case IDENT_LOCK_UNLOCKED:
		return "unlocked";
	default:
		return "unknown";
	}
}

const char *
ident_boot_name(enum ident_boot b)
{
	switch (b) {
	case IDENT_BOOT_NORMAL:
		return "normal";
	case IDENT_BOOT_CHARGER:
		return "charger";
	case IDENT_BOOT_RECOVERY:
		return "recovery";
	case IDENT_BOOT_FACTORY:
		return "factory";
	case IDENT_BOOT_OTHER:
		return "other";
	default:
		return "unknown";
	}
}

struct out {
	char *buf;
	size_t len;		/* of buf */
	size_t used;		/* bytes written */
	size_t need;		/* bytes the whole line takes */
	int full;		/* cut once: add nothing more */
};

static void
out_add(struct out *o, const char *s)
{
	size_t n = strlen(s), k;

	o->need += n;
	if (o->full || o->len == 0)
		return;
	k = n;
	if (k > o->len - 1 - o->used) {
		/* cut, but not inside a character */
		k = o->len - 1 - o->used;
		while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		o->full = 1;
	}
	memcpy(o->buf + o->used, s, k);
	o->used += k;
}

size_t
ident_summary(const struct dev_identity *id, char *buf, size_t len,
    const char *sep)
{
	struct out o = { buf, len, 0, 0, 0 };
	int parts = 0;

	if (sep == NULL)
		sep = " \xc2\xb7 ";		/* U+00B7 middle dot */
	if (id == NULL) {
		if (len > 0)
			buf[0] = '\0';
		return 0;
	}
	if (id->name[0] != '\0') {
		out_add(&o, id->name);
		parts++;
	}
	if (id->codename[0] != '\0') {
		out_add(&o, parts ? " (" : "(");
		out_add(&o, id->codename);
		out_add(&o, ")");
		parts++;
	}
	if (id->region[0] != '\0') {
		out_add(&o, parts++ ? sep : "");
		out_add(&o, id->region);
	}
	if (id->os[0] != '\0') {
		out_add(&o, parts++ ? sep : "");
		out_add(&o, id->os);
	}
	if (id->android[0] != '\0') {
		out_add(&o, parts++ ? sep : "");
		out_add(&o, "Android ");
		out_add(&o, id->android);
	}
	if (len > 0)
		buf[o.used] = '\0';
	return o.need;
}

static void
jstr(cJSON *o, const char *k, const char *v)
{
	if (v != NULL && *v != '\0')
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static void
jnum(cJSON *o, const char *k, long long v)
{
	if (v == IDENT_NONE)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, (double)v);
}

static void
jtri(cJSON *o, const char *k, int v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddBoolToObject(o, k, v);
}

static void
json_battery(cJSON *o, const struct ident_battery *b)
{
	cJSON *j, *pw;

	if (!b->valid) {
		cJSON_AddNullToObject(o, "battery");
		return;
	}
	j = cJSON_AddObjectToObject(o, "battery");
	if (j == NULL)
		return;
	jtri(j, "present", b->present);
	jnum(j, "level", b->level);
	jnum(j, "scale", b->scale);
	jnum(j, "percent", b->percent);
	jstr(j, "status", b->status_text);
	jnum(j, "status_code", b->status);
	jstr(j, "health", b->health_text);
	jnum(j, "health_code", b->health);
	if (b->temp_dc == IDENT_NONE)
		cJSON_AddNullToObject(j, "temperature_c");
	else
		cJSON_AddNumberToObject(j, "temperature_c", b->temp_dc / 10.0);
	jnum(j, "voltage_mv", b->voltage_mv);
	jnum(j, "current_now", b->current_now);
	jnum(j, "charge_counter_uah", b->charge_uah);
	jstr(j, "technology", b->technology);
	pw = cJSON_AddObjectToObject(j, "powered");
	if (pw != NULL) {
		jtri(pw, "ac", b->ac);
		jtri(pw, "usb", b->usb);
		jtri(pw, "wireless", b->wireless);
		jtri(pw, "dock", b->dock);
	}
}

static void
json_storage(cJSON *o, const struct ident_storage *s)
{
	cJSON *j;

	if (!s->valid) {
		cJSON_AddNullToObject(o, "storage");
		return;
	}
	j = cJSON_AddObjectToObject(o, "storage");
	if (j == NULL)
		return;
	jstr(j, "mount", s->mount);
	jstr(j, "filesystem", s->fs);
	cJSON_AddNumberToObject(j, "size_bytes", (double)s->size);
	cJSON_AddNumberToObject(j, "used_bytes", (double)s->used);
	cJSON_AddNumberToObject(j, "avail_bytes", (double)s->avail);
	jnum(j, "use_percent", s->use_pct);
	cJSON_AddBoolToObject(j, "approximate", s->approx);
}

cJSON *
ident_to_json(const struct dev_identity *id)
{
	cJSON *o, *g;
	char sum[512];

	if (id == NULL)
		return NULL;
	o = cJSON_CreateObject();
	if (o == NULL)
		return NULL;
	jstr(o, "name", id->name);
	ident_summary(id, sum, sizeof(sum), NULL);
	jstr(o, "summary", sum);
	jstr(o, "brand", id->brand);
	jstr(o, "manufacturer", id->manufacturer);
	jstr(o, "model", id->model);
	jstr(o, "marketname", id->marketname);
	jstr(o, "device", id->device);
	jstr(o, "mod_device", id->mod_device);
	jstr(o, "codename", id->codename);
	jstr(o, "product", id->product);
	jstr(o, "board", id->board);
	jstr(o, "serial", id->serial);

	if ((g = cJSON_AddObjectToObject(o, "region")) != NULL) {
		jstr(g, "firmware", id->region);
		jstr(g, "source", id->region_src);
		jstr(g, "hardware", id->hw_region);
		jstr(g, "country", id->country);
	}
	if ((g = cJSON_AddObjectToObject(o, "radio")) != NULL) {
		jstr(g, "carrier", id->carrier);
		jstr(g, "carrier_source", id->carrier_src);
		jstr(g, "sim_state", id->sim_state);
		jstr(g, "baseband", id->baseband);
	}
	if ((g = cJSON_AddObjectToObject(o, "build")) != NULL) {
		jstr(g, "fingerprint", id->fingerprint);
		jstr(g, "fingerprint_source", id->fingerprint_src);
		jstr(g, "android", id->android);
		jnum(g, "sdk", id->sdk);
		jnum(g, "first_sdk", id->first_sdk);
		jstr(g, "security_patch", id->security_patch);
		jstr(g, "vendor_security_patch", id->vendor_patch);
		jstr(g, "id", id->build_id);
		jstr(g, "incremental", id->incremental);
		jstr(g, "display_id", id->display_id);
		jstr(g, "type", id->build_type);
		jstr(g, "tags", id->build_tags);
		jstr(g, "date", id->build_date);
		jstr(g, "bootloader", id->bootloader);
	}
	if ((g = cJSON_AddObjectToObject(o, "os")) != NULL) {
		jstr(g, "name", id->os);
		jstr(g, "skin", id->skin);
		jstr(g, "skin_version", id->skin_version);
		jstr(g, "skin_build", id->skin_build);
		jstr(g, "custom_rom", id->rom);
		jstr(g, "custom_rom_version", id->rom_version);
	}
	if ((g = cJSON_AddObjectToObject(o, "security")) != NULL) {
		cJSON_AddStringToObject(g, "bootloader",
		    ident_lock_name(id->lock));
		jstr(g, "bootloader_source", id->lock_src);
		jstr(g, "verified_boot", id->vb_state);
		jstr(g, "vbmeta_state", id->vbmeta_state);
		jtri(g, "oem_unlock_allowed", id->oem_unlock_allowed);
		jtri(g, "warranty_bit", id->warranty_bit);
		jtri(g, "debuggable", id->debuggable);
		jstr(g, "encryption", id->encryption);
	}
	if ((g = cJSON_AddObjectToObject(o, "boot")) != NULL) {
		jstr(g, "mode", id->boot_mode);
		jstr(g, "mode_source", id->boot_mode_src);
		cJSON_AddStringToObject(g, "kind", ident_boot_name(id->boot));
		jtri(g, "completed", id->boot_completed);
		jtri(g, "factory_binary", id->factory_binary);
		jstr(g, "slot", id->slot);
		jtri(g, "ab", id->ab);
		jtri(g, "dynamic_partitions", id->dynamic_partitions);
	}
	if ((g = cJSON_AddObjectToObject(o, "hardware")) != NULL) {
		jstr(g, "hardware", id->hardware);
		jstr(g, "platform", id->platform);
		jstr(g, "soc_maker", id->soc_maker);
		jstr(g, "soc_model", id->soc_model);
		jstr(g, "abi", id->abi);
	}
	jstr(o, "locale", id->locale);
	json_battery(o, &id->battery);
	json_storage(o, &id->storage);
	return o;
}
