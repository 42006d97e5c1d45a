/* sync.h - the "sync:" service (protocols.md section 7): STAT, LST2,
 * STA2, LIST, LIS2, RECV, RCV2, SEND, SND2, QUIT over the phone's files
 * (vfs.h).  Runs on the stream's thread. */
#ifndef DM_SIM_SYNC_H
#define DM_SIM_SYNC_H

struct adbd_stream;

int sync_service(struct adbd_stream *s, const char *service);

#endif
