/*
 * Mid-stream renegotiation against an echo service: a writer thread sends a
 * known stream while the main thread renegotiates, the reader checksums
 * what comes back, and the event callback counts application-data records
 * that crossed a renegotiation window. Then the TLS 1.3 KeyUpdate probe.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

struct writer {
	struct probe_conn *pc;
	size_t total;
	uint64_t sent, sum; /* under pc->m */
	int done, failed;
};

/* Printable lines (line-based echo servers cope), pseudo-random letters. */
static void fill(char *buf, size_t n, uint64_t *state)
{
	for (size_t i = 0; i < n; i++) {
		*state ^= *state << 13;
		*state ^= *state >> 7;
		*state ^= *state << 17;
		buf[i] = (i % 64 == 63) ? '\n' : (char)('a' + *state % 26);
	}
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct probe_conn *pc = w->pc;
	uint64_t state = 0x9e3779b97f4a7c15ull, sum = probe_fnv_init();
	char buf[4096];
	size_t left = w->total;
	int failed = 0;

	while (left > 0) {
		size_t n = left < sizeof(buf) ? left : sizeof(buf);

		fill(buf, n, &state);
		if (tp_conn_write(pc->c, buf, n) < 0) {
			failed = 1;
			break;
		}
		sum = probe_fnv(sum, buf, n);
		left -= n;
		pthread_mutex_lock(&pc->m);
		w->sent += n;
		w->sum = sum;
		pthread_cond_broadcast(&pc->cv);
		pthread_mutex_unlock(&pc->m);
	}
	pthread_mutex_lock(&pc->m);
	w->done = 1;
	w->failed = failed;
	pthread_cond_broadcast(&pc->cv);
	pthread_mutex_unlock(&pc->m);
	return NULL;
}

/* Predicates for probe_wait; the probe's main thread is the only waiter. */
static struct writer *cur_w;
static uint64_t want_bytes;

static int sent_enough(struct probe_conn *pc)
{
	return cur_w->sent >= want_bytes || cur_w->done || pc->rx_done;
}

static int writer_done(struct probe_conn *pc)
{
	(void)pc;
	return cur_w->done;
}

static int got_enough(struct probe_conn *pc)
{
	return pc->rx_bytes >= want_bytes || pc->rx_done;
}

/* Sends one line and sees whether the same line comes back. */
static int detect_echo(struct probe_conn *pc, const struct probe_opts *o,
		       char *why, size_t whylen)
{
	char line[80];
	int n, wait = o->timeout_ms < 2000 ? o->timeout_ms : 2000;

	n = snprintf(line, sizeof(line), "tlsprobe echo check %ld-%lld\n",
		     (long)getpid(), (long long)probe_now_ms());
	if (tp_conn_write(pc->c, line, (size_t)n) < 0) {
		snprintf(why, whylen, "write failed: %s", tp_conn_error(pc->c));
		return 0;
	}
	want_bytes = (uint64_t)n;
	probe_wait(pc, got_enough, probe_now_ms() + wait);
	pthread_mutex_lock(&pc->m);
	int echo = pc->capture_len == (size_t)n &&
		   memcmp(pc->capture, line, (size_t)n) == 0;
	if (!echo && pc->capture_len == 0)
		snprintf(why, whylen,
			 "not an echo service (a line sent, nothing back in "
			 "%d ms)",
			 wait);
	else if (!echo)
		snprintf(why, whylen,
			 "not an echo service (a line sent, %zu other bytes "
			 "back)",
			 pc->capture_len);
	pthread_mutex_unlock(&pc->m);
	return echo;
}

static void run_stream(struct probe_conn *pc, const struct probe_opts *o,
		       int renegs, struct stream_result *s)
{
	struct writer w = { .pc = pc, .total = o->stream_bytes };
	struct timespec t0;
	pthread_t th;

	cur_w = &w;
	pthread_mutex_lock(&pc->m);
	pc->interleaved_rx = pc->interleaved_tx = 0;
	pthread_mutex_unlock(&pc->m);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pthread_create(&th, NULL, writer_main, &w) != 0) {
		s->status = "not_tested";
		snprintf(s->reason, sizeof(s->reason), "no thread");
		return;
	}
	for (int k = 1; k <= renegs; k++) {
		want_bytes = (uint64_t)o->stream_bytes * (uint64_t)k /
			     (uint64_t)(renegs + 1);
		probe_wait(pc, sent_enough, probe_now_ms() + o->timeout_ms);
		s->renegs_tried++;
		if (tp_conn_renegotiate(pc->c) == 0)
			s->renegs_completed++;
		else if (tp_conn_errcode(pc->c) != TP_ERR_REFUSED &&
			 tp_conn_errcode(pc->c) != TP_ERR_TIMEOUT)
			break;
	}
	if (!probe_wait(pc, writer_done, probe_now_ms() + o->timeout_ms))
		tp_conn_abort(pc->c); /* the peer stopped reading */
	pthread_join(th, NULL);
	want_bytes = w.sent;
	probe_wait(pc, got_enough, probe_now_ms() + o->timeout_ms);
	s->ms = probe_elapsed_ms(&t0);
	pthread_mutex_lock(&pc->m);
	s->sent = w.sent;
	s->sent_sum = w.sum;
	s->received = pc->rx_bytes;
	s->recv_sum = pc->rx_sum;
	s->interleaved_rx = pc->interleaved_rx;
	s->interleaved_tx = pc->interleaved_tx;
	pthread_mutex_unlock(&pc->m);
	if (!w.failed && s->sent == o->stream_bytes && s->received == s->sent &&
	    s->recv_sum == s->sent_sum) {
		s->status = "ok";
		return;
	}
	s->status = "broken";
	if (w.failed || s->sent != o->stream_bytes)
		snprintf(s->reason, sizeof(s->reason),
			 "sending stopped after %llu bytes: %s",
			 (unsigned long long)s->sent, tp_conn_error(pc->c));
	else if (s->received != s->sent)
		snprintf(s->reason, sizeof(s->reason),
			 "%llu bytes sent, %llu echoed back",
			 (unsigned long long)s->sent,
			 (unsigned long long)s->received);
	else
		snprintf(s->reason, sizeof(s->reason),
			 "the echoed stream differs from the one sent");
}

void probe_midstream(const struct probe_opts *o, enum tp_version v,
		     const struct reneg_result *r, struct stream_result *s)
{
	struct probe_conn pc;
	enum tp_errcode err;
	char msg[160];
	int renegs = PROBE_STREAM_RENEGS;

	s->status = "not_tested";
	s->echo_detected = -1;
	if (r->n_completed == 0) {
		snprintf(s->reason, sizeof(s->reason),
			 "client-initiated renegotiation never completed");
		return;
	}
	if (r->n_completed < o->attempts && r->n_completed < renegs)
		renegs = r->n_completed; /* stay within the peer's limit */
	if (probe_open(&pc, o, v, v, &err, msg, sizeof(msg)) < 0) {
		snprintf(s->reason, sizeof(s->reason),
			 "could not connect again: %s", msg);
		return;
	}
	if (probe_start_reader(&pc) < 0) {
		snprintf(s->reason, sizeof(s->reason), "no thread");
		probe_close(&pc);
		return;
	}
	s->echo_detected = detect_echo(&pc, o, s->reason, sizeof(s->reason));
	if (s->echo_detected) {
		probe_reset_rx(&pc);
		run_stream(&pc, o, renegs, s);
	}
	probe_close(&pc);
}

static int ku_arrived(struct probe_conn *pc)
{
	return pc->key_updates_rx > 0 || pc->rx_done;
}

static int ku_or_data(struct probe_conn *pc)
{
	return ku_arrived(pc) || pc->rx_bytes > 0;
}

static const char provoke[] = "tlsprobe key update check\r\n\r\n";

/*
 * pc: a TLS 1.3 connection just opened. RFC 8446 4.6.3 lets the peer send
 * its KeyUpdate just before its next application data, so when none comes
 * at once the probe makes the peer write (--request, or a line that echo,
 * line and HTTP servers all answer) and looks at what comes first.
 */
void probe_key_update(struct probe_conn *pc, const struct probe_opts *o,
		      struct tls13_result *t)
{
	struct timespec t0;
	struct tp_info in;
	int wait = o->timeout_ms < 3000 ? o->timeout_ms : 3000;

	if (probe_start_reader(pc) < 0) {
		t->ku_status = "error";
		snprintf(t->reason, sizeof(t->reason), "no thread");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (tp_conn_key_update(pc->c, 1) < 0) {
		t->ku_status = "error";
		snprintf(t->reason, sizeof(t->reason), "%s",
			 tp_conn_error(pc->c));
		return;
	}
	if (!probe_wait(pc, ku_arrived, probe_now_ms() + wait / 6)) {
		t->ku_provoked = 1;
		clock_gettime(CLOCK_MONOTONIC, &t0); /* ms from the data */
		if (o->request != NULL)
			tp_conn_write(pc->c, o->request, o->request_len);
		else
			tp_conn_write(pc->c, provoke, sizeof(provoke) - 1);
		probe_wait(pc, ku_or_data, probe_now_ms() + wait);
	}
	t->ku_ms = probe_elapsed_ms(&t0);
	pthread_mutex_lock(&pc->m);
	int got = pc->key_updates_rx, closed = pc->rx_done;
	uint64_t data = pc->rx_bytes;
	pthread_mutex_unlock(&pc->m);
	if (tp_conn_info(pc->c, &in) == 0) {
		t->ku_sent = in.key_updates_sent;
		t->ku_received = in.key_updates_received;
	}
	if (got > 0) {
		t->ku_status = "answered";
	} else if (data > 0) {
		t->ku_status = "not_answered";
		snprintf(t->reason, sizeof(t->reason),
			 "application data came without a KeyUpdate first");
	} else if (closed) {
		t->ku_status = "closed";
		snprintf(t->reason, sizeof(t->reason),
			 "the connection ended: %s", tp_conn_error(pc->c));
	} else {
		t->ku_status = "no_reply";
		snprintf(t->reason, sizeof(t->reason),
			 "neither a KeyUpdate nor data within %d ms; the peer "
			 "may answer with its next data",
			 wait);
	}
}
