/* props.h - a phone's system properties, read from what the phone prints.
 *
 * Two text forms are understood:
 *   getprop     "[ro.product.model]: [2112123AG]" one per line; a value
 *               that holds newlines runs on until a line ending in "]";
 *   build.prop  "ro.product.model=2112123AG", with "#" comments and
 *               "import" lines ignored.
 * The text may be UTF-8 (with or without a BOM) or UTF-16 (with a BOM, or
 * recognised by its NUL bytes, as a Windows PowerShell redirect writes it);
 * it is turned into valid UTF-8, CR before LF is dropped, NUL bytes are
 * dropped and bad sequences become U+FFFD.  Lines that fit neither form (a
 * stray "getprop" command line, a shell prompt, junk) are counted and
 * skipped.
 *
 * Parsing more text into the same list overrides earlier values, as init
 * does when it loads system, vendor, odm... build.prop files in turn.
 *
 * Everything is bounded: at most PROPS_MAX_INPUT bytes of input are looked
 * at, keys longer than PROPS_MAX_KEY make a line junk, values are cut (at a
 * character boundary) to PROPS_MAX_VALUE bytes, and the list holds at most
 * PROPS_MAX_COUNT entries and PROPS_MAX_BYTES of keys and values.  What
 * was cut or dropped shows in struct props_stats.
 *
 * A struct props belongs to one thread at a time; there is no locking. */
#ifndef DM_PROPS_H
#define DM_PROPS_H

#include <stddef.h>

/* Input looked at; keys + values stored; entries (a phone has 1000 to
 * 2500).  init's PROP_VALUE_MAX is 92, but ro.* values run longer. */
#define PROPS_MAX_INPUT		(64u << 20)
#define PROPS_MAX_BYTES		(4u << 20)
#define PROPS_MAX_COUNT		20000
#define PROPS_MAX_KEY		256
#define PROPS_MAX_VALUE		8192

enum props_fmt {
	PROPS_FMT_AUTO = 0,	/* decided by the first line that parses */
	PROPS_FMT_GETPROP,
	PROPS_FMT_BUILDPROP
};

enum props_enc {
	PROPS_ENC_UTF8 = 0,
	PROPS_ENC_UTF16LE,
	PROPS_ENC_UTF16BE
};

/* Counters over every props_parse() call on the list. */
struct props_stats {
	size_t lines;		/* lines seen */
	size_t skipped;		/* lines that were not a property */
	size_t cut;		/* values cut to PROPS_MAX_VALUE */
	size_t unterminated;	/* getprop values with no closing "]" */
	size_t dropped;		/* refused by the count or byte cap */
	int input_cut;		/* input longer than PROPS_MAX_INPUT */
	enum props_enc enc;	/* encoding of the last text parsed */
	enum props_fmt fmt;	/* form of the last text parsed */
};

struct props;

struct props *props_new(void);
void props_free(struct props *p);

/* Parse text (not NUL-terminated; any bytes) and add its properties.
 * Returns how many properties it set (new or overridden), or DM_EINVAL
 * for a NULL list.  Junk never fails the call: see props_stats(). */
int props_parse(struct props *p, const void *buf, size_t len,
    enum props_fmt fmt);

/* Text in UTF-16 (a BOM, or NULs every other byte) as UTF-8, NULs
 * dropped, lone surrogates as U+FFFD; NULL when the text is not UTF-16.
 * The caller frees it. */
char *props_utf16_to_utf8(const void *buf, size_t len, size_t *outlen);

/* Set one property; the value is cut like a parsed one.  Returns 1 when
 * set, 0 when dropped by a cap, DM_EINVAL for an illegal key. */
int props_set(struct props *p, const char *key, const char *value);

/* The value, or NULL when the key is absent.  Borrowed: valid until the
 * same key is set again or the list is freed. */
const char *props_get(const struct props *p, const char *key);

/* Like props_get(), but "" when absent: never NULL. */
const char *props_str(const struct props *p, const char *key);

/* The first of a NULL-terminated key list with a non-empty value; NULL if
 * none.  If which is not NULL it gets the key that answered. */
const char *props_first(const struct props *p, const char *const *keys,
    const char **which);

/* Number of properties, and the i-th in the order they were first set
 * (getprop prints them sorted).  props_at() returns 0, or DM_ENOENT when
 * i is out of range; the strings are borrowed as for props_get(). */
size_t props_count(const struct props *p);
int props_at(const struct props *p, size_t i, const char **key,
    const char **value);

const struct props_stats *props_stats(const struct props *p);

/* ro.product.<what> ("brand", "device", "manufacturer", "model", "name",
 * "marketname"...) as init resolves it: the plain key if set, else the
 * first non-empty ro.product.<partition>.<what> in the order given by
 * ro.product.property_source_order (default product, odm, vendor,
 * system_ext, system).  NULL when none; which gets the key used. */
const char *props_product(const struct props *p, const char *what,
    const char **which);

/* After loading several partitions' build.prop files, fill in what init
 * derives at boot when it is not set: ro.product.{brand,device,
 * manufacturer,model,name} (see props_product()) and ro.build.fingerprint
 * (brand/name/device:release/id/incremental:type/tags).  Returns how many
 * it set.  Output of getprop on a live phone needs none of this. */
int props_android_derive(struct props *p);

#endif
