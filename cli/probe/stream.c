/*
 * Mid-stream renegotiation against an echo service: a writer thread sends a
 * known stream and renegotiates at set points in it, the reader checksums
 * what comes back, and the event callback counts application-data records
 * that crossed a renegotiation window. Then the TLS 1.3 KeyUpdate probe.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

/* The stream's writer. It also runs the renegotiations, each right
 * after writing the bytes before its point in the stream: those bytes,
 * and their echo, are in flight while the handshake runs (by
 * construction, not by the luck of two threads' timing). Fields under
 * pc->m; the result is read after the thread is joined. */
struct writer {
	struct probe_conn *pc;
	const struct probe_opts *o;
	struct stream_result *s;
	int renegs;
	int ended_before; /* renegotiations ended before the current one */
	int echo_seen; /* echoed records crossed the last renegotiation */
	uint64_t sent, sum;
	int done, failed;
	/* Why the writer stopped, in its own words: a soft error is the
	 * writer thread's (tp_conn_error), not the main thread's. */
	char why[160];
};

/* A probe connection with what its waits look at: predicates get only
 * the connection, and concurrent probes must share nothing. */
struct stream_conn {
	struct probe_conn pc;
	struct writer *w;
};

#define STREAM_CONN(p) \
	((struct stream_conn *)((char *)(p)-offsetof(struct stream_conn, pc)))

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

static int reneg_over(struct probe_conn *pc)
{
	return pc->renegs_ended > STREAM_CONN(pc)->w->ended_before ||
	       pc->rx_done;
}

/* One renegotiation in the stream, right after a write. It runs with
 * data in flight when bytes sent are not all echoed yet as it starts
 * (they are ahead of our ClientHello, so the peer meets the
 * renegotiation in the middle of the stream); and with echo inside when
 * echoed records arrived while it ran, as the event callback counts them
 * up to the event that ends it (which may reach the callback in another
 * thread, after tp_conn_renegotiate returned). Whether a peer echoes
 * while it renegotiates is its own affair (a threaded echo holds its
 * writes back). Returns -1 when the stream cannot go on. */
static int renegotiate_here(struct writer *w)
{
	struct probe_conn *pc = w->pc;
	unsigned before;
	int r;

	pthread_mutex_lock(&pc->m);
	before = pc->interleaved_rx;
	w->ended_before = pc->renegs_ended;
	if (w->sent > pc->rx_bytes)
		w->s->renegs_in_flight++;
	pthread_mutex_unlock(&pc->m);
	w->s->renegs_tried++;
	r = tp_conn_renegotiate(pc->c);
	probe_wait(pc, reneg_over, cli_now_ms() + w->o->timeout_ms);
	if (r == 0)
		w->s->renegs_completed++;
	else if (tp_conn_errcode(pc->c) != TP_ERR_REFUSED &&
		 tp_conn_errcode(pc->c) != TP_ERR_TIMEOUT)
		return -1;
	pthread_mutex_lock(&pc->m);
	w->echo_seen = pc->interleaved_rx > before;
	if (w->echo_seen)
		w->s->renegs_echo_inside++;
	pthread_mutex_unlock(&pc->m);
	return 0;
}

/* Where in the stream renegotiation k (1..renegs) goes. */
static uint64_t reneg_point(const struct writer *w, int k)
{
	return (uint64_t)w->o->stream_bytes * (uint64_t)k /
	       (uint64_t)(w->renegs + 1);
}

/* A renegotiation that no echo crossed (the peer echoed everything
 * before it, or holds its writes while renegotiating) proves nothing
 * about data in flight: it is tried again, after a short write, this many
 * times in all. */
#define STREAM_TRIES 4
#define STREAM_PIECE (64u << 10)
#define STREAM_RETRY_BYTES (16u << 10)

/* Bytes to write next: up to the next renegotiation point, or a short
 * write before a retry. */
static size_t next_piece(const struct writer *w, uint64_t sent, int k,
			 int retry, size_t room)
{
	uint64_t left = w->o->stream_bytes - sent;
	size_t n = left < room ? (size_t)left : room;

	if (retry && n > STREAM_RETRY_BYTES)
		n = STREAM_RETRY_BYTES;
	else if (!retry && k <= w->renegs && sent + n > reneg_point(w, k))
		n = (size_t)(reneg_point(w, k) - sent);
	return n;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct probe_conn *pc = w->pc;
	uint64_t state = 0x9e3779b97f4a7c15ull, sent = 0;
	struct sum64 sum, next;
	/* Large writes: the last one before a renegotiation is four records
	 * the peer must take in and echo while our ClientHello follows. */
	char *buf = malloc(STREAM_PIECE), why[sizeof(w->why)] = "";
	int oom = buf == NULL, failed = oom, k = 1, tries = 0;

	sum64_init(&sum);
	while (sent < w->o->stream_bytes && !failed) {
		size_t n = next_piece(w, sent, k, tries > 0, STREAM_PIECE);

		/* Before the write that a renegotiation follows, the reader
		 * is held: the echo of this write is then read by the
		 * renegotiation, inside it, whatever the threads' timing. */
		if (k <= w->renegs && sent + n >= reneg_point(w, k) &&
		    sent + n < w->o->stream_bytes)
			probe_hold_reader(pc, 1);
		fill(buf, n, &state);
		/* Summed before it is sent: nothing slow may come between
		 * the write and a renegotiation that follows it. */
		next = sum;
		sum64_update(&next, buf, n);
		if (tp_conn_write(pc->c, buf, n) < 0) {
			failed = 1;
			break;
		}
		sum = next;
		sent += n;
		pthread_mutex_lock(&pc->m);
		w->sent = sent;
		w->sum = sum64_final(&sum);
		pthread_cond_broadcast(&pc->cv);
		pthread_mutex_unlock(&pc->m);
		if (k > w->renegs || sent < reneg_point(w, k) ||
		    sent == w->o->stream_bytes)
			continue;
		failed = renegotiate_here(w) < 0;
		probe_hold_reader(pc, 0);
		if (w->echo_seen || ++tries == STREAM_TRIES) {
			k++;
			tries = 0;
		}
	}
	free(buf);
	probe_hold_reader(pc, 0);
	/* Before pc->m: the library's lock is never taken under it. */
	if (failed)
		snprintf(why, sizeof(why), "%s",
			 oom ? "out of memory" : cli_conn_end_text(pc->c));
	pthread_mutex_lock(&pc->m);
	memcpy(w->why, why, sizeof(w->why));
	w->done = 1;
	w->failed = failed;
	pthread_cond_broadcast(&pc->cv);
	pthread_mutex_unlock(&pc->m);
	return NULL;
}

/* Predicates for probe_wait (pc->m held). */
static int writer_done(struct probe_conn *pc)
{
	return STREAM_CONN(pc)->w->done;
}

static int got_enough(struct probe_conn *pc)
{
	return pc->rx_bytes >= pc->want || pc->rx_done;
}

/* Sends one line and sees whether the same line comes back. */
static int detect_echo(struct probe_conn *pc, const struct probe_opts *o,
		       char *why, size_t whylen)
{
	char line[80];
	int n, wait = o->timeout_ms < 2000 ? o->timeout_ms : 2000;

	n = snprintf(line, sizeof(line), "tlsprobe echo check %ld-%lld\n",
		     (long)getpid(), (long long)cli_now_ms());
	if (tp_conn_write(pc->c, line, (size_t)n) < 0) {
		snprintf(why, whylen, "write failed: %s", tp_conn_error(pc->c));
		return 0;
	}
	pc->want = (uint64_t)n;
	probe_wait(pc, got_enough, cli_now_ms() + wait);
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

/* Waits while the writer makes progress, each step bounded by the
 * timeout from its last byte (a stalled peer ends it, a slow one not). */
static void await_writer(struct probe_conn *pc, struct writer *w, int ms)
{
	uint64_t before;

	do {
		pthread_mutex_lock(&pc->m);
		before = w->sent;
		pthread_mutex_unlock(&pc->m);
		/* Twice: a renegotiation in the writer may itself take up
		 * to the timeout before the stream moves again. */
		if (probe_wait(pc, writer_done, cli_now_ms() + 2 * ms))
			return;
		pthread_mutex_lock(&pc->m);
		ms = w->sent > before ? ms : 0;
		pthread_mutex_unlock(&pc->m);
	} while (ms > 0);
	tp_conn_abort(pc->c); /* the peer stopped reading */
}

/* Waits for the echo of every byte sent, for as long as bytes keep
 * coming: a stream is broken only when the peer closed short of it or
 * sent nothing for timeout_ms after its last byte. */
static void await_echo(struct probe_conn *pc, uint64_t sent, int ms)
{
	uint64_t have;

	pc->want = sent;
	do {
		pthread_mutex_lock(&pc->m);
		have = pc->rx_bytes;
		pthread_mutex_unlock(&pc->m);
		if (probe_wait(pc, got_enough, cli_now_ms() + ms))
			return;
	} while (probe_wait_rx(pc, have, cli_now_ms()));
}

static void stream_verdict(struct probe_conn *pc, const struct probe_opts *o,
			   const struct writer *w, struct stream_result *s)
{
	if (!w->failed && s->sent == o->stream_bytes &&
	    s->received == s->sent && s->recv_sum == s->sent_sum) {
		s->status = STREAM_OK;
		return;
	}
	s->status = STREAM_BROKEN;
	if (w->failed || s->sent != o->stream_bytes)
		snprintf(s->reason, sizeof(s->reason),
			 "sending stopped after %llu bytes: %s",
			 (unsigned long long)s->sent,
			 w->why[0] ? w->why : cli_conn_end_text(pc->c));
	else if (s->received != s->sent)
		snprintf(s->reason, sizeof(s->reason),
			 "%llu bytes sent, %llu echoed back, then %s",
			 (unsigned long long)s->sent,
			 (unsigned long long)s->received,
			 pc->rx_done ? "the connection ended" :
				       "nothing more within the timeout");
	else
		snprintf(s->reason, sizeof(s->reason),
			 "the echoed stream differs from the one sent");
}

static void run_stream(struct probe_conn *pc, const struct probe_opts *o,
		       int renegs, struct stream_result *s)
{
	struct writer w = { .pc = pc, .o = o, .s = s, .renegs = renegs };
	struct timespec t0;
	pthread_t th;

	STREAM_CONN(pc)->w = &w;
	pthread_mutex_lock(&pc->m);
	pc->interleaved_rx = pc->interleaved_tx = 0;
	pthread_mutex_unlock(&pc->m);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pthread_create(&th, NULL, writer_main, &w) != 0) {
		s->status = STREAM_NOT_TESTED;
		snprintf(s->reason, sizeof(s->reason), "no thread");
		return;
	}
	await_writer(pc, &w, o->timeout_ms);
	pthread_join(th, NULL);
	await_echo(pc, w.sent, o->timeout_ms);
	s->ms = probe_elapsed_ms(&t0);
	pthread_mutex_lock(&pc->m);
	s->sent = w.sent;
	s->sent_sum = w.sum;
	s->received = pc->rx_bytes;
	s->recv_sum = sum64_final(&pc->rx_sum);
	s->interleaved_rx = pc->interleaved_rx;
	s->interleaved_tx = pc->interleaved_tx;
	pthread_mutex_unlock(&pc->m);
	stream_verdict(pc, o, &w, s);
}

void probe_midstream(const struct probe_opts *o, enum tp_version v,
		     const struct reneg_result *r, struct stream_result *s)
{
	struct stream_conn sc = { .w = NULL };
	struct probe_conn *pc = &sc.pc;
	enum tp_errcode err;
	char msg[CLI_ERROR_MAX - 64]; /* room for "could not connect again: " */
	int renegs = PROBE_STREAM_RENEGS;

	s->status = STREAM_NOT_TESTED;
	s->echo_detected = -1;
	if (r->n_completed == 0) {
		snprintf(s->reason, sizeof(s->reason),
			 "client-initiated renegotiation never completed");
		return;
	}
	if (r->n_completed < o->attempts && r->n_completed < renegs)
		renegs = r->n_completed; /* stay within the peer's limit */
	if (probe_open(pc, o, "midstream", v, v, &err, msg, sizeof(msg)) < 0) {
		snprintf(s->reason, sizeof(s->reason),
			 "could not connect again: %s", msg);
		return;
	}
	if (probe_start_reader(pc) < 0) {
		snprintf(s->reason, sizeof(s->reason), "no thread");
		probe_close(pc);
		return;
	}
	s->echo_detected = detect_echo(pc, o, s->reason, sizeof(s->reason));
	if (s->echo_detected) {
		probe_reset_rx(pc);
		run_stream(pc, o, renegs, s);
	}
	probe_close(pc);
}

static int ku_arrived(struct probe_conn *pc)
{
	return pc->key_updates_rx > 0 || pc->rx_done;
}

/* A KeyUpdate, or data past what had come before we made the peer
 * write (pc->m held). */
static int ku_or_new_data(struct probe_conn *pc)
{
	return ku_arrived(pc) || pc->rx_bytes > pc->want;
}

/* How long data that came unasked must pause before the probe takes it
 * as finished (a multi-line greeting arrives in a few writes). */
#define KU_QUIET_MS 200

/* Data the peer sent on its own (an SMTP, IMAP or POP3 greeting written
 * right after the handshake) may have left before it read our KeyUpdate,
 * so it says nothing about the answer: wait for it to end. Returns the
 * bytes to set aside. */
static uint64_t unasked_data(struct probe_conn *pc, int64_t deadline)
{
	uint64_t have;

	for (;;) {
		pthread_mutex_lock(&pc->m);
		have = pc->rx_bytes;
		pthread_mutex_unlock(&pc->m);
		if (have == 0 || cli_now_ms() >= deadline ||
		    probe_wait(pc, ku_arrived, 0) ||
		    !probe_wait_rx(pc, have, cli_now_ms() + KU_QUIET_MS))
			return have;
	}
}

static const char provoke[] = "tlsprobe key update check\r\n\r\n";

static void ku_verdict(struct probe_conn *pc, uint64_t unasked, int wait,
		       struct tls13_result *t)
{
	struct tp_info in;

	pthread_mutex_lock(&pc->m);
	int got = pc->key_updates_rx, closed = pc->rx_done;
	uint64_t data = pc->rx_bytes - unasked;
	pthread_mutex_unlock(&pc->m);
	if (tp_conn_info(pc->c, &in) == 0) {
		t->ku_sent = in.key_updates_sent;
		t->ku_received = in.key_updates_received;
	}
	if (got > 0) {
		t->ku_status = KU_ANSWERED;
	} else if (data > 0) {
		t->ku_status = KU_NOT_ANSWERED;
		snprintf(t->reason, sizeof(t->reason),
			 "the reply to data sent after the KeyUpdate came "
			 "without a KeyUpdate first");
	} else if (closed) {
		t->ku_status = KU_CLOSED;
		snprintf(t->reason, sizeof(t->reason),
			 "the connection ended: %s", cli_conn_end_text(pc->c));
	} else {
		t->ku_status = KU_NO_REPLY;
		snprintf(t->reason, sizeof(t->reason),
			 "neither a KeyUpdate nor data within %d ms; the peer "
			 "may answer with its next data",
			 wait);
	}
}

/*
 * pc: a TLS 1.3 connection just opened. RFC 8446 4.6.3 lets the peer send
 * its KeyUpdate just before its next application data, so when none comes
 * at once the probe makes the peer write (--request, or a line that echo,
 * line and HTTP servers all answer) and looks at what comes first. Only a
 * reply to what we sent after the KeyUpdate counts: the peer read the
 * KeyUpdate before it, so its own KeyUpdate must come first. Data it sent
 * unasked (a greeting) is set aside.
 */
void probe_key_update(struct probe_conn *pc, const struct probe_opts *o,
		      struct tls13_result *t)
{
	struct timespec t0;
	int wait = o->timeout_ms < 3000 ? o->timeout_ms : 3000;
	uint64_t unasked = 0;

	if (probe_start_reader(pc) < 0) {
		t->ku_status = KU_ERROR;
		snprintf(t->reason, sizeof(t->reason), "no thread");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (tp_conn_key_update(pc->c, 1) < 0) {
		t->ku_status = KU_ERROR;
		snprintf(t->reason, sizeof(t->reason), "%s",
			 tp_conn_error(pc->c));
		return;
	}
	if (!probe_wait(pc, ku_arrived, cli_now_ms() + wait / 6))
		unasked = unasked_data(pc, cli_now_ms() + wait);
	if (!probe_wait(pc, ku_arrived, 0)) {
		t->ku_provoked = 1;
		clock_gettime(CLOCK_MONOTONIC, &t0); /* ms from the data */
		pc->want = unasked;
		if (o->request != NULL)
			tp_conn_write(pc->c, o->request, o->request_len);
		else
			tp_conn_write(pc->c, provoke, sizeof(provoke) - 1);
		probe_wait(pc, ku_or_new_data, cli_now_ms() + wait);
	}
	t->ku_ms = probe_elapsed_ms(&t0);
	ku_verdict(pc, unasked, wait, t);
}
