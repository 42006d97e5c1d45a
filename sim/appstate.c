/* appstate.c - the running phone's apps, properties and event log (see
 * appstate.h).  The answers of pm, am and cmd follow Android's package
 * manager shell command: "Success" / "Failed" for clear, "Package X new
 * state: ..." for enable and disable, "Failure [...]" for uninstall. */
#include "config.h"

#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appstate.h"
#include "profile.h"
#include "propdb.h"
#include "vfs.h"
#include "xmem.h"

struct app {
	const char *name;	/* the profile's */
	int system;
	int installed;		/* for user 0 */
	int disabled;
	int stopped;
};

struct appstate {
	pthread_mutex_t lock;
	const struct profile *prof;
	struct app *apps;
	size_t napps;
	char **events;
	unsigned long *seq;	/* when each event last happened */
	size_t nevents;
	unsigned long clock;
	char **setprops;	/* key, value, ... set since boot (or persist.) */
	size_t nsetprops;
	unsigned char *files_ok; /* per effect: its "files" held at boot */
	const struct vfs *vfs;
	struct session {	/* pm install-create ... install-commit */
		unsigned id;
		size_t n;
		char *names[8];
		unsigned char *data[8];
		size_t len[8];
	} sessions[4];
	unsigned next_session;
};

struct appstate *
appstate_new(const struct profile *prof)
{
	struct appstate *st = xcalloc(1, sizeof(*st));

	pthread_mutex_init(&st->lock, NULL);
	st->prof = prof;
	st->apps = xcalloc(prof->npkgs + 1, sizeof(*st->apps));
	for (size_t i = 0; i < prof->npkgs; i++) {
		st->apps[i].name = prof->pkgs[i].name;
		st->apps[i].system = prof->pkgs[i].system;
		st->apps[i].installed = 1;
	}
	st->napps = prof->npkgs;
	st->files_ok = xcalloc(prof->neffects + 1, 1);
	return st;
}

/* Does the file hold text (trailing white space aside)? */
static int
file_holds(const struct vfs *v, const char *path, const char *text)
{
	char buf[4096], *host = NULL;
	size_t n = 0, want = strlen(text);
	FILE *f;

	if (vfs_resolve(v, path, VFS_ROOT, &host) < 0)
		return 0;
	f = fopen(host, "rb");
	free(host);
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	while (want > 0 && (text[want - 1] == '\n' || text[want - 1] == ' '))
		want--;
	return n == want && memcmp(buf, text, n) == 0;
}

void
appstate_boot_files(struct appstate *st, const struct vfs *v)
{
	const struct profile *p = st->prof;

	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < p->neffects; i++) {
		const struct sim_effect *e = &p->effects[i];
		int ok = 1;

		for (size_t k = 0; k < e->nfiles && ok; k++)
			ok = file_holds(v, e->files[2 * k],
			    e->files[2 * k + 1]);
		st->files_ok[i] = (unsigned char)ok;
	}
	pthread_mutex_unlock(&st->lock);
}

static void
session_clear(struct session *s)
{
	for (size_t k = 0; k < s->n; k++) {
		free(s->names[k]);
		free(s->data[k]);
	}
	memset(s, 0, sizeof(*s));
}

void
appstate_set_vfs(struct appstate *st, const struct vfs *v)
{
	st->vfs = v;
}

void
appstate_free(struct appstate *st)
{
	if (st == NULL)
		return;
	for (size_t k = 0; k < 4; k++)
		session_clear(&st->sessions[k]);
	for (size_t i = 0; i < st->nevents; i++)
		free(st->events[i]);
	free(st->events);
	free(st->seq);
	for (size_t i = 0; i < 2 * st->nsetprops; i++)
		free(st->setprops[i]);
	free(st->setprops);
	free(st->files_ok);
	free(st->apps);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

/* With the lock held. */
static unsigned long
event_seq(const struct appstate *st, const char *ev)
{
	for (size_t i = 0; i < st->nevents; i++)
		if (strcmp(st->events[i], ev) == 0)
			return st->seq[i];
	return 0;
}

static void
drop_transient_props(struct appstate *st)
{
	size_t k = 0;

	for (size_t i = 0; i < st->nsetprops; i++) {
		char *key = st->setprops[2 * i], *v = st->setprops[2 * i + 1];

		if (strncmp(key, "persist.", 8) == 0) {
			st->setprops[2 * k] = key;
			st->setprops[2 * k + 1] = v;
			k++;
		} else {
			free(key);
			free(v);
		}
	}
	st->nsetprops = k;
}

static void
event_locked(struct appstate *st, const char *ev)
{
	size_t i;

	for (i = 0; i < st->nevents; i++)
		if (strcmp(st->events[i], ev) == 0)
			break;
	if (i == st->nevents) {
		st->events = xrealloc(st->events, (i + 1) * sizeof(char *));
		st->seq = xrealloc(st->seq, (i + 1) * sizeof(*st->seq));
		st->events[i] = xstrdup(ev);
		st->nevents++;
	}
	st->seq[i] = ++st->clock;
	if (strcmp(ev, "reboot") == 0) {
		drop_transient_props(st);
		for (size_t k = 0; k < st->napps; k++)
			st->apps[k].stopped = 0;
	}
}

void
appstate_event(struct appstate *st, const char *fmt, ...)
{
	char ev[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ev, sizeof(ev), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&st->lock);
	event_locked(st, ev);
	pthread_mutex_unlock(&st->lock);
}

/* With the lock held: has every event of e happened, and when "reboot" is
 * one of them, a boot since the last of the others? */
static int
effect_on(const struct appstate *st, const struct sim_effect *e)
{
	unsigned long last = 0, boot = 0;
	int wants_boot = 0;

	if (e->nfiles > 0 && !st->files_ok[e - st->prof->effects])
		return 0;
	for (size_t i = 0; i < e->nafter; i++) {
		unsigned long s = event_seq(st, e->after[i]);

		if (s == 0)
			return 0;
		if (strcmp(e->after[i], "reboot") == 0) {
			wants_boot = 1;
			boot = s;
		} else if (s > last) {
			last = s;
		}
	}
	return !wants_boot || boot > last;
}

const struct sim_command *
appstate_command(struct appstate *st, const char *line)
{
	const struct profile *p = st->prof;
	const struct sim_command *found = NULL;

	pthread_mutex_lock(&st->lock);
	for (size_t i = p->neffects; i-- > 0 && found == NULL;) {
		const struct sim_effect *e = &p->effects[i];

		if (!effect_on(st, e))
			continue;
		for (size_t k = 0; k < e->ncmds; k++)
			if (strcmp(e->cmds[k].line, line) == 0) {
				found = &e->cmds[k];
				break;
			}
	}
	pthread_mutex_unlock(&st->lock);
	return found != NULL ? found : profile_command(p, line);
}

/* With the lock held; borrowed. */
static const char *
prop_locked(const struct appstate *st, const char *key)
{
	const struct profile *p = st->prof;

	for (size_t i = st->nsetprops; i-- > 0;)
		if (strcmp(st->setprops[2 * i], key) == 0)
			return st->setprops[2 * i + 1];
	for (size_t i = p->neffects; i-- > 0;) {
		const struct sim_effect *e = &p->effects[i];

		if (!effect_on(st, e))
			continue;
		for (size_t k = 0; k < e->nprops; k++)
			if (strcmp(e->props[2 * k], key) == 0)
				return e->props[2 * k + 1];
	}
	return propdb_get(p->props, key);
}

char *
appstate_getprop(struct appstate *st, const char *key)
{
	const char *v;
	char *r;

	pthread_mutex_lock(&st->lock);
	v = prop_locked(st, key);
	r = v != NULL ? xstrdup(v) : NULL;
	pthread_mutex_unlock(&st->lock);
	return r;
}

char *
appstate_getprop_all(struct appstate *st, size_t *len)
{
	struct propdb *db = propdb_new();
	const struct profile *p = st->prof;
	char *all;

	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < propdb_count(p->props); i++)
		propdb_set(db, propdb_key(p->props, i),
		    propdb_value(p->props, i));
	for (size_t i = 0; i < p->neffects; i++)
		if (effect_on(st, &p->effects[i]))
			for (size_t k = 0; k < p->effects[i].nprops; k++)
				propdb_set(db, p->effects[i].props[2 * k],
				    p->effects[i].props[2 * k + 1]);
	for (size_t i = 0; i < st->nsetprops; i++)
		propdb_set(db, st->setprops[2 * i], st->setprops[2 * i + 1]);
	pthread_mutex_unlock(&st->lock);
	all = propdb_format(db, len);
	propdb_free(db);
	return all;
}

int
appstate_setprop(struct appstate *st, const char *key, const char *value)
{
	char ev[512];
	int rc = 0;

	pthread_mutex_lock(&st->lock);
	if (strncmp(key, "ro.", 3) == 0 && prop_locked(st, key) != NULL) {
		rc = -1;
	} else {
		size_t n = st->nsetprops;

		st->setprops = xrealloc(st->setprops, 2 * (n + 1) *
		    sizeof(char *));
		st->setprops[2 * n] = xstrdup(key);
		st->setprops[2 * n + 1] = xstrdup(value);
		st->nsetprops++;
		snprintf(ev, sizeof(ev), "setprop %s %s", key, value);
		event_locked(st, ev);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* ---- pm, cmd, am ---- */

struct txt {
	char *p;
	size_t n;
};

static void
txt_add(struct txt *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
txt_add(struct txt *t, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	t->p = xrealloc(t->p, t->n + (size_t)k + 1);
	va_start(ap, fmt);
	vsnprintf(t->p + t->n, (size_t)k + 1, fmt, ap);
	va_end(ap);
	t->n += (size_t)k;
}

/* With the lock held. */
static struct app *
find_app(struct appstate *st, const char *name)
{
	for (size_t i = 0; i < st->napps; i++)
		if (strcmp(st->apps[i].name, name) == 0)
			return &st->apps[i];
	return NULL;
}

static int
sdk(struct appstate *st)
{
	const char *v = prop_locked(st, "ro.build.version.sdk");

	return v != NULL ? atoi(v) : 0;
}

/* Options pm takes before the package: --user N (only 0 here), -k and
 * --cache-only where allowed.  Returns the index of the package operand,
 * or -1 with the error written (also when there is none). */
static int
pm_opts(struct appstate *st, int argc, char **argv, int i, const char *ok,
    int *keep, int *cache, struct txt *err)
{
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--user") == 0 && i + 1 < argc) {
			if (strcmp(argv[i + 1], "0") != 0 &&
			    strcmp(argv[i + 1], "current") != 0) {
				txt_add(err, "Error: user %s does not exist\n",
				    argv[i + 1]);
				return -1;
			}
			i++;
		} else if (strcmp(argv[i], "-k") == 0 && strchr(ok, 'k')) {
			*keep = 1;
		} else if (strcmp(argv[i], "--cache-only") == 0 &&
		    strchr(ok, 'c') && sdk(st) >= 34) {
			*cache = 1;
		} else {
			txt_add(err, "Error: Unknown option: %s\n", argv[i]);
			return -1;
		}
	}
	if (i >= argc) {
		txt_add(err, "Error: no package specified\n");
		return -1;
	}
	return i;
}

static int
pm_list(struct appstate *st, int argc, char **argv, struct txt *out,
    struct txt *err)
{
	int sys = 0, third = 0, dis = 0, en = 0, all = 0;
	int path = 0, inst = 0, uid = 0, vc = 0;
	const char *filter = NULL;

	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "-s") == 0)
			sys = 1;
		else if (strcmp(argv[i], "-3") == 0)
			third = 1;
		else if (strcmp(argv[i], "-d") == 0)
			dis = 1;
		else if (strcmp(argv[i], "-e") == 0)
			en = 1;
		else if (strcmp(argv[i], "-u") == 0)
			all = 1;
		else if (strcmp(argv[i], "-f") == 0)
			path = 1;
		else if (strcmp(argv[i], "-i") == 0)
			inst = 1;
		else if (strcmp(argv[i], "-U") == 0)
			uid = 1;
		else if (strcmp(argv[i], "--show-versioncode") == 0)
			vc = 1;
		else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			i++;
		else if (argv[i][0] == '-') {
			txt_add(err, "Error: Unknown option: %s\n", argv[i]);
			return 255;
		} else
			filter = argv[i];
	}
	for (size_t i = 0; i < st->napps; i++) {
		const struct app *a = &st->apps[i];

		if ((!a->installed && !all) || (sys && !a->system) ||
		    (third && a->system) || (dis && !a->disabled) ||
		    (en && a->disabled) ||
		    (filter != NULL && strstr(a->name, filter) == NULL))
			continue;
		/* As AOSP's runListPackages prints it; the profile has no
		 * versions or installers: version 1, Play for user apps. */
		txt_add(out, "package:");
		if (path) {
			if (a->system)
				txt_add(out, "/system/priv-app/%s/%s.apk=",
				    a->name, a->name);
			else
				txt_add(out, "/data/app/%s-1/base.apk=",
				    a->name);
		}
		txt_add(out, "%s", a->name);
		if (vc)
			txt_add(out, " versionCode:1");
		if (inst)
			txt_add(out, "  installer=%s", a->system ? "null" :
			    "com.android.vending");
		if (uid)
			txt_add(out, " uid:%zu", a->system ? (size_t)1000 :
			    10000 + i);
		txt_add(out, "\n");
	}
	return 0;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)f;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

/* rm -rf of a host folder. */
static void
remove_tree(const char *host)
{
	(void)nftw(host, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static struct session *
session_find(struct appstate *st, const char *id)
{
	unsigned long v = strtoul(id, NULL, 10);

	for (size_t k = 0; k < 4; k++)
		if (v != 0 && st->sessions[k].id == v)
			return &st->sessions[k];
	return NULL;
}

/* The user app whose base APK these bytes are, or NULL (pm would find
 * its name in the APK's manifest; the simulator's APKs are patterns
 * fixed by the name). */
static struct app *
apk_owner(struct appstate *st, const unsigned char *b, size_t len)
{
	unsigned char *want;

	for (size_t i = 0; i < st->napps; i++) {
		uint64_t seed, size;
		int same;

		if (st->apps[i].system)
			continue;
		vfs_apk_spec(st->apps[i].name, 0, &seed, &size);
		if (size != len)
			continue;
		want = xmalloc(len ? len : 1);
		vfs_pattern(seed, 0, want, len);
		same = memcmp(want, b, len) == 0;
		free(want);
		if (same)
			return &st->apps[i];
	}
	return NULL;
}

/* A device file's bytes, read as the shell user reads it. */
static unsigned char *
read_dev(struct appstate *st, const char *path, size_t *len)
{
	char *host = NULL;
	unsigned char *b = NULL;
	FILE *f;
	long n;

	if (st->vfs == NULL || vfs_resolve(st->vfs, path, 0, &host) < 0)
		return NULL;
	f = fopen(host, "rb");
	free(host);
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    n < (64l << 20) && fseek(f, 0, SEEK_SET) == 0) {
		b = xmalloc((size_t)n + 1);
		if (fread(b, 1, (size_t)n, f) != (size_t)n) {
			free(b);
			b = NULL;
		} else {
			*len = (size_t)n;
		}
	}
	fclose(f);
	return b;
}

/* pm install-create / install-write / install-commit / install-abandon:
 * what a restore of apps runs.  AOSP's words. */
static int
pm_session(struct appstate *st, const char *sub, int argc, char **argv,
    int at, struct txt *out, struct txt *err)
{
	struct session *s;

	if (strcmp(sub, "install-create") == 0) {
		for (size_t k = 0; k < 4; k++)
			if (st->sessions[k].id == 0) {
				st->sessions[k].id = 1000 + ++st->next_session;
				txt_add(out, "Success: created install session "
				    "[%u]\n", st->sessions[k].id);
				return 0;
			}
		txt_add(err, "Error: too many active sessions\n");
		return 1;
	}
	/* install-write [-S SIZE] SESSION NAME PATH */
	if (strcmp(sub, "install-write") == 0) {
		int i = at + 1;
		long long size = -1;
		unsigned char *b;
		size_t len = 0;

		if (i + 1 < argc && strcmp(argv[i], "-S") == 0) {
			size = strtoll(argv[i + 1], NULL, 10);
			i += 2;
		}
		if (i + 3 > argc) {
			txt_add(err, "Error: must specify a session ID, a "
			    "split name and a path\n");
			return 255;
		}
		s = session_find(st, argv[i]);
		if (s == NULL) {
			txt_add(err, "Error: Failed to open session %s\n",
			    argv[i]);
			return 1;
		}
		b = read_dev(st, argv[i + 2], &len);
		if (b == NULL) {
			txt_add(err, "Error: Unable to open file: %s\n",
			    argv[i + 2]);
			return 1;
		}
		if ((size >= 0 && (size_t)size != len) || s->n >= 8) {
			free(b);
			txt_add(err, "Error: Failed to write: %s\n",
			    s->n >= 8 ? "too many files" : "size mismatch");
			return 1;
		}
		s->names[s->n] = xstrdup(argv[i + 1]);
		s->data[s->n] = b;
		s->len[s->n++] = len;
		txt_add(out, "Success: streamed %zu bytes\n", len);
		return 0;
	}
	if (at + 1 >= argc || (s = session_find(st, argv[at + 1])) == NULL) {
		txt_add(err, "Error: Failed to open session %s\n",
		    at + 1 < argc ? argv[at + 1] : "");
		return 1;
	}
	if (strcmp(sub, "install-abandon") == 0) {
		session_clear(s);
		txt_add(out, "Success\n");
		return 0;
	}
	/* install-commit: the base names the app; every file lands in its
	 * folder under /data/app. */
	{
		struct app *a = NULL;
		char ev[300];
		size_t k;

		for (k = 0; k < s->n; k++)
			if (strcmp(s->names[k], "base.apk") == 0)
				a = apk_owner(st, s->data[k], s->len[k]);
		if (a == NULL) {
			session_clear(s);
			txt_add(out, "Failure [INSTALL_PARSE_FAILED_NOT_APK: "
			    "Failed to parse base.apk]\n");
			return 1;
		}
		for (k = 0; k < s->n && st->vfs != NULL; k++) {
			char path[512], *host = NULL, *dir;
			FILE *f;

			snprintf(path, sizeof(path), "/data/app/%s-1/%s",
			    a->name, s->names[k]);
			dir = xasprintf("/data/app/%s-1", a->name);
			(void)vfs_mkdirs(st->vfs, dir, 0755, VFS_ROOT);
			free(dir);
			if (strchr(s->names[k], '/') != NULL ||
			    vfs_resolve(st->vfs, path, VFS_ROOT, &host) < 0)
				continue;
			f = fopen(host, "wb");
			if (f != NULL) {
				fwrite(s->data[k], 1, s->len[k], f);
				fclose(f);
			}
			free(host);
		}
		a->installed = 1;
		a->disabled = 0;
		snprintf(ev, sizeof(ev), "install %s", a->name);
		event_locked(st, ev);
		session_clear(s);
		txt_add(out, "Success\n");
		return 0;
	}
}

static int
pm_locked(struct appstate *st, int argc, char **argv, int at,
    struct txt *out, struct txt *err)
{
	const char *sub = at < argc ? argv[at] : "";
	int keep = 0, cache = 0, i;
	struct app *a;

	if (strcmp(sub, "list") == 0 && at + 1 < argc &&
	    strcmp(argv[at + 1], "packages") == 0)
		return pm_list(st, argc - at + 1, argv + at - 1, out, err);
	/* The owner alone, as AOSP prints it; a profile with more users
	 * answers this line from its "commands". */
	if (strcmp(sub, "list") == 0 && at + 1 < argc &&
	    strcmp(argv[at + 1], "users") == 0) {
		txt_add(out, "Users:\n\tUserInfo{0:Owner:c13} running\n");
		return 0;
	}
	if (strcmp(sub, "trim-caches") == 0) {
		if (at + 1 >= argc) {
			txt_add(err, "Error: must specify a data size\n");
			return 255;
		}
		event_locked(st, "trim-caches");
		return 0;
	}
	if (strcmp(sub, "install-create") == 0 ||
	    strcmp(sub, "install-write") == 0 ||
	    strcmp(sub, "install-commit") == 0 ||
	    strcmp(sub, "install-abandon") == 0)
		return pm_session(st, sub, argc, argv, at, out, err);
	if (strcmp(sub, "reset-permissions") == 0) {
		event_locked(st, "reset-permissions");
		return 0;
	}
	if (strcmp(sub, "path") != 0 && strcmp(sub, "clear") != 0 &&
	    strcmp(sub, "disable-user") != 0 && strcmp(sub, "enable") != 0 &&
	    strcmp(sub, "uninstall") != 0 &&
	    strcmp(sub, "install-existing") != 0) {
		txt_add(err, "Unknown command: %s\n", sub);
		return 255;
	}
	i = pm_opts(st, argc, argv, at + 1, strcmp(sub, "clear") == 0 ? "c" :
	    strcmp(sub, "uninstall") == 0 ? "k" : "", &keep, &cache, err);
	if (i < 0)
		return 255;
	a = find_app(st, argv[i]);
	if (strcmp(sub, "path") == 0) {
		if (a == NULL || !a->installed)
			return 1;
		if (a->system)
			txt_add(out, "package:/system/priv-app/%s/%s.apk\n",
			    a->name, a->name);
		else {
			const struct sim_package *pk = NULL;

			for (size_t k = 0; k < st->prof->npkgs; k++)
				if (strcmp(st->prof->pkgs[k].name, a->name) == 0)
					pk = &st->prof->pkgs[k];
			txt_add(out, "package:/data/app/%s-1/base.apk\n",
			    a->name);
			for (size_t k = 0; pk != NULL && k < pk->nsplits; k++)
				txt_add(out, "package:/data/app/%s-1/"
				    "split_%s.apk\n", a->name, pk->splits[k]);
		}
		return 0;
	}
	if (strcmp(sub, "install-existing") == 0) {
		if (a == NULL) {
			txt_add(out, "Failure [package %s doesn't exist]\n",
			    argv[i]);
			return 1;
		}
		a->installed = 1;
		{
			char ev[300];

			snprintf(ev, sizeof(ev), "install-existing %s", a->name);
			event_locked(st, ev);
		}
		txt_add(out, "Package %s installed for user: 0\n", a->name);
		return 0;
	}
	if (a == NULL || !a->installed) {
		if (strcmp(sub, "clear") == 0) {
			txt_add(err, "Failed\n");
			return 1;
		}
		if (strcmp(sub, "uninstall") == 0) {
			txt_add(out, "Failure [%s]\n", a == NULL ?
			    "DELETE_FAILED_INTERNAL_ERROR" :
			    "not installed for 0");
			return 1;
		}
		txt_add(err, "Error: Unknown package: %s\n", argv[i]);
		return 255;
	}
	if (strcmp(sub, "clear") == 0) {
		char ev[300];

		snprintf(ev, sizeof(ev), "%s %s", cache ? "clear-cache" :
		    "clear", a->name);
		event_locked(st, ev);
		if (!cache)
			a->stopped = 1;
		txt_add(out, "Success\n");
		return 0;
	}
	if (strcmp(sub, "uninstall") == 0) {
		char ev[300];
		int for_user = 0;

		for (int k = at; k < argc; k++)
			for_user |= strcmp(argv[k], "--user") == 0;
		a->installed = 0;
		/* Gone whole (not -k, not for one user): its APKs go too. */
		if (!a->system && !keep && !for_user && st->vfs != NULL) {
			char dir[512], *host = NULL;

			snprintf(dir, sizeof(dir), "/data/app/%s-1", a->name);
			if (vfs_resolve(st->vfs, dir, VFS_ROOT, &host) == 0)
				remove_tree(host);
			free(host);
		}
		snprintf(ev, sizeof(ev), "uninstall %s", a->name);
		event_locked(st, ev);
		txt_add(out, "Success\n");
		return 0;
	}
	{
		char ev[300];
		int dis = strcmp(sub, "disable-user") == 0;

		a->disabled = dis;
		snprintf(ev, sizeof(ev), "%s %s", dis ? "disable" : "enable",
		    a->name);
		event_locked(st, ev);
		txt_add(out, "Package %s new state: %s\n", a->name, dis ?
		    "disabled-user" : "enabled");
	}
	return 0;
}

static int
am_locked(struct appstate *st, int argc, char **argv, struct txt *out,
    struct txt *err)
{
	int keep = 0, cache = 0, i;
	struct app *a;
	char ev[300];

	(void)out;
	if (argc < 2 || strcmp(argv[1], "force-stop") != 0) {
		txt_add(err, "Error: Unknown command: %s\n", argc > 1 ?
		    argv[1] : "");
		return 255;
	}
	i = pm_opts(st, argc, argv, 2, "", &keep, &cache, err);
	if (i < 0)
		return 255;
	a = find_app(st, argv[i]);
	if (a != NULL)
		a->stopped = 1;
	snprintf(ev, sizeof(ev), "force-stop %s", argv[i]);
	event_locked(st, ev);
	return 0;
}

int
appstate_tool(struct appstate *st, int argc, char **argv, char **out,
    char **err)
{
	struct txt o = { xstrdup(""), 0 }, e = { xstrdup(""), 0 };
	int rc;

	pthread_mutex_lock(&st->lock);
	if (strcmp(argv[0], "pm") == 0) {
		rc = pm_locked(st, argc, argv, 1, &o, &e);
	} else if (strcmp(argv[0], "am") == 0) {
		rc = am_locked(st, argc, argv, &o, &e);
	} else if (argc > 1 && strcmp(argv[1], "package") == 0) {
		rc = pm_locked(st, argc, argv, 2, &o, &e);
	} else if (argc > 2 && strcmp(argv[1], "appops") == 0 &&
	    strcmp(argv[2], "reset") == 0) {
		event_locked(st, "appops-reset");
		rc = 0;
	} else {
		txt_add(&e, "cmd: Can't find service: %s\n", argc > 1 ?
		    argv[1] : "");
		rc = 20;
	}
	pthread_mutex_unlock(&st->lock);
	*out = o.p;
	*err = e.p;
	return rc;
}
