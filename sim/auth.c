/* auth.c - Android public keys, signature checks and the adb_keys file
 * (see auth.h).  Runs on a connection thread during the handshake; the
 * OpenSSL 3 EVP interface is used throughout (no deprecated RSA_*). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "auth.h"
#include "err.h"
#include "xmem.h"
#include "bytes.h"

#define KEYS_FILE_MAX	(1u << 20)


int
auth_key_from_struct(const uint8_t *blob, size_t len, EVP_PKEY **key,
    char *err, size_t errlen)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *n = NULL, *e = NULL;
	uint32_t words, exponent;
	int rc = DM_EINVAL;

	*key = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (len != AUTH_PUBKEY_SIZE)
		return dm_fail(err, errlen, DM_EINVAL, "public key struct is "
		    "%zu bytes, not %d", len, AUTH_PUBKEY_SIZE);
	words = le32_get(blob);
	exponent = le32_get(blob + 8 + 2 * 4 * AUTH_MODULUS_WORDS);
	if (words != AUTH_MODULUS_WORDS)
		return dm_fail(err, errlen, DM_EINVAL, "public key has %u "
		    "modulus words, not %d", words, AUTH_MODULUS_WORDS);
	if (exponent != 3 && exponent != 65537)
		return dm_fail(err, errlen, DM_EINVAL, "public key exponent "
		    "%u is neither 3 nor 65537", exponent);
	/* The modulus is stored little-endian; n0inv and rr are ignored, as
	 * current adbd does. */
	n = BN_lebin2bn(blob + 8, 4 * AUTH_MODULUS_WORDS, NULL);
	e = BN_new();
	if (n == NULL || e == NULL || !BN_set_word(e, exponent))
		goto out;
	if (BN_num_bits(n) != 2048 || !BN_is_odd(n)) {
		rc = dm_fail(err, errlen, DM_EINVAL, "public key modulus is "
		    "not an odd 2048-bit number");
		goto out;
	}
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N,
	    n) || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, key, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		*key = NULL;
		goto out;
	}
	rc = 0;
out:
	if (rc == DM_EINVAL && errlen > 0 && err[0] == '\0')
		dm_fail(err, errlen, DM_EINVAL, "OpenSSL refused the key");
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return rc;
}

int
auth_key_parse(const char *text, size_t len, EVP_PKEY **key, char *err,
    size_t errlen)
{
	/* 524 bytes are 700 base64 characters. */
	uint8_t blob[AUTH_PUBKEY_SIZE + 4];
	char b64[704];
	size_t n = 0;
	int dec;

	*key = NULL;
	while (n < len && text[n] != ' ' && text[n] != '\t' &&
	    text[n] != '\0' && text[n] != '\n' && text[n] != '\r')
		n++;
	if (n != 700)
		return dm_fail(err, errlen, DM_EINVAL, "public key is %zu "
		    "base64 characters, not 700", n);
	memcpy(b64, text, n);
	b64[n] = '\0';
	dec = EVP_DecodeBlock(blob, (const unsigned char *)b64, (int)n);
	/* EVP_DecodeBlock counts the '=' padding as zero bytes. */
	if (dec != AUTH_PUBKEY_SIZE + 1 || b64[699] != '=' || b64[698] == '=')
		return dm_fail(err, errlen, DM_EINVAL, "public key is not "
		    "valid base64 of %d bytes", AUTH_PUBKEY_SIZE);
	return auth_key_from_struct(blob, AUTH_PUBKEY_SIZE, key, err, errlen);
}

int
auth_verify(EVP_PKEY *key, const uint8_t *token, size_t tlen,
    const uint8_t *sig, size_t slen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	int ok = 0;

	if (ctx != NULL && EVP_PKEY_verify_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha1()) > 0)
		ok = EVP_PKEY_verify(ctx, sig, slen, token, tlen) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static char *
read_keys(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *buf;

	if (fp == NULL)
		return NULL;
	buf = xmalloc(KEYS_FILE_MAX + 1);
	*len = fread(buf, 1, KEYS_FILE_MAX, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

int
auth_verify_file(const char *path, const uint8_t *token, size_t tlen,
    const uint8_t *sig, size_t slen)
{
	size_t len = 0;
	char *buf = read_keys(path, &len), *line, *save = NULL, err[128];
	int ok = 0;

	if (buf == NULL)
		return 0;
	for (line = strtok_r(buf, "\n", &save); line != NULL && !ok;
	    line = strtok_r(NULL, "\n", &save)) {
		EVP_PKEY *key;

		if (auth_key_parse(line, strlen(line), &key, err,
		    sizeof(err)) < 0)
			continue;
		ok = auth_verify(key, token, tlen, sig, slen);
		EVP_PKEY_free(key);
	}
	free(buf);
	return ok;
}

int
auth_store(const char *path, const char *text, size_t len, char *err,
    size_t errlen)
{
	EVP_PKEY *key = NULL;
	size_t n = 0, klen = 0;
	char *buf = NULL, *line;
	int fd = -1, rc;

	/* The host sends "<base64> user@host\0"; keep one clean line. */
	while (n < len && text[n] != '\0' && text[n] != '\n' &&
	    text[n] != '\r')
		n++;
	while (klen < n && text[klen] != ' ' && text[klen] != '\t')
		klen++;
	rc = auth_key_parse(text, n, &key, err, errlen);
	EVP_PKEY_free(key);
	if (rc < 0)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return dm_fail(err, errlen, dm_from_errno(errno), "%s: %s",
		    path, strerror(errno));
	flock(fd, LOCK_EX);
	buf = read_keys(path, &len);
	for (line = buf; line != NULL && *line != '\0';) {
		char *nl = strchr(line, '\n');

		if (strncmp(line, text, klen) == 0 &&
		    (line[klen] == ' ' || line[klen] == '\t' ||
		    line[klen] == '\n' || line[klen] == '\0'))
			goto out;	/* already known */
		line = nl ? nl + 1 : NULL;
	}
	line = xmalloc(n + 2);
	memcpy(line, text, n);
	line[n] = '\n';
	if (write(fd, line, n + 1) != (ssize_t)(n + 1))
		rc = dm_fail(err, errlen, DM_EIO, "%s: %s", path,
		    strerror(errno));
	free(line);
out:
	free(buf);
	flock(fd, LOCK_UN);
	close(fd);
	return rc;
}
