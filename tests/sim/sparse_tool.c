/* sparse_tool.c - a test driver for src/sparse.c, so that
 * tests/sim/sparse_simg.sh can hold it against AOSP's img2simg and
 * simg2img.  Not installed.
 *
 *   sparse_tool map [--sparse] [--size N] IN     print the layout
 *   sparse_tool split [--sparse] LIMIT IN PREFIX write PREFIX.0, .1 ...
 *   sparse_tool expand IN OUT                     expand onto OUT
 *
 * IN may be "-" for standard input (a pipe: no seeking; split needs two
 * passes, so not there).  --sparse refuses raw input; --size gives the
 * input's length up front (else it is measured).  Errors go to stderr
 * and exit 1. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "sparse.h"

static int
die(const char *what, const char *why)
{
	fprintf(stderr, "sparse_tool: %s: %s\n", what, why);
	return 1;
}

static int
open_in(const char *path, uint64_t *size)
{
	struct stat st;
	int fd;

	if (strcmp(path, "-") == 0) {
		*size = 0;
		return 0;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		*size = (uint64_t)st.st_size;
	else
		*size = 0;
	return fd;
}

static int
cmd_map(int argc, char **argv)
{
	struct sparse_map m;
	struct sparse_src src;
	uint64_t size, given = 0;
	uint32_t blk = SPARSE_BLK_SZ;
	char err[256];
	int fd, i = 0, rc;

	for (; i < argc - 1; i++) {
		if (strcmp(argv[i], "--sparse") == 0)
			blk = 0;
		else if (strcmp(argv[i], "--size") == 0 && i + 2 < argc)
			given = strtoull(argv[++i], NULL, 0);
		else
			break;
	}
	if (i != argc - 1)
		return die("map", "usage: map [--sparse] [--size N] IN");
	fd = open_in(argv[i], &size);
	if (fd < 0)
		return die(argv[i], strerror(errno));
	if (given)
		size = given;
	sparse_src_fd(&src, &fd);
	rc = sparse_map_read(&src, size, blk, &m, err, sizeof(err));
	close(fd);
	if (rc < 0)
		return die(argv[i], err);
	printf("%s blk_sz %" PRIu32 " total_blks %" PRIu32 " in_size %"
	    PRIu64 " trailing %" PRIu64 " raw_tail %" PRIu64 " chunks %zu\n",
	    m.sparse ? "sparse" : "raw", m.blk_sz, m.total_blks, m.in_size,
	    m.trailing, m.raw_tail, m.n);
	for (size_t j = 0; j < m.n; j++)
		printf("%04x %" PRIu32 " %" PRIu32 " %" PRIu64 "\n",
		    m.chunks[j].type, m.chunks[j].blk, m.chunks[j].nblk,
		    m.chunks[j].in_off);
	sparse_map_free(&m);
	return 0;
}

static int
out_fd(void *ud, const void *buf, size_t len)
{
	int fd = *(int *)ud;
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return DM_EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
cmd_split(int argc, char **argv)
{
	struct sparse_writer *w;
	struct sparse_piece *p;
	struct sparse_map m;
	struct sparse_src src;
	uint64_t size, limit;
	uint32_t blk = SPARSE_BLK_SZ;
	size_t n;
	char err[256], *name;
	int fd, out, rc, i = 0;

	if (argc > 0 && strcmp(argv[0], "--sparse") == 0) {
		blk = 0;
		i++;
	}
	if (argc - i != 3)
		return die("split", "usage: split [--sparse] LIMIT IN PREFIX");
	limit = strtoull(argv[i], NULL, 0);
	fd = open_in(argv[i + 1], &size);
	if (fd <= 0)
		return die(argv[i + 1], fd == 0 ? "needs a file" :
		    strerror(errno));
	sparse_src_fd(&src, &fd);
	rc = sparse_map_read(&src, size, blk, &m, err, sizeof(err));
	if (rc < 0)
		return die(argv[i + 1], err);
	rc = sparse_plan(&m, limit, &p, &n, err, sizeof(err));
	if (rc < 0)
		return die("plan", err);
	/* The second pass starts again from the beginning. */
	if (lseek(fd, 0, SEEK_SET) < 0)
		return die(argv[i + 1], strerror(errno));
	w = sparse_writer_new(&m, &src);
	for (size_t k = 0; k < n; k++) {
		if (asprintf(&name, "%s.%zu", argv[i + 2], k) < 0)
			return die("asprintf", strerror(errno));
		out = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (out < 0)
			return die(name, strerror(errno));
		rc = sparse_write_piece(w, &p[k], out_fd, &out, err,
		    sizeof(err));
		close(out);
		if (rc < 0)
			return die(name, err);
		printf("piece %zu size %" PRIu64 " %s blocks %" PRIu32 "-%"
		    PRIu32 "\n", k, p[k].size, p[k].verbatim ? "verbatim" :
		    "sparse", p[k].blk_first, p[k].blk_end);
		free(name);
	}
	sparse_writer_free(w);
	free(p);
	sparse_map_free(&m);
	close(fd);
	return 0;
}

static int
cmd_expand(int argc, char **argv)
{
	struct sparse_src src;
	uint64_t size;
	char err[256];
	int fd, out, rc;

	if (argc != 2)
		return die("expand", "usage: expand IN OUT");
	fd = open_in(argv[0], &size);
	if (fd < 0)
		return die(argv[0], strerror(errno));
	out = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (out < 0)
		return die(argv[1], strerror(errno));
	sparse_src_fd(&src, &fd);
	rc = sparse_expand_to_fd(&src, out, err, sizeof(err));
	close(out);
	if (fd > 0)
		close(fd);
	if (rc < 0)
		return die(argv[0], err);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "map") == 0)
		return cmd_map(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "split") == 0)
		return cmd_split(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "expand") == 0)
		return cmd_expand(argc - 2, argv + 2);
	fprintf(stderr, "usage: sparse_tool map|split|expand ...\n");
	return 2;
}
