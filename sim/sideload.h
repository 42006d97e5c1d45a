/* sideload.h - "sideload-host:SIZE:BLOCK", the recovery's OTA sideload
 * (protocols.md section 6): the phone asks for blocks by number (8 ASCII
 * digits), the host sends each, "DONEDONE" ends it.  The package lands in
 * the phone's state directory as sideload/package.zip, and the phone then
 * goes back to recovery.  Runs on the stream's thread. */
#ifndef DM_SIM_SIDELOAD_H
#define DM_SIM_SIDELOAD_H

struct adbd_stream;

int sideload_service(struct adbd_stream *s, const char *service);

#endif
