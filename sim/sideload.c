/* sideload.c - recovery's "adb sideload" (see sideload.h): ask for every
 * block in turn, store it, say DONEDONE, go back to recovery.  Runs on the
 * stream's thread. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adbd.h"
#include "err.h"
#include "log.h"
#include "phone.h"
#include "sideload.h"
#include "xmem.h"

#define SIDELOAD_MAX_SIZE	(8ull << 30)
#define SIDELOAD_MAX_BLOCK	(1u << 20)

int
sideload_service(struct adbd_stream *s, const char *service)
{
	struct phone *ph = adbd_stream_phone(s);
	unsigned long long size, block;
	char *dir = NULL, *path = NULL, *end, req[16];
	uint8_t *buf = NULL;
	uint64_t nblocks;
	int fd = -1, rc = 0;

	/* "sideload-host:SIZE:BLOCK" */
	size = strtoull(service + strlen("sideload-host:"), &end, 10);
	block = *end == ':' ? strtoull(end + 1, &end, 10) : 0;
	if (size == 0 || size > SIDELOAD_MAX_SIZE || block == 0 ||
	    block > SIDELOAD_MAX_BLOCK) {
		log_warn("sim", "%s: bad sideload request \"%s\"",
		    phone_serial(ph), service);
		adbd_stream_write(s, "FAILFAIL", 8);
		return DM_EINVAL;
	}
	dir = xasprintf("%s/sideload", phone_dir(ph));
	path = xasprintf("%s/package.zip", dir);
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0) {
		log_err("sim", "%s: %s: %s", phone_serial(ph), path,
		    strerror(errno));
		adbd_stream_write(s, "FAILFAIL", 8);
		rc = DM_EIO;
		goto out;
	}
	buf = xmalloc((size_t)block);
	nblocks = (size + block - 1) / block;
	for (uint64_t i = 0; i < nblocks; i++) {
		size_t n = (size_t)(i + 1 < nblocks ? block :
		    size - i * block);

		snprintf(req, sizeof(req), "%08" PRIu64, i);
		rc = adbd_stream_write(s, req, 8);
		if (rc == 0)
			rc = adbd_stream_flush(s);
		if (rc == 0)
			rc = adbd_stream_read_full(s, buf, n);
		if (rc < 0)
			goto out;
		if (pwrite(fd, buf, n, (off_t)(i * block)) != (ssize_t)n) {
			log_err("sim", "%s: %s: %s", phone_serial(ph), path,
			    strerror(errno));
			adbd_stream_write(s, "FAILFAIL", 8);
			rc = DM_EIO;
			goto out;
		}
	}
	rc = adbd_stream_write(s, "DONEDONE", 8);
	if (rc == 0) {
		log_info("sim", "%s: sideloaded %llu bytes into %s",
		    phone_serial(ph), size, path);
		adbd_stream_close(s);
		/* The package is "installed"; recovery shows its menu. */
		phone_reboot(ph, "recovery");
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(dir);
	free(path);
	return rc;
}
