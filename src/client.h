/* client.h - talking to the bench server: the dashboard and every CLI
 * command are clients.
 *
 * client_connect() connects to the server's socket and, when allowed,
 * starts the server first (fork + exec of this same program as
 * `droidmedic server start --foreground`, detached from the terminal and
 * the session so a dropped SSH session does not take it down).
 * client_call() is synchronous; events that arrive meanwhile are queued
 * and handed out by client_next_event(). Single-threaded use only. */
#ifndef DM_CLIENT_H
#define DM_CLIENT_H

#include <stddef.h>
#include <cjson/cJSON.h>

struct client;

/* The program to exec when the server must be started (default: the
 * running executable, /proc/self/exe). */
void client_set_server_exe(const char *path);

/* NULL on failure, with the reason in err. */
struct client *client_connect(int autostart, const char *name,
    char *err, size_t errlen);
void client_free(struct client *c);
int client_fd(const struct client *c);

/* Send {"op":op,"params":params} (params taken, may be NULL) and wait up to
 * timeout_ms for the reply.  0 and *result (owned by the caller, may be
 * NULL when not wanted), or a negative dm_err with the server's message in
 * err. */
int client_call(struct client *c, const char *op, cJSON *params,
    cJSON **result, int timeout_ms, char *err, size_t errlen);

/* Read whatever is available now (after poll() said the fd is readable):
 * number of messages queued, or DM_ECLOSED when the server went away. */
int client_pump(struct client *c);
/* Next event (caller frees with cJSON_Delete) or NULL.  Events can be
 * buffered without the fd being readable (they came with a reply), so
 * take them all with this before waiting on client_fd(). */
cJSON *client_next_event(struct client *c);

/* The server's hello reply (borrowed, valid until client_free). */
const cJSON *client_hello(const struct client *c);

#endif
