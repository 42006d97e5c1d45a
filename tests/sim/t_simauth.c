/* t_simauth.c - the simulator's ADB auth: the 524-byte Android public key
 * struct (built here independently from a fresh RSA key, n0inv and rr
 * included), signature checks over a 20-byte token, refusals of broken
 * keys, and the adb_keys file. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "auth.h"
#include "err.h"
#include "bytes.h"

static EVP_PKEY *key;		/* one key for the whole run */
static uint8_t blob[AUTH_PUBKEY_SIZE];
static char line[800];		/* "<base64> test@host" */


/* The struct as AOSP's android_pubkey_encode lays it out. */
static void
encode(EVP_PKEY *k, uint8_t out[AUTH_PUBKEY_SIZE])
{
	BIGNUM *n = NULL, *e = NULL, *r32 = BN_new(), *n0inv = BN_new();
	BIGNUM *rr = BN_new();
	BN_CTX *ctx = BN_CTX_new();

	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n),
	    1);
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e),
	    1);
	memset(out, 0, AUTH_PUBKEY_SIZE);
	le32_put(out, AUTH_MODULUS_WORDS);
	/* n0inv = -1 / n mod 2^32 */
	BN_set_bit(r32, 32);
	assert_non_null(BN_mod_inverse(n0inv, n, r32, ctx));
	BN_sub(n0inv, r32, n0inv);
	le32_put(out + 4, (uint32_t)BN_get_word(n0inv));
	assert_int_equal(BN_bn2lebinpad(n, out + 8, 256), 256);
	/* rr = (2^2048)^2 mod n */
	BN_set_bit(rr, 4096);
	BN_mod(rr, rr, n, ctx);
	assert_int_equal(BN_bn2lebinpad(rr, out + 264, 256), 256);
	le32_put(out + 520, (uint32_t)BN_get_word(e));
	BN_free(n);
	BN_free(e);
	BN_free(r32);
	BN_free(n0inv);
	BN_free(rr);
	BN_CTX_free(ctx);
}

static void
to_line(const uint8_t b[AUTH_PUBKEY_SIZE], char *out)
{
	int n = EVP_EncodeBlock((unsigned char *)out, b, AUTH_PUBKEY_SIZE);

	assert_int_equal(n, 700);
	strcpy(out + n, " test@host");
}

/* What the host does: RSA_sign(NID_sha1, token, 20, ...). */
static size_t
sign(EVP_PKEY *k, const uint8_t token[20], uint8_t sig[512])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
	size_t len = 512;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0);
	assert_true(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha1()) > 0);
	assert_int_equal(EVP_PKEY_sign(ctx, sig, &len, token, 20), 1);
	EVP_PKEY_CTX_free(ctx);
	return len;
}

static int
setup(void **state)
{
	(void)state;
	key = EVP_RSA_gen(2048);
	if (key == NULL)
		return -1;
	encode(key, blob);
	to_line(blob, line);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(key);
	return 0;
}

static void
test_parse_and_verify(void **state)
{
	uint8_t token[20], sig[512];
	EVP_PKEY *pub = NULL;
	char err[256];
	size_t len;

	(void)state;
	/* As AUTH RSAPUBLICKEY carries it: with the NUL. */
	assert_int_equal(auth_key_parse(line, strlen(line) + 1, &pub, err,
	    sizeof(err)), 0);
	assert_non_null(pub);
	assert_int_equal(EVP_PKEY_get_bits(pub), 2048);
	RAND_bytes(token, sizeof(token));
	len = sign(key, token, sig);
	assert_int_equal(len, 256);
	assert_int_equal(auth_verify(pub, token, 20, sig, len), 1);
	/* One bit off in the signature, or another token: refused. */
	sig[100] ^= 0x10;
	assert_int_equal(auth_verify(pub, token, 20, sig, len), 0);
	sig[100] ^= 0x10;
	token[0] ^= 1;
	assert_int_equal(auth_verify(pub, token, 20, sig, len), 0);
	/* Short signatures are refused, not crashed on. */
	assert_int_equal(auth_verify(pub, token, 20, sig, 10), 0);
	EVP_PKEY_free(pub);
}

static void
test_other_key_refused(void **state)
{
	EVP_PKEY *other = EVP_RSA_gen(2048), *pub = NULL;
	uint8_t token[20] = { 1, 2, 3 }, sig[512];
	char err[256];
	size_t len;

	(void)state;
	assert_non_null(other);
	assert_int_equal(auth_key_parse(line, strlen(line), &pub, err,
	    sizeof(err)), 0);
	len = sign(other, token, sig);
	assert_int_equal(auth_verify(pub, token, 20, sig, len), 0);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(other);
}

static void
test_broken_keys(void **state)
{
	uint8_t bad[AUTH_PUBKEY_SIZE];
	char text[800], err[256];
	EVP_PKEY *pub = NULL;

	(void)state;
	memcpy(bad, blob, sizeof(bad));
	le32_put(bad, 32);		/* a 1024-bit key's word count */
	to_line(bad, text);
	assert_int_equal(auth_key_parse(text, strlen(text), &pub, err,
	    sizeof(err)), DM_EINVAL);
	assert_null(pub);
	assert_non_null(strstr(err, "32 modulus words"));

	memcpy(bad, blob, sizeof(bad));
	le32_put(bad + 520, 17);
	to_line(bad, text);
	assert_int_equal(auth_key_parse(text, strlen(text), &pub, err,
	    sizeof(err)), DM_EINVAL);
	assert_non_null(strstr(err, "exponent 17"));

	memcpy(bad, blob, sizeof(bad));
	memset(bad + 8, 0, 256);	/* modulus 0 */
	assert_int_equal(auth_key_from_struct(bad, sizeof(bad), &pub, err,
	    sizeof(err)), DM_EINVAL);

	assert_int_equal(auth_key_from_struct(blob, 500, &pub, err,
	    sizeof(err)), DM_EINVAL);
	assert_non_null(strstr(err, "500 bytes"));

	/* 699 characters, junk in the base64, nothing at all. */
	assert_int_equal(auth_key_parse(line, 699, &pub, err, sizeof(err)),
	    DM_EINVAL);
	memcpy(text, line, 701);
	text[10] = '*';
	assert_int_equal(auth_key_parse(text, 700, &pub, err, sizeof(err)),
	    DM_EINVAL);
	assert_int_equal(auth_key_parse("", 0, &pub, err, sizeof(err)),
	    DM_EINVAL);
	assert_null(pub);
}

static void
test_keys_file(void **state)
{
	char dir[] = "/tmp/t_simauth.XXXXXX", path[64], buf[4096], err[256];
	char other_line[800];
	uint8_t token[20], sig[512], other_blob[AUTH_PUBKEY_SIZE];
	EVP_PKEY *other = EVP_RSA_gen(2048);
	FILE *fp;
	size_t len, n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/adb_keys", dir);
	RAND_bytes(token, sizeof(token));
	len = sign(key, token, sig);
	assert_int_equal(auth_verify_file(path, token, 20, sig, len), 0);

	assert_int_equal(auth_store(path, line, strlen(line) + 1, err,
	    sizeof(err)), 0);
	assert_int_equal(auth_store(path, line, strlen(line), err,
	    sizeof(err)), 0);
	encode(other, other_blob);
	to_line(other_blob, other_line);
	assert_int_equal(auth_store(path, other_line, strlen(other_line), err,
	    sizeof(err)), 0);
	assert_int_equal(auth_store(path, "junk", 4, err, sizeof(err)),
	    DM_EINVAL);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* Two lines, each "<base64> test@host", no NUL. */
	assert_int_equal(n, 2 * (strlen(line) + 1));
	assert_int_equal(strncmp(buf, line, strlen(line)), 0);
	assert_int_equal(buf[strlen(line)], '\n');

	assert_int_equal(auth_verify_file(path, token, 20, sig, len), 1);
	len = sign(other, token, sig);
	assert_int_equal(auth_verify_file(path, token, 20, sig, len), 1);
	token[5] ^= 0x80;
	assert_int_equal(auth_verify_file(path, token, 20, sig, len), 0);
	EVP_PKEY_free(other);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_verify),
		cmocka_unit_test(test_other_key_refused),
		cmocka_unit_test(test_broken_keys),
		cmocka_unit_test(test_keys_file),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
