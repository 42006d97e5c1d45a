/* adbkey.h - ADB RSA keys, compatible with AOSP (protocols.md section 4).
 *
 * ~/.android/adbkey (or $ANDROID_USER_HOME/adbkey) is a PEM private key;
 * when missing it is created (RSA-2048, e=65537, mode 0600) together with
 * adbkey.pub, so a phone that trusts our key also trusts AOSP adb using
 * the same home, and the other way round.  $ADB_VENDOR_KEYS adds keys
 * (files, or directories of *.adb_key files, separated by ':').
 *
 * A signature is RSASSA-PKCS1-v1_5 with a SHA-1 DigestInfo whose digest is
 * the device's 20-byte token itself.  Any thread; a key set is read-only
 * once loaded. */
#ifndef DM_ADBKEY_H
#define DM_ADBKEY_H

#include <stddef.h>
#include <stdint.h>

#define ADBKEY_PUBKEY_SIZE	524	/* the Android RSA public key struct */
#define ADBKEY_SIG_MAX		512

struct adbkeys;

/* Load (creating ~/.android/adbkey if needed) the user key and vendor
 * keys.  NULL on failure with the reason in err. */
struct adbkeys *adbkeys_load(char *err, size_t errlen);
void adbkeys_free(struct adbkeys *ks);
int adbkeys_count(const struct adbkeys *ks);
/* Path of key i ("" for none). */
const char *adbkeys_path(const struct adbkeys *ks, int i);

/* Sign a 20-byte token with key i; returns the signature length or a
 * negative dm_err. */
int adbkeys_sign(const struct adbkeys *ks, int i, const uint8_t *token,
    size_t token_len, uint8_t *sig, size_t sigcap);

/* "<base64 of the 524-byte struct> user@host" for key i (what AUTH
 * RSAPUBLICKEY carries, without the NUL); malloc'ed. */
char *adbkeys_pubkey_line(const struct adbkeys *ks, int i);

/* The 524-byte struct for key i into out; 0 or a dm_err. */
int adbkeys_pubkey_struct(const struct adbkeys *ks, int i,
    uint8_t out[ADBKEY_PUBKEY_SIZE]);

/* Key i's fingerprint as a phone's "Allow USB debugging?" prompt shows
 * it: MD5 of the public key struct, "5B:0C:..." (47 characters).  0 or
 * a dm_err. */
int adbkeys_fingerprint(const struct adbkeys *ks, int i, char out[48]);

#endif
