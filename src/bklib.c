/* bklib.c - backup categories and the library of backups on disk (see
 * backup.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "bkarc.h"
#include "err.h"
#include "paths.h"
#include "textfile.h"
#include "xmem.h"

/* ---- categories -------------------------------------------------------- */

struct bkcat {
	const char *name;
	const char *what;
	const char *dirs[10];
	int dflt;
};

static const struct bkcat cats[] = {
	{ "device", "identity, properties and storage figures", { NULL }, 1 },
	{ "photos", "camera and pictures", { "DCIM", "Pictures", NULL }, 1 },
	{ "videos", "movies", { "Movies", NULL }, 1 },
	{ "music", "music, podcasts, ringtones", { "Music", "Podcasts",
	    "Audiobooks", "Ringtones", "Notifications", "Alarms", NULL }, 1 },
	{ "downloads", "the Download folder", { "Download", NULL }, 1 },
	{ "documents", "the Documents folder", { "Documents", NULL }, 1 },
	{ "recordings", "voice and call recordings", { "Recordings",
	    "MIUI/sound_recorder", "Sounds", NULL }, 1 },
	{ "messaging", "media of messaging apps", {
	    "Android/media/com.whatsapp", "Android/media/com.whatsapp.w4b",
	    "WhatsApp", "Android/media/org.telegram.messenger", "Telegram",
	    "Android/media/org.thoughtcrime.securesms",
	    "Android/media/com.viber.voip", "viber", NULL }, 1 },
	{ "apps", "the list of apps (package, version, installer, state)",
	    { NULL }, 1 },
	{ "contacts", "contacts, as the contacts provider lists them",
	    { NULL }, 1 },
	{ "calllog", "the call log", { NULL }, 1 },
	{ "sms", "text messages", { NULL }, 1 },
	{ "apks", "the APKs of user apps, split APKs included", { NULL }, 0 },
};

#define NCATS	((int)(sizeof(cats) / sizeof(cats[0])))

int
bk_cat_count(void)
{
	return NCATS;
}

const char *
bk_cat_name(int i)
{
	return i >= 0 && i < NCATS ? cats[i].name : "?";
}

const char *
bk_cat_what(int i)
{
	return i >= 0 && i < NCATS ? cats[i].what : "";
}

const char *const *
bk_cat_dirs(int i)
{
	return i >= 0 && i < NCATS && cats[i].dirs[0] != NULL ?
	    cats[i].dirs : NULL;
}

int
bk_cat_find(const char *name)
{
	for (int i = 0; i < NCATS; i++)
		if (strcmp(cats[i].name, name) == 0)
			return i;
	return -1;
}

unsigned
bk_cat_default(void)
{
	unsigned m = 0;

	for (int i = 0; i < NCATS; i++)
		if (cats[i].dflt)
			m |= 1u << i;
	return m;
}

unsigned
bk_cat_parse(const char *list, char *err, size_t errlen)
{
	char *copy = xstrdup(list), *save = NULL, *t;
	unsigned m = 1u << BK_CAT_DEVICE;

	for (t = strtok_r(copy, ", ", &save); t != NULL;
	    t = strtok_r(NULL, ", ", &save)) {
		int i = bk_cat_find(t);

		if (i < 0) {
			char names[256] = "";

			for (int j = 0; j < NCATS; j++)
				snprintf(names + strlen(names), sizeof(names) -
				    strlen(names), "%s%s", j ? ", " : "",
				    cats[j].name);
			dm_fail(err, errlen, DM_EINVAL, "no category \"%s\" "
			    "(there are: %s)", t, names);
			free(copy);
			return 0;
		}
		m |= 1u << i;
	}
	free(copy);
	return m;
}

/* ---- the library ------------------------------------------------------- */

int
bklib_root(const char *to, char *out, size_t len, char *err, size_t errlen)
{
	const char *env = getenv("DROIDMEDIC_BACKUPS");
	char *def = NULL;
	int rc;

	if (to != NULL && to[0] != '\0')
		snprintf(out, len, "%s", to);
	else if (env != NULL && env[0] != '\0')
		snprintf(out, len, "%s", env);
	else {
		const char *x = getenv("XDG_DATA_HOME");
		const char *home = getenv("HOME");

		if (x != NULL && x[0] == '/')
			def = xasprintf("%s/droidmedic/backups", x);
		else if (home != NULL && home[0] == '/')
			def = xasprintf("%s/.local/share/droidmedic/backups",
			    home);
		else
			return dm_fail(err, errlen, DM_ENOENT, "no HOME: name "
			    "the backup folder with --to");
		snprintf(out, len, "%s", def);
		free(def);
	}
	rc = paths_mkdirs(out, 0700);
	if (rc < 0)
		return dm_fail(err, errlen, dm_from_errno(-rc), "cannot create "
		    "%s: %s", out, strerror(-rc));
	return 0;
}

void
bklib_folder(const char *serial, char *out, size_t len)
{
	size_t i = 0;

	for (; serial[i] != '\0' && i + 1 < len; i++) {
		char c = serial[i];

		out[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == '_' ? c : '_';
	}
	if (i == 0 && len > 1)
		out[i++] = '_';
	out[i] = '\0';
	if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		out[0] = '_';
}

cJSON *
bklib_load(const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	cJSON *m;
	int rc;

	rc = textfile_read(path, 64u << 20, &text, &len);
	if (rc < 0) {
		dm_fail(err, errlen, dm_from_errno(-rc), "%s: %s", path,
		    strerror(-rc));
		return NULL;
	}
	m = cJSON_ParseWithLength(text, len);
	free(text);
	if (!cJSON_IsObject(m) || !cJSON_IsString(cJSON_GetObjectItem(m,
	    "format")) || strcmp(cJSON_GetObjectItem(m, "format")->valuestring,
	    "droidmedic-backup") != 0 || !cJSON_IsString(
	    cJSON_GetObjectItem(m, "id")) || !cJSON_IsArray(
	    cJSON_GetObjectItem(m, "items"))) {
		cJSON_Delete(m);
		dm_fail(err, errlen, DM_EINVAL, "%s: not a droidmedic backup "
		    "manifest", path);
		return NULL;
	}
	return m;
}

int
bklib_save(const char *path, const cJSON *m, char *err, size_t errlen)
{
	char *tmp = xasprintf("%s.tmp", path);
	char *text = cJSON_Print(m);
	size_t len = strlen(text), off = 0;
	int fd, rc = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = dm_fail(err, errlen, dm_from_errno(errno), "cannot create "
		    "%s: %s", tmp, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = dm_fail(err, errlen, DM_EIO, "%s%s: %s",
			    errno == ENOSPC ? "the disk is full writing " : "",
			    tmp, strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	if (rc == 0 && (fsync(fd) < 0 || close(fd) < 0)) {
		rc = dm_fail(err, errlen, DM_EIO, "%s: %s", tmp,
		    strerror(errno));
		fd = -1;
	} else if (rc == 0) {
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = dm_fail(err, errlen, DM_EIO, "rename %s: %s", tmp,
		    strerror(errno));
	if (rc < 0)
		unlink(tmp);
out:
	free(tmp);
	cJSON_free(text);
	return rc;
}

/* The manifest at json with "archive" and "archive_bytes" added, when the
 * archive beside it exists. */
static cJSON *
load_entry(const char *json)
{
	char err[256], *arc;
	size_t n = strlen(json);
	struct stat st;
	cJSON *m;

	if (n < 6 || strcmp(json + n - 5, ".json") != 0)
		return NULL;
	arc = xasprintf("%.*s.tar.zst", (int)(n - 5), json);
	if (stat(arc, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (m = bklib_load(json, err, sizeof(err))) == NULL) {
		free(arc);
		return NULL;
	}
	cJSON_AddStringToObject(m, "archive", arc);
	cJSON_AddNumberToObject(m, "archive_bytes", (double)st.st_size);
	free(arc);
	return m;
}

static void
scan_folder(const char *dir, cJSON *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char *p;
		cJSON *m;

		if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		m = load_entry(p);
		if (m != NULL)
			cJSON_AddItemToArray(out, m);
		free(p);
	}
	if (d != NULL)
		closedir(d);
}

static int
by_time_desc(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	double tx = cJSON_GetNumberValue(cJSON_GetObjectItem(x,
	    "created_unix"));
	double ty = cJSON_GetNumberValue(cJSON_GetObjectItem(y,
	    "created_unix"));
	const char *ix = cJSON_GetStringValue(cJSON_GetObjectItem(x, "id"));
	const char *iy = cJSON_GetStringValue(cJSON_GetObjectItem(y, "id"));

	if (tx != ty)
		return tx < ty ? 1 : -1;
	return strcmp(iy ? iy : "", ix ? ix : "");
}

cJSON *
bklib_list(const char *root, const char *serial)
{
	cJSON *all = cJSON_CreateArray(), *sorted;
	cJSON **v;
	int n;

	if (serial != NULL) {
		char folder[128], *dir;

		bklib_folder(serial, folder, sizeof(folder));
		dir = xasprintf("%s/%s", root, folder);
		scan_folder(dir, all);
		free(dir);
	} else {
		DIR *d = opendir(root);
		struct dirent *de;

		while (d != NULL && (de = readdir(d)) != NULL) {
			char *dir;

			if (de->d_name[0] == '.')
				continue;
			dir = xasprintf("%s/%s", root, de->d_name);
			scan_folder(dir, all);
			free(dir);
		}
		if (d != NULL)
			closedir(d);
	}
	n = cJSON_GetArraySize(all);
	if (n < 2)
		return all;
	v = xcalloc((size_t)n, sizeof(*v));
	for (int i = n - 1; i >= 0; i--)
		v[i] = cJSON_DetachItemFromArray(all, i);
	qsort(v, (size_t)n, sizeof(*v), by_time_desc);
	sorted = cJSON_CreateArray();
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(sorted, v[i]);
	free(v);
	cJSON_Delete(all);
	return sorted;
}

int
bklib_recent(const char *serial, int64_t max_age_s, char *id, size_t idlen,
    char *root, size_t rootlen)
{
	char lib[4096], err[256];
	cJSON *all, *m;
	time_t now = time(NULL);
	int found = 0;

	if (root != NULL && rootlen > 0)
		root[0] = '\0';
	if (serial == NULL || serial[0] == '\0' ||
	    bklib_root(NULL, lib, sizeof(lib), err, sizeof(err)) < 0)
		return 0;
	if (root != NULL)
		snprintf(root, rootlen, "%s", lib);
	all = bklib_list(lib, serial);
	cJSON_ArrayForEach(m, all) {
		double t = cJSON_GetNumberValue(cJSON_GetObjectItem(m,
		    "created_unix"));

		if (cJSON_IsTrue(cJSON_GetObjectItem(m, "complete")) &&
		    cJSON_IsString(cJSON_GetObjectItem(m, "verified")) &&
		    t > (double)(now - max_age_s) &&
		    t <= (double)now + 60) {
			if (id != NULL)
				snprintf(id, idlen, "%s", cJSON_GetStringValue(
				    cJSON_GetObjectItem(m, "id")));
			found = 1;
			break;
		}
	}
	cJSON_Delete(all);
	return found;
}

struct minfo {
	char *text;
	size_t len;
};

static int
manifest_cb(void *ud, struct bkr *r, const struct bkr_member *m)
{
	struct minfo *mi = ud;
	long n;

	if (m->type != BK_FILE || strcmp(m->name, "droidmedic/manifest.json")
	    != 0 || m->size > (64u << 20))
		return 0;
	free(mi->text);
	mi->text = xmalloc((size_t)m->size + 1);
	mi->len = 0;
	while (mi->len < m->size && (n = bkr_read(r, mi->text + mi->len,
	    (size_t)m->size - mi->len)) > 0)
		mi->len += (size_t)n;
	mi->text[mi->len] = '\0';
	return 0;
}

/* The manifest an archive carries as its last member, with "archive"
 * added; NULL with err. */
static cJSON *
manifest_in(const char *arc, char *err, size_t errlen)
{
	struct minfo mi = { NULL, 0 };
	struct stat st;
	cJSON *m;
	int rc;

	if (stat(arc, &st) < 0) {
		dm_fail(err, errlen, DM_ENOENT, "%s: %s", arc, strerror(errno));
		return NULL;
	}
	rc = bkr_each(arc, manifest_cb, &mi, err, errlen);
	if (rc < 0) {
		free(mi.text);
		return NULL;
	}
	m = mi.text ? cJSON_ParseWithLength(mi.text, mi.len) : NULL;
	free(mi.text);
	if (!cJSON_IsObject(m) || !cJSON_IsString(cJSON_GetObjectItem(m,
	    "format")) || strcmp(cJSON_GetObjectItem(m, "format")->valuestring,
	    "droidmedic-backup") != 0 || !cJSON_IsString(cJSON_GetObjectItem(
	    m, "id")) || !cJSON_IsArray(cJSON_GetObjectItem(m, "items"))) {
		cJSON_Delete(m);
		dm_fail(err, errlen, DM_EINVAL, "%s holds no droidmedic backup "
		    "manifest (droidmedic/manifest.json)", arc);
		return NULL;
	}
	cJSON_AddStringToObject(m, "archive", arc);
	cJSON_AddNumberToObject(m, "archive_bytes", (double)st.st_size);
	return m;
}

cJSON *
bklib_find(const char *root, const char *what, char *err, size_t errlen)
{
	size_t n = strlen(what);
	cJSON *all, *m = NULL, *it;

	if (strchr(what, '/') != NULL) {
		char *json;

		if (n > 8 && strcmp(what + n - 8, ".tar.zst") == 0)
			json = xasprintf("%.*s.json", (int)(n - 8), what);
		else
			json = xstrdup(what);
		m = load_entry(json);
		if (m == NULL && access(json, F_OK) != 0 && n > 8 &&
		    strcmp(what + n - 8, ".tar.zst") == 0) {
			/* An archive without its manifest beside it (copied
			 * alone): its last member is the manifest. */
			free(json);
			return manifest_in(what, err, errlen);
		}
		if (m == NULL) {
			cJSON *x = bklib_load(json, err, errlen);

			if (x != NULL) {
				cJSON_Delete(x);
				dm_fail(err, errlen, DM_ENOENT, "%s: its archive "
				    "is missing", json);
			}
		}
		free(json);
		return m;
	}
	all = bklib_list(root, NULL);
	cJSON_ArrayForEach(it, all) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(it,
		    "id"));

		if (id != NULL && strcmp(id, what) == 0) {
			m = cJSON_Duplicate(it, 1);
			break;
		}
	}
	cJSON_Delete(all);
	if (m == NULL)
		dm_fail(err, errlen, DM_ENOENT, "no backup %s in %s (see "
		    "`droidmedic backups`)", what, root);
	return m;
}

/* ---- the phone's shell ------------------------------------------------- */

char *
bk_shell_quote(const char *s)
{
	size_t n = 3;
	char *o, *p;

	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	o = p = xmalloc(n);
	*p++ = '\'';
	for (const char *c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else
			*p++ = *c;
	}
	*p++ = '\'';
	*p = '\0';
	return o;
}

/* ---- restore selection ------------------------------------------------- */

int
restore_selected(const cJSON *item, const char *sel)
{
	const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(item,
	    "path"));
	const char *cat = cJSON_GetStringValue(cJSON_GetObjectItem(item,
	    "category"));
	char *copy, *save = NULL, *t;
	int hit = 0;

	if (path != NULL && strncmp(path, "apks/", 5) == 0) {
		/* APKs go back (are installed) only when asked for: the
		 * category, a package's folder or a pattern. */
		if (sel == NULL || sel[0] == '\0')
			return 0;
		copy = xstrdup(sel);
		for (t = strtok_r(copy, ",", &save); t != NULL && !hit;
		    t = strtok_r(NULL, ",", &save)) {
			size_t n = strlen(t);

			if (strcmp(t, "apks") == 0 || fnmatch(t, path, 0) == 0 ||
			    (n > 0 && strncmp(path, t, n) == 0 &&
			    (path[n] == '/' || t[n - 1] == '/')))
				hit = 1;
		}
		free(copy);
		return hit;
	}
	if (path == NULL || strncmp(path, "storage/", 8) != 0)
		return 0;	/* only the phone's storage goes back */
	if (sel == NULL || sel[0] == '\0')
		return 1;
	copy = xstrdup(sel);
	for (t = strtok_r(copy, ",", &save); t != NULL && !hit;
	    t = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(t);

		if (cat != NULL && strcmp(t, cat) == 0)
			hit = 1;
		else if (fnmatch(t, path + 8, 0) == 0)
			hit = 1;
		/* A folder names what it holds. */
		else if (n > 0 && strncmp(path + 8, t, n) == 0 &&
		    (path[8 + n] == '/' || path[8 + n] == '\0'))
			hit = 1;
		else if (n > 0 && t[n - 1] == '/' &&
		    strncmp(path + 8, t, n) == 0)
			hit = 1;
	}
	free(copy);
	return hit;
}
