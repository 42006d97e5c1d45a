/* fuzz_gzindex.c - libFuzzer target: whatever bytes a .tgz holds, through
 * the gzip index builder (access points every 4 KiB of output), and when
 * it takes them, every range read back through the index must be the
 * bytes the build pass gave; every compressed byte must have been fed to
 * the hashes. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gzindex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fed {
	size_t n;
};

static void
count(void *ud, const void *p, size_t n)
{
	(void)p;
	((struct fed *)ud)->n += n;
}

#define OUT_MAX	(4u << 20)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gzbuild *b;
	struct gzidx *x = NULL;
	struct fed fed = { 0 };
	char err[256], path[64];
	uint8_t *out, *buf;
	size_t have = 0;
	const void *p;
	ssize_t n;
	int fd;

	if (size > (1u << 20))
		return 0;
	fd = memfd_create("fuzz_gzindex", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (gzbuild_new(fd, count, &fed, &b, err, sizeof(err)) != 0)
		abort();
	gzbuild_set_span(b, 4096);
	out = malloc(OUT_MAX);
	while ((n = gzbuild_read(b, &p, err, sizeof(err))) > 0) {
		if (have + (size_t)n > OUT_MAX) {	/* a bomb: enough */
			gzbuild_free(b);
			goto done;
		}
		memcpy(out + have, p, (size_t)n);
		have += (size_t)n;
	}
	if (n < 0) {
		if (err[0] == '\0')
			abort();	/* a refusal says why */
		gzbuild_free(b);
		goto done;
	}
	if (gzbuild_finish(b, &x, err, sizeof(err)) != 0)
		goto done;
	if (fed.n != size || gzidx_size(x) != have)
		abort();
	buf = malloc(have + 1);
	for (size_t i = 0; i < 8 && have > 0; i++) {
		size_t off = (size_t)((i * 7919u) % have);
		size_t len = have - off < 9000 ? have - off : 9000;
		struct gzread *r;
		size_t got = 0;

		if (gzread_open(path, x, off, len, &r, err, sizeof(err)) != 0)
			abort();
		while (got < len) {
			ssize_t k = gzread_read(r, buf + got, len - got);

			if (k <= 0)
				abort();
			got += (size_t)k;
		}
		if (memcmp(buf, out + off, len) != 0)
			abort();
		gzread_close(r);
	}
	free(buf);
	gzidx_free(x);
done:
	free(out);
	close(fd);
	return 0;
}
