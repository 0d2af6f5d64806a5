/* Times in the JSON reports of every command; see common.h. */
#include <string.h>
#include <time.h>

#include "common.h"

static int is_set(const struct timespec *t)
{
	return t->tv_sec != 0 || t->tv_nsec != 0;
}

double timing_ms_from(const struct timespec *start, const struct timespec *t)
{
	if (!is_set(start) || !is_set(t))
		return -1;
	return (double)(t->tv_sec - start->tv_sec) * 1e3 +
	       (double)(t->tv_nsec - start->tv_nsec) / 1e6;
}

void timing_figures(const struct tp_timing *t, const struct timespec *end,
		    int starttls, struct timing_figures *f)
{
	f->start = t->start;
	f->resolve = timing_ms_from(&t->start, &t->resolved);
	f->connect = timing_ms_from(&t->start, &t->connected);
	f->starttls =
		starttls ? timing_ms_from(&t->start, &t->handshake_start) : -1;
	f->handshake = timing_ms_from(&t->start, &t->handshake_done);
	f->first_byte = timing_ms_from(&t->start, &t->first_byte);
	f->total = end != NULL ? timing_ms_from(&t->start, end) : -1;
}

void json_kv_ms(struct json_writer *w, const char *key, double ms)
{
	json_key(w, key);
	if (ms < 0)
		json_null(w);
	else
		json_fixed3(w, ms);
}

void timing_json_phases(struct json_writer *w, const struct timing_figures *f)
{
	json_kv_ms(w, "resolve_ms", f->resolve);
	json_kv_ms(w, "connect_ms", f->connect);
	json_kv_ms(w, "starttls_ms", f->starttls);
	json_kv_ms(w, "handshake_ms", f->handshake);
	json_kv_ms(w, "first_byte_ms", f->first_byte);
	json_kv_ms(w, "total_ms", f->total);
}

void json_kv_date(struct json_writer *w, const char *key,
		  const struct timespec *t)
{
	char date[48];
	struct tm tm;
	size_t n;

	json_key(w, key);
	if (!is_set(t) || gmtime_r(&t->tv_sec, &tm) == NULL ||
	    (n = strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm)) == 0) {
		json_null(w);
		return;
	}
	snprintf(date + n, sizeof(date) - n, ".%03ldZ", t->tv_nsec / 1000000);
	json_string(w, date);
}
