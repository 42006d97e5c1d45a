/* fbident.h - who a phone in fastboot is, from its variables: the
 * identity the bench shows (product, serial, lock state, slots,
 * anti-rollback index, battery) and the typed summary `getvar --json`
 * prints.  Asks with getvar:all, or name by name when the bootloader
 * refuses "all".  Runs on the caller's thread. */
#ifndef DM_FBIDENT_H
#define DM_FBIDENT_H

#include <stddef.h>
#include <cjson/cJSON.h>

struct fb_conn;
struct fbvars;

/* Fill v (initialised by the caller) with what the phone says.  0, or a
 * negative dm_err when the link failed (what was learnt stays in v). */
int fbident_ask(struct fb_conn *c, struct fbvars *v, char *err,
    size_t errlen);

/* The typed variables as JSON: product, serialno, secure, unlocked,
 * is_userspace, current_slot, slot_count, max_download_size,
 * version_bootloader, version_baseband, anti, battery_mv,
 * battery_soc_ok, super_partition_name, snapshot_update_status,
 * partitions (a count); null where the phone said nothing. */
cJSON *fbident_typed_json(const struct fbvars *v);

/* The bench's identity record for a phone in fastboot: "source":
 * "fastboot", codename, serial, security.bootloader, boot.slot,
 * battery.voltage_mv, and the typed record under "fastboot". */
cJSON *fbident_to_json(const struct fbvars *v);

/* One line: "cheetah · bootloader unlocked · slot a · anti 3 · 4055 mV". */
void fbident_summary(const struct fbvars *v, char *buf, size_t len);

#endif
