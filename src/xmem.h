/* xmem.h - allocation that never returns NULL.
 *
 * On out-of-memory the registered fatal hook runs (the dashboard uses it to
 * restore the terminal), the failure is logged, and the process aborts. */
#ifndef DM_XMEM_H
#define DM_XMEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* asprintf that aborts on failure. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Called once before abort() on OOM or on dm_fatal(). */
void xmem_set_fatal_hook(void (*hook)(void));
/* Log, run the hook, print to stderr and abort. */
void dm_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
