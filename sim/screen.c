/* screen.c - the simulated display (see screen.h). */
#include "config.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appstate.h"
#include "profile.h"
#include "screen.h"
#include "xmem.h"

static const struct sim_command *
command(const struct profile *p, struct appstate *st, const char *line)
{
	return st != NULL ? appstate_command(st, line) :
	    profile_command(p, line);
}

/* 1 when a line of the command's output matches the ERE. */
static int
output_has(const struct profile *p, struct appstate *st, const char *line,
    const char *ere)
{
	const struct sim_command *c = command(p, st, line);
	regex_t re;
	char *text;
	int hit;

	if (c == NULL || c->outlen == 0)
		return 0;
	text = xmalloc(c->outlen + 1);
	memcpy(text, c->out, c->outlen);
	text[c->outlen] = '\0';
	for (size_t i = 0; i < c->outlen; i++)
		if (text[i] == '\0')
			text[i] = '?';
	if (regcomp(&re, ere, REG_EXTENDED | REG_NEWLINE | REG_NOSUB) != 0)
		abort();
	hit = regexec(&re, text, 0, NULL, 0) == 0;
	regfree(&re);
	free(text);
	return hit;
}

const char *
simscreen_blackout(const struct profile *p, struct appstate *st)
{
	if (output_has(p, st, "dumpsys power",
	    "mWakefulness=(Asleep|Dozing)"))
		return "off";
	if (output_has(p, st, "dumpsys device_policy",
	    "^ *disableScreenCapture=true$"))
		return "policy";
	if (output_has(p, st, "dumpsys window windows",
	    "^ *fl=(.* )?SECURE( |$)"))
		return "secure";
	return NULL;
}

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The focused app's package, from the window list (the launcher when
 * none is named). */
static void
front_app(const struct profile *p, struct appstate *st, char *out,
    size_t len)
{
	const struct sim_command *c = command(p, st, "dumpsys window windows");
	const char *at;

	snprintf(out, len, "com.android.launcher3");
	if (c == NULL || c->outlen == 0)
		return;
	at = memmem(c->out, c->outlen, "Window{", 7);
	while (at != NULL) {
		const char *e = c->out + c->outlen, *sp, *slash;

		/* Window{HASH uN PACKAGE/ACTIVITY} */
		sp = memchr(at, ' ', (size_t)(e - at));
		if (sp != NULL)
			sp = memchr(sp + 1, ' ', (size_t)(e - sp - 1));
		slash = sp ? memchr(sp, '/', (size_t)(e - sp)) : NULL;
		if (slash != NULL && slash - sp > 1 && slash - sp < 200) {
			snprintf(out, len, "%.*s", (int)(slash - sp - 1),
			    sp + 1);
			return;
		}
		at = memmem(at + 7, (size_t)(e - at - 7), "Window{", 7);
	}
}

void
simscreen_render(const struct profile *p, struct appstate *st,
    unsigned char **rgba, uint32_t *w, uint32_t *h)
{
	const char *black = simscreen_blackout(p, st);
	uint32_t W = p->screen_w ? p->screen_w : 720;
	uint32_t H = p->screen_h ? p->screen_h : 1280;
	uint32_t bar = H / 25 > 0 ? H / 25 : 1, seed;
	unsigned char *px = xcalloc((size_t)W * H, 4);
	char app[200];

	front_app(p, st, app, sizeof(app));
	seed = hash(app);
	for (uint32_t y = 0; y < H; y++)
		for (uint32_t x = 0; x < W; x++) {
			unsigned char *o = px + ((size_t)y * W + x) * 4;
			unsigned r, g, b;

			if (black != NULL && (strcmp(black, "off") == 0 ||
			    y >= bar)) {
				r = g = b = 0;
			} else if (y < bar) {
				/* the status bar: a clock's blocks on the
				 * right, on dark grey */
				int lit = x > W - W / 6 && (x / 6) % 3 != 0 &&
				    y > bar / 4 && y < bar - bar / 4;

				r = g = b = lit ? 230 : 34;
			} else {
				/* the app: its colour, cards of lighter
				 * rows, a gentle gradient */
				uint32_t card = (y - bar) % 160;

				r = (seed & 0x7f) + 64 + x * 32 / W;
				g = ((seed >> 8) & 0x7f) + 64 + y * 32 / H;
				b = ((seed >> 16) & 0x7f) + 64;
				if (card > 16 && card < 144 && x > 24 &&
				    x < W - 24)
					r = g = b = 245 - (card % 32 == 0) * 40;
			}
			o[0] = (unsigned char)r;
			o[1] = (unsigned char)g;
			o[2] = (unsigned char)b;
			o[3] = 255;
		}
	*rgba = px;
	*w = W;
	*h = H;
}
