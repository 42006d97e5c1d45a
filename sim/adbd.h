/* adbd.h - the device side of one ADB connection: handshake and auth,
 * streams with flow control, service dispatch, hostile-device faults.
 *
 * Threads: adbd_serve() runs on the connection's own thread (started by
 * phone.c for each accepted socket) and reads every packet.  Each stream
 * runs its service on a thread of its own, which blocks in the
 * adbd_stream_*() calls below; those are only for that thread.  Packets
 * from all threads go out whole under one write lock.
 *
 * Flow control follows adbd: without delayed_ack one WRTE per stream is in
 * flight until the host's OKAY; with delayed_ack (both banners list it)
 * the host's OPEN grants a byte window, every OKAY carries a 4-byte count,
 * and we grant the host ADBD_WINDOW bytes.  Host data is acknowledged as
 * the service consumes it, so a slow service slows the host down. */
#ifndef DM_SIM_ADBD_H
#define DM_SIM_ADBD_H

#include <stddef.h>
#include <stdint.h>

struct phone;
struct adbd_conn;
struct adbd_stream;

#define ADBD_WINDOW	(4u << 20)	/* delayed_ack window we grant */

/* Serve one accepted socket until the host goes away or the phone kicks
 * the connection; closes fd. */
void adbd_serve(struct phone *ph, int fd, const char *name);

/* Close a connection from another thread (reboot, shutdown, a close
 * fault): streams end, our side is shut (the host sees EOF after what was
 * already sent), and the connection thread finishes within about a
 * second.  Safe while the connection is registered with its phone. */
void adbd_conn_kick(struct adbd_conn *c);

/* --- for services, on their stream's thread --- */

/* Up to len bytes from the host; 0 once the host closed the stream (after
 * its data), a negative dm_err when the connection is gone.  Pending
 * output is flushed before waiting. */
int adbd_stream_read(struct adbd_stream *s, void *buf, size_t len);
/* Exactly len bytes, or DM_ECLOSED. */
int adbd_stream_read_full(struct adbd_stream *s, void *buf, size_t len);
/* Queue bytes (split into WRTE packets of the negotiated size). */
int adbd_stream_write(struct adbd_stream *s, const void *buf, size_t len);
/* Send what is queued. */
int adbd_stream_flush(struct adbd_stream *s);
/* Room in the packet being built: at least want bytes (flushing first if
 * needed; want <= the maximum payload), *space says how many.  Fill it,
 * then adbd_stream_commit() what was written.  NULL on a dead stream. */
uint8_t *adbd_stream_reserve(struct adbd_stream *s, size_t want,
    size_t *space);
int adbd_stream_commit(struct adbd_stream *s, size_t n);
/* Flush and send our CLSE now (the service may still tidy up). */
void adbd_stream_close(struct adbd_stream *s);
/* Sleep up to ms; returns early (DM_ECLOSED) when the stream ends. */
int adbd_stream_sleep(struct adbd_stream *s, int ms);

struct phone *adbd_stream_phone(const struct adbd_stream *s);
uint32_t adbd_stream_max_payload(const struct adbd_stream *s);

/* Sync RECV progress, for the "recv" faults: how many more file bytes may
 * go out before one fires (UINT64_MAX when none is armed), and the hook
 * to call after each chunk with the total so far.  The hook returns 0 to
 * carry on or DM_ECLOSED when the fault ended the transfer. */
uint64_t adbd_stream_fault_room(struct adbd_stream *s, uint64_t done);
int adbd_stream_progress(struct adbd_stream *s, uint64_t done);

#endif
