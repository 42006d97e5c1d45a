/* adbkey.c - ADB RSA keys (see adbkey.h), with OpenSSL 3's EVP API. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "adbkey.h"
#include "err.h"
#include "log.h"
#include "paths.h"
#include "xmem.h"
#include "bytes.h"

#define MAX_KEYS 32

struct adbkeys {
	int n;
	EVP_PKEY *key[MAX_KEYS];
	char *path[MAX_KEYS];
};

static char *
android_dir(void)
{
	const char *e = getenv("ANDROID_USER_HOME"), *home;

	if (e != NULL && e[0] == '/')
		return xstrdup(e);
	home = getenv("HOME");
	if (home == NULL || home[0] != '/')
		return NULL;
	return xasprintf("%s/.android", home);
}

static EVP_PKEY *
read_pem(const char *path)
{
	EVP_PKEY *k;
	FILE *fp = fopen(path, "re");

	if (fp == NULL)
		return NULL;
	k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if (k != NULL && EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

static void
add_key(struct adbkeys *ks, EVP_PKEY *k, const char *path)
{
	if (ks->n >= MAX_KEYS) {
		EVP_PKEY_free(k);
		return;
	}
	ks->key[ks->n] = k;
	ks->path[ks->n] = xstrdup(path);
	ks->n++;
}

/* Write data to path atomically with the given mode. */
static int
write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int fd, rc = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = dm_from_errno(errno);
		free(tmp);
		return rc;
	}
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) < 0)
		rc = DM_EIO;
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = dm_from_errno(errno);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int
create_key(const char *dir, const char *path, char *err, size_t errlen)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	BIO *mem = NULL;
	struct adbkeys tmp;
	char *pub = NULL, *pubpath = NULL, *pem;
	long pemlen;
	int rc;

	if (k == NULL)
		return dm_fail(err, errlen, DM_EIO, "RSA key generation failed");
	rc = paths_mkdirs(dir, 0700);
	if (rc < 0) {
		rc = dm_fail(err, errlen, dm_from_errno(-rc),
		    "cannot create %s: %s", dir, strerror(-rc));
		goto out;
	}
	mem = BIO_new(BIO_s_mem());
	if (mem == NULL || !PEM_write_bio_PrivateKey(mem, k, NULL, NULL, 0,
	    NULL, NULL)) {
		rc = dm_fail(err, errlen, DM_EIO, "cannot encode the key");
		goto out;
	}
	pemlen = BIO_get_mem_data(mem, &pem);
	rc = write_file(path, pem, (size_t)pemlen, 0600);
	if (rc < 0) {
		dm_fail(err, errlen, rc, "cannot write %s: %s", path,
		    dm_strerror(rc));
		goto out;
	}
	tmp.n = 1;
	tmp.key[0] = k;
	tmp.path[0] = (char *)path;
	pub = adbkeys_pubkey_line(&tmp, 0);
	pubpath = xasprintf("%s.pub", path);
	if (pub == NULL || write_file(pubpath, pub, strlen(pub), 0644) < 0)
		log_warn("adb", "could not write %s", pubpath);
	log_info("adb", "created ADB key %s", path);
	rc = 0;
out:
	BIO_free(mem);
	EVP_PKEY_free(k);
	free(pub);
	free(pubpath);
	return rc;
}

static void
load_vendor_keys(struct adbkeys *ks)
{
	const char *e = getenv("ADB_VENDOR_KEYS");
	char *list, *save = NULL, *tok;

	if (e == NULL || *e == '\0')
		return;
	list = xstrdup(e);
	for (tok = strtok_r(list, ":", &save); tok != NULL;
	    tok = strtok_r(NULL, ":", &save)) {
		struct stat st;

		if (stat(tok, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(tok);
			struct dirent *de;

			while (d != NULL && (de = readdir(d)) != NULL) {
				size_t n = strlen(de->d_name);
				char *p;
				EVP_PKEY *k;

				if (n < 8 || strcmp(de->d_name + n - 8,
				    ".adb_key") != 0)
					continue;
				p = xasprintf("%s/%s", tok, de->d_name);
				k = read_pem(p);
				if (k != NULL)
					add_key(ks, k, p);
				free(p);
			}
			if (d != NULL)
				closedir(d);
		} else {
			EVP_PKEY *k = read_pem(tok);

			if (k != NULL)
				add_key(ks, k, tok);
			else
				log_warn("adb", "ADB_VENDOR_KEYS: %s is not "
				    "an RSA private key", tok);
		}
	}
	free(list);
}

struct adbkeys *
adbkeys_load(char *err, size_t errlen)
{
	struct adbkeys *ks = xcalloc(1, sizeof(*ks));
	char *dir = android_dir(), *path;
	EVP_PKEY *k;

	if (dir == NULL) {
		dm_fail(err, errlen, DM_ENOENT,
		    "no HOME: cannot find ~/.android/adbkey");
		free(ks);
		return NULL;
	}
	path = xasprintf("%s/adbkey", dir);
	k = read_pem(path);
	if (k == NULL && access(path, F_OK) == 0) {
		dm_fail(err, errlen, DM_EINVAL, "%s exists but is not an RSA "
		    "private key in PEM form", path);
		goto fail;
	}
	if (k == NULL) {
		if (create_key(dir, path, err, errlen) < 0)
			goto fail;
		k = read_pem(path);
		if (k == NULL) {
			dm_fail(err, errlen, DM_EIO, "cannot read back %s",
			    path);
			goto fail;
		}
	}
	add_key(ks, k, path);
	load_vendor_keys(ks);
	free(dir);
	free(path);
	return ks;
fail:
	free(dir);
	free(path);
	free(ks);
	return NULL;
}

void
adbkeys_free(struct adbkeys *ks)
{
	if (ks == NULL)
		return;
	for (int i = 0; i < ks->n; i++) {
		EVP_PKEY_free(ks->key[i]);
		free(ks->path[i]);
	}
	free(ks);
}

int
adbkeys_count(const struct adbkeys *ks)
{
	return ks ? ks->n : 0;
}

const char *
adbkeys_path(const struct adbkeys *ks, int i)
{
	return (ks && i >= 0 && i < ks->n) ? ks->path[i] : "";
}

int
adbkeys_sign(const struct adbkeys *ks, int i, const uint8_t *token,
    size_t token_len, uint8_t *sig, size_t sigcap)
{
	EVP_PKEY_CTX *ctx;
	size_t siglen = sigcap;
	int rc = DM_EIO;

	if (ks == NULL || i < 0 || i >= ks->n || token_len != 20)
		return DM_EINVAL;
	ctx = EVP_PKEY_CTX_new(ks->key[i], NULL);
	if (ctx != NULL && EVP_PKEY_sign_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha1()) > 0 &&
	    EVP_PKEY_sign(ctx, sig, &siglen, token, token_len) > 0)
		rc = (int)siglen;
	EVP_PKEY_CTX_free(ctx);
	return rc;
}


int
adbkeys_pubkey_struct(const struct adbkeys *ks, int i,
    uint8_t out[ADBKEY_PUBKEY_SIZE])
{
	BIGNUM *n = NULL, *e = NULL, *r32 = NULL, *n0 = NULL, *n0inv = NULL;
	BIGNUM *rr = NULL;
	BN_CTX *bc = NULL;
	int rc = DM_EIO;

	if (ks == NULL || i < 0 || i >= ks->n)
		return DM_EINVAL;
	if (!EVP_PKEY_get_bn_param(ks->key[i], OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(ks->key[i], OSSL_PKEY_PARAM_RSA_E, &e))
		goto out;
	if (BN_num_bytes(n) != 256) {
		rc = DM_EUNSUPP;	/* adbd wants RSA-2048 */
		goto out;
	}
	bc = BN_CTX_new();
	r32 = BN_new();
	n0 = BN_new();
	rr = BN_new();
	if (bc == NULL || r32 == NULL || n0 == NULL || rr == NULL)
		goto out;
	/* n0inv = -1 / n[0] mod 2^32 */
	BN_set_bit(r32, 32);
	if (!BN_mod(n0, n, r32, bc))
		goto out;
	n0inv = BN_mod_inverse(NULL, n0, r32, bc);
	if (n0inv == NULL || !BN_sub(n0inv, r32, n0inv))
		goto out;
	/* rr = (2^2048)^2 mod n */
	BN_set_bit(rr, 4096);
	if (!BN_mod(rr, rr, n, bc))
		goto out;
	memset(out, 0, ADBKEY_PUBKEY_SIZE);
	le32_put(out, 64);
	le32_put(out + 4, (uint32_t)BN_get_word(n0inv));
	if (BN_bn2lebinpad(n, out + 8, 256) != 256 ||
	    BN_bn2lebinpad(rr, out + 264, 256) != 256)
		goto out;
	le32_put(out + 520, (uint32_t)BN_get_word(e));
	rc = 0;
out:
	BN_free(n);
	BN_free(e);
	BN_free(r32);
	BN_free(n0);
	BN_free(n0inv);
	BN_free(rr);
	BN_CTX_free(bc);
	return rc;
}

char *
adbkeys_pubkey_line(const struct adbkeys *ks, int i)
{
	uint8_t raw[ADBKEY_PUBKEY_SIZE];
	char b64[4 * ((ADBKEY_PUBKEY_SIZE + 2) / 3) + 1];
	char host[256] = "unknown";
	const char *user = getenv("USER");

	if (adbkeys_pubkey_struct(ks, i, raw) < 0)
		return NULL;
	EVP_EncodeBlock((unsigned char *)b64, raw, ADBKEY_PUBKEY_SIZE);
	gethostname(host, sizeof(host) - 1);
	return xasprintf("%s %s@%s", b64, user && *user ? user : "droidmedic",
	    host);
}

int
adbkeys_fingerprint(const struct adbkeys *ks, int i, char out[48])
{
	uint8_t raw[ADBKEY_PUBKEY_SIZE], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (adbkeys_pubkey_struct(ks, i, raw) < 0)
		return DM_EINVAL;
	/* The phone's prompt shows MD5 over the key as sent, decoded. */
	if (EVP_Digest(raw, sizeof(raw), md, &mdlen, EVP_md5(), NULL) != 1 ||
	    mdlen != 16)
		return DM_EIO;
	for (unsigned int k = 0; k < mdlen; k++)
		snprintf(out + 3 * k, 48 - 3 * k, "%02X%s", md[k],
		    k + 1 < mdlen ? ":" : "");
	return 0;
}
