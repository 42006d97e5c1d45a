/* cli_jobs.c - following jobs from the command line: `jobs` (list),
 * `jobs attach JOB`, `jobs cancel JOB`, and the loop a long command (fastboot-flash) uses to show its
 * job's log and progress until it ends.
 *
 * A job normally runs in the bench server, so it goes on when this
 * process goes away (a dropped SSH session, Ctrl-C); `attach` picks it up
 * again.  With --no-autostart and no server running, the same job runs in
 * this process instead (a local engine), and then it ends with it.
 * Either way the events are the server protocol's JSON, so one loop
 * follows both.  Main thread. */
#include "config.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "err.h"
#include "ev.h"
#include "job.h"
#include "proto.h"
#include "xmem.h"

#define CALL_MS		10000

struct jobsrc {
	struct client *c;		/* the bench server, or */
	struct jobeng *eng;		/* a local engine */
	struct evbus *bus;
	struct ev *pending;		/* local events not yet handed out */
};

static volatile sig_atomic_t detach_sig;

static void
on_detach(int sig)
{
	detach_sig = sig;
}

/* Next event as protocol JSON, waiting up to ms; NULL on timeout.  *gone
 * is set when the server went away. */
static cJSON *
src_next(struct jobsrc *s, int ms, int *gone)
{
	struct pollfd p = { .events = POLLIN };
	cJSON *ev;

	*gone = 0;
	if (s->c != NULL) {
		if ((ev = client_next_event(s->c)) != NULL)
			return ev;
		p.fd = client_fd(s->c);
		if (poll(&p, 1, ms) <= 0)
			return NULL;
		if (client_pump(s->c) == DM_ECLOSED) {
			*gone = 1;
			return NULL;
		}
		return client_next_event(s->c);
	}
	for (;;) {
		if (s->pending != NULL) {
			struct ev *e = s->pending;

			s->pending = e->next;
			e->next = NULL;
			ev = proto_event(e);
			ev_free_list(e);
			if (ev != NULL)
				return ev;
			continue;
		}
		p.fd = evbus_fd(s->bus);
		if (poll(&p, 1, ms) <= 0)
			return NULL;
		s->pending = evbus_take_all(s->bus);
		if (s->pending == NULL)
			return NULL;
	}
}

/* {"job":{...},"result":...} for id, or NULL with err. */
static cJSON *
src_job(struct jobsrc *s, unsigned id, char *err, size_t errlen)
{
	cJSON *params, *res = NULL;
	struct job_info ji;
	char *r;

	if (s->c != NULL) {
		params = cJSON_CreateObject();
		cJSON_AddNumberToObject(params, "id", id);
		if (client_call(s->c, "job", params, &res, CALL_MS, err,
		    errlen) < 0)
			return NULL;
		return res;
	}
	if (jobeng_get(s->eng, id, &ji) < 0) {
		dm_fail(err, errlen, DM_ENOENT, "no job %u", id);
		return NULL;
	}
	res = cJSON_CreateObject();
	cJSON_AddItemToObject(res, "job", proto_job_to_json(&ji));
	r = jobeng_result(s->eng, id);
	cJSON_AddItemToObject(res, "result", r ? cJSON_Parse(r) :
	    cJSON_CreateNull());
	free(r);
	return res;
}

static int
is_final_state(const char *state)
{
	return state != NULL && (strcmp(state, "done") == 0 ||
	    strcmp(state, "failed") == 0 || strcmp(state, "cancelled") == 0);
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

struct progress_line {
	int tty, shown;
	int64_t last_ms;
};

static void
progress_clear(struct progress_line *pl)
{
	if (pl->shown) {
		fputs("\r\033[K", stderr);
		pl->shown = 0;
	}
}

static void
progress_show(struct progress_line *pl, const cJSON *job)
{
	double done = jnum(job, "done"), total = jnum(job, "total");
	const char *what = jstr(job, "what");
	int64_t now = dm_mono_ms();

	if (!pl->tty || (now - pl->last_ms < 200 && done < total))
		return;
	pl->last_ms = now;
	if (total > 0)
		fprintf(stderr, "\r\033[K  %3d%%  %s", (int)(done * 100 / total),
		    what ? what : "");
	else
		fprintf(stderr, "\r\033[K  %s", what ? what : "");
	fflush(stderr);
	pl->shown = 1;
}

/* The job's end: print its result (JSON: the result object with the job
 * id added; text: the failure on stderr) and return the exit status. */
static int
report_end(const struct cli_opts *o, cJSON *jr, unsigned id, int late)
{
	const cJSON *job = cJSON_GetObjectItemCaseSensitive(jr, "job");
	cJSON *res = cJSON_GetObjectItemCaseSensitive(jr, "result");
	const char *state = jstr(job, "state");
	int ok = state != NULL && strcmp(state, "done") == 0, status = -1;

	if (cJSON_IsObject(res)) {
		const cJSON *es = cJSON_GetObjectItemCaseSensitive(res,
		    "exit_status");

		ok = ok && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res,
		    "ok"));
		/* A job that answers in more than yes or no (fix: 3, the
		 * finding still holds) names its exit status. */
		if (cJSON_IsNumber(es) && es->valueint >= 0 &&
		    es->valueint < 126)
			status = es->valueint;
		cJSON_DeleteItemFromObjectCaseSensitive(res, "exit_status");
	}
	if (o->json) {
		cJSON *out;
		char *s;

		if (cJSON_IsObject(res)) {
			out = cJSON_Duplicate(res, 1);
		} else {
			out = cJSON_CreateObject();
			cJSON_AddBoolToObject(out, "ok", ok);
			if (!ok) {
				cJSON_AddStringToObject(out, "error",
				    jstr(job, "error") ? jstr(job, "error") :
				    "EIO");
				cJSON_AddStringToObject(out, "message",
				    jstr(job, "message") ?
				    jstr(job, "message") : "");
			}
		}
		cJSON_AddNumberToObject(out, "job", id);
		s = cJSON_Print(out);
		printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(out);
	} else if (ok && late && cJSON_IsObject(res) &&
	    jstr(res, "message") != NULL) {
		/* Attached after the end: its log went by, its outcome
		 * did not. */
		printf("%s\n", jstr(res, "message"));
	} else if (!ok) {
		const char *msg = cJSON_IsObject(res) ? jstr(res, "message") :
		    NULL;

		if (msg == NULL)
			msg = jstr(job, "message");
		fprintf(stderr, "droidmedic: %s\n", msg ? msg : state ? state :
		    "the job ended without saying how");
	}
	if (status >= 0 && (status != 0 || ok))
		return status;
	return ok ? 0 : 1;
}

/* Follow job id until it ends: its log lines on stdout (text mode), a
 * progress line on stderr (a terminal only), then its result.  Ctrl-C,
 * SIGTERM or SIGHUP leave it running when it runs in the server; a job
 * run in this process is cancelled instead and stops at its next safe
 * point (a whole-ROM flash after the step it is on), so a dropped SSH
 * session does not kill it mid-write.  Whoever
 * subscribed before the job was queued (submitted) hears every event up
 * to its job.done, the plan's log lines included, so it waits for that;
 * attaching later, a job that already ended is reported at once. */
static int
follow(struct jobsrc *s, const struct cli_opts *o, unsigned id,
    int submitted)
{
	struct progress_line pl = { .tty = !o->json && isatty(2) };
	struct sigaction sa, old_int, old_term, old_hup;
	char err[512];
	cJSON *jr;
	int gone = 0, rc = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_detach;
	detach_sig = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	/* Attaching: a job that already ended has nothing more to say. */
	jr = submitted ? NULL : src_job(s, id, err, sizeof(err));
	if (jr == NULL && !submitted) {
		fprintf(stderr, "droidmedic: %s\n", err);
		rc = 1;
	} else if (jr != NULL && is_final_state(jstr(
	    cJSON_GetObjectItemCaseSensitive(jr, "job"), "state"))) {
		rc = report_end(o, jr, id, 1);
	}
	cJSON_Delete(jr);
	while (rc < 0 && !detach_sig) {
		cJSON *ev = src_next(s, 1000, &gone);
		const cJSON *job;
		const char *name;

		if (gone) {
			progress_clear(&pl);
			fprintf(stderr, "droidmedic: the bench server went "
			    "away; how job %u ended is not known\n", id);
			rc = 1;
			break;
		}
		if (ev == NULL)
			continue;
		job = cJSON_GetObjectItemCaseSensitive(ev, "job");
		name = jstr(ev, "event");
		if (job == NULL || name == NULL || (unsigned)jnum(job, "id") !=
		    id) {
			cJSON_Delete(ev);
			continue;
		}
		if (strcmp(name, "job.log") == 0 && !o->json) {
			progress_clear(&pl);
			printf("%s\n", jstr(ev, "text") ? jstr(ev, "text") : "");
			fflush(stdout);
		} else if (strcmp(name, "job.progress") == 0) {
			progress_show(&pl, job);
		} else if (strcmp(name, "job.done") == 0) {
			progress_clear(&pl);
			jr = src_job(s, id, err, sizeof(err));
			if (jr == NULL) {
				fprintf(stderr, "droidmedic: %s\n", err);
				rc = 1;
			} else {
				rc = report_end(o, jr, id, 0);
				cJSON_Delete(jr);
			}
		}
		cJSON_Delete(ev);
	}
	progress_clear(&pl);
	if (rc < 0) {
		if (s->c != NULL)
			fprintf(stderr, "droidmedic: detached: job %u goes on "
			    "in the bench server (droidmedic jobs attach %u "
			    "follows it, droidmedic jobs cancel %u stops it "
			    "at its next safe point)\n", id, id, id);
		else
			fprintf(stderr, "droidmedic: interrupted: job %u "
			    "stops at its next safe point\n", id);
		rc = 128 + (int)detach_sig;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	return rc;
}

/* ---- submitting ------------------------------------------------------------ */

/* A local job's function comes from its module; this engine runs it. */
static int
run_job(const struct cli_opts *o, const char *op, cJSON *params,
    int (*local)(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen), const char *here)
{
	struct jobsrc s = { 0 };
	cJSON *res = NULL;
	char err[512];
	unsigned id;
	int rc;

	if (here == NULL)
		s.c = client_connect(o->autostart, "cli", err, sizeof(err));
	if (s.c == NULL && o->autostart && here == NULL) {
		cJSON_Delete(params);
		fprintf(stderr, "droidmedic: %s\n", err);
		return 1;
	}
	if (s.c != NULL) {
		/* Subscribed before the job exists: no event is missed. */
		rc = client_call(s.c, "subscribe", NULL, NULL, CALL_MS, err,
		    sizeof(err));
		if (rc == 0)
			rc = client_call(s.c, op, params, &res, CALL_MS, err,
			    sizeof(err));
		else
			cJSON_Delete(params);
		if (rc < 0) {
			client_free(s.c);
			return o->json ? cli_print_error_json(dm_errname(rc),
			    err) : (fprintf(stderr, "droidmedic: %s\n", err),
			    1);
		}
		id = (unsigned)jnum(res, "job");
		cJSON_Delete(res);
		if (!o->json)
			fprintf(stderr, "job %u on the bench server (it goes "
			    "on if this terminal goes away: droidmedic jobs "
			    "attach %u)\n", id, id);
		rc = follow(&s, o, id, 1);
		client_free(s.c);
		return rc;
	}
	/* --no-autostart and no server, or a job only this process can
	 * do: this process runs it. */
	if (!o->json && here != NULL)
		fprintf(stderr, "%s: the job runs in this process and stops "
		    "with it\n", here);
	else if (!o->json)
		fprintf(stderr, "no bench server running: the job runs in this "
		    "process and stops with it\n");
	s.bus = evbus_new();
	s.eng = jobeng_new(s.bus, NULL, 1);
	rc = local(s.eng, params, err, sizeof(err));
	cJSON_Delete(params);
	if (rc < 0) {
		jobeng_free(s.eng);
		evbus_free(s.bus);
		return o->json ? cli_print_error_json(dm_errname(rc), err) :
		    (fprintf(stderr, "droidmedic: %s\n", err), 1);
	}
	id = (unsigned)rc;
	rc = follow(&s, o, id, 1);
	/* Interrupted: the engine cancels the job and waits for it. */
	jobeng_free(s.eng);
	ev_free_list(s.pending);
	evbus_free(s.bus);
	return rc;
}

int
cli_run_job(const struct cli_opts *o, const char *op, cJSON *params,
    int (*local)(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen))
{
	return run_job(o, op, params, local, NULL);
}

int
cli_run_job_here(const struct cli_opts *o, cJSON *params,
    int (*local)(struct jobeng *eng, const cJSON *params, char *err,
    size_t errlen), const char *why)
{
	return run_job(o, NULL, params, local, why);
}

/* ---- jobs, attach, cancel ---------------------------------------------------- */

static int
parse_job_id(const char *s, unsigned *id)
{
	char *end;
	unsigned long v;

	if (s == NULL)
		return -1;
	if (*s == '#')
		s++;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v == 0 || v > 0xffffffffUL)
		return -1;
	*id = (unsigned)v;
	return 0;
}

static struct client *
server_or_say(const struct cli_opts *o)
{
	char err[512];
	struct client *c = client_connect(0, "cli", err, sizeof(err));

	(void)o;
	if (c == NULL)
		fprintf(stderr, "droidmedic: %s\n", err);
	return c;
}

static int
jobs_list(const struct cli_opts *o, int argc, char **argv)
{
	struct client *c;
	cJSON *res = NULL;
	const cJSON *j;
	char err[512];
	int n = 0;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "droidmedic: usage: jobs [--json], jobs attach "
		    "JOB, jobs cancel JOB\n");
		return 2;
	}
	if ((c = server_or_say(o)) == NULL)
		return 1;
	if (client_call(c, "jobs", NULL, &res, CALL_MS, err, sizeof(err)) < 0) {
		fprintf(stderr, "droidmedic: %s\n", err);
		client_free(c);
		return 1;
	}
	client_free(c);
	if (o->json) {
		char *s = cJSON_Print(cJSON_GetObjectItemCaseSensitive(res,
		    "jobs"));

		printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(res);
		return 0;
	}
	printf("%-5s %-10s %-4s %-10s %5s  %s\n", "JOB", "KIND", "DEV",
	    "STATE", "DONE", "STEP / RESULT");
	cJSON_ArrayForEach(j, cJSON_GetObjectItemCaseSensitive(res, "jobs")) {
		struct job_info ji;
		char pct[8] = "-";

		if (proto_job_from_json(j, &ji) < 0)
			continue;
		if (ji.total > 0)
			snprintf(pct, sizeof(pct), "%d%%",
			    (int)(ji.done * 100 / ji.total));
		printf("%-5u %-10s %-4u %-10s %5s  %s\n", ji.id, ji.kind,
		    ji.dev_id, job_state_name(ji.state), pct, ji.err ?
		    ji.errbuf : ji.what);
		n++;
	}
	if (n == 0)
		printf("(no jobs)\n");
	cJSON_Delete(res);
	return 0;
}

static int
jobs_attach(const struct cli_opts *o, int argc, char **argv)
{
	struct jobsrc s = { 0 };
	char err[512];
	unsigned id;
	int rc;

	if (argc != 1 || parse_job_id(argv[0], &id) < 0) {
		fprintf(stderr, "droidmedic: usage: jobs attach JOB [--json] "
		    "(job numbers: droidmedic jobs)\n");
		return 2;
	}
	if ((s.c = server_or_say(o)) == NULL)
		return 1;
	rc = client_call(s.c, "subscribe", NULL, NULL, CALL_MS, err,
	    sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "droidmedic: %s\n", err);
		client_free(s.c);
		return 1;
	}
	rc = follow(&s, o, id, 0);
	client_free(s.c);
	return rc;
}

static int
jobs_cancel(const struct cli_opts *o, int argc, char **argv)
{
	struct client *c;
	cJSON *params;
	char err[512];
	unsigned id;
	int rc;

	if (argc != 1 || parse_job_id(argv[0], &id) < 0) {
		fprintf(stderr, "droidmedic: usage: jobs cancel JOB\n");
		return 2;
	}
	if ((c = server_or_say(o)) == NULL)
		return 1;
	params = cJSON_CreateObject();
	cJSON_AddNumberToObject(params, "id", id);
	rc = client_call(c, "job.cancel", params, NULL, CALL_MS, err,
	    sizeof(err));
	client_free(c);
	if (rc < 0) {
		if (o->json)
			return cli_print_error_json(dm_errname(rc), err);
		fprintf(stderr, "droidmedic: job %u: %s\n", id, err);
		return 1;
	}
	if (o->json)
		printf("{\"ok\":true,\"job\":%u}\n", id);
	else
		printf("job %u: cancel asked; it stops at its next safe "
		    "point (droidmedic jobs attach %u shows how it "
		    "ended)\n", id,
		    id);
	return 0;
}

int
cli_jobs(const struct cli_opts *o, int argc, char **argv)
{
	if (argc > 0 && strcmp(argv[0], "attach") == 0)
		return jobs_attach(o, argc - 1, argv + 1);
	if (argc > 0 && strcmp(argv[0], "cancel") == 0)
		return jobs_cancel(o, argc - 1, argv + 1);
	return jobs_list(o, argc, argv);
}
