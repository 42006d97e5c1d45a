/* adbpkt.c - ADB packet codec and banner parser (see adbpkt.h).  No
 * state: any thread; the transport decides blocking. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "adbpkt.h"
#include "err.h"
#include "transport.h"
#include "bytes.h"



const char *
adbpkt_name(uint32_t cmd)
{
	switch (cmd) {
	case ADB_CNXN: return "CNXN";
	case ADB_AUTH: return "AUTH";
	case ADB_OPEN: return "OPEN";
	case ADB_OKAY: return "OKAY";
	case ADB_WRTE: return "WRTE";
	case ADB_CLSE: return "CLSE";
	case ADB_STLS: return "STLS";
	case ADB_SYNC: return "SYNC";
	}
	return "????";
}

uint32_t
adbpkt_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return sum;
}

void
adbpkt_encode_header(uint8_t out[ADB_HEADER_SIZE], uint32_t cmd,
    uint32_t arg0, uint32_t arg1, const void *data, uint32_t len,
    int with_checksum)
{
	le32_put(out, cmd);
	le32_put(out + 4, arg0);
	le32_put(out + 8, arg1);
	le32_put(out + 12, len);
	le32_put(out + 16, with_checksum && len ? adbpkt_checksum(data, len) : 0);
	le32_put(out + 20, cmd ^ 0xffffffffu);
}

int
adbpkt_decode_header(const uint8_t in[ADB_HEADER_SIZE], struct adb_packet *p,
    uint32_t max_payload, char *err, size_t errlen)
{
	uint32_t magic;

	p->cmd = le32_get(in);
	p->arg0 = le32_get(in + 4);
	p->arg1 = le32_get(in + 8);
	p->len = le32_get(in + 12);
	p->check = le32_get(in + 16);
	magic = le32_get(in + 20);
	p->data = NULL;
	if (magic != (p->cmd ^ 0xffffffffu))
		return dm_fail(err, errlen, DM_EPROTO,
		    "bad packet magic %08x for command %08x", magic, p->cmd);
	if (strcmp(adbpkt_name(p->cmd), "????") == 0)
		return dm_fail(err, errlen, DM_EPROTO,
		    "unknown packet command %08x", p->cmd);
	if (p->len > max_payload)
		return dm_fail(err, errlen, DM_EPROTO,
		    "%s packet of %u bytes exceeds the %u-byte maximum",
		    adbpkt_name(p->cmd), p->len, max_payload);
	return 0;
}

int
adbpkt_verify(const struct adb_packet *p, uint32_t version, char *err,
    size_t errlen)
{
	uint32_t sum;

	if (version >= ADB_VERSION_SKIP_CHECKSUM || p->len == 0)
		return 0;
	sum = adbpkt_checksum(p->data, p->len);
	if (sum != p->check)
		return dm_fail(err, errlen, DM_EPROTO,
		    "%s payload checksum %08x, header says %08x",
		    adbpkt_name(p->cmd), sum, p->check);
	return 0;
}

int
adbpkt_send(struct transport *t, uint32_t cmd, uint32_t arg0, uint32_t arg1,
    const void *data, uint32_t len, int with_checksum, int ms)
{
	uint8_t hdr[ADB_HEADER_SIZE];
	int rc;

	adbpkt_encode_header(hdr, cmd, arg0, arg1, data, len, with_checksum);
	rc = transport_write(t, hdr, sizeof(hdr), ms);
	if (rc < 0)
		return rc;
	if (len > 0) {
		rc = transport_write(t, data, len, ms);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
adbpkt_recv(struct transport *t, struct adb_packet *p, uint8_t *buf,
    size_t bufsize, uint32_t max_payload, int ms)
{
	uint8_t hdr[ADB_HEADER_SIZE];
	int rc;

	if (bufsize < max_payload)
		return DM_EINVAL;
	rc = transport_read_full(t, hdr, sizeof(hdr), ms);
	if (rc < 0)
		return rc;
	rc = adbpkt_decode_header(hdr, p, max_payload, t->errbuf,
	    sizeof(t->errbuf));
	if (rc < 0)
		return rc;
	if (p->len > 0) {
		rc = transport_read_full(t, buf, p->len, ms);
		if (rc < 0)
			return rc;
	}
	p->data = buf;
	return 0;
}

int
adbpkt_has_feature(const char *features, const char *name)
{
	size_t n = strlen(name);
	const char *p = features;

	if (n == 0)
		return 0;
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && strncmp(p, name, n) == 0)
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static void
copy_field(char *dst, size_t dstlen, const char *src, size_t len)
{
	if (len >= dstlen)
		len = dstlen - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

int
adbpkt_parse_banner(const char *s, size_t len, struct adb_banner *b)
{
	const char *end, *colon, *p;

	memset(b, 0, sizeof(*b));
	/* The banner may carry its trailing NUL inside len. */
	end = memchr(s, '\0', len);
	if (end == NULL)
		end = s + len;
	colon = memchr(s, ':', (size_t)(end - s));
	if (colon == NULL)
		return DM_EINVAL;
	copy_field(b->type, sizeof(b->type), s, (size_t)(colon - s));
	/* "type:serial:props"; the serial part is empty in practice. */
	p = memchr(colon + 1, ':', (size_t)(end - colon - 1));
	p = p ? p + 1 : colon + 1;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *stop = semi ? semi : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));

		if (eq != NULL) {
			size_t klen = (size_t)(eq - p), vlen =
			    (size_t)(stop - eq - 1);

			if (klen == 15 && !strncmp(p, "ro.product.name", 15))
				copy_field(b->product, sizeof(b->product),
				    eq + 1, vlen);
			else if (klen == 16 &&
			    !strncmp(p, "ro.product.model", 16))
				copy_field(b->model, sizeof(b->model), eq + 1,
				    vlen);
			else if (klen == 17 &&
			    !strncmp(p, "ro.product.device", 17))
				copy_field(b->device, sizeof(b->device),
				    eq + 1, vlen);
			else if (klen == 8 && !strncmp(p, "features", 8))
				copy_field(b->features, sizeof(b->features),
				    eq + 1, vlen);
		}
		p = stop + 1;
	}
	return 0;
}
