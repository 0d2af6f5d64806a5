/* Timings of a connection; see connect.h. */
#include <string.h>

#include "connect.h"

static int is_set(const struct timespec *t)
{
	return t->tv_sec != 0 || t->tv_nsec != 0;
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
	if (f->starttls >= 0)
		sep = phase(fp, sep, "starttls", f->starttls, all);
	sep = phase(fp, sep, "handshake", f->handshake, all);
	sep = phase(fp, sep, "first byte", f->first_byte, all);
	(void)phase(fp, sep, "total", f->total, all);
	fputc('\n', fp);
}

static void json_reneg(struct json_writer *w, const struct timespec *start,
		       const struct timing_reneg *r)
{
	int ended = is_set(&r->end);

	json_object_begin(w);
	json_kv_string(w, "by", r->by_peer ? "peer" : "local");
	json_kv_ms(w, "start_ms", timing_ms_from(start, &r->start));
	json_kv_ms(w, "end_ms", ended ? timing_ms_from(start, &r->end) : -1);
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
	timing_json_phases(w, f);
	json_key(w, "renegotiations");
	json_array_begin(w);
	for (int k = 0; r != NULL && k < r->n; k++)
		json_reneg(w, &f->start, &r->r[k]);
	json_array_end(w);
	json_kv_int(w, "renegotiations_untimed", r != NULL ? r->more : 0);
	json_object_end(w);
}
