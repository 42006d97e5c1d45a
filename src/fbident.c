/* fbident.c - a phone in fastboot, identified from its variables.  See
 * fbident.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "fastboot.h"
#include "fbident.h"
#include "fbvars.h"

/* For bootloaders that refuse getvar:all, the names worth asking. */
static const char *const one_by_one[] = {
	"product", "serialno", "secure", "unlocked", "is-userspace",
	"current-slot", "slot-count", "max-download-size",
	"version-bootloader", "version-baseband", "battery-voltage",
	"battery-soc-ok", "super-partition-name", "snapshot-update-status",
	"anti", "off-mode-charge", "variant", "hw-revision",
};

int
fbident_ask(struct fb_conn *c, struct fbvars *v, char *err, size_t errlen)
{
	char val[FB_RESP_MAX + 1];
	int rc;

	rc = fb_getvar_all(c, v, err, errlen);
	if (rc != DM_EREFUSED)
		return rc;
	for (size_t i = 0; i < sizeof(one_by_one) / sizeof(one_by_one[0]);
	    i++) {
		rc = fb_getvar(c, one_by_one[i], val, sizeof(val), err,
		    errlen);
		if (rc == 0)
			(void)fbvars_set(v, one_by_one[i], val);
		else if (rc != DM_EREFUSED)
			return rc;
	}
	return 0;
}

static void
add_num(cJSON *o, const char *name, double v, int known)
{
	if (known)
		cJSON_AddNumberToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

static void
add_tri(cJSON *o, const char *name, int v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddBoolToObject(o, name, v);
}

static void
add_str(cJSON *o, const char *name, const char *v)
{
	if (v[0])
		cJSON_AddStringToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

cJSON *
fbident_typed_json(const struct fbvars *v)
{
	cJSON *t = cJSON_CreateObject();

	add_str(t, "product", v->product);
	add_str(t, "serialno", v->serialno);
	add_tri(t, "secure", v->secure);
	add_tri(t, "unlocked", v->unlocked);
	add_tri(t, "is_userspace", v->is_userspace);
	add_str(t, "current_slot", v->current_slot);
	add_num(t, "slot_count", v->slot_count, v->slot_count >= 0);
	add_num(t, "max_download_size", (double)v->max_download_size,
	    v->has_max_download);
	add_str(t, "version_bootloader", v->version_bootloader);
	add_str(t, "version_baseband", v->version_baseband);
	add_num(t, "anti", v->anti, v->anti >= 0);
	add_num(t, "battery_mv", v->battery_mv, v->battery_mv > 0);
	add_tri(t, "battery_soc_ok", v->battery_soc_ok);
	add_num(t, "battery_percent", v->battery_soc_percent,
	    v->battery_soc_percent >= 0);
	add_str(t, "super_partition_name", v->super_partition_name);
	add_str(t, "snapshot_update_status", v->snapshot_update_status);
	add_num(t, "partitions", (double)v->nparts, 1);
	return t;
}

static const char *
lock_word(int unlocked)
{
	return unlocked == 1 ? "unlocked" : unlocked == 0 ? "locked" : NULL;
}

cJSON *
fbident_to_json(const struct fbvars *v)
{
	cJSON *j = cJSON_CreateObject(), *o;
	const char *lock = lock_word(v->unlocked);

	cJSON_AddStringToObject(j, "source", "fastboot");
	add_str(j, "codename", v->product);
	add_str(j, "serial", v->serialno);
	o = cJSON_AddObjectToObject(j, "security");
	if (lock != NULL)
		cJSON_AddStringToObject(o, "bootloader", lock);
	else
		cJSON_AddNullToObject(o, "bootloader");
	o = cJSON_AddObjectToObject(j, "boot");
	add_str(o, "slot", v->current_slot);
	o = cJSON_AddObjectToObject(j, "battery");
	add_num(o, "voltage_mv", v->battery_mv, v->battery_mv > 0);
	add_num(o, "percent", v->battery_soc_percent,
	    v->battery_soc_percent >= 0);
	cJSON_AddItemToObject(j, "fastboot", fbident_typed_json(v));
	return j;
}

void
fbident_summary(const struct fbvars *v, char *buf, size_t len)
{
	static const char dot[] = " \xc2\xb7 ";	/* U+00B7 */
	const char *lock = lock_word(v->unlocked);
	size_t n = 0;

#define ADD(...) do {							\
		if (n < len)						\
			n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__); \
	} while (0)
	if (len == 0)
		return;
	buf[0] = '\0';
	ADD("%s", v->product[0] ? v->product : "unknown product");
	if (lock != NULL)
		ADD("%sbootloader %s", dot, lock);
	if (v->current_slot[0])
		ADD("%sslot %s", dot, v->current_slot);
	if (v->anti >= 0)
		ADD("%santi %d", dot, v->anti);
	if (v->battery_soc_percent >= 0)
		ADD("%s%d%%", dot, v->battery_soc_percent);
	else if (v->battery_mv > 0)
		ADD("%s%d mV", dot, v->battery_mv);
#undef ADD
}
