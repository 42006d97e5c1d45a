/* t_adb.c - ADB packets, banners and keys: the codec against hand-built
 * bytes, hostile headers, and keys checked with OpenSSL the way adbd
 * checks them (from the 524-byte public key struct alone). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "adbkey.h"
#include "adbpkt.h"
#include "err.h"
#include "bytes.h"

static void
test_header_round_trip(void **state)
{
	uint8_t h[ADB_HEADER_SIZE];
	struct adb_packet p;
	char err[128];

	(void)state;
	adbpkt_encode_header(h, ADB_WRTE, 7, 9, "abc", 3, 1);
	/* Known bytes: "WRTE" little-endian, checksum 'a'+'b'+'c'. */
	assert_memory_equal(h, "WRTE", 4);
	assert_int_equal(h[16], 'a' + 'b' + 'c' - 256);
	assert_int_equal(h[17], 1);
	assert_int_equal(adbpkt_decode_header(h, &p, 4096, err, sizeof(err)),
	    0);
	assert_int_equal(p.cmd, ADB_WRTE);
	assert_int_equal(p.arg0, 7);
	assert_int_equal(p.arg1, 9);
	assert_int_equal(p.len, 3);
	p.data = (uint8_t *)"abc";
	assert_int_equal(adbpkt_verify(&p, ADB_VERSION_MIN, err, sizeof(err)),
	    0);
	p.data = (uint8_t *)"abd";
	assert_int_equal(adbpkt_verify(&p, ADB_VERSION_MIN, err, sizeof(err)),
	    DM_EPROTO);
	assert_non_null(strstr(err, "checksum"));
	/* Newer peers skip the checksum. */
	assert_int_equal(adbpkt_verify(&p, ADB_VERSION_SKIP_CHECKSUM, err,
	    sizeof(err)), 0);
	adbpkt_encode_header(h, ADB_OKAY, 1, 2, NULL, 0, 0);
	assert_int_equal(adbpkt_decode_header(h, &p, 4096, err, sizeof(err)),
	    0);
	assert_string_equal(adbpkt_name(p.cmd), "OKAY");
}

static void
test_header_hostile(void **state)
{
	uint8_t h[ADB_HEADER_SIZE];
	struct adb_packet p;
	char err[128];

	(void)state;
	adbpkt_encode_header(h, ADB_WRTE, 1, 1, NULL, 0, 0);
	h[20] ^= 1;		/* magic */
	assert_int_equal(adbpkt_decode_header(h, &p, 4096, err, sizeof(err)),
	    DM_EPROTO);
	assert_non_null(strstr(err, "magic"));
	adbpkt_encode_header(h, 0x41414141, 1, 1, NULL, 0, 0);
	assert_int_equal(adbpkt_decode_header(h, &p, 4096, err, sizeof(err)),
	    DM_EPROTO);
	assert_non_null(strstr(err, "unknown"));
	adbpkt_encode_header(h, ADB_WRTE, 1, 1, NULL, 0, 0);
	h[12] = 0xff;
	h[13] = 0xff;
	h[14] = 0xff;
	h[15] = 0x7f;		/* 2 GiB payload */
	assert_int_equal(adbpkt_decode_header(h, &p, 1 << 20, err,
	    sizeof(err)), DM_EPROTO);
	assert_non_null(strstr(err, "exceeds"));
}

static void
test_banner(void **state)
{
	static const char b1[] = "device::ro.product.name=houji;"
	    "ro.product.model=23127PN0CC;ro.product.device=houji;"
	    "features=shell_v2,cmd,stat_v2,ls_v2";
	static const char b2[] = "recovery::ro.product.name=x;";
	struct adb_banner b;

	(void)state;
	assert_int_equal(adbpkt_parse_banner(b1, sizeof(b1), &b), 0);
	assert_string_equal(b.type, "device");
	assert_string_equal(b.model, "23127PN0CC");
	assert_string_equal(b.device, "houji");
	assert_true(adbpkt_has_feature(b.features, "shell_v2"));
	assert_true(adbpkt_has_feature(b.features, "ls_v2"));
	assert_false(adbpkt_has_feature(b.features, "shell"));
	assert_false(adbpkt_has_feature(b.features, "ls_v"));
	assert_false(adbpkt_has_feature(b.features, ""));
	assert_int_equal(adbpkt_parse_banner(b2, strlen(b2), &b), 0);
	assert_string_equal(b.type, "recovery");
	assert_string_equal(b.product, "x");
	assert_int_equal(adbpkt_parse_banner("nocolon", 7, &b), DM_EINVAL);
	/* Values longer than the fields are cut, never overflow. */
	{
		char big[3000];

		memset(big, 'm', sizeof(big));
		memcpy(big, "device::ro.product.model=", 25);
		assert_int_equal(adbpkt_parse_banner(big, sizeof(big), &b), 0);
		assert_int_equal(strlen(b.model), sizeof(b.model) - 1);
	}
}

static char home[256];

static int
key_setup(void **state)
{
	(void)state;
	snprintf(home, sizeof(home), "/tmp/t_adb.XXXXXX");
	if (mkdtemp(home) == NULL)
		return -1;
	setenv("HOME", home, 1);
	unsetenv("ANDROID_USER_HOME");
	unsetenv("ADB_VENDOR_KEYS");
	return 0;
}

static int
key_teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	return system(cmd) == 0 ? 0 : -1;
}


/* Rebuild the public key from the 524-byte struct, as adbd does, and
 * verify sig over token with PKCS#1 v1.5 / SHA-1 DigestInfo. */
static int
verify_like_adbd(const uint8_t raw[ADBKEY_PUBKEY_SIZE], const uint8_t *token,
    const uint8_t *sig, size_t siglen)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *n = BN_lebin2bn(raw + 8, 256, NULL);
	BIGNUM *e = BN_new();
	EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY_CTX *vctx = NULL;
	EVP_PKEY *key = NULL;
	OSSL_PARAM *params;
	int ok = 0;

	BN_set_word(e, le32_get(raw + 520));
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
	params = OSSL_PARAM_BLD_to_param(bld);
	if (EVP_PKEY_fromdata_init(kctx) > 0 &&
	    EVP_PKEY_fromdata(kctx, &key, EVP_PKEY_PUBLIC_KEY, params) > 0) {
		vctx = EVP_PKEY_CTX_new(key, NULL);
		ok = EVP_PKEY_verify_init(vctx) > 0 &&
		    EVP_PKEY_CTX_set_rsa_padding(vctx, RSA_PKCS1_PADDING) > 0 &&
		    EVP_PKEY_CTX_set_signature_md(vctx, EVP_sha1()) > 0 &&
		    EVP_PKEY_verify(vctx, sig, siglen, token, 20) == 1;
	}
	EVP_PKEY_CTX_free(vctx);
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(kctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return ok;
}

static void
test_key_created_and_signs(void **state)
{
	uint8_t raw[ADBKEY_PUBKEY_SIZE], sig[ADBKEY_SIG_MAX], token[20];
	struct adbkeys *ks, *again;
	char err[256], path[300], *line;
	struct stat st;
	int n;

	(void)state;
	ks = adbkeys_load(err, sizeof(err));
	assert_non_null(ks);
	assert_int_equal(adbkeys_count(ks), 1);
	snprintf(path, sizeof(path), "%s/.android/adbkey", home);
	assert_string_equal(adbkeys_path(ks, 0), path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);	/* private */
	strcat(path, ".pub");
	assert_int_equal(stat(path, &st), 0);

	line = adbkeys_pubkey_line(ks, 0);
	assert_non_null(line);
	assert_int_equal(strchr(line, ' ') - line, 700);	/* base64 */
	assert_non_null(strchr(line, '@'));
	free(line);

	assert_int_equal(adbkeys_pubkey_struct(ks, 0, raw), 0);
	assert_int_equal(le32_get(raw), 64);
	assert_int_equal(le32_get(raw + 520), 65537);
	/* n0inv * n[0] == -1 mod 2^32 */
	assert_int_equal((uint32_t)(le32_get(raw + 4) * le32_get(raw + 8)),
	    0xffffffffu);

	for (int i = 0; i < 20; i++)
		token[i] = (uint8_t)(i * 13 + 1);
	n = adbkeys_sign(ks, 0, token, 20, sig, sizeof(sig));
	assert_int_equal(n, 256);
	assert_true(verify_like_adbd(raw, token, sig, (size_t)n));
	token[0] ^= 1;
	assert_false(verify_like_adbd(raw, token, sig, (size_t)n));
	assert_int_equal(adbkeys_sign(ks, 0, token, 19, sig, sizeof(sig)),
	    DM_EINVAL);

	/* Loading again reuses the same key. */
	again = adbkeys_load(err, sizeof(err));
	assert_non_null(again);
	{
		uint8_t raw2[ADBKEY_PUBKEY_SIZE];

		adbkeys_pubkey_struct(again, 0, raw2);
		assert_memory_equal(raw, raw2, sizeof(raw));
	}
	adbkeys_free(again);
	adbkeys_free(ks);
}

static void
test_vendor_keys_and_corrupt(void **state)
{
	char dir[300], src[300], dst[300], cmd[700], err[256];
	struct adbkeys *ks;
	FILE *fp;

	(void)state;
	/* A vendor key directory holding a copy of our key. */
	snprintf(dir, sizeof(dir), "%s/vendor", home);
	mkdir(dir, 0700);
	snprintf(src, sizeof(src), "%s/.android/adbkey", home);
	snprintf(dst, sizeof(dst), "%s/lab.adb_key", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
	setenv("ADB_VENDOR_KEYS", dir, 1);
	ks = adbkeys_load(err, sizeof(err));
	assert_non_null(ks);
	assert_int_equal(adbkeys_count(ks), 2);
	assert_string_equal(adbkeys_path(ks, 1), dst);
	adbkeys_free(ks);
	unsetenv("ADB_VENDOR_KEYS");

	/* A damaged adbkey is reported, never silently replaced. */
	fp = fopen(src, "w");
	assert_non_null(fp);
	fputs("not a key\n", fp);
	fclose(fp);
	ks = adbkeys_load(err, sizeof(err));
	assert_null(ks);
	assert_non_null(strstr(err, "not an RSA private key"));
	fp = fopen(src, "r");
	assert_non_null(fp);
	assert_non_null(fgets(cmd, sizeof(cmd), fp));
	fclose(fp);
	assert_string_equal(cmd, "not a key\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_round_trip),
		cmocka_unit_test(test_header_hostile),
		cmocka_unit_test(test_banner),
		cmocka_unit_test(test_key_created_and_signs),
		cmocka_unit_test(test_vendor_keys_and_corrupt),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, key_setup, key_teardown);
}
