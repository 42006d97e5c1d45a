/* ui.c - the dashboard: the one poll loop, the model it keeps from the
 * bench server's events, the layout, the title and key bars, the filter
 * prompt, and the terminal's safety (restored on quit, on SIGTERM and
 * SIGHUP, on a crash and on out-of-memory).
 *
 * The dashboard is a client: it subscribes to the server (client.h), keeps
 * a copy of the device rows, jobs and log lines it is sent, and reconnects
 * every second when the server goes away.  The screens (scr_*.c) draw
 * panes from that model.  There is one thread, the main one; signals reach
 * the loop through a self-pipe (a signalfd would need the signals blocked,
 * and a blocked mask would be inherited by the server we may start).
 * Nothing is redrawn unless something changed, and the loop sleeps without
 * a timeout unless something on screen depends on the clock. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "client.h"
#include "draw.h"
#include "err.h"
#include "keys.h"
#include "log.h"
#include "proto.h"
#include "scr.h"
#include "ui.h"
#include "xmem.h"

#define UI_RETRY_MS	1000
#define UI_MAX_JOBS	64

/* The loop's own state; the model the screens see is in .m. */
struct ui_main {
	struct ui m;
	const struct ui_opts *opts;
	struct client *client;
	int64_t retry_at;	/* monotonic ms of the next connect attempt */
	int dirty;
	int cursor;		/* cursor shown (the / prompt) */
	int stdin_idle;		/* passes where stdin was readable but empty */
	int quit;		/* UI_QUIT seen */
	int exit_status;
	int first_frame;	/* the first doupdate() happened */
	int64_t t0_mono;	/* ui_run() entered */
	int demo_asked;		/* --demo: the server was asked once */
};

/* What the signal handlers may touch. */
static int ui_sigpipe[2] = { -1, -1 };
static volatile sig_atomic_t ui_curses_up;
static struct termios ui_saved_tio;
static int ui_have_tio;
static char ui_reset_seq[256];		/* leave the alternate screen etc. */
static char ui_crash_note[512];		/* "droidmedic 0.1.0 crashed ..." */

static const int ui_fatal_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
	SIGABRT };
static const int ui_loop_sigs[] = { SIGWINCH, SIGHUP, SIGTERM, SIGINT,
	SIGQUIT };

/* ---- model ------------------------------------------------------------ */

const struct ui_dev *
ui_selected(const struct ui *ui)
{
	int pos = ui_selected_pos(ui);

	return pos >= 0 ? &ui->devs[ui->vis[pos]] : NULL;
}

int
ui_selected_pos(const struct ui *ui)
{
	int i;

	for (i = 0; i < ui->nvis; i++)
		if (ui->devs[ui->vis[i]].di.id == ui->sel_id)
			return i;
	return -1;
}

void
ui_select_pos(struct ui *ui, int pos)
{
	if (ui->nvis == 0) {
		ui->sel_id = 0;
		return;
	}
	if (pos >= ui->nvis)
		pos = ui->nvis - 1;
	if (pos < 0)
		pos = 0;
	if (ui->devs[ui->vis[pos]].di.id != ui->sel_id)
		ui->details_top = 0;
	ui->sel_id = ui->devs[ui->vis[pos]].di.id;
	ui->sel_pos = pos;
}

const struct ui_logline *
ui_log_at(const struct ui *ui, int i)
{
	return &ui->log[(ui->log_first + i) % UI_LOG_MAX];
}

int64_t
ui_dev_gone_ms(const struct ui_dev *d)
{
	if (d->di.present)
		return 0;
	return d->di.gone_ms > 0 ? d->di.gone_ms : d->gone_local_ms;
}

void
ui_age(char *buf, size_t len, int64_t ms)
{
	long s = ms > 0 ? (long)(ms / 1000) : 0;

	if (s < 60)
		snprintf(buf, len, "%lds", s);
	else if (s < 3600)
		snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, len, "%ldh%02ldm", s / 3600, s / 60 % 60);
}

void
ui_speed(char *buf, size_t len, const struct dev_info *di)
{
	int m = di->speed_mbps;

	if (m == 1)
		snprintf(buf, len, "1.5M");
	else if (m >= 1000 && m % 1000 == 0)
		snprintf(buf, len, "%dG", m / 1000);
	else if (m > 0)
		snprintf(buf, len, "%dM", m);
	else
		snprintf(buf, len, "%s", di->speed);
}

static void
ui_log_add(struct ui *ui, int level, const char *module, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
ui_log_add(struct ui *ui, int level, const char *module, const char *fmt,
    ...)
{
	struct ui_logline *l;
	va_list ap;

	if (ui->log_count < UI_LOG_MAX) {
		l = &ui->log[(ui->log_first + ui->log_count) % UI_LOG_MAX];
		ui->log_count++;
	} else {
		l = &ui->log[ui->log_first];
		ui->log_first = (ui->log_first + 1) % UI_LOG_MAX;
	}
	/* Scrolled back: keep the same lines in view. */
	if (ui->log_back > 0)
		ui->log_back++;
	l->ms = dm_now_ms();
	l->level = level;
	snprintf(l->module, sizeof(l->module), "%s", module);
	va_start(ap, fmt);
	vsnprintf(l->text, sizeof(l->text), fmt, ap);
	va_end(ap);
}

static int
ui_dev_matches(const struct ui_dev *d, const char *f)
{
	const struct dev_info *di = &d->di;

	if (*f == '\0')
		return 1;
	return strcasestr(di->serial, f) != NULL ||
	    strcasestr(di->port, f) != NULL ||
	    strcasestr(di->vendor, f) != NULL ||
	    strcasestr(di->product, f) != NULL ||
	    strcasestr(dev_mode_name(di->mode), f) != NULL ||
	    strcasestr(draw_mode_short(di->present ? di->mode :
	    DEV_MODE_OFFLINE), f) != NULL;
}

/* Rebuild the filtered view and keep the selection on the same phone; if
 * that one is gone, on the row that took its place (keep_pos) or on the
 * first row. */
static void
ui_refilter(struct ui *ui, int keep_pos)
{
	int i, pos;

	if (ui->viscap < ui->ndevs) {
		ui->viscap = ui->ndevs + 16;
		ui->vis = xrealloc(ui->vis, (size_t)ui->viscap *
		    sizeof(*ui->vis));
	}
	ui->nvis = 0;
	for (i = 0; i < ui->ndevs; i++)
		if (ui_dev_matches(&ui->devs[i], ui->filter))
			ui->vis[ui->nvis++] = i;
	pos = ui_selected_pos(ui);
	if (pos >= 0)
		ui->sel_pos = pos;
	else
		ui_select_pos(ui, keep_pos ? ui->sel_pos : 0);
}

static struct ui_dev *
ui_dev_find(struct ui *ui, unsigned id)
{
	int i;

	for (i = 0; i < ui->ndevs; i++)
		if (ui->devs[i].di.id == id)
			return &ui->devs[i];
	return NULL;
}

static const char *
ui_dev_tag(const struct dev_info *di)
{
	return di->serial[0] != '\0' ? di->serial : di->port;
}

/* A device row was added or changed: update it, and say what changed. */
static void
ui_dev_update(struct ui *ui, const struct dev_info *di,
    const cJSON *ident, int quiet)
{
	struct ui_dev *d = ui_dev_find(ui, di->id);
	int i;

	if (d == NULL) {
		if (ui->ndevs == ui->devcap) {
			ui->devcap = ui->devcap ? ui->devcap * 2 : 16;
			ui->devs = xrealloc(ui->devs, (size_t)ui->devcap *
			    sizeof(*ui->devs));
		}
		/* Keep id order, which is the order phones arrived in. */
		for (i = ui->ndevs; i > 0 && ui->devs[i - 1].di.id > di->id;
		    i--)
			ui->devs[i] = ui->devs[i - 1];
		d = &ui->devs[i];
		memset(d, 0, sizeof(*d));
		d->di = *di;
		ui->ndevs++;
		if (!quiet)
			ui_log_add(ui, LOG_INFO, "dev", "%s: %s on %s",
			    ui_dev_tag(di), draw_mode_short(di->mode),
			    di->port);
	} else {
		if (!quiet && d->di.present && !di->present)
			ui_log_add(ui, LOG_INFO, "dev",
			    "%s: gone (rebooting or unplugged)",
			    ui_dev_tag(di));
		else if (!quiet && di->present && (!d->di.present ||
		    d->di.mode != di->mode))
			ui_log_add(ui, LOG_INFO, "dev", "%s: now %s on %s",
			    ui_dev_tag(di), draw_mode_short(di->mode),
			    di->port);
		if (!quiet && di->nproblems > d->di.nproblems)
			ui_log_add(ui, LOG_WARN, "dev", "%s: %s",
			    ui_dev_tag(di),
			    di->problems[di->nproblems - 1].text);
		d->di = *di;
	}
	cJSON_Delete(d->ident);
	d->ident = cJSON_IsObject(ident) ? cJSON_Duplicate(ident, 1) : NULL;
	d->gone_local_ms = di->present ? 0 : (d->gone_local_ms ?
	    d->gone_local_ms : dm_now_ms());
	if (ui->sel_id == 0)
		ui->sel_id = di->id;
}

static void
ui_dev_remove(struct ui *ui, unsigned id)
{
	struct ui_dev *d = ui_dev_find(ui, id);
	int i;

	if (d == NULL)
		return;
	ui_log_add(ui, LOG_INFO, "dev", "%s: removed", ui_dev_tag(&d->di));
	cJSON_Delete(d->ident);
	i = (int)(d - ui->devs);
	memmove(&ui->devs[i], &ui->devs[i + 1], (size_t)(ui->ndevs - i - 1) *
	    sizeof(*ui->devs));
	ui->ndevs--;
}

struct ui_repair *
ui_repair_get(struct ui *ui, unsigned dev_id, int create)
{
	struct ui_repair *r;
	int i;

	for (i = 0; i < ui->nrepair; i++)
		if (ui->repair[i].dev_id == dev_id)
			return &ui->repair[i];
	if (!create || dev_id == 0)
		return NULL;
	if (ui->nrepair == UI_MAX_REPAIR) {
		/* Forget the oldest phone's. */
		cJSON_Delete(ui->repair[0].report);
		cJSON_Delete(ui->repair[0].fix_result);
		memmove(&ui->repair[0], &ui->repair[1],
		    (size_t)(ui->nrepair - 1) * sizeof(*ui->repair));
		ui->nrepair--;
	}
	r = &ui->repair[ui->nrepair++];
	memset(r, 0, sizeof(*r));
	r->dev_id = dev_id;
	return r;
}

void
ui_request(struct ui *ui, const char *op, unsigned dev_id, cJSON *params)
{
	/* One at a time: keys come faster than the server answers only
	 * when someone leans on them. */
	cJSON_Delete(ui->req.params);
	snprintf(ui->req.op, sizeof(ui->req.op), "%s", op);
	ui->req.dev_id = dev_id;
	ui->req.params = params;
}

static void
ui_repair_free(struct ui *ui)
{
	for (int i = 0; i < ui->nrepair; i++) {
		cJSON_Delete(ui->repair[i].report);
		cJSON_Delete(ui->repair[i].fix_result);
	}
	ui->nrepair = 0;
	cJSON_Delete(ui->req.params);
	ui->req.params = NULL;
	ui->req.op[0] = '\0';
}

/* A job we asked for ended: its result is fetched by ui_service(). */
static void
ui_repair_job_done(struct ui *ui, unsigned job_id)
{
	for (int i = 0; i < ui->nrepair; i++) {
		struct ui_repair *r = &ui->repair[i];

		if ((r->diag_job == job_id || (r->fix_job == job_id &&
		    r->fix_running)) && ui->nfetch < UI_MAX_REPAIR)
			ui->fetch[ui->nfetch++] = job_id;
	}
}

static const char *
ui_json_str(const cJSON *o, const char *name)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(j) && j->valuestring != NULL ? j->valuestring :
	    NULL;
}

static double
ui_json_num(const cJSON *o, const char *name, double dflt)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(j) ? j->valuedouble : dflt;
}

/* The job with ji's id, added (as a copy of ji) if we did not know it. */
static struct job_info *
ui_job_get(struct ui *ui, const struct job_info *ji)
{
	int i;

	for (i = 0; i < ui->njobs; i++)
		if (ui->jobs[i].id == ji->id)
			return &ui->jobs[i];
	if (ui->njobs == UI_MAX_JOBS) {
		/* Forget the oldest job. */
		memmove(&ui->jobs[0], &ui->jobs[1], (size_t)(ui->njobs - 1) *
		    sizeof(*ui->jobs));
		ui->njobs--;
	}
	if (ui->njobs == ui->jobcap) {
		ui->jobcap = ui->jobcap ? ui->jobcap * 2 : 8;
		ui->jobs = xrealloc(ui->jobs, (size_t)ui->jobcap *
		    sizeof(*ui->jobs));
	}
	ui->jobs[ui->njobs] = *ji;
	return &ui->jobs[ui->njobs++];
}

/* A job event carries only what that event is about (proto_event()):
 * merge those fields, keep the rest. */
static void
ui_job_event(struct ui *ui, const char *name, const cJSON *ev,
    const struct job_info *ji)
{
	struct job_info *j = ui_job_get(ui, ji);
	const char *text = ui_json_str(ev, "text");

	if (ji->kind[0] != '\0')
		snprintf(j->kind, sizeof(j->kind), "%s", ji->kind);
	if (ji->dev_id != 0)
		j->dev_id = ji->dev_id;
	if (strcmp(name, "job.state") == 0) {
		j->state = ji->state;
		ui_log_add(ui, LOG_INFO, "job", "#%u %s: %s", j->id, j->kind,
		    job_state_name(j->state));
	} else if (strcmp(name, "job.progress") == 0) {
		j->done = ji->done;
		j->total = ji->total;
		snprintf(j->what, sizeof(j->what), "%s", ji->what);
	} else if (strcmp(name, "job.log") == 0) {
		ui_log_add(ui, LOG_INFO, "job", "#%u %s: %s", j->id, j->kind,
		    text != NULL ? text : "");
	} else if (strcmp(name, "job.done") == 0) {
		j->state = ji->state;
		j->err = ji->err;
		snprintf(j->errbuf, sizeof(j->errbuf), "%s", ji->errbuf);
		ui_log_add(ui, j->state == JOB_DONE ? LOG_INFO : LOG_WARN,
		    "job", "#%u %s: %s%s%s", j->id, j->kind,
		    job_state_name(j->state), text && *text ? ": " : "",
		    text ? text : "");
		ui_repair_job_done(ui, j->id);
		scr_backup_job_ended(ui, j->id);
		scr_flash_job_ended(ui, j->id);
	}
}

static void
ui_model_free(struct ui *ui)
{
	for (int i = 0; i < ui->ndevs; i++)
		cJSON_Delete(ui->devs[i].ident);
	ui_repair_free(ui);
	scr_backup_free(ui);
	scr_flash_free(ui);
	free(ui->devs);
	free(ui->jobs);
	free(ui->vis);
	ui->devs = NULL;
	ui->jobs = NULL;
	ui->vis = NULL;
	ui->ndevs = ui->njobs = ui->nvis = 0;
	ui->devcap = ui->jobcap = ui->viscap = 0;
}

/* ---- the server ------------------------------------------------------- */

static void
ui_hello(struct ui *ui, const cJSON *h)
{
	const cJSON *usb = cJSON_GetObjectItemCaseSensitive(h, "usb");
	const char *s;

	s = ui_json_str(h, "server_version");
	snprintf(ui->server_version, sizeof(ui->server_version), "%s",
	    s != NULL ? s : "");
	ui->server_pid = (long)ui_json_num(h, "pid", 0);
	ui->usb_known = cJSON_IsObject(usb);
	if (!ui->usb_known)
		return;
	ui->usb_ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(usb,
	    "ok"));
	ui->usb_hotplug = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(usb,
	    "hotplug"));
	s = ui_json_str(usb, "error");
	snprintf(ui->usb_error, sizeof(ui->usb_error), "%s",
	    s != NULL ? s : "");
}

/* The reply to "subscribe": the whole current state. */
static void
ui_load_state(struct ui *ui, const cJSON *res)
{
	const cJSON *arr, *it;
	struct dev_info di;
	struct job_info ji;

	for (int k = 0; k < ui->ndevs; k++)
		cJSON_Delete(ui->devs[k].ident);
	ui->ndevs = 0;
	ui->njobs = 0;
	arr = cJSON_GetObjectItemCaseSensitive(res, "devices");
	cJSON_ArrayForEach(it, arr) {
		memset(&di, 0, sizeof(di));
		if (proto_dev_from_json(it, &di) == 0)
			ui_dev_update(ui, &di, cJSON_GetObjectItemCaseSensitive(
			    it, "identity"), 1);
	}
	arr = cJSON_GetObjectItemCaseSensitive(res, "jobs");
	cJSON_ArrayForEach(it, arr) {
		memset(&ji, 0, sizeof(ji));
		if (proto_job_from_json(it, &ji) == 0)
			*ui_job_get(ui, &ji) = ji;
	}
	ui_refilter(ui, 1);
}

static void
ui_event(struct ui *ui, const cJSON *ev)
{
	const char *name = ui_json_str(ev, "event"), *s;
	const cJSON *obj;
	struct dev_info di;
	struct job_info ji;

	if (name == NULL)
		return;
	if (strncmp(name, "device.", 7) == 0) {
		obj = cJSON_GetObjectItemCaseSensitive(ev, "device");
		memset(&di, 0, sizeof(di));
		if (proto_dev_from_json(obj, &di) < 0)
			return;
		if (strcmp(name, "device.remove") == 0)
			ui_dev_remove(ui, di.id);
		else
			ui_dev_update(ui, &di, cJSON_GetObjectItemCaseSensitive(
			    obj, "identity"), 0);
		ui_refilter(ui, 1);
	} else if (strncmp(name, "job.", 4) == 0) {
		obj = cJSON_GetObjectItemCaseSensitive(ev, "job");
		memset(&ji, 0, sizeof(ji));
		if (proto_job_from_json(obj, &ji) < 0)
			return;
		ui_job_event(ui, name, ev, &ji);
	} else if (strcmp(name, "log") == 0) {
		s = ui_json_str(ev, "module");
		ui_log_add(ui, (int)ui_json_num(ev, "level", LOG_WARN),
		    s != NULL ? s : "server", "%s",
		    ui_json_str(ev, "text") ? ui_json_str(ev, "text") : "");
	}
}

static void
ui_drain_events(struct ui_main *um)
{
	cJSON *ev;

	while (um->client != NULL &&
	    (ev = client_next_event(um->client)) != NULL) {
		ui_event(&um->m, ev);
		cJSON_Delete(ev);
		um->dirty = 1;
	}
}

static void
ui_disconnected(struct ui_main *um, const char *why)
{
	if (um->client != NULL)
		client_free(um->client);
	um->client = NULL;
	um->m.connected = 0;
	snprintf(um->m.status, sizeof(um->m.status),
	    "server disconnected %s reconnecting", draw_glyph(G_DASH));
	ui_log_add(&um->m, LOG_WARN, "ui", "server disconnected (%s); "
	    "reconnecting every second", why);
	log_warn("ui", "server disconnected (%s)", why);
	um->retry_at = dm_mono_ms() + UI_RETRY_MS;
	um->dirty = 1;
}

/* Connect and subscribe; 0, or -1 with the reason on the status line. */
static int
ui_connect(struct ui_main *um, int autostart)
{
	char err[256];
	cJSON *res = NULL;
	struct client *c;
	int rc, was = um->m.server_pid != 0;

	um->retry_at = dm_mono_ms() + UI_RETRY_MS;
	c = client_connect(autostart, "dashboard", err, sizeof(err));
	if (c == NULL)
		goto fail;
	rc = client_call(c, "subscribe", NULL, &res, 5000, err, sizeof(err));
	if (rc < 0) {
		client_free(c);
		goto fail;
	}
	um->client = c;
	um->m.connected = 1;
	um->m.status[0] = '\0';
	ui_hello(&um->m, client_hello(c));
	ui_load_state(&um->m, res);
	cJSON_Delete(res);
	ui_log_add(&um->m, LOG_INFO, "ui", "%s bench server %s (pid %ld), "
	    "%d phone%s", was ? "reconnected to" : "connected to",
	    um->m.server_version, um->m.server_pid, um->m.ndevs,
	    um->m.ndevs == 1 ? "" : "s");
	if (um->opts->demo && !um->demo_asked) {
		cJSON *p = cJSON_CreateObject();

		um->demo_asked = 1;
		cJSON_AddStringToObject(p, "action", "start");
		cli_demo_params(p);
		if (client_call(c, "demo", p, NULL, 5000, err,
		    sizeof(err)) < 0)
			ui_log_add(&um->m, LOG_ERR, "ui", "demo: %s", err);
		else
			ui_log_add(&um->m, LOG_INFO, "ui", "demo phones "
			    "(simulated, marked DEMO) are coming up");
	}
	/* Events that came with the reply are queued already. */
	ui_drain_events(um);
	um->dirty = 1;
	return 0;
fail:
	if (was)
		snprintf(um->m.status, sizeof(um->m.status),
		    "server disconnected %s reconnecting", draw_glyph(G_DASH));
	else
		snprintf(um->m.status, sizeof(um->m.status),
		    "no bench server (%s) %s retrying", err,
		    draw_glyph(G_DASH));
	log_debug("ui", "connect: %s", err);
	um->m.connected = 0;
	um->dirty = 1;
	return -1;
}

static void
ui_server_input(struct ui_main *um)
{
	int rc = client_pump(um->client);

	if (rc < 0) {
		ui_disconnected(um, rc == DM_ECLOSED ? "closed" :
		    dm_strerror(rc));
		return;
	}
	ui_drain_events(um);
}

/* ---- the terminal ----------------------------------------------------- */

static void
ui_put_cap(char *dst, size_t len, const char *cap)
{
	char *s = tigetstr((char *)cap);

	if (s != NULL && s != (char *)-1 && strlen(dst) + strlen(s) < len)
		strcat(dst, s);
}

/* Async-signal-safe: the saved tty modes and escape strings prepared
 * while curses came up. */
static void
ui_emergency_restore(void)
{
	ssize_t w;

	if (!ui_curses_up)
		return;
	ui_curses_up = 0;
	w = write(STDOUT_FILENO, ui_reset_seq, strlen(ui_reset_seq));
	(void)w;
	if (ui_have_tio)
		tcsetattr(STDIN_FILENO, TCSANOW, &ui_saved_tio);
}

static void
ui_on_fatal_signal(int sig)
{
	int was_up = ui_curses_up;
	ssize_t w;

	ui_emergency_restore();
	if (was_up) {
		w = write(STDERR_FILENO, ui_crash_note, strlen(ui_crash_note));
		(void)w;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
ui_on_loop_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	ssize_t w;

	if (ui_sigpipe[1] >= 0) {
		w = write(ui_sigpipe[1], &b, 1);
		(void)w;
	}
	errno = saved;
}

/* The xmem hook: out of memory or dm_fatal(); not in a signal handler. */
static void
ui_fatal_hook(void)
{
	if (ui_curses_up) {
		endwin();
		ui_curses_up = 0;
	}
	if (ui_have_tio)
		tcsetattr(STDIN_FILENO, TCSANOW, &ui_saved_tio);
}

static int
ui_signals_install(void)
{
	struct sigaction sa;
	size_t i;

	if (pipe(ui_sigpipe) < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		fcntl(ui_sigpipe[i], F_SETFL, O_NONBLOCK |
		    fcntl(ui_sigpipe[i], F_GETFL));
		fcntl(ui_sigpipe[i], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = ui_on_loop_signal;
	/* Installed before curses starts, so it leaves SIGWINCH to us. */
	for (i = 0; i < sizeof(ui_loop_sigs) / sizeof(ui_loop_sigs[0]); i++)
		sigaction(ui_loop_sigs[i], &sa, NULL);
	sa.sa_handler = ui_on_fatal_signal;
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < sizeof(ui_fatal_sigs) / sizeof(ui_fatal_sigs[0]); i++)
		sigaction(ui_fatal_sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void
ui_signals_remove(void)
{
	size_t i;

	for (i = 0; i < sizeof(ui_loop_sigs) / sizeof(ui_loop_sigs[0]); i++)
		signal(ui_loop_sigs[i], SIG_DFL);
	for (i = 0; i < sizeof(ui_fatal_sigs) / sizeof(ui_fatal_sigs[0]); i++)
		signal(ui_fatal_sigs[i], SIG_DFL);
	for (i = 0; i < 2; i++) {
		if (ui_sigpipe[i] >= 0)
			close(ui_sigpipe[i]);
		ui_sigpipe[i] = -1;
	}
}

static void
ui_resize(struct ui_main *um)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	um->dirty = 1;
}

/* Read the self-pipe; returns UI_QUIT when asked to go. */
static int
ui_signals(struct ui_main *um)
{
	unsigned char b[32];
	ssize_t n, i;
	int flags = 0;

	while ((n = read(ui_sigpipe[0], b, sizeof(b))) > 0) {
		for (i = 0; i < n; i++) {
			switch (b[i]) {
			case SIGWINCH:
				ui_resize(um);
				break;
			case SIGHUP:
				/* The SSH session dropped: go quietly, the
				 * server keeps the jobs. */
				log_info("ui", "SIGHUP: the terminal went "
				    "away; leaving the server running");
				um->exit_status = 0;
				flags |= UI_QUIT;
				break;
			default:
				log_info("ui", "signal %d: quitting", b[i]);
				um->exit_status = 128 + b[i];
				flags |= UI_QUIT;
				break;
			}
		}
	}
	return flags;
}

/* ---- keys ------------------------------------------------------------- */

static void
ui_filter_erase(char *f)
{
	size_t n = strlen(f);

	/* Drop one whole UTF-8 character. */
	while (n > 0 && ((unsigned char)f[n - 1] & 0xc0) == 0x80)
		n--;
	if (n > 0)
		n--;
	f[n] = '\0';
}

static int
ui_filter_key(struct ui *ui, int ch, enum key_action a)
{
	size_t n = strlen(ui->filter);

	if (a == ACT_ENTER) {
		ui->filter_edit = 0;
	} else if (a == ACT_CLEAR) {
		ui->filter[0] = '\0';
		ui->filter_edit = 0;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (n == 0)
			ui->filter_edit = 0;
		ui_filter_erase(ui->filter);
	} else if (ch == ('u' & 0x1f)) {
		ui->filter[0] = '\0';
	} else if (ch >= 32 && ch < 256 && ch != 127) {
		if (n + 1 < sizeof(ui->filter)) {
			ui->filter[n] = (char)ch;
			ui->filter[n + 1] = '\0';
		}
	} else if (a == ACT_QUIT && ch != 'q') {
		return UI_QUIT;			/* F10 */
	} else if (ch >= KEY_MIN) {
		/* Arrows and pages still move in the list. */
		return scr_devices_key(ui, a);
	} else {
		return 0;
	}
	ui_refilter(ui, 0);
	return UI_REDRAW;
}

static int
ui_key(struct ui *ui, int ch)
{
	enum key_action a;

	if (ch == KEY_RESIZE)
		return UI_REDRAW;
	if (ui->status_key) {
		ui->status[0] = '\0';
		ui->status_key = 0;
	}
	a = keys_action(ch);
	if (ui->confirm.open)
		return scr_confirm_key(ui, ch, a);
	if (ui->bk.open)
		return scr_backup_key(ui, ch, a);
	if (ui->fl.open)
		return scr_flash_key(ui, ch, a);
	if (ui->help_open)
		return scr_help_key(ui, ch, a);
	if (ui->filter_edit)
		return ui_filter_key(ui, ch, a);
	switch (a) {
	case ACT_QUIT:
		return UI_QUIT;
	case ACT_HELP:
		ui->help_open = 1;
		ui->help_top = 0;
		return UI_REDRAW;
	case ACT_FILTER:
		ui->filter_edit = 1;
		ui->focus = PANE_DEVICES;
		return UI_REDRAW;
	case ACT_CLEAR:
		if (ui->filter[0] != '\0') {
			ui->filter[0] = '\0';
			ui_refilter(ui, 1);
		}
		ui->focus = PANE_DEVICES;
		return UI_REDRAW;
	case ACT_NEXT_PANE:
		ui->focus = (ui->focus + 1) % PANE_COUNT_;
		return UI_REDRAW;
	case ACT_PREV_PANE:
		ui->focus = (ui->focus + PANE_COUNT_ - 1) % PANE_COUNT_;
		return UI_REDRAW;
	case ACT_REDRAW:
		clearok(curscr, TRUE);
		return UI_REDRAW;
	case ACT_DIAGNOSE:
		return scr_repair_diagnose(ui);
	case ACT_FIX:
		return scr_repair_fix(ui);
	case ACT_STEP:
		return scr_repair_pick(ui);
	case ACT_BACKUP:
		return scr_backup_open(ui);
	case ACT_RESTORE:
		return scr_restore_open(ui);
	case ACT_FLASH:
		return scr_flash_open(ui);
	case ACT_VIEW:
		ui->view = ui->view == VIEW_DETAILS ? VIEW_FINDINGS :
		    ui->view == VIEW_FINDINGS ? VIEW_BACKUPS : VIEW_DETAILS;
		if (ui->view == VIEW_BACKUPS)
			ui->bk.stale = 1;
		ui->details_top = 0;
		return UI_REDRAW;
	default:
		break;
	}
	switch (ui->focus) {
	case PANE_DETAILS:
		if (ui->view == VIEW_FINDINGS)
			return scr_findings_key(ui, a);
		if (ui->view == VIEW_BACKUPS)
			return scr_backups_key(ui, a);
		return scr_details_key(ui, a);
	case PANE_LOG:
		return scr_log_key(ui, a);
	default:
		return scr_devices_key(ui, a);
	}
}

/* stdin is readable: take every key there is.  Readable with nothing to
 * read, twice in a row, is end of file or EIO: the terminal is gone. */
static int
ui_drain_keys(struct ui_main *um, short revents)
{
	int ch, flags = 0, got = 0, avail = 0;

	while ((ch = getch()) != ERR) {
		got = 1;
		flags |= ui_key(&um->m, ch);
		if (flags & UI_QUIT)
			return flags;
	}
	if (got) {
		um->stdin_idle = 0;
		return flags;
	}
	if ((revents & (POLLHUP | POLLERR | POLLNVAL)) ||
	    ioctl(STDIN_FILENO, FIONREAD, &avail) < 0 ||
	    (avail == 0 && ++um->stdin_idle >= 2)) {
		log_info("ui", "the terminal went away (EOF on stdin); "
		    "leaving the server running");
		um->exit_status = 0;
		return UI_QUIT;
	}
	return flags;
}

/* ---- drawing ---------------------------------------------------------- */

void
scr_frame(const struct ui *ui, enum ui_pane p, const struct ui_rect *r,
    const char *title)
{
	int focused = ui->focus == p && !ui->help_open;

	/* The focused pane's title is in reverse video: visible without
	 * colour too. */
	draw_box(r->y, r->x, r->h, r->w, title,
	    draw_attr(focused ? DR_BORDER_FOCUS : DR_BORDER),
	    focused ? draw_attr(DR_SELECTED) | A_BOLD : draw_attr(DR_HEADER));
}

/* Stack the panes: the list as tall as its rows (up to 45%), the log a
 * quarter, the details whatever is left; the focused pane grows. */
static void
ui_layout(struct ui *ui)
{
	int avail = LINES - 2, dh, lh, th, y = 1;

	dh = ui->nvis > 0 ? ui->nvis + 3 : 7;
	if (dh > avail * 45 / 100)
		dh = avail * 45 / 100;
	if (dh < 5)
		dh = 5;
	/* The focused pane gets the room: Enter is how a technician asks
	 * to read all about one phone. */
	if (ui->focus == PANE_DETAILS && dh > 6)
		dh = 6;
	lh = ui->focus == PANE_LOG ? avail / 2 : avail / 4;
	if (lh > 12 && ui->focus != PANE_LOG)
		lh = 12;
	if (lh < 3)
		lh = 3;
	th = avail - dh - lh;
	if (th < 4) {
		lh = 3;
		th = avail - dh - lh;
	}
	if (th < 3) {
		th = 3;
		dh = avail - th - lh;
	}
	if (dh < 3) {
		dh = avail > 3 ? avail : 3;
		th = 0;
		lh = 0;
	}
	ui->pane[PANE_DEVICES] = (struct ui_rect){ y, 0, dh, COLS };
	y += dh;
	ui->pane[PANE_DETAILS] = (struct ui_rect){ y, 0, th, COLS };
	y += th;
	ui->pane[PANE_LOG] = (struct ui_rect){ y, 0, lh, COLS };
}

static void
ui_title(const struct ui *ui)
{
	char left[160], right[200], count[48];
	int i, gone = 0, rw;
	const char *sep = draw_glyph(G_SEP);

	for (i = 0; i < ui->ndevs; i++)
		gone += !ui->devs[i].di.present;
	if (gone > 0)
		snprintf(count, sizeof(count), "%d phone%s (%d offline)",
		    ui->ndevs, ui->ndevs == 1 ? "" : "s", gone);
	else
		snprintf(count, sizeof(count), "%d phone%s", ui->ndevs,
		    ui->ndevs == 1 ? "" : "s");
	if (ui->connected)
		snprintf(left, sizeof(left), " droidmedic %s %s %s %s "
		    "server pid %ld", VERSION, sep, count, sep,
		    ui->server_pid);
	else
		snprintf(left, sizeof(left), " droidmedic %s %s %s %s "
		    "no server", VERSION, sep, count, sep);
	if (!ui->usb_known || !ui->connected)
		right[0] = '\0';
	else if (!ui->usb_ok)
		snprintf(right, sizeof(right), "USB unavailable ");
	else
		snprintf(right, sizeof(right), "USB: %s ",
		    ui->usb_hotplug ? "hotplug" : "polling");
	draw_fill(0, 0, COLS, left, draw_attr(DR_TITLE));
	rw = draw_width(right);
	if (rw > 0 && draw_width(left) + rw + 2 <= COLS)
		draw_text(0, COLS - rw, rw, right, draw_attr(DR_TITLE));
}

/* The key bar: hints from the key table, the / prompt, or an alert. */
static void
ui_keybar(struct ui_main *um)
{
	static const enum key_action hints[] = { ACT_HELP, ACT_FILTER,
		ACT_NEXT_PANE, ACT_ENTER, ACT_DIAGNOSE, ACT_FIX, ACT_QUIT };
	struct ui *ui = &um->m;
	int y = LINES - 1, x = 0, w;
	size_t i;
	char nb[16], line[200];
	const char *k;

	attrset(draw_attr(DR_BAR));
	mvhline(y, 0, ' ', COLS);
	attrset(A_NORMAL);
	if (ui->filter_edit) {
		x = draw_textf(y, 0, COLS, draw_attr(DR_BAR_KEY), "Filter: ");
		x += draw_text(y, x, COLS - x - 1, ui->filter, A_NORMAL);
		move(y, x);
		snprintf(line, sizeof(line), "Enter keeps %s Esc clears",
		    draw_glyph(G_SEP));
		w = draw_width(line);
		if (x + w + 4 < COLS)
			draw_text(y, COLS - w - 1, w, line, draw_attr(DR_DIM));
		move(y, x);
		return;
	}
	if (ui->status[0] != '\0') {
		draw_fill(y, 0, COLS, ui->status, draw_attr(DR_BAR_ALERT));
		return;
	}
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
		k = keys_first(hints[i], nb, sizeof(nb));
		if (k == NULL)
			continue;
		w = draw_width(k) + 1 +
		    (int)strlen(keys_action_word(hints[i]));
		if (x + w >= COLS)
			break;
		x += draw_text(y, x, COLS - x, k, draw_attr(DR_BAR_KEY));
		x += draw_text(y, x, COLS - x, " ", draw_attr(DR_BAR));
		x += draw_text(y, x, COLS - x, keys_action_word(hints[i]),
		    draw_attr(DR_BAR));
		x += 2;
	}
	if (ui->filter[0] != '\0') {
		snprintf(line, sizeof(line), "filter: %s ", ui->filter);
		w = draw_width(line);
		if (x + w < COLS)
			draw_text(y, COLS - w, w, line, draw_attr(DR_BAR_KEY));
	}
}

/* Milliseconds since this process was created (the kernel's start time,
 * in clock ticks, so 10 ms steps); -1 when unknown. */
static long
ui_ms_since_start(void)
{
	char buf[1024], *p;
	unsigned long long start = 0;
	struct timespec ts;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *fp = fopen("/proc/self/stat", "r");
	size_t n;
	int field;

	if (fp == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL || hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		return -1;
	/* Field 22 (starttime); p + 2 is field 3. */
	for (field = 3, p += 2; field < 22 && p != NULL; field++) {
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	if (p == NULL || sscanf(p, "%llu", &start) != 1)
		return -1;
	return (long)((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 -
	    (long long)(start * 1000 / (unsigned long long)hz));
}

static void
ui_redraw(struct ui_main *um)
{
	struct ui *ui = &um->m;

	ui_layout(ui);
	erase();
	ui_title(ui);
	if (ui->pane[PANE_DEVICES].h > 0)
		scr_devices_draw(ui, &ui->pane[PANE_DEVICES]);
	if (ui->pane[PANE_DETAILS].h > 0 && ui->view == VIEW_FINDINGS)
		scr_findings_draw(ui, &ui->pane[PANE_DETAILS]);
	else if (ui->pane[PANE_DETAILS].h > 0 && ui->view == VIEW_BACKUPS)
		scr_backups_draw(ui, &ui->pane[PANE_DETAILS]);
	else if (ui->pane[PANE_DETAILS].h > 0)
		scr_details_draw(ui, &ui->pane[PANE_DETAILS]);
	if (ui->pane[PANE_LOG].h > 0)
		scr_log_draw(ui, &ui->pane[PANE_LOG]);
	ui_keybar(um);
	if (ui->help_open)
		scr_help_draw(ui);
	if (ui->confirm.open)
		scr_confirm_draw(ui);
	if (ui->bk.open)
		scr_backup_draw(ui);
	if (ui->fl.open)
		scr_flash_draw(ui);
	if ((ui->filter_edit || ui->confirm.open ||
	    ui->bk.open == BK_DLG_RESTORE || ui->fl.open) != um->cursor) {
		um->cursor = ui->filter_edit || ui->confirm.open ||
		    ui->bk.open == BK_DLG_RESTORE || ui->fl.open;
		curs_set(um->cursor ? 1 : 0);
	}
	if (!um->cursor)
		move(LINES - 1, COLS - 1);
	wnoutrefresh(stdscr);
	doupdate();
	um->dirty = 0;
	if (!um->first_frame) {
		um->first_frame = 1;
		log_info("ui", "first frame: %ld ms after process start, "
		    "%ld ms in ui_run, %d phones, realtime_ms=%lld",
		    ui_ms_since_start(), (long)(dm_mono_ms() - um->t0_mono),
		    ui->ndevs, (long long)dm_now_ms());
	}
}

/* How long poll() may sleep: forever, unless the clock shows on screen
 * ("offline for 12s") or a reconnect is due. */
static int
ui_timeout(const struct ui_main *um)
{
	const struct ui *ui = &um->m;
	int64_t now = dm_now_ms(), best = -1, t;
	int i;

	if (!ui->connected) {
		best = um->retry_at - dm_mono_ms();
		if (best < 0)
			best = 0;
	}
	for (i = 0; i < ui->nvis; i++) {
		const struct ui_dev *d = &ui->devs[ui->vis[i]];

		if (d->di.present)
			continue;
		t = 1000 - (now - ui_dev_gone_ms(d)) % 1000;
		if (t < 0 || t > 1000)
			t = 1000;
		if (best < 0 || t < best)
			best = t;
	}
	return best < 0 ? -1 : (int)best + 1;
}

static int
ui_any_gone(const struct ui *ui)
{
	int i;

	for (i = 0; i < ui->nvis; i++)
		if (!ui->devs[ui->vis[i]].di.present)
			return 1;
	return 0;
}

/* Send op (params taken) for a job that is no repair: its id, or 0 with
 * the key bar and the log saying why. */
static unsigned
ui_queue(struct ui_main *um, const char *op, cJSON *params)
{
	struct ui *ui = &um->m;
	char err[256];
	cJSON *res = NULL;
	unsigned job = 0;

	if (um->client == NULL || client_call(um->client, op, params, &res,
	    5000, err, sizeof(err)) < 0) {
		if (um->client == NULL)
			cJSON_Delete(params);
		snprintf(ui->status, sizeof(ui->status), "%s: %s", op,
		    um->client ? err : "no bench server");
		ui->status_key = 1;
		ui_log_add(ui, LOG_WARN, "ui", "%s", ui->status);
	} else {
		job = (unsigned)ui_json_num(res, "job", 0);
	}
	cJSON_Delete(res);
	um->dirty = 1;
	return job;
}

/* A job's end may be told before the reply that queued it comes. */
static int
ui_job_ended(const struct ui *ui, unsigned job)
{
	for (int i = 0; i < ui->njobs; i++)
		if (ui->jobs[i].id == job && ui->jobs[i].state >= JOB_DONE)
			return 1;
	return 0;
}

/* Send what the screens asked for, and fetch the results of the repair
 * jobs that ended.  Each call is a short round trip on the bench
 * server's socket (it only queues jobs and reads what it keeps). */
static void
ui_service(struct ui_main *um)
{
	struct ui *ui = &um->m;
	char err[256];
	cJSON *res = NULL;
	struct ui_repair *r;

	if (ui->req.op[0] != '\0') {
		char op[16];
		unsigned dev = ui->req.dev_id;
		cJSON *params = ui->req.params;

		snprintf(op, sizeof(op), "%s", ui->req.op);
		ui->req.op[0] = '\0';
		ui->req.params = NULL;
		r = ui_repair_get(ui, dev, 1);
		if (strcmp(op, "flashrom") == 0) {
			/* The flash dialog's dry run, or the flash itself
			 * (which shows with the phone's jobs). */
			int dry = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			    params, "dry_run"));
			unsigned job = ui_queue(um, op, params);

			if (job == 0 && dry)
				scr_flash_plan(ui, NULL, ui->status);
			else if (job != 0) {
				ui_log_add(ui, LOG_INFO, "ui", "flash%s queued "
				    "as job #%u", dry ? " (dry run)" : "", job);
				if (dry) {
					ui->fl.plan_job = job;
					if (ui_job_ended(ui, job))
						scr_flash_job_ended(ui, job);
				}
			}
			params = NULL;
			op[0] = '\0';
		} else if (strcmp(op, "fetch") == 0) {
			/* The flash dialog's download of the catalog's
			 * build. */
			unsigned job = ui_queue(um, op, params);

			if (job == 0) {
				scr_flash_fetched(ui, NULL, ui->status);
			} else {
				ui_log_add(ui, LOG_INFO, "ui", "download queued "
				    "as job #%u", job);
				ui->fl.fetch_job = job;
				if (ui_job_ended(ui, job))
					scr_flash_job_ended(ui, job);
			}
			params = NULL;
			op[0] = '\0';
		} else if (strcmp(op, "backup") == 0 ||
		    strcmp(op, "restore") == 0) {
			/* Not a repair: the job shows with the phone's jobs,
			 * its lines in the log.  A dry run is the dialog's
			 * estimate. */
			int est = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			    params, "dry_run"));
			unsigned job = ui_queue(um, op, params);

			if (job == 0 && est)
				scr_backup_estimate(ui, NULL, ui->status);
			else if (job != 0) {
				if (est)
					ui->bk.est_job = job;
				else
					ui->bk.job = job;
				ui_log_add(ui, LOG_INFO, "ui", "%s%s queued as "
				    "job #%u", op, est ? " (estimate)" : "",
				    job);
				if (ui_job_ended(ui, job))
					scr_backup_job_ended(ui, job);
			}
			params = NULL;
			op[0] = '\0';
		}
		if (op[0] == '\0') {
			/* done above */
		} else if (um->client == NULL) {
			cJSON_Delete(params);
			snprintf(r->error, sizeof(r->error), "%s: no bench "
			    "server", op);
		} else if (client_call(um->client, op, params, &res, 5000,
		    err, sizeof(err)) < 0) {
			snprintf(r->error, sizeof(r->error), "%s: %s", op, err);
			ui_log_add(ui, LOG_WARN, "ui", "%s", r->error);
		} else {
			unsigned job = (unsigned)ui_json_num(res, "job", 0);

			r->error[0] = '\0';
			if (strcmp(op, "fix") == 0) {
				r->fix_job = job;
				r->fix_running = 1;
				cJSON_Delete(r->fix_result);
				r->fix_result = NULL;
			} else {
				r->diag_job = job;
			}
			ui_log_add(ui, LOG_INFO, "ui", "%s queued as job #%u",
			    op, job);
			/* A job that ends at once (a phone read from its
			 * row) may have said so before this reply came. */
			for (int i = 0; i < ui->njobs; i++)
				if (ui->jobs[i].id == job &&
				    ui->jobs[i].state >= JOB_DONE)
					ui_repair_job_done(ui, job);
		}
		cJSON_Delete(res);
		res = NULL;
		um->dirty = 1;
	}
	while (ui->nfetch > 0 && um->client != NULL) {
		unsigned id = ui->fetch[--ui->nfetch];
		cJSON *params = cJSON_CreateObject(), *result;
		int again = 0;

		cJSON_AddNumberToObject(params, "id", id);
		if (client_call(um->client, "job", params, &res, 5000, err,
		    sizeof(err)) < 0) {
			ui_log_add(ui, LOG_WARN, "ui", "job #%u: %s", id, err);
			continue;
		}
		result = cJSON_DetachItemFromObjectCaseSensitive(res,
		    "result");
		for (int i = 0; i < ui->nrepair; i++) {
			r = &ui->repair[i];
			if (r->diag_job == id) {
				r->diag_job = 0;
				if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				    result, "ok"))) {
					cJSON_Delete(r->report);
					r->report = result;
					result = NULL;
					r->report_ms = dm_now_ms();
					r->error[0] = '\0';
					r->pick = 0;	/* steps may differ now */
					if (r->fsel >= cJSON_GetArraySize(
					    cJSON_GetObjectItemCaseSensitive(
					    r->report, "findings")))
						r->fsel = 0;
				} else {
					snprintf(r->error, sizeof(r->error),
					    "diagnose: %s", ui_json_str(result,
					    "message") ? ui_json_str(result,
					    "message") : "failed");
				}
			} else if (r->fix_job == id && r->fix_running) {
				r->fix_running = 0;
				cJSON_Delete(r->fix_result);
				r->fix_result = result;
				result = NULL;
				/* The findings as they are now. */
				again = (int)r->dev_id;
			}
		}
		if (id == ui->fl.plan_job && ui->fl.stage == FL_WAIT) {
			scr_flash_plan(ui, result, NULL);
			result = NULL;
		}
		if (id == ui->fl.fetch_job && ui->fl.stage == FL_FETCH) {
			scr_flash_fetched(ui, result, ui_json_str(
			    cJSON_GetObjectItemCaseSensitive(res, "job"),
			    "message"));
			result = NULL;
		}
		if (id == ui->bk.est_job && ui->bk.est_wait) {
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			    result, "ok"))) {
				scr_backup_estimate(ui, result, NULL);
				result = NULL;
			} else {
				scr_backup_estimate(ui, NULL, ui_json_str(result,
				    "message") ? ui_json_str(result, "message") :
				    "the listing failed");
			}
		}
		cJSON_Delete(result);
		cJSON_Delete(res);
		res = NULL;
		if (again)
			ui_request(ui, "diagnose", (unsigned)again,
			    scr_repair_params((unsigned)again));
		um->dirty = 1;
	}
}

static void
ui_loop(struct ui_main *um)
{
	while (!um->quit) {
		struct pollfd p[3] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = ui_sigpipe[0], .events = POLLIN },
			{ .fd = um->client ? client_fd(um->client) : -1,
			  .events = POLLIN },
		};
		int flags = 0, rc;

		/* Events that came with a reply are buffered where poll()
		 * cannot see them. */
		ui_drain_events(um);
		/* A job among them that ended has its result fetched now:
		 * nothing more may come from the server to wake poll(). */
		while (um->m.nfetch > 0 && um->client != NULL) {
			ui_service(um);
			ui_drain_events(um);
		}
		if (um->dirty)
			ui_redraw(um);
		rc = poll(p, 3, ui_timeout(um));
		if (rc < 0 && errno != EINTR) {
			log_err("ui", "poll: %s", strerror(errno));
			um->exit_status = 1;
			break;
		}
		if (rc > 0 && p[1].revents)
			flags |= ui_signals(um);
		if (rc > 0 && p[2].revents && um->client != NULL)
			ui_server_input(um);
		if (rc > 0 && p[0].revents && !(flags & UI_QUIT))
			flags |= ui_drain_keys(um, p[0].revents);
		if (!um->m.connected && dm_mono_ms() >= um->retry_at)
			ui_connect(um, um->opts->autostart);
		ui_service(um);
		/* A request queued while answering one goes out now. */
		if (um->m.req.op[0] != '\0')
			ui_service(um);
		/* Only a clock on screen makes poll() time out. */
		if (rc == 0 && ui_any_gone(&um->m))
			um->dirty = 1;
		if (flags & UI_REDRAW)
			um->dirty = 1;
		if (flags & UI_QUIT)
			um->quit = 1;
	}
}

/* ---- start and stop --------------------------------------------------- */

static int
ui_start_curses(const struct ui_opts *o, int utf8, int color)
{
	SCREEN *s;

	if (tcgetattr(STDIN_FILENO, &ui_saved_tio) == 0)
		ui_have_tio = 1;
	s = newterm(NULL, stdout, stdin);
	if (s == NULL)
		return -1;
	set_term(s);
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(50);
	curs_set(0);

	ui_reset_seq[0] = '\0';
	ui_put_cap(ui_reset_seq, sizeof(ui_reset_seq), "sgr0");
	ui_put_cap(ui_reset_seq, sizeof(ui_reset_seq), "cnorm");
	ui_put_cap(ui_reset_seq, sizeof(ui_reset_seq), "rmkx");
	ui_put_cap(ui_reset_seq, sizeof(ui_reset_seq), "rmcup");
	snprintf(ui_crash_note, sizeof(ui_crash_note),
	    "\r\ndroidmedic %s: the dashboard crashed; the terminal was "
	    "restored.\nThe bench server keeps running.  Log: %s\n",
	    VERSION, log_path() != NULL ? log_path() : "(none)");
	ui_curses_up = 1;
	xmem_set_fatal_hook(ui_fatal_hook);
	draw_init(o->ascii, utf8, color);
	return 0;
}

static void
ui_stop_curses(void)
{
	xmem_set_fatal_hook(NULL);
	if (ui_curses_up) {
		curs_set(1);
		endwin();
		ui_curses_up = 0;
	}
}

int
ui_run(const struct ui_opts *o)
{
	struct ui_main *um;
	const char *nc = getenv("NO_COLOR");
	char err[160];
	int utf8, color, status;

	if (keys_check(err, sizeof(err)) < 0) {
		fprintf(stderr, "droidmedic: internal error: %s\n", err);
		return 1;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "droidmedic: the dashboard needs a terminal; "
		    "try `droidmedic devices`\n");
		return 1;
	}
	setlocale(LC_ALL, "");
	utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	color = !o->no_color && (nc == NULL || *nc == '\0');
	if (log_path() == NULL)
		log_open(NULL);

	um = xcalloc(1, sizeof(*um));
	um->opts = o;
	um->t0_mono = dm_mono_ms();
	um->dirty = 1;
	if (ui_signals_install() < 0) {
		fprintf(stderr, "droidmedic: pipe: %s\n", strerror(errno));
		free(um);
		return 1;
	}
	if (ui_start_curses(o, utf8, color) < 0) {
		ui_signals_remove();
		fprintf(stderr, "droidmedic: cannot use terminal type '%s'\n",
		    getenv("TERM") ? getenv("TERM") : "(unset)");
		free(um);
		return 1;
	}
	log_info("ui", "dashboard %s up (%s, %s, %dx%d)", VERSION,
	    utf8 && !o->ascii ? "unicode" : "ascii",
	    color ? "colour" : "no colour", COLS, LINES);

	/* A running server answers at once; starting one takes a moment,
	 * so show a frame that says so first. */
	if (ui_connect(um, 0) < 0 && o->autostart) {
		snprintf(um->m.status, sizeof(um->m.status),
		    "starting the bench server%s", draw_glyph(G_ELLIPSIS));
		ui_redraw(um);
		ui_connect(um, 1);
	}
	ui_loop(um);

	ui_stop_curses();
	ui_signals_remove();
	if (um->client != NULL)
		client_free(um->client);
	ui_model_free(&um->m);
	status = um->exit_status;
	free(um);
	return status;
}
