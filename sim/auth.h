/* auth.h - the phone's half of ADB authentication (protocols.md section 4):
 * the 524-byte Android RSA public key struct as the host sends it in
 * AUTH RSAPUBLICKEY and as /data/misc/adb/adb_keys stores it (base64, then
 * " user@host"), and the check of an AUTH SIGNATURE: RSASSA-PKCS1-v1_5
 * with SHA-1 DigestInfo, the 20-byte token standing in for the digest.
 *
 * Pure functions plus a keys file; any thread (the file is appended to
 * with O_APPEND and read whole, one line per key). */
#ifndef DM_SIM_AUTH_H
#define DM_SIM_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define AUTH_PUBKEY_SIZE	524	/* 4 + 4 + 256 + 256 + 4 */
#define AUTH_MODULUS_WORDS	64

/* Decode one key: base64 of the struct, optionally followed by a space or
 * tab and a comment, optionally NUL-terminated (within len).  Checks the
 * word count and the exponent, then builds an RSA public key.  *key is
 * owned by the caller (EVP_PKEY_free).  0 or DM_EINVAL with the reason. */
int auth_key_parse(const char *text, size_t len, EVP_PKEY **key, char *err,
    size_t errlen);
/* Decode just the 524-byte binary struct. */
int auth_key_from_struct(const uint8_t *blob, size_t len, EVP_PKEY **key,
    char *err, size_t errlen);

/* 1 when sig is key's signature of token (used as a SHA-1 digest). */
int auth_verify(EVP_PKEY *key, const uint8_t *token, size_t tlen,
    const uint8_t *sig, size_t slen);

/* Try every key in the adb_keys file at path; 1 when one verifies, 0 when
 * none does (or the file does not exist). */
int auth_verify_file(const char *path, const uint8_t *token, size_t tlen,
    const uint8_t *sig, size_t slen);

/* Remember a key (the host's "<base64> user@host" text) in the adb_keys
 * file, unless that key is already there.  0 or a negative dm_err. */
int auth_store(const char *path, const char *text, size_t len, char *err,
    size_t errlen);

#endif
