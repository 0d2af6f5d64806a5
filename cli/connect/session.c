/* The shared state of a run and what both threads do with it; see
 * session.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect.h"

void session_set_conn_locked(struct session *s, struct tp_conn *c,
			     int summary_due)
{
	s->conn = c;
	s->summary_done = s->summary_shown = !summary_due;
	s->tickets_told = s->tickets_seen = s->tickets_live = 0;
	memset(&s->renegs, 0, sizeof(s->renegs));
}

struct tp_conn *session_conn(struct session *s)
{
	struct tp_conn *c;

	pthread_mutex_lock(&s->mtx);
	c = s->conn;
	pthread_mutex_unlock(&s->mtx);
	return c;
}

int session_ended(struct session *s)
{
	int e;

	pthread_mutex_lock(&s->mtx);
	e = s->ended;
	pthread_mutex_unlock(&s->mtx);
	return e;
}

/* Marks the run as ended; caller holds s->mtx. Returns 0 if it already
 * was. */
static int end_locked(struct session *s, enum cli_status status,
		      const char *msg)
{
	if (s->ended)
		return 0;
	s->ended = 1;
	s->status = status;
	if (msg != NULL)
		snprintf(s->error, sizeof(s->error), "%s", msg);
	pthread_cond_broadcast(&s->cv);
	return 1;
}

void session_wake_input(struct session *s)
{
	char b = 1;

	if (write(s->stop_fd[1], &b, 1) == -1 && errno != EAGAIN)
		return;
}

/* Ends the run (the first call only), with preface (if any) printed
 * before the error line msg. */
static void end_with(struct session *s, enum cli_status status, const char *msg,
		     const char *preface)
{
	int first;

	pthread_mutex_lock(&s->mtx);
	first = end_locked(s, status, msg);
	pthread_mutex_unlock(&s->mtx);
	if (first && preface != NULL)
		console_text(preface);
	if (first && msg != NULL)
		console_error("%s", msg);
	if (first)
		session_wake_input(s);
}

void session_end(struct session *s, enum cli_status status, const char *msg)
{
	end_with(s, status, msg, NULL);
}

void session_conn_failed(struct session *s, struct tp_conn *c)
{
	enum tp_errcode e = tp_conn_errcode(c);
	int hs = tp_conn_handshake_done(c), ignore;
	char line[CLI_ERROR_MAX], *preface;

	if (!closing_reneg_error(s, c, line, sizeof(line)))
		cli_format_error(line, sizeof(line), e, hs, tp_conn_error(c));
	pthread_mutex_lock(&s->mtx);
	/* Ending the run or :resume aborts the connection on purpose. */
	ignore = s->ended || c != s->conn || s->resuming;
	pthread_mutex_unlock(&s->mtx);
	if (ignore)
		return;
	if (e == TP_ERR_CLOSED)
		snprintf(line, sizeof(line), "connection closed");
	/* A failed handshake shows what the peer sent and asked for. */
	preface = hs ? NULL : certs_failure_text(c, s->opt);
	end_with(s, cli_status_from_errcode(e, hs), line, preface);
	free(preface);
}

/* A line for each session ticket the summary did not count: TLS 1.3
 * tickets come after the handshake (the --json count agrees). Without
 * --msg, which traces each one. */
static void tell_tickets(struct session *s, int from, int to)
{
	if (s->opt->verbosity != CLI_NORMAL || s->opt->msg)
		return;
	for (int k = from; k <= to; k++)
		console_msg("Session ticket received (%d so far)", k);
}

/* The summary is out: tickets it did not count, whose events came
 * meanwhile, are told now, and the next ones as they come. */
static void tickets_go_live(struct session *s)
{
	int from, to;

	pthread_mutex_lock(&s->mtx);
	s->tickets_live = 1;
	from = s->tickets_told + 1;
	to = s->tickets_seen;
	if (to > s->tickets_told)
		s->tickets_told = to;
	pthread_mutex_unlock(&s->mtx);
	tell_tickets(s, from, to);
}

/* A ticket event (value: the connection's count so far). */
static void note_ticket(struct session *s, struct tp_conn *c,
			const struct tp_event *ev)
{
	int tell = 0;

	pthread_mutex_lock(&s->mtx);
	if (c == s->conn) {
		if (ev->value > s->tickets_seen)
			s->tickets_seen = ev->value;
		tell = s->tickets_live && ev->value > s->tickets_told;
		if (tell)
			s->tickets_told = ev->value;
	}
	pthread_mutex_unlock(&s->mtx);
	if (tell)
		tell_tickets(s, ev->value, ev->value);
}

/* Renegotiations of the current connection, timed for --json. */
static void note_reneg_timing(struct session *s, struct tp_conn *c,
			      const struct tp_event *ev)
{
	pthread_mutex_lock(&s->mtx);
	if (c == s->conn)
		timing_note_event(&s->renegs, ev);
	pthread_mutex_unlock(&s->mtx);
}

/* With --insecure, a failed verification is repeated as a warning line,
 * since the summary may scroll by. */
static void warn_insecure(struct tp_conn *c, const struct cli_options *o)
{
	struct tp_info info;
	const struct tp_info *i = conn_info(c, &info);

	if (i == NULL || (i->verify_ok && i->verify_failures == 0) ||
	    o->verbosity == CLI_QUIET)
		return;
	console_msg("WARNING: certificate verification FAILED (%s); "
		    "continuing only because of --insecure",
		    i->verify_error ? i->verify_error : "unknown reason");
}

/* The summary of c, once, from the TP_EV_HANDSHAKE_DONE event. */
static void show_summary(struct session *s, struct tp_conn *c)
{
	char *text;
	int mine, hint, tickets = 0;

	pthread_mutex_lock(&s->mtx);
	mine = !s->summary_done && c == s->conn;
	pthread_mutex_unlock(&s->mtx);
	if (!mine)
		return;
	/* library calls: not under mtx */
	text = summary_text(c, s->opt, &tickets);
	pthread_mutex_lock(&s->mtx);
	mine = !s->summary_done && c == s->conn;
	s->summary_done = 1;
	if (mine)
		s->tickets_told = tickets;
	hint = mine && !s->hinted && s->interactive &&
	       s->opt->verbosity == CLI_NORMAL;
	s->hinted |= hint;
	pthread_mutex_unlock(&s->mtx);
	if (mine && text != NULL)
		console_text(text);
	if (mine) {
		tickets_go_live(s);
		warn_insecure(c, s->opt);
	}
	/* After the summary, not before it: the prompt comes up at once,
	 * while the handshake is still running. */
	if (hint)
		console_msg("Type :help for commands, Ctrl-D to close.");
	free(text);
	pthread_mutex_lock(&s->mtx);
	if (c == s->conn)
		s->summary_shown = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mtx);
}

/* How long a thread that saw the handshake finish waits for its event:
 * only a lost event (out of memory) makes it wait that long. */
#define SUMMARY_WAIT_MS 2000

/*
 * The handshake of c is done, seen by a thread that did not deliver its
 * events: another thread may still be delivering them (the library hands
 * events to one thread at a time). The summary comes from the
 * TP_EV_HANDSHAKE_DONE event, after the --msg trace of the handshake, so
 * wait for it here; anything this thread prints next (the data, a command's
 * line) then follows the summary.
 */
void session_note_reconnect(struct session *s, struct tp_conn *c, int resumed)
{
	struct reconnect_result *r;

	if (s->nreconnect >= CLI_MAX_RECONNECT)
		return;
	r = &s->reconnects[s->nreconnect++];
	r->resumed = resumed;
	tp_conn_timing(c, &r->timing);
}

void session_note_handshake(struct session *s, struct tp_conn *c)
{
	struct timespec at = cli_mono_after_ms(SUMMARY_WAIT_MS);
	int waiting = 1, timed_out = 0;

	if (!tp_conn_handshake_done(c))
		return;
	pthread_mutex_lock(&s->mtx);
	while ((waiting = !s->summary_shown && c == s->conn && !s->ended) &&
	       !timed_out)
		timed_out = pthread_cond_timedwait(&s->cv, &s->mtx, &at) ==
			    ETIMEDOUT;
	pthread_mutex_unlock(&s->mtx);
	if (waiting)
		show_summary(s, c);
}

/* A renegotiation the peer started is over: as :reneg tells its own. */
static void tell_peer_reneg_done(struct tp_conn *c)
{
	struct tp_info info;
	const struct tp_info *i = conn_info(c, &info);

	console_msg("Peer renegotiation done (handshake %d, %s)",
		    i ? i->handshakes : 0, i && i->cipher ? i->cipher : "?");
}

/* The peer's KeyUpdates told one line each, before they are only counted
 * (a peer may send thousands: --msg shows each, the report counts them). */
#define PEER_KEY_UPDATES_TOLD 3

static void tell_peer_key_update(struct session *s)
{
	int n;

	pthread_mutex_lock(&s->mtx);
	n = ++s->peer_key_updates;
	pthread_mutex_unlock(&s->mtx);
	if (n <= PEER_KEY_UPDATES_TOLD)
		console_msg("Peer sent a KeyUpdate");
	else if (n == PEER_KEY_UPDATES_TOLD + 1)
		console_msg("Peer sent a KeyUpdate; further ones are counted, "
			    "not shown (--msg shows each)");
}

/* Events worth a line even without --msg. */
static void note_event(struct session *s, struct tp_conn *c,
		       const struct tp_event *ev)
{
	int by_peer = ev->detail != NULL && strcmp(ev->detail, "peer") == 0;

	if (s->opt->verbosity != CLI_NORMAL || s->opt->msg)
		return;
	if (ev->type == TP_EV_RENEG_REQUESTED && by_peer)
		console_msg("Peer started a renegotiation");
	else if (ev->type == TP_EV_RENEG_DONE && by_peer)
		tell_peer_reneg_done(c);
	else if (ev->type == TP_EV_KEYUPDATE_RECEIVED)
		tell_peer_key_update(s);
	else if (ev->type == TP_EV_RENEG_REFUSED && ev->value == 1)
		console_msg("Did not renegotiate as the peer asked (%s)",
			    ev->detail ? ev->detail : "refused");
}

void session_event(struct tp_conn *c, const struct tp_event *ev, void *arg)
{
	struct session *s = arg;
	char line[256];

	if (s->opt->msg) {
		trace_format(line, sizeof(line), ev);
		console_msg("%s", line);
	}
	note_event(s, c, ev);
	closing_note_event(s, ev);
	if (ev->type == TP_EV_TICKET)
		note_ticket(s, c, ev);
	else if (ev->type == TP_EV_RENEG_REQUESTED ||
		 ev->type == TP_EV_RENEG_DONE ||
		 ev->type == TP_EV_RENEG_REFUSED)
		note_reneg_timing(s, c, ev);
	if (ev->type == TP_EV_HANDSHAKE_DONE)
		show_summary(s, c);
}

static int write_conn(struct session *s, struct tp_conn *c, const char *buf,
		      size_t len)
{
	ssize_t n;

	console_set_busy(1);
	n = tp_conn_write(c, buf, len);
	console_set_busy(0);
	if (n == -1) {
		session_conn_failed(s, c);
		return -1;
	}
	closing_note_sent(s);
	return 0;
}

int session_send(struct session *s, const char *buf, size_t len)
{
	struct tp_conn *c = session_conn(s);
	char out[2 * 4096];
	size_t n, o;

	if (!s->opt->crlf)
		return len == 0 ? 0 : write_conn(s, c, buf, len);
	while (len > 0) {
		n = len < sizeof(out) / 2 ? len : sizeof(out) / 2;
		o = cli_crlf_convert(buf, n, out, &s->crlf_prev_cr);
		if (write_conn(s, c, out, o) == -1)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

void session_input_eof(struct session *s)
{
	struct tp_conn *c = session_conn(s);
	int rv;

	console_set_busy(1);
	rv = tp_conn_handshake(c);
	if (rv == 0)
		session_note_handshake(s, c);
	if (rv == 0)
		rv = tp_conn_flush(c);
	console_set_busy(0);
	if (rv == -1) {
		session_conn_failed(s, c);
		return;
	}
	pthread_mutex_lock(&s->mtx);
	s->input_eof = 1;
	clock_gettime(CLOCK_MONOTONIC, &s->eof_at);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mtx);
}
