/* Timings of a connection; see connect.h. */
#include <string.h>

#include "connect.h"

static int is_set(const struct timespec *t)
{
	return t->tv_sec != 0 || t->tv_nsec != 0;
}

/* Milliseconds from start to t, or -1 when either is not set. */
static double ms_from(const struct timespec *start, const struct timespec *t)
{
	if (!is_set(start) || !is_set(t))
		return -1;
	return (double)(t->tv_sec - start->tv_sec) * 1e3 +
	       (double)(t->tv_nsec - start->tv_nsec) / 1e6;
}

void timing_note_event(struct timing_renegs *r, const struct tp_event *ev)
{
	struct timing_reneg *last = r->n > 0 ? &r->r[r->n - 1] : NULL;

	switch (ev->type) {
	case TP_EV_RENEG_REQUESTED:
		if (r->n == TIMING_MAX_RENEGS) {
			r->more++;
			return;
		}
		last = &r->r[r->n++];
		memset(last, 0, sizeof(*last));
		last->start = ev->when;
		last->by_peer =
			ev->detail != NULL && strcmp(ev->detail, "peer") == 0;
		return;
	case TP_EV_RENEG_DONE:
	case TP_EV_RENEG_REFUSED:
		/* A refusal of ours (value 1) had no request event. */
		if (last == NULL || is_set(&last->end) || r->more > 0 ||
		    (ev->type == TP_EV_RENEG_REFUSED && ev->value == 1))
			return;
		last->end = ev->when;
		last->refused = ev->type == TP_EV_RENEG_REFUSED;
		return;
	default:
		return;
	}
}

void timing_figures(const struct tp_timing *t, const struct timespec *end,
		    struct timing_figures *f)
{
	f->start = t->start;
	f->resolve = ms_from(&t->start, &t->resolved);
	f->connect = ms_from(&t->start, &t->connected);
	f->handshake = ms_from(&t->start, &t->handshake_done);
	f->first_byte = ms_from(&t->start, &t->first_byte);
	f->total = end != NULL ? ms_from(&t->start, end) : -1;
}

/* One phase of the text; returns the separator for the next. */
static const char *phase(FILE *fp, const char *sep, const char *name, double ms,
			 int all)
{
	if (ms >= 0)
		fprintf(fp, "%s%s %.3f ms", sep, name, ms);
	else if (all)
		fprintf(fp, "%s%s none", sep, name);
	else
		return sep;
	return ", ";
}

void timing_text(FILE *fp, const struct timing_figures *f, int all)
{
	const char *sep = " ";

	fputs("Timing:", fp);
	sep = phase(fp, sep, "resolve", f->resolve, all);
	sep = phase(fp, sep, "connect", f->connect, all);
	sep = phase(fp, sep, "handshake", f->handshake, all);
	sep = phase(fp, sep, "first byte", f->first_byte, all);
	(void)phase(fp, sep, "total", f->total, all);
	fputc('\n', fp);
}

/* A figure as the text prints it (3 decimals), so both say the same. */
static void json_ms(struct json_writer *w, const char *key, double ms)
{
	json_key(w, key);
	if (ms < 0)
		json_null(w);
	else
		json_fixed3(w, ms);
}

static void json_reneg(struct json_writer *w, const struct timespec *start,
		       const struct timing_reneg *r)
{
	int ended = is_set(&r->end);

	json_object_begin(w);
	json_kv_string(w, "by", r->by_peer ? "peer" : "local");
	json_ms(w, "start_ms", ms_from(start, &r->start));
	json_ms(w, "end_ms", ended ? ms_from(start, &r->end) : -1);
	json_kv_string(w, "result",
		       !ended	  ? "unfinished" :
		       r->refused ? "refused" :
				    "completed");
	json_object_end(w);
}

void timing_json(struct json_writer *w, const struct timing_figures *f,
		 const struct timing_renegs *r)
{
	json_key(w, "timing");
	json_object_begin(w);
	json_ms(w, "resolve_ms", f->resolve);
	json_ms(w, "connect_ms", f->connect);
	json_ms(w, "handshake_ms", f->handshake);
	json_ms(w, "first_byte_ms", f->first_byte);
	json_ms(w, "total_ms", f->total);
	json_key(w, "renegotiations");
	json_array_begin(w);
	for (int k = 0; r != NULL && k < r->n; k++)
		json_reneg(w, &f->start, &r->r[k]);
	json_array_end(w);
	json_kv_int(w, "renegotiations_untimed", r != NULL ? r->more : 0);
	json_object_end(w);
}
