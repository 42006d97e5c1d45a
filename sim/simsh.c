/* simsh.c - the simulated phone's shell (see simsh.h): a lexer and parser
 * for a small sh, a runner for lists and pipelines, and toybox-like
 * builtins over the phone's files.  Runs on a shell stream's thread. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "profile.h"
#include "propdb.h"
#include "appstate.h"
#include "simsh.h"
#include "screen.h"
#include "png.h"
#include "vfs.h"
#include "xmem.h"

#define PIPE_CAP	(64u << 20)	/* bytes held between two commands */
#define MAX_DEPTH	8		/* sh -c within sh -c */
#define SH		"/system/bin/sh"
#define MAXI(a, b)	((a) > (b) ? (a) : (b))

/* --- where a command's fds point --- */

struct buf {
	char *p;
	size_t len, cap, pos;
};

enum end_kind { END_IO, END_NULL, END_FILE, END_BUF };

struct end {
	enum end_kind kind;
	int iofd;		/* END_IO: 0, 1 or 2 of the session */
	int fd;			/* END_FILE */
	struct buf *b;		/* END_BUF */
};

struct x {
	struct simsh *sh;
	const struct simsh_io *io;
	struct end e[3];
	int depth;
};

/* vfs flags for what the shell's user may reach. */
#define AS_ROOT(x)	((x)->sh->root ? VFS_ROOT : 0)

static int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > PIPE_CAP)
		return DM_ENOMEM;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static int
x_write(struct x *x, int fd, const void *p, size_t n)
{
	struct end *e = &x->e[fd];
	ssize_t w;

	switch (e->kind) {
	case END_IO:
		return x->io->write(x->io->ctx, e->iofd, p, n);
	case END_NULL:
		return 0;
	case END_BUF:
		/* A pipe past PIPE_CAP loses the rest, as a reader that
		 * quit early would. */
		buf_add(e->b, p, n);
		return 0;
	case END_FILE:
		/* A failing file write is not the session's problem. */
		while (n > 0) {
			w = write(e->fd, p, n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			p = (const char *)p + w;
			n -= (size_t)w;
		}
		return 0;
	}
	return 0;
}

static int
x_printf(struct x *x, int fd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
x_printf(struct x *x, int fd, const char *fmt, ...)
{
	char small[512], *p = small;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(small)) {
		p = xmalloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	rc = x_write(x, fd, p, (size_t)n);
	if (p != small)
		free(p);
	return rc;
}

static int
x_read(struct x *x, void *p, size_t n)
{
	struct end *e = &x->e[0];
	ssize_t r;

	switch (e->kind) {
	case END_IO:
		return x->io->read(x->io->ctx, p, n);
	case END_NULL:
		return 0;
	case END_BUF:
		if (n > e->b->len - e->b->pos)
			n = e->b->len - e->b->pos;
		memcpy(p, e->b->p + e->b->pos, n);
		e->b->pos += n;
		return (int)n;
	case END_FILE:
		do {
			r = read(e->fd, p, n);
		} while (r < 0 && errno == EINTR);
		return r < 0 ? 0 : (int)r;
	}
	return 0;
}

/* All of stdin (capped), for commands that need it whole. */
static int
x_slurp(struct x *x, struct buf *b)
{
	char tmp[65536];
	int n;

	while ((n = x_read(x, tmp, sizeof(tmp))) > 0)
		if (buf_add(b, tmp, (size_t)n) < 0)
			return DM_ENOMEM;
	return n;
}

/* --- variables --- */

static const char *const default_vars[] = {
	"EXTERNAL_STORAGE=/sdcard", "ANDROID_DATA=/data",
	"ANDROID_ROOT=/system", "ANDROID_STORAGE=/storage", "HOME=/",
	"PATH=/product/bin:/apex/com.android.runtime/bin:/apex/com.android."
	"art/bin:/system_ext/bin:/system/bin:/system/xbin:/odm/bin:/vendor/"
	"bin:/vendor/xbin", "SHELL=/bin/sh", "TMPDIR=/data/local/tmp",
};

static char **
var_slot(struct simsh *sh, const char *name, size_t nlen)
{
	for (int i = 0; i < SIMSH_MAX_VARS; i++)
		if (sh->vars[i] != NULL && strncmp(sh->vars[i], name, nlen) == 0
		    && sh->vars[i][nlen] == '=')
			return &sh->vars[i];
	return NULL;
}

static const char *
var_get(struct simsh *sh, const char *name, size_t nlen)
{
	char **slot = var_slot(sh, name, nlen);

	return slot ? *slot + nlen + 1 : NULL;
}

static void
var_set(struct simsh *sh, const char *assign)
{
	size_t nlen = (size_t)(strchr(assign, '=') - assign);
	char **slot = var_slot(sh, assign, nlen);

	for (int i = 0; slot == NULL && i < SIMSH_MAX_VARS; i++)
		if (sh->vars[i] == NULL)
			slot = &sh->vars[i];
	if (slot == NULL)
		return;		/* full: the assignment is lost */
	free(*slot);
	*slot = xstrdup(assign);
}

void
simsh_init(struct simsh *sh, const struct profile *prof, struct vfs *vfs,
    int root)
{
	const char *dev;
	char host[128];

	memset(sh, 0, sizeof(*sh));
	sh->prof = prof;
	sh->vfs = vfs;
	sh->root = root;
	for (size_t i = 0; i < sizeof(default_vars) / sizeof(default_vars[0]);
	    i++)
		var_set(sh, default_vars[i]);
	dev = propdb_get(prof->props, "ro.product.device");
	snprintf(host, sizeof(host), "HOSTNAME=%s", dev ? dev : "localhost");
	var_set(sh, host);
	var_set(sh, root ? "USER=root" : "USER=shell");
	var_set(sh, "PWD=/");
}

const char *
simsh_cwd(struct simsh *sh)
{
	const char *cwd = var_get(sh, "PWD", 3);

	return cwd ? cwd : "/";
}

void
simsh_done(struct simsh *sh)
{
	for (int i = 0; i < SIMSH_MAX_VARS; i++)
		free(sh->vars[i]);
}

/* --- lexer --- */

enum tok_kind { T_WORD, T_SEMI, T_AND, T_OR, T_PIPE, T_REDIR };
enum redir_op { R_OUT, R_APPEND, R_IN, R_DUP };

struct tok {
	enum tok_kind kind;
	char *text;		/* T_WORD */
	int quoted;		/* T_WORD: had quotes (kept when empty) */
	int fd;			/* T_REDIR */
	enum redir_op op;
};

struct toks {
	struct tok *v;
	size_t n, cap;
	char err[160];		/* syntax error, if any */
};

static void
toks_push(struct toks *t, struct tok k)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->n++] = k;
}

static void
toks_free(struct toks *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
}

struct word {
	char *p;
	size_t len, cap;
};

static void
word_add(struct word *w, const char *s, size_t n)
{
	if (w->len + n + 1 > w->cap) {
		w->cap = (w->len + n + 1) * 2;
		w->p = xrealloc(w->p, w->cap);
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
	w->p[w->len] = '\0';
}

/* "$..." at *pp: written into w as VAR_MARK name VAR_END, expanded when
 * the command runs (so "false; echo $?" sees the 1).  0, or -1 for an
 * unsupported form. */
#define VAR_MARK	'\x01'
#define VAR_END		'\x02'

static int
expand(const char **pp, struct word *w)
{
	const char *p = *pp + 1, *name = p;
	size_t n = 0;

	if (*p == '?' || *p == '$') {
		word_add(w, "\x01", 1);
		word_add(w, p, 1);
		word_add(w, "\x02", 1);
		*pp = p + 1;
		return 0;
	}
	if (*p == '(')
		return -1;
	if (*p == '{') {
		name = ++p;
		while (isalnum((unsigned char)p[n]) || p[n] == '_')
			n++;
		if (p[n] != '}')
			return -1;
		*pp = p + n + 1;
	} else {
		while (isalnum((unsigned char)p[n]) || p[n] == '_')
			n++;
		if (n == 0) {
			word_add(w, "$", 1);
			*pp = p;
			return 0;
		}
		*pp = p + n;
	}
	word_add(w, "\x01", 1);
	word_add(w, name, n);
	word_add(w, "\x02", 1);
	return 0;
}

/* The word with its variables filled in (malloc'ed). */
static char *
expand_word(struct simsh *sh, const char *in)
{
	struct word w = { 0 };

	word_add(&w, "", 0);
	while (*in != '\0') {
		const char *end, *v = NULL;
		char num[16];

		if (*in != VAR_MARK || (end = strchr(in, VAR_END)) == NULL) {
			word_add(&w, in++, 1);
			continue;
		}
		if (end - in == 2 && in[1] == '?') {
			snprintf(num, sizeof(num), "%d", sh->status);
			v = num;
		} else if (end - in == 2 && in[1] == '$') {
			snprintf(num, sizeof(num), "%d",
			    4000 + (int)(getpid() % 1000));
			v = num;
		} else {
			v = var_get(sh, in + 1, (size_t)(end - in - 1));
		}
		if (v != NULL)
			word_add(&w, v, strlen(v));
		in = end + 1;
	}
	return w.p;
}

static int
is_break(char c)
{
	return c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == ';' ||
	    c == '&' || c == '|' || c == '<' || c == '>' || c == '(' ||
	    c == ')';
}

static int
lex(const char *s, struct toks *t)
{
	const char *p = s;

	while (*p != '\0') {
		struct word w = { 0 };
		struct tok k = { 0 };
		int quoted = 0;

		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (*p == '#')
			break;
		if (*p == ';' || *p == '\n') {
			k.kind = T_SEMI;
			p++;
			toks_push(t, k);
			continue;
		}
		if (p[0] == '&' && p[1] == '&') {
			k.kind = T_AND;
			p += 2;
			toks_push(t, k);
			continue;
		}
		if (p[0] == '|' && p[1] == '|') {
			k.kind = T_OR;
			p += 2;
			toks_push(t, k);
			continue;
		}
		if (*p == '|') {
			k.kind = T_PIPE;
			p++;
			toks_push(t, k);
			continue;
		}
		if (*p == '&' || *p == '(' || *p == ')' || *p == '`') {
			snprintf(t->err, sizeof(t->err), "'%c'", *p);
			return -1;
		}
		/* Redirections: [N]> [N]>> [N]< [N]>&M */
		if (*p == '>' || *p == '<' || (isdigit((unsigned char)*p) &&
		    (p[1] == '>' || p[1] == '<'))) {
			k.kind = T_REDIR;
			k.fd = -1;
			if (isdigit((unsigned char)*p))
				k.fd = *p++ - '0';
			if (p[0] == '<' && p[1] == '<') {
				snprintf(t->err, sizeof(t->err), "'<<'");
				return -1;
			}
			if (*p == '<') {
				k.op = R_IN;
				p++;
			} else if (p[1] == '>') {
				k.op = R_APPEND;
				p += 2;
			} else if (p[1] == '&') {
				k.op = R_DUP;
				p += 2;
			} else {
				k.op = R_OUT;
				p++;
			}
			if (k.fd < 0)
				k.fd = k.op == R_IN ? 0 : 1;
			toks_push(t, k);
			continue;
		}
		/* A word. */
		word_add(&w, "", 0);
		while (!is_break(*p)) {
			if (*p == '\'') {
				const char *e = strchr(p + 1, '\'');

				if (e == NULL) {
					snprintf(t->err, sizeof(t->err),
					    "unterminated '");
					free(w.p);
					return -1;
				}
				word_add(&w, p + 1, (size_t)(e - p - 1));
				p = e + 1;
				quoted = 1;
			} else if (*p == '"') {
				p++;
				quoted = 1;
				while (*p != '"') {
					if (*p == '\0' || *p == '`') {
						snprintf(t->err, sizeof(t->err),
						    *p ? "'`'" :
						    "unterminated \"");
						free(w.p);
						return -1;
					}
					if (*p == '\\' && strchr("\"\\$`", p[1])
					    && p[1] != '\0') {
						word_add(&w, p + 1, 1);
						p += 2;
					} else if (*p == '$') {
						if (expand(&p, &w) < 0)
							goto bad_dollar;
					} else {
						word_add(&w, p++, 1);
					}
				}
				p++;
			} else if (*p == '\\') {
				if (p[1] != '\0')
					word_add(&w, p + 1, 1);
				p += p[1] != '\0' ? 2 : 1;
				quoted = 1;
			} else if (*p == '$') {
				if (expand(&p, &w) < 0)
					goto bad_dollar;
			} else {
				word_add(&w, p++, 1);
			}
		}
		if (w.len == 0 && !quoted) {
			free(w.p);
			continue;
		}
		if (memchr(w.p, VAR_MARK, w.len) != NULL && !quoted &&
		    w.p[0] == VAR_MARK && w.p[w.len - 1] == VAR_END &&
		    memchr(w.p + 1, VAR_MARK, w.len - 1) == NULL)
			quoted = -1;	/* a lone $VAR: gone if empty */
		k.kind = T_WORD;
		k.text = w.p;
		k.quoted = quoted;
		toks_push(t, k);
		continue;
bad_dollar:
		free(w.p);
		snprintf(t->err, sizeof(t->err), "'$(' or bad ${}");
		return -1;
	}
	return 0;
}

/* --- paths --- */

/* The absolute device path for arg (malloc'ed), relative to $PWD. */
static char *
abs_path(struct simsh *sh, const char *arg)
{
	const char *cwd = var_get(sh, "PWD", 3);

	if (arg[0] == '/')
		return xstrdup(arg);
	if (cwd == NULL || strcmp(cwd, "/") == 0)
		return xasprintf("/%s", arg);
	return xasprintf("%s/%s", cwd, arg);
}

/* Folders above the storage that a shell user may list. */
static const struct {
	const char *path;
	const char *entries;
} vdirs[] = {
	{ "/", "acct apex bin bugreports cache config d data data_mirror "
	    "debug_ramdisk dev etc init init.environ.rc linkerconfig "
	    "lost+found metadata mnt odm odm_dlkm oem postinstall proc "
	    "product sdcard second_stage_resources storage sys system "
	    "system_ext vendor vendor_dlkm" },
	{ "/storage", "emulated self" },
	{ "/storage/self", "primary" },
	{ "/data/local", "tmp" },
};

static const char *
vdir(const char *path)
{
	char norm[1024];
	size_t n = strlen(path);

	if (n >= sizeof(norm))
		return NULL;
	memcpy(norm, path, n + 1);
	while (n > 1 && norm[n - 1] == '/')
		norm[--n] = '\0';
	for (size_t i = 0; i < sizeof(vdirs) / sizeof(vdirs[0]); i++)
		if (strcmp(norm, vdirs[i].path) == 0)
			return vdirs[i].entries;
	return NULL;
}

/* Resolve for a command: *host malloc'ed; 0 or -errno. */
static int
resolve(struct x *x, const char *arg, int flags, char **host)
{
	char *dev = abs_path(x->sh, arg);
	int rc = vfs_resolve(x->sh->vfs, dev, flags | AS_ROOT(x), host);

	free(dev);
	return rc;
}

/* --- builtins --- */

typedef int (*builtin_fn)(struct x *x, int argc, char **argv);

static int run_line(struct x *x, const char *line);

static int
b_true(struct x *x, int argc, char **argv)
{
	return 0;
}

static int
b_false(struct x *x, int argc, char **argv)
{
	return 1;
}

static int
b_echo(struct x *x, int argc, char **argv)
{
	int nl = 1, esc = 0, i = 1, rc = 0;

	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *f = argv[i] + 1;

		if (strspn(f, "neE") != strlen(f))
			break;
		for (; *f; f++) {
			if (*f == 'n')
				nl = 0;
			else
				esc = *f == 'e';
		}
	}
	for (int first = 1; i < argc && rc == 0; i++, first = 0) {
		const char *a = argv[i];

		if (!first)
			rc = x_write(x, 1, " ", 1);
		if (!esc) {
			rc = rc ? rc : x_write(x, 1, a, strlen(a));
			continue;
		}
		for (; *a && rc == 0; a++) {
			char c = *a;

			if (c == '\\' && a[1] != '\0') {
				a++;
				c = *a == 'n' ? '\n' : *a == 't' ? '\t' :
				    *a == 'r' ? '\r' : *a == '\\' ? '\\' : *a;
				if (*a == 'c')
					return 0;
			}
			rc = x_write(x, 1, &c, 1);
		}
	}
	if (nl && rc == 0)
		rc = x_write(x, 1, "\n", 1);
	return rc < 0 ? rc : 0;
}

static int
b_exit(struct x *x, int argc, char **argv)
{
	int code = x->sh->status;

	if (argc > 1)
		code = atoi(argv[1]) & 0xff;
	x->sh->exited = 1;
	return code;
}

static int
b_sh(struct x *x, int argc, char **argv)
{
	struct buf in = { 0 };
	int rc, saved_exit;

	if (x->depth >= MAX_DEPTH) {
		x_printf(x, 2, "%s: too deep\n", SH);
		return 2;
	}
	x->depth++;
	saved_exit = x->sh->exited;
	if (argc >= 3 && strcmp(argv[1], "-c") == 0) {
		rc = run_line(x, argv[2]);
	} else if (argc == 1 || (argc == 2 && strcmp(argv[1], "-") == 0)) {
		/* sh reading a script from stdin. */
		rc = x_slurp(x, &in);
		if (rc >= 0 && in.len > 0) {
			buf_add(&in, "", 1);
			rc = run_line(x, in.p);
		}
		free(in.p);
	} else if (argc == 2 && strcmp(argv[1], "-c") == 0) {
		x_printf(x, 2, "%s: -c: option requires an argument\n", SH);
		rc = 2;
	} else {
		x_printf(x, 2, "%s: %s: No such file or directory\n", SH,
		    argv[1]);
		rc = 127;
	}
	x->depth--;
	x->sh->exited = saved_exit;
	return rc;
}

/* su, as Magisk's: "su -c CMD", "su 0 -c CMD", "su root -c CMD" run CMD
 * as root; only on a profile with "su": true (else, as on a retail phone,
 * there is no su). */
static int
b_su(struct x *x, int argc, char **argv)
{
	int i = 1, rc, was;

	if (!x->sh->prof->su) {
		rc = x_printf(x, 2, "%s: %s: not found\n", SH, argv[0]);
		return rc < 0 ? rc : 127;
	}
	if (i < argc && (strcmp(argv[i], "0") == 0 ||
	    strcmp(argv[i], "root") == 0))
		i++;
	if (i + 1 >= argc || strcmp(argv[i], "-c") != 0 || i + 2 != argc) {
		x_printf(x, 2, "su: the simulator runs only su [0|root] -c "
		    "COMMAND\n");
		return 1;
	}
	if (x->depth >= MAX_DEPTH) {
		x_printf(x, 2, "%s: too deep\n", SH);
		return 2;
	}
	x->depth++;
	was = x->sh->root;
	x->sh->root = 1;
	rc = run_line(x, argv[i + 1]);
	x->sh->root = was;
	x->depth--;
	return rc;
}

static const struct sim_command *
canned(struct simsh *sh, const char *line)
{
	return sh->st != NULL ? appstate_command(sh->st, line) :
	    profile_command(sh->prof, line);
}

static int
b_getprop(struct x *x, int argc, char **argv)
{
	const struct propdb *db = x->sh->prof->props;
	char *all;
	size_t len;
	int rc;

	if (argc == 1) {
		all = x->sh->st != NULL ?
		    appstate_getprop_all(x->sh->st, &len) :
		    propdb_format(db, &len);
		rc = x_write(x, 1, all, len);
		free(all);
		return rc < 0 ? rc : 0;
	}
	if (argv[1][0] == '-') {
		x_printf(x, 2, "getprop: Unknown option '%s'\n", argv[1]);
		return 1;
	}
	{
		char *live = x->sh->st != NULL ?
		    appstate_getprop(x->sh->st, argv[1]) : NULL;
		const char *v = x->sh->st != NULL ? live :
		    propdb_get(db, argv[1]);

		if ((v == NULL || *v == '\0') && argc > 2)
			v = argv[2];
		rc = x_printf(x, 1, "%s\n", v ? v : "");
		free(live);
	}
	return rc < 0 ? rc : 0;
}

/* pm, cmd, am: the phone's package manager and activity manager. */
static int
b_apptool(struct x *x, int argc, char **argv)
{
	char *out, *err;
	int status, rc;

	if (x->sh->st == NULL) {
		rc = x_printf(x, 2, "%s: %s: not found\n", SH, argv[0]);
		return rc < 0 ? rc : 127;
	}
	status = appstate_tool(x->sh->st, argc, argv, &out, &err);
	rc = x_write(x, 1, out, strlen(out));
	if (rc == 0)
		rc = x_write(x, 2, err, strlen(err));
	free(out);
	free(err);
	return rc < 0 ? rc : status;
}

static int
b_setprop(struct x *x, int argc, char **argv)
{
	int rc;

	if (argc != 3) {
		rc = x_printf(x, 2, "setprop: Need 2 arguments\n");
		return rc < 0 ? rc : 1;
	}
	/* Only init's own domains may set most properties: the shell user
	 * gets persist.*, debug.* and log.* refused here as on a user
	 * build, root gets anything but a ro.* already set. */
	if ((!x->sh->root && strncmp(argv[1], "debug.", 6) != 0 &&
	    strncmp(argv[1], "log.", 4) != 0) || x->sh->st == NULL ||
	    appstate_setprop(x->sh->st, argv[1], argv[2]) < 0) {
		rc = x_printf(x, 2, "Failed to set property '%s' to '%s'.\n"
		    "See dmesg for error reason.\n", argv[1], argv[2]);
		return rc < 0 ? rc : 1;
	}
	return 0;
}

static int
b_id(struct x *x, int argc, char **argv)
{
	int uid = x->sh->root ? 0 : 2000, rc;
	const char *name = x->sh->root ? "root" : "shell";
	int want_u = 0, want_g = 0, want_n = 0;

	for (int i = 1; i < argc; i++)
		for (const char *f = argv[i] + (argv[i][0] == '-'); *f; f++) {
			if (*f == 'u')
				want_u = 1;
			else if (*f == 'g')
				want_g = 1;
			else if (*f == 'n')
				want_n = 1;
			else {
				x_printf(x, 2, "id: Unknown option '%c'\n", *f);
				return 1;
			}
		}
	if (want_u || want_g) {
		if (want_n)
			rc = x_printf(x, 1, "%s\n", name);
		else
			rc = x_printf(x, 1, "%d\n", uid);
	} else if (x->sh->root) {
		rc = x_printf(x, 1, "uid=0(root) gid=0(root) groups=0(root) "
		    "context=u:r:su:s0\n");
	} else {
		rc = x_printf(x, 1, "uid=2000(shell) gid=2000(shell) "
		    "groups=2000(shell),1004(input),1007(log),1011(adb),"
		    "1015(sdcard_rw),1028(sdcard_r),1078(ext_data_rw),"
		    "1079(ext_obb_rw),3001(net_bt_admin),3002(net_bt),"
		    "3003(inet),3006(net_bw_stats),3009(readproc),3011(uhid),"
		    "3012(readtracefs) context=u:r:shell:s0\n");
	}
	return rc < 0 ? rc : 0;
}

static int
b_uname(struct x *x, int argc, char **argv)
{
	char *u = xstrdup(x->sh->prof->uname), *f[16], *save = NULL, *t;
	int n = 0, rc = 0, flags = 0;
	static const char letters[] = "snrvmo";

	for (t = strtok_r(u, " ", &save); t && n < 16;
	    t = strtok_r(NULL, " ", &save))
		f[n++] = t;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-') {
			x_printf(x, 2, "uname: Unknown argument '%s'\n",
			    argv[i]);
			free(u);
			return 1;
		}
		for (const char *c = argv[i] + 1; *c; c++) {
			const char *pos = strchr(letters, *c);

			if (*c == 'a')
				flags = -1;
			else if (pos != NULL)
				flags |= 1 << (pos - letters);
			else {
				x_printf(x, 2, "uname: Unknown option '%c'\n",
				    *c);
				free(u);
				return 1;
			}
		}
	}
	if (flags == -1)
		rc = x_printf(x, 1, "%s\n", x->sh->prof->uname);
	else if (n >= 4) {
		/* s n r v... m o: fields of the -a line. */
		const char *pick[6] = { f[0], f[1], f[2], NULL, f[n - 2],
		    f[n - 1] };
		int first = 1;

		if (flags == 0)
			flags = 1;
		for (int b = 0; b < 6 && rc == 0; b++) {
			if (!(flags & (1 << b)))
				continue;
			if (b == 3) {
				/* The version: fields 3 .. n-3. */
				for (int k = 3; k < n - 2 && rc == 0; k++) {
					rc = x_printf(x, 1, "%s%s",
					    first ? "" : " ", f[k]);
					first = 0;
				}
				continue;
			}
			rc = x_printf(x, 1, "%s%s", first ? "" : " ", pick[b]);
			first = 0;
		}
		if (rc == 0)
			rc = x_write(x, 1, "\n", 1);
	}
	free(u);
	return rc < 0 ? rc : 0;
}

/* Copy a file to stdout: 0, or a negative dm_err when the session is
 * gone; a read error goes to *err as an errno. */
static int
cat_fd(struct x *x, int fd, int *err)
{
	char buf[65536];
	ssize_t n;
	int rc = 0;

	while (rc == 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		rc = x_write(x, 1, buf, (size_t)n);
	if (rc == 0 && n < 0)
		*err = errno;
	return rc;
}

static int
b_cat(struct x *x, int argc, char **argv)
{
	char buf[65536];
	int status = 0, rc = 0, n;

	if (argc == 1 || (argc == 2 && strcmp(argv[1], "-") == 0)) {
		while (rc == 0 && (n = x_read(x, buf, sizeof(buf))) > 0)
			rc = x_write(x, 1, buf, (size_t)n);
		return rc < 0 ? rc : 0;
	}
	for (int i = 1; i < argc && rc >= 0; i++) {
		char *host = NULL;
		int fd = -1, e, rerr = 0;

		e = resolve(x, argv[i], 0, &host);
		if (e == 0) {
			fd = open(host, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				e = -errno;
		}
		free(host);
		if (e == 0) {
			rc = cat_fd(x, fd, &rerr);
			e = -rerr;
		}
		if (fd >= 0)
			close(fd);
		if (rc == 0 && e < 0) {
			rc = x_printf(x, 2, "cat: %s: %s\n", argv[i],
			    strerror(-e));
			status = 1;
		}
	}
	return rc < 0 ? rc : status;
}

/* --- ls, stat --- */

static void
mode_string(mode_t m, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";

	out[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' :
	    S_ISBLK(m) ? 'b' : S_ISFIFO(m) ? 'p' : S_ISSOCK(m) ? 's' : '-';
	for (int i = 0; i < 9; i++)
		out[i + 1] = (m & (0400 >> i)) ? rwx[i] : '-';
	if (m & S_ISUID)
		out[3] = (m & S_IXUSR) ? 's' : 'S';
	if (m & S_ISGID)
		out[6] = (m & S_IXGRP) ? 's' : 'S';
	if (m & S_ISVTX)
		out[9] = (m & S_IXOTH) ? 't' : 'T';
	out[10] = '\0';
}

/* Owner and group as the phone shows them. */
static void
owner(struct x *x, const char *devpath, const char **u, const char **g,
    int *uid, int *gid)
{
	if (strncmp(devpath, "/efs", 4) == 0 &&
	    (devpath[4] == '\0' || devpath[4] == '/')) {
		*u = *g = "system";	/* Samsung's /efs files */
		*uid = *gid = 1000;
	} else if (strncmp(devpath, "/data/local/tmp", 15) == 0 ||
	    x->sh->root) {
		*u = x->sh->root ? "root" : "shell";
		*g = *u;
		*uid = *gid = x->sh->root ? 0 : 2000;
	} else {
		*u = "root";
		*g = "everybody";
		*uid = 0;
		*gid = 9997;
	}
}

struct lsent {
	char *name;
	struct stat st;
	char link[256];
};

static int
lsent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lsent *)a)->name,
	    ((const struct lsent *)b)->name);
}

struct lsopt {
	int all, almost, lng, dir;
};

static int
ls_print(struct x *x, const char *devdir, struct lsent *v, size_t n,
    const struct lsopt *o, int total)
{
	int wl = 1, wu = 1, wg = 1, ws = 1, rc = 0;
	long long blocks = 0;

	if (!o->lng) {
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = x_printf(x, 1, "%s\n", v[i].name);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		char tmp[32];
		const char *u, *g;
		int uid, gid;

		owner(x, devdir, &u, &g, &uid, &gid);
		blocks += (long long)v[i].st.st_blocks / 2;
		wl = MAXI(wl, snprintf(tmp, sizeof(tmp), "%lu",
		    (unsigned long)v[i].st.st_nlink));
		ws = MAXI(ws, snprintf(tmp, sizeof(tmp), "%lld",
		    (long long)v[i].st.st_size));
		wu = MAXI(wu, (int)strlen(u));
		wg = MAXI(wg, (int)strlen(g));
	}
	if (total)
		rc = x_printf(x, 1, "total %lld\n", blocks);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char mode[11], when[32];
		const char *u, *g;
		int uid, gid;
		struct tm tm;
		time_t t = v[i].st.st_mtime;

		owner(x, devdir, &u, &g, &uid, &gid);
		mode_string(v[i].st.st_mode, mode);
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		rc = x_printf(x, 1, "%s %*lu %-*s %-*s %*lld %s %s%s%s\n",
		    mode, wl, (unsigned long)v[i].st.st_nlink, wu, u, wg, g,
		    ws, (long long)v[i].st.st_size, when, v[i].name,
		    v[i].link[0] ? " -> " : "", v[i].link);
	}
	return rc;
}

static void
lsents_free(struct lsent *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* List a folder: 0 or a negative dm_err (session gone); a folder that
 * cannot be read leaves its errno in *err. */
static int
ls_dir(struct x *x, const char *devdir, const char *host,
    const struct lsopt *o, int *err)
{
	DIR *d = opendir(host);
	struct dirent *de;
	struct lsent *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (d == NULL) {
		*err = errno;
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (de->d_name[0] == '.' && !o->all && !o->almost)
			continue;
		if (o->almost && !o->all && (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			v = xrealloc(v, cap * sizeof(*v));
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].name = xstrdup(de->d_name);
		p = xasprintf("%s/%s", host, de->d_name);
		if (lstat(p, &v[n].st) < 0)
			memset(&v[n].st, 0, sizeof(v[n].st));
		if (S_ISLNK(v[n].st.st_mode)) {
			ssize_t l = readlink(p, v[n].link,
			    sizeof(v[n].link) - 1);

			v[n].link[l > 0 ? l : 0] = '\0';
		}
		free(p);
		n++;
	}
	closedir(d);
	if (n > 1)	/* an empty folder: no array at all */
		qsort(v, n, sizeof(*v), lsent_cmp);
	rc = ls_print(x, devdir, v, n, o, 1);
	lsents_free(v, n);
	return rc;
}

struct lsarg {
	const char *arg;
	char *dev, *host;
	const char *virt;	/* a folder above the storage */
	struct stat st;
	int err;
	int isdir;
};

static int
ls_operands(struct x *x, struct lsarg *a, int n, const struct lsopt *o)
{
	struct lsent *files = xcalloc((size_t)n + 1, sizeof(*files));
	int nfiles = 0, ndirs = 0, rc = 0, status = 0, shown = 0;

	for (int i = 0; i < n; i++) {
		if (a[i].err != 0) {
			rc = x_printf(x, 2, "ls: %s: %s\n", a[i].arg,
			    strerror(a[i].err));
			status = 1;
		} else if (a[i].isdir) {
			ndirs++;
		} else {
			files[nfiles].name = (char *)a[i].arg;
			if (lstat(a[i].host, &files[nfiles].st) < 0)
				files[nfiles].st = a[i].st;
			nfiles++;
		}
	}
	if (nfiles > 0 && rc >= 0) {
		rc = ls_print(x, a[0].dev, files, (size_t)nfiles, o, 0);
		shown = 1;
	}
	free(files);
	for (int i = 0; i < n && rc >= 0; i++) {
		int err = 0;

		if (a[i].err != 0 || !a[i].isdir)
			continue;
		if (n > 1)
			rc = x_printf(x, 1, "%s%s:\n", shown ? "\n" : "",
			    a[i].arg);
		shown = 1;
		if (rc < 0)
			break;
		if (a[i].virt != NULL) {
			char *list = xstrdup(a[i].virt), *save = NULL, *t;

			for (t = strtok_r(list, " ", &save); t && rc >= 0;
			    t = strtok_r(NULL, " ", &save))
				rc = x_printf(x, 1, "%s\n", t);
			free(list);
			continue;
		}
		rc = ls_dir(x, a[i].dev, a[i].host, o, &err);
		if (rc >= 0 && err != 0) {
			rc = x_printf(x, 2, "ls: %s: %s\n", a[i].arg,
			    strerror(err));
			status = 1;
		}
	}
	return rc < 0 ? rc : status;
}

static int
b_ls(struct x *x, int argc, char **argv)
{
	struct lsopt o = { 0 };
	struct lsarg *a = xcalloc((size_t)argc + 1, sizeof(*a));
	int n = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-' || argv[i][1] == '\0') {
			a[n++].arg = argv[i];
			continue;
		}
		for (const char *f = argv[i] + 1; *f; f++) {
			switch (*f) {
			case 'a': o.all = 1; break;
			case 'A': o.almost = 1; break;
			case 'l': o.lng = 1; break;
			case 'd': o.dir = 1; break;
			case '1': break;
			default:
				x_printf(x, 2, "ls: Unknown option '%c' (see "
				    "\"ls --help\")\n", *f);
				free(a);
				return 1;
			}
		}
	}
	if (n == 0)
		a[n++].arg = ".";
	for (int i = 0; i < n; i++) {
		a[i].dev = abs_path(x->sh, a[i].arg);
		a[i].virt = vdir(a[i].dev);
		if (a[i].virt == NULL) {
			int e = vfs_resolve(x->sh->vfs, a[i].dev, AS_ROOT(x),
			    &a[i].host);

			if (e == 0 && stat(a[i].host, &a[i].st) < 0)
				e = -errno;
			a[i].err = -e;
		} else {
			a[i].st.st_mode = S_IFDIR | 0755;
		}
		a[i].isdir = S_ISDIR(a[i].st.st_mode) && !o.dir;
	}
	rc = ls_operands(x, a, n, &o);
	for (int i = 0; i < n; i++) {
		free(a[i].dev);
		free(a[i].host);
	}
	free(a);
	return rc;
}

static int
stat_one(struct x *x, const char *arg, const char *fmt, int follow)
{
	char *dev = abs_path(x->sh, arg), *host = NULL;
	const char *u, *g, *virt = vdir(dev);
	struct stat st;
	char mode[11], t1[64];
	int uid, gid, rc = 0, e;

	if (virt != NULL) {
		memset(&st, 0, sizeof(st));
		st.st_mode = S_IFDIR | 0755;
		st.st_nlink = 2;
		st.st_size = 4096;
		e = 0;
	} else {
		e = vfs_resolve(x->sh->vfs, dev, (follow ? 0 : VFS_NOFOLLOW) |
		    AS_ROOT(x), &host);
		if (e == 0 && (follow ? stat(host, &st) : lstat(host, &st)) < 0)
			e = -errno;
	}
	if (e < 0) {
		x_printf(x, 2, "stat: '%s': %s\n", arg, strerror(-e));
		free(dev);
		free(host);
		return 1;
	}
	owner(x, dev, &u, &g, &uid, &gid);
	mode_string(st.st_mode, mode);
	if (fmt == NULL) {
		const char *type = S_ISDIR(st.st_mode) ? "directory" :
		    S_ISLNK(st.st_mode) ? "symbolic link" :
		    S_ISREG(st.st_mode) ? (st.st_size ? "regular file" :
		    "regular empty file") : "special file";
		struct tm tm;
		time_t t = st.st_mtime;

		localtime_r(&t, &tm);
		strftime(t1, sizeof(t1), "%Y-%m-%d %H:%M:%S.000000000 %z",
		    &tm);
		rc = x_printf(x, 1, "  File: %s\n  Size: %lld\t Blocks: %lld\t "
		    "IO Blocks: 4096\t%s\nDevice: %llxh/%llud\t Inode: %llu\t "
		    "Links: %lu\nAccess: (%04o/%s)\tUid: (%5d/%8s)\tGid: "
		    "(%5d/%8s)\nAccess: %s\nModify: %s\nChange: %s\n", arg,
		    (long long)st.st_size, (long long)st.st_blocks, type,
		    (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino, (unsigned long)st.st_nlink,
		    (unsigned)(st.st_mode & 07777), mode, uid, u, gid, g, t1,
		    t1, t1);
		goto out;
	}
	for (const char *f = fmt; *f && rc >= 0; f++) {
		if (*f != '%' || f[1] == '\0') {
			rc = x_write(x, 1, f, 1);
			continue;
		}
		switch (*++f) {
		case 'a': rc = x_printf(x, 1, "%o",
		    (unsigned)(st.st_mode & 07777)); break;
		case 'A': rc = x_printf(x, 1, "%s", mode); break;
		case 'b': rc = x_printf(x, 1, "%lld",
		    (long long)st.st_blocks); break;
		case 'B': rc = x_printf(x, 1, "512"); break;
		case 'd': rc = x_printf(x, 1, "%llu",
		    (unsigned long long)st.st_dev); break;
		case 'f': rc = x_printf(x, 1, "%x", (unsigned)st.st_mode);
		    break;
		case 'F': rc = x_printf(x, 1, "%s", S_ISDIR(st.st_mode) ?
		    "directory" : S_ISLNK(st.st_mode) ? "symbolic link" :
		    "regular file"); break;
		case 'g': rc = x_printf(x, 1, "%d", gid); break;
		case 'G': rc = x_printf(x, 1, "%s", g); break;
		case 'h': rc = x_printf(x, 1, "%lu",
		    (unsigned long)st.st_nlink); break;
		case 'i': rc = x_printf(x, 1, "%llu",
		    (unsigned long long)st.st_ino); break;
		case 'n': rc = x_printf(x, 1, "%s", arg); break;
		case 'N': rc = x_printf(x, 1, "'%s'", arg); break;
		case 's': rc = x_printf(x, 1, "%lld", (long long)st.st_size);
		    break;
		case 'u': rc = x_printf(x, 1, "%d", uid); break;
		case 'U': rc = x_printf(x, 1, "%s", u); break;
		case 'X': rc = x_printf(x, 1, "%lld", (long long)st.st_atime);
		    break;
		case 'Y': rc = x_printf(x, 1, "%lld", (long long)st.st_mtime);
		    break;
		case 'Z': rc = x_printf(x, 1, "%lld", (long long)st.st_ctime);
		    break;
		case '%': rc = x_write(x, 1, "%", 1); break;
		default: rc = x_printf(x, 1, "%%%c", *f); break;
		}
	}
	if (rc >= 0)
		rc = x_write(x, 1, "\n", 1);
out:
	free(dev);
	free(host);
	return rc < 0 ? rc : 0;
}

static int
b_stat(struct x *x, int argc, char **argv)
{
	const char *fmt = NULL;
	int follow = 0, status = 0, any = 0;

	for (int i = 1; i < argc; i++) {
		int rc;

		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			fmt = argv[++i];
			continue;
		}
		if (strncmp(argv[i], "--format=", 9) == 0) {
			fmt = argv[i] + 9;
			continue;
		}
		if (strcmp(argv[i], "-L") == 0) {
			follow = 1;
			continue;
		}
		if (argv[i][0] == '-') {
			x_printf(x, 2, "stat: Unknown option '%s'\n", argv[i]);
			return 1;
		}
		any = 1;
		rc = stat_one(x, argv[i], fmt, follow);
		if (rc < 0)
			return rc;
		status |= rc;
	}
	if (!any) {
		x_printf(x, 2, "stat: Needs 1 argument\n");
		return 1;
	}
	return status;
}

/* --- files --- */

static int
b_mkdir(struct x *x, int argc, char **argv)
{
	int parents = 0, status = 0;
	unsigned mode = 0771;

	for (int i = 1; i < argc; i++) {
		char *dev, *host = NULL;
		int e;

		if (strcmp(argv[i], "-p") == 0) {
			parents = 1;
			continue;
		}
		if (strcmp(argv[i], "-m") == 0 && i + 1 < argc) {
			mode = (unsigned)strtoul(argv[++i], NULL, 8) & 07777;
			continue;
		}
		dev = abs_path(x->sh, argv[i]);
		if (parents) {
			e = vfs_mkdirs(x->sh->vfs, dev, mode, AS_ROOT(x));
		} else {
			e = vfs_resolve(x->sh->vfs, dev, VFS_NOFOLLOW | AS_ROOT(x),
		    &host);
			if (e == 0 && mkdir(host, mode) < 0)
				e = -errno;
		}
		if (e < 0) {
			x_printf(x, 2, "mkdir: '%s': %s\n", argv[i],
			    strerror(-e));
			status = 1;
		}
		free(dev);
		free(host);
	}
	return status;
}

static int
rm_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? -errno : 0;
	d = opendir(path);
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL && rc == 0) {
		char *p;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", path, de->d_name);
		rc = rm_tree(p);
		free(p);
	}
	closedir(d);
	if (rc == 0 && rmdir(path) < 0)
		rc = -errno;
	return rc;
}

static int
b_rm(struct x *x, int argc, char **argv)
{
	int force = 0, recurse = 0, status = 0;

	for (int i = 1; i < argc; i++) {
		char *host = NULL;
		struct stat st;
		int e;

		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			for (const char *f = argv[i] + 1; *f; f++) {
				if (*f == 'f')
					force = 1;
				else if (*f == 'r' || *f == 'R')
					recurse = 1;
			}
			continue;
		}
		e = resolve(x, argv[i], VFS_NOFOLLOW, &host);
		if (e == 0 && lstat(host, &st) < 0)
			e = -errno;
		if (e == 0 && S_ISDIR(st.st_mode) && !recurse)
			e = -EISDIR;
		else if (e == 0)
			e = recurse ? rm_tree(host) :
			    unlink(host) < 0 ? -errno : 0;
		if (e < 0 && !(force && e == -ENOENT)) {
			x_printf(x, 2, "rm: %s: %s\n", argv[i], strerror(-e));
			status = 1;
		}
		free(host);
	}
	return status;
}

static int
b_touch(struct x *x, int argc, char **argv)
{
	int status = 0;

	for (int i = 1; i < argc; i++) {
		char *host = NULL;
		int e, fd;

		if (argv[i][0] == '-')
			continue;
		e = resolve(x, argv[i], 0, &host);
		if (e == 0) {
			fd = open(host, O_WRONLY | O_CREAT | O_CLOEXEC, 0660);
			if (fd < 0 || futimens(fd, NULL) < 0)
				e = -errno;
			if (fd >= 0)
				close(fd);
		}
		if (e < 0) {
			x_printf(x, 2, "touch: '%s': %s\n", argv[i],
			    strerror(-e));
			status = 1;
		}
		free(host);
	}
	return status;
}

static int
b_cd(struct x *x, int argc, char **argv)
{
	char *dev, *host = NULL, *set;
	struct stat st;
	int e = 0;

	dev = abs_path(x->sh, argc > 1 ? argv[1] : "/");
	if (vdir(dev) == NULL) {
		e = vfs_resolve(x->sh->vfs, dev, AS_ROOT(x), &host);
		if (e == 0 && stat(host, &st) < 0)
			e = -errno;
		if (e == 0 && !S_ISDIR(st.st_mode))
			e = -ENOTDIR;
	}
	if (e < 0) {
		x_printf(x, 2, "%s: cd: %s: %s\n", SH, argv[1], strerror(-e));
		free(dev);
		free(host);
		return 2;
	}
	/* Tidy the trailing slashes. */
	for (size_t n = strlen(dev); n > 1 && dev[n - 1] == '/'; n--)
		dev[n - 1] = '\0';
	set = xasprintf("PWD=%s", dev);
	var_set(x->sh, set);
	free(set);
	free(dev);
	free(host);
	return 0;
}

/* toybox readlink: the target of each link, nothing (status 1) for
 * what is not one. */
static int
b_readlink(struct x *x, int argc, char **argv)
{
	int status = 0;

	for (int i = 1; i < argc; i++) {
		char *host = NULL, buf[4096];
		ssize_t n = -1;
		int rc;

		if (argv[i][0] == '-')
			continue;
		if (resolve(x, argv[i], VFS_NOFOLLOW, &host) == 0)
			n = readlink(host, buf, sizeof(buf) - 1);
		free(host);
		if (n < 0) {
			status = 1;
			continue;
		}
		buf[n] = '\0';
		rc = x_printf(x, 1, "%s\n", buf);
		if (rc < 0)
			return rc;
	}
	return status;
}

static int
b_pwd(struct x *x, int argc, char **argv)
{
	int rc = x_printf(x, 1, "%s\n", var_get(x->sh, "PWD", 3));

	return rc < 0 ? rc : 0;
}

static int
b_export(struct x *x, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strchr(argv[i], '=') != NULL && argv[i][0] != '=')
			var_set(x->sh, argv[i]);
	return 0;
}

static int
b_sleep(struct x *x, int argc, char **argv)
{
	double secs;
	char *end;

	if (argc < 2) {
		x_printf(x, 2, "sleep: Needs 1 argument\n");
		return 1;
	}
	secs = strtod(argv[1], &end);
	if (end == argv[1] || secs < 0) {
		x_printf(x, 2, "sleep: Not a number '%s'\n", argv[1]);
		return 1;
	}
	if (secs > 3600)
		secs = 3600;
	if (x->io->sleep != NULL)
		return x->io->sleep(x->io->ctx, (int)(secs * 1000)) < 0 ?
		    DM_ECLOSED : 0;
	usleep((useconds_t)(secs * 1e6));
	return 0;
}

static int
b_reboot(struct x *x, int argc, char **argv)
{
	const char *target = "";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-p") == 0)
			target = "shutdown";
		else if (argv[i][0] != '-')
			target = argv[i];
	}
	snprintf(x->sh->reboot, sizeof(x->sh->reboot), "%s", target);
	x->sh->rebooting = 1;
	return 0;
}

static int
b_grep(struct x *x, int argc, char **argv)
{
	int icase = 0, invert = 0, count = 0, quiet = 0, ext = 0, fixed = 0;
	int number = 0, nfiles = 0, matched = 0, status = 0, rc = 0;
	const char *pat = NULL;
	char **files = xcalloc((size_t)argc + 1, sizeof(char *));
	regex_t re;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] != '\0' && pat == NULL) {
			if (strcmp(argv[i], "-e") == 0 && i + 1 < argc) {
				pat = argv[++i];
				continue;
			}
			for (const char *f = argv[i] + 1; *f; f++) {
				switch (*f) {
				case 'i': icase = 1; break;
				case 'v': invert = 1; break;
				case 'c': count = 1; break;
				case 'q': quiet = 1; break;
				case 'E': ext = 1; break;
				case 'F': fixed = 1; break;
				case 'n': number = 1; break;
				default:
					x_printf(x, 2, "grep: Unknown option "
					    "'%c'\n", *f);
					free(files);
					return 2;
				}
			}
		} else if (pat == NULL) {
			pat = argv[i];
		} else {
			files[nfiles++] = argv[i];
		}
	}
	if (pat == NULL) {
		x_printf(x, 2, "grep: Needs 1 argument\n");
		free(files);
		return 2;
	}
	if (!fixed && regcomp(&re, pat, REG_NOSUB | (ext ? REG_EXTENDED : 0) |
	    (icase ? REG_ICASE : 0)) != 0) {
		x_printf(x, 2, "grep: bad regex '%s'\n", pat);
		free(files);
		return 2;
	}
	for (int f = 0; f < (nfiles ? nfiles : 1) && rc >= 0; f++) {
		struct buf in = { 0 };
		size_t lineno = 0, hits = 0;
		char *p, *nl;

		if (nfiles == 0) {
			rc = x_slurp(x, &in);
		} else {
			char *host = NULL;
			int fd = -1, e = resolve(x, files[f], 0, &host);

			if (e == 0) {
				fd = open(host, O_RDONLY | O_CLOEXEC);
				if (fd < 0)
					e = -errno;
			}
			free(host);
			if (e == 0) {
				char tmp[65536];
				ssize_t n;

				while ((n = read(fd, tmp, sizeof(tmp))) > 0)
					buf_add(&in, tmp, (size_t)n);
			}
			if (fd >= 0)
				close(fd);
			if (e < 0) {
				x_printf(x, 2, "grep: %s: %s\n", files[f],
				    strerror(-e));
				status = 2;
				continue;
			}
		}
		buf_add(&in, "", 1);
		for (p = in.p; rc >= 0 && p < in.p + in.len - 1; p = nl + 1) {
			int hit;

			nl = memchr(p, '\n', (size_t)(in.p + in.len - 1 - p));
			if (nl == NULL)
				nl = in.p + in.len - 1;
			*nl = '\0';
			lineno++;
			if (fixed)
				hit = (icase ? strcasestr(p, pat) :
				    strstr(p, pat)) != NULL;
			else
				hit = regexec(&re, p, 0, NULL, 0) == 0;
			if (hit == invert)
				continue;
			hits++;
			if (quiet || count)
				continue;
			if (nfiles > 1)
				rc = x_printf(x, 1, "%s:", files[f]);
			if (number && rc >= 0)
				rc = x_printf(x, 1, "%zu:", lineno);
			if (rc >= 0)
				rc = x_printf(x, 1, "%s\n", p);
		}
		if (count && !quiet && rc >= 0)
			rc = nfiles > 1 ? x_printf(x, 1, "%s:%zu\n", files[f],
			    hits) : x_printf(x, 1, "%zu\n", hits);
		matched += hits > 0;
		free(in.p);
	}
	if (!fixed)
		regfree(&re);
	free(files);
	if (rc < 0)
		return rc;
	return status ? status : matched ? 0 : 1;
}

/* screencap [-p] [-d ID]: the display, raw (a header of width, height,
 * format 1 RGBA_8888 and, from Android 9, a dataspace word) or as PNG,
 * on stdout.  Writing to a FILE operand is not simulated. */
static int
b_screencap(struct x *x, int argc, char **argv)
{
	const char *sdkv;
	unsigned char *rgba, *png = NULL, hdr[16];
	uint32_t w, h;
	size_t hl, len;
	int png_out = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-p") == 0) {
			png_out = 1;
		} else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
			i++;
		} else if (argv[i][0] == '-') {
			x_printf(x, 2, "usage: screencap [-hp] [-d display-id] "
			    "[FILENAME]\n");
			return 1;
		} else {
			x_printf(x, 2, "screencap: %s: writing to a file is not "
			    "simulated; use stdout\n", argv[i]);
			return 1;
		}
	}
	simscreen_render(x->sh->prof, x->sh->st, &rgba, &w, &h);
	if (png_out) {
		unsigned char *rgb = xmalloc((size_t)w * h * 3);

		for (size_t i = 0; i < (size_t)w * h; i++)
			memcpy(rgb + i * 3, rgba + i * 4, 3);
		rc = png_encode_rgb(w, h, rgb, &png, &len);
		free(rgb);
		if (rc == 0)
			rc = x_write(x, 1, png, len);
		free(png);
		free(rgba);
		return rc < 0 ? rc : 0;
	}
	sdkv = propdb_get(x->sh->prof->props, "ro.build.version.sdk");
	hl = sdkv != NULL && atoi(sdkv) >= 28 ? 16 : 12;
	memset(hdr, 0, sizeof(hdr));
	for (int k = 0; k < 4; k++) {
		hdr[k] = (unsigned char)(w >> (8 * k));
		hdr[4 + k] = (unsigned char)(h >> (8 * k));
	}
	hdr[8] = 1;		/* RGBA_8888; the dataspace stays 0 */
	rc = x_write(x, 1, hdr, hl);
	if (rc == 0)
		rc = x_write(x, 1, rgba, (size_t)w * h * 4);
	free(rgba);
	return rc < 0 ? rc : 0;
}

static int b_which(struct x *x, int argc, char **argv);

static const struct {
	const char *name;
	builtin_fn fn;
} builtins[] = {
	{ "true", b_true }, { ":", b_true }, { "false", b_false },
	{ "echo", b_echo }, { "exit", b_exit }, { "sh", b_sh },
	{ "getprop", b_getprop }, { "id", b_id }, { "uname", b_uname },
	{ "cat", b_cat }, { "ls", b_ls }, { "stat", b_stat },
	{ "mkdir", b_mkdir }, { "rm", b_rm }, { "touch", b_touch },
	{ "cd", b_cd }, { "pwd", b_pwd }, { "export", b_export },
	{ "sleep", b_sleep }, { "reboot", b_reboot }, { "grep", b_grep },
	{ "which", b_which }, { "readlink", b_readlink },
	{ "pm", b_apptool }, { "cmd", b_apptool },
	{ "am", b_apptool }, { "setprop", b_setprop },
	{ "screencap", b_screencap }, { "su", b_su },
};

static builtin_fn
builtin(const char *name)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(builtins[i].name, name) == 0)
			return builtins[i].fn;
	return NULL;
}

static int
b_which(struct x *x, int argc, char **argv)
{
	int status = 0, rc = 0;

	for (int i = 1; i < argc && rc >= 0; i++) {
		size_t n = strlen(argv[i]);
		int known = builtin(argv[i]) != NULL &&
		    (strcmp(argv[i], "su") != 0 || x->sh->prof->su);

		for (size_t c = 0; !known && c < x->sh->prof->ncmds; c++) {
			const char *l = x->sh->prof->cmds[c].line;

			known = strncmp(l, argv[i], n) == 0 &&
			    (l[n] == ' ' || l[n] == '\0');
		}
		if (known && strcmp(argv[i], "cd") != 0 &&
		    strcmp(argv[i], "export") != 0)
			rc = x_printf(x, 1, "/system/%sbin/%s\n",
			    strcmp(argv[i], "su") == 0 ? "x" : "", argv[i]);
		else
			status = 1;
	}
	return rc < 0 ? rc : status;
}

/* --- running --- */

struct redir {
	int fd;
	enum redir_op op;
	char *target;
};

struct cmd {
	char **argv;		/* as lexed: variables still marked */
	int *lone;		/* a bare $VAR, dropped when empty */
	int argc;
	struct redir *r;
	int nr;
};

static void
end_close(struct end *e)
{
	if (e->kind == END_FILE && e->fd >= 0)
		close(e->fd);
}

/* Point x's fds as the redirections say; 0, or status 1 after a message. */
static int
apply_redirs(struct x *x, const struct cmd *c, int opened[3])
{
	for (int i = 0; i < c->nr; i++) {
		const struct redir *r = &c->r[i];
		struct end e = { .kind = END_NULL, .fd = -1 };
		char *host = NULL;
		int fd, err;

		if (r->fd < 0 || r->fd > 2)
			continue;	/* fds past 2: nothing uses them */
		char *target = expand_word(x->sh, r->target);

		if (r->op == R_DUP) {
			int from = target[0] - '0';

			if (strcmp(target, "-") == 0) {
				e.kind = END_NULL;
			} else if (target[1] != '\0' || from < 0 ||
			    from > 2) {
				x_printf(x, 2, "%s: %s: bad file descriptor\n",
				    SH, target);
				free(target);
				return 1;
			} else {
				/* A copy: each side closes its own fd. */
				e = x->e[from];
				if (e.kind == END_FILE)
					e.fd = dup(x->e[from].fd);
			}
		} else if (strcmp(target, "/dev/null") == 0) {
			e.kind = END_NULL;
		} else {
			err = resolve(x, target, 0, &host);
			if (err == 0) {
				fd = open(host, r->op == R_IN ?
				    O_RDONLY | O_CLOEXEC :
				    O_WRONLY | O_CREAT | O_CLOEXEC |
				    (r->op == R_APPEND ? O_APPEND : O_TRUNC),
				    0660);
				err = fd < 0 ? -errno : 0;
				e.kind = END_FILE;
				e.fd = fd;
			}
			free(host);
			if (err < 0) {
				x_printf(x, 2, "%s: can't %s %s: %s\n", SH,
				    r->op == R_IN ? "open" : "create",
				    target, strerror(-err));
				free(target);
				return 1;
			}
		}
		free(target);
		if (opened[r->fd])
			end_close(&x->e[r->fd]);
		x->e[r->fd] = e;
		opened[r->fd] = e.kind == END_FILE;
	}
	return 0;
}

static int
run_cmd(struct x *x, const struct cmd *c)
{
	const struct sim_command *pc;
	char *joined, **words = xcalloc((size_t)c->argc + 1, sizeof(char *));
	size_t n = 0;
	int argc = 0, rc, opened[3] = { 0, 0, 0 }, nwords;
	char **argv = words;
	builtin_fn fn;

	/* Variables now, as the command starts. */
	for (int i = 0; i < c->argc; i++) {
		char *w = expand_word(x->sh, c->argv[i]);

		if (c->lone[i] && *w == '\0')
			free(w);
		else
			words[argc++] = w;
	}
	nwords = argc;
	rc = apply_redirs(x, c, opened);
	if (rc != 0)
		goto out;
	/* Leading NAME=value words: assignments. */
	while (argc > 0 && strchr(argv[0], '=') != NULL &&
	    (isalpha((unsigned char)argv[0][0]) || argv[0][0] == '_') &&
	    strspn(argv[0], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"
	    "XYZ0123456789_") == (size_t)(strchr(argv[0], '=') - argv[0])) {
		if (nwords == 1)
			var_set(x->sh, argv[0]);
		argv++;
		argc--;
	}
	if (argc == 0) {
		rc = 0;
		goto out;
	}
	for (int i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	joined = xmalloc(n + 1);
	joined[0] = '\0';
	for (int i = 0; i < argc; i++) {
		if (i > 0)
			strcat(joined, " ");
		strcat(joined, argv[i]);
	}
	pc = canned(x->sh, joined);
	free(joined);
	if (pc != NULL) {
		rc = x_write(x, 1, pc->out, pc->outlen);
		if (rc == 0)
			rc = x_write(x, 2, pc->err, pc->errlen);
		if (rc == 0)
			rc = pc->exit_code;
		goto out;
	}
	fn = builtin(argv[0]);
	if (fn == NULL) {
		rc = x_printf(x, 2, "%s: %s: not found\n", SH, argv[0]);
		if (rc == 0)
			rc = 127;
		goto out;
	}
	rc = fn(x, argc, argv);
out:
	for (int i = 0; i < 3; i++)
		if (opened[i])
			end_close(&x->e[i]);
	for (int i = 0; i < nwords; i++)
		free(words[i]);
	free(words);
	return rc;
}

static int
is_keyword(const char *w)
{
	static const char *const kw[] = { "if", "then", "else", "elif", "fi",
	    "for", "while", "until", "do", "done", "case", "esac", "function",
	    "{", "}", "!", "[[", "select", "time" };

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (strcmp(w, kw[i]) == 0)
			return 1;
	return 0;
}

static void
cmds_free(struct cmd *v, int n)
{
	for (int i = 0; i < n; i++) {
		free(v[i].argv);
		free(v[i].lone);
		free(v[i].r);
	}
	free(v);
}

/* Run a pipeline: commands one after the other, each one's output held
 * and given to the next as its input. */
static int
run_pipeline(struct x *x, struct cmd *v, int n)
{
	struct end base[3];
	struct buf *bufs = xcalloc((size_t)n, sizeof(struct buf));
	int rc = 0;

	memcpy(base, x->e, sizeof(base));
	for (int i = 0; i < n && rc >= 0; i++) {
		x->e[0] = base[0];
		x->e[1] = base[1];
		x->e[2] = base[2];
		if (i > 0) {
			x->e[0].kind = END_BUF;
			x->e[0].b = &bufs[i - 1];
		}
		if (i < n - 1) {
			x->e[1].kind = END_BUF;
			x->e[1].b = &bufs[i];
		}
		rc = run_cmd(x, &v[i]);
		if (i > 0) {
			free(bufs[i - 1].p);
			bufs[i - 1].p = NULL;
		}
		if (x->sh->exited && i < n - 1)
			x->sh->exited = 0;	/* exit inside a pipe */
	}
	for (int i = 0; i < n; i++)
		free(bufs[i].p);
	free(bufs);
	memcpy(x->e, base, sizeof(base));
	return rc;
}

/* Parse and run a whole line. */
static int
run_line(struct x *x, const char *line)
{
	struct toks t = { 0 };
	struct cmd *cmds = NULL;
	int ncmds = 0, rc = 0, skip = 0;
	size_t i = 0;

	if (lex(line, &t) < 0) {
		rc = x_printf(x, 2, "%s: syntax not supported by "
		    "droidmedic-sim: %s\n", SH, t.err);
		toks_free(&t);
		x->sh->status = 2;
		return rc < 0 ? rc : 2;
	}
	while (i <= t.n && rc >= 0 && !x->sh->exited) {
		struct cmd c = { 0 };
		enum tok_kind sep = T_SEMI;

		/* One simple command. */
		c.argv = xcalloc(t.n + 1, sizeof(char *));
		c.lone = xcalloc(t.n + 1, sizeof(int));
		c.r = xcalloc(t.n + 1, sizeof(struct redir));
		for (; i < t.n && (t.v[i].kind == T_WORD ||
		    t.v[i].kind == T_REDIR); i++) {
			if (t.v[i].kind == T_WORD) {
				c.lone[c.argc] = t.v[i].quoted < 0;
				c.argv[c.argc++] = t.v[i].text;
				continue;
			}
			if (i + 1 >= t.n || t.v[i + 1].kind != T_WORD) {
				snprintf(t.err, sizeof(t.err),
				    "redirection without a target");
				goto syntax;
			}
			c.r[c.nr].fd = t.v[i].fd;
			c.r[c.nr].op = t.v[i].op;
			c.r[c.nr++].target = t.v[++i].text;
		}
		if (i < t.n)
			sep = t.v[i].kind;
		i++;
		if (c.argc > 0 && is_keyword(c.argv[0])) {
			snprintf(t.err, sizeof(t.err), "'%s'", c.argv[0]);
			free(c.argv);
			free(c.lone);
			free(c.r);
			goto syntax;
		}
		if (c.argc == 0 && c.nr == 0) {
			free(c.argv);
			free(c.lone);
			free(c.r);
			if (sep == T_PIPE || ((sep == T_AND || sep == T_OR) &&
			    ncmds == 0)) {
				snprintf(t.err, sizeof(t.err), "missing "
				    "command");
				goto syntax;
			}
			if (ncmds == 0)
				continue;
		} else {
			cmds = xrealloc(cmds, (size_t)(ncmds + 1) *
			    sizeof(*cmds));
			cmds[ncmds++] = c;
		}
		if (sep == T_PIPE)
			continue;
		/* A pipeline is complete: run it unless && / || skip it. */
		if (!skip && ncmds > 0) {
			rc = run_pipeline(x, cmds, ncmds);
			if (rc >= 0)
				x->sh->status = rc;
		}
		cmds_free(cmds, ncmds);
		cmds = NULL;
		ncmds = 0;
		skip = (sep == T_AND && x->sh->status != 0) ||
		    (sep == T_OR && x->sh->status == 0);
	}
	cmds_free(cmds, ncmds);
	toks_free(&t);
	return rc < 0 ? rc : x->sh->status;
syntax:
	cmds_free(cmds, ncmds);
	rc = x_printf(x, 2, "%s: syntax error: %s\n", SH, t.err);
	toks_free(&t);
	x->sh->status = 2;
	return rc < 0 ? rc : 2;
}

int
simsh_run(struct simsh *sh, const char *line, const struct simsh_io *io)
{
	struct x x = { .sh = sh, .io = io };
	const struct sim_command *pc = canned(sh, line);
	int rc;

	for (int i = 0; i < 3; i++) {
		x.e[i].kind = END_IO;
		x.e[i].iofd = i;
		x.e[i].fd = -1;
	}
	if (pc != NULL) {
		rc = x_write(&x, 1, pc->out, pc->outlen);
		if (rc == 0)
			rc = x_write(&x, 2, pc->err, pc->errlen);
		if (rc < 0)
			return rc;
		sh->status = pc->exit_code;
		return sh->status;
	}
	rc = run_line(&x, line);
	if (rc >= 0)
		sh->status = rc;
	return rc;
}
