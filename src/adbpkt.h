/* adbpkt.h - the ADB packet: 24-byte header plus payload (protocols.md
 * section 3), shared by the host side (adb.c) and the simulator's device
 * side (sim/).  Pure functions plus blocking read/write over a transport.
 *
 * Header, little-endian u32s: command, arg0, arg1, data_length,
 * data_check (byte sum of the payload; 0 allowed once both sides speak
 * version >= ADB_VERSION_SKIP_CHECKSUM), magic (command ^ 0xffffffff). */
#ifndef DM_ADBPKT_H
#define DM_ADBPKT_H

#include <stddef.h>
#include <stdint.h>

struct transport;

#define ADB_CNXN 0x4e584e43u
#define ADB_AUTH 0x48545541u
#define ADB_OPEN 0x4e45504fu
#define ADB_OKAY 0x59414b4fu
#define ADB_WRTE 0x45545257u
#define ADB_CLSE 0x45534c43u
#define ADB_STLS 0x534c5453u
#define ADB_SYNC 0x434e5953u

#define ADB_VERSION_MIN			0x01000000u
#define ADB_VERSION_SKIP_CHECKSUM	0x01000001u
#define ADB_MAX_PAYLOAD_V1		4096u		/* before CNXN */
#define ADB_MAX_PAYLOAD			(1024u * 1024u)	/* ours */
#define ADB_HEADER_SIZE			24

#define ADB_AUTH_TOKEN		1
#define ADB_AUTH_SIGNATURE	2
#define ADB_AUTH_RSAPUBLICKEY	3
#define ADB_AUTH_TOKEN_SIZE	20

struct adb_packet {
	uint32_t cmd, arg0, arg1;
	uint32_t len;		/* payload length */
	uint32_t check;		/* as received */
	uint8_t *data;		/* len bytes (owned by whoever filled it) */
};

/* "CNXN", "WRTE", ... or "????" for an unknown command. */
const char *adbpkt_name(uint32_t cmd);
uint32_t adbpkt_checksum(const void *data, size_t len);

/* Encode a header into out[24]. */
void adbpkt_encode_header(uint8_t out[ADB_HEADER_SIZE], uint32_t cmd,
    uint32_t arg0, uint32_t arg1, const void *data, uint32_t len,
    int with_checksum);
/* Decode and check a header (magic, known command, len <= max_payload).
 * 0 or DM_EPROTO with the reason in err. */
int adbpkt_decode_header(const uint8_t in[ADB_HEADER_SIZE],
    struct adb_packet *p, uint32_t max_payload, char *err, size_t errlen);
/* Check the payload checksum when the negotiated version needs it. */
int adbpkt_verify(const struct adb_packet *p, uint32_t version, char *err,
    size_t errlen);

/* Send one packet (header, then payload as a second write, as USB needs).
 * Returns 0 or a negative dm_err (detail in t->errbuf). */
int adbpkt_send(struct transport *t, uint32_t cmd, uint32_t arg0,
    uint32_t arg1, const void *data, uint32_t len, int with_checksum,
    int ms);
/* Receive one packet into p; p->data points into buf (bufsize bytes, at
 * least max_payload).  USB: the header arrives as its own transfer, then
 * exactly len bytes.  0 or a negative dm_err. */
int adbpkt_recv(struct transport *t, struct adb_packet *p, uint8_t *buf,
    size_t bufsize, uint32_t max_payload, int ms);

/* Parse a CNXN banner "device::ro.product.name=x;...;features=a,b".
 * Copies the type ("device", "recovery", ...) and the features list, and
 * looks up one property value (key may be NULL).  0 or DM_EINVAL. */
struct adb_banner {
	char type[16];
	char product[64], model[64], device[64];
	char features[1024];
};
int adbpkt_parse_banner(const char *s, size_t len, struct adb_banner *b);
/* 1 if the comma-separated feature list has name. */
int adbpkt_has_feature(const char *features, const char *name);

#endif
