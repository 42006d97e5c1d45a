/* version.c - --version output: ours and the libraries' runtime versions. */
#include "config.h"

#include <archive.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <libusb.h>
#include <openssl/crypto.h>

#include "version.h"

void
version_print(FILE *fp)
{
	const struct libusb_version *u = libusb_get_version();
	curl_version_info_data *c = curl_version_info(CURLVERSION_NOW);

	fprintf(fp, "%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
	fprintf(fp, "  libusb %u.%u.%u%s\n", u->major, u->minor, u->micro,
	    u->rc ? u->rc : "");
	fprintf(fp, "  libcurl %s (%s)\n", c->version,
	    c->ssl_version ? c->ssl_version : "no TLS");
	fprintf(fp, "  %s\n", archive_version_details());
	fprintf(fp, "  cJSON %s\n", cJSON_Version());
	fprintf(fp, "  %s\n", OpenSSL_version(OPENSSL_VERSION));
}
