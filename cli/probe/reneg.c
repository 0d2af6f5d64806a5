/*
 * Client-initiated renegotiation (N attempts, each started only after the
 * previous one ended, each classified with its latency) and
 * server-initiated renegotiation (does a HelloRequest arrive, and does the
 * client complete it).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe.h"

const char *attempt_outcome_name(enum attempt_outcome out)
{
	static const char *const names[] = {
		"completed", "refused", "fatal_alert", "close_notify", "fin",
		"reset",     "ignored", "error",       "plaintext",
	};

	return names[out];
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

/* A sticky error ended the connection: how? */
static void classify_dead(struct tp_conn *c, struct attempt *a)
{
	int level = 0;
	int alert = tp_conn_last_alert(c, &level);

	switch (tp_conn_close_reason(c)) {
	case TP_CLOSE_FATAL_ALERT:
		a->outcome = OUT_FATAL_ALERT;
		a->alert = alert;
		return;
	case TP_CLOSE_NOTIFY:
		a->outcome = OUT_CLOSE_NOTIFY;
		return;
	case TP_CLOSE_FIN:
		a->outcome = OUT_FIN;
		return;
	case TP_CLOSE_RESET:
		a->outcome = OUT_RESET;
		return;
	case TP_CLOSE_PLAINTEXT:
		a->outcome = OUT_PLAINTEXT;
		return;
	case TP_CLOSE_NONE:
		break;
	}
	if (alert >= 0 && level == 2) {
		a->outcome = OUT_FATAL_ALERT;
		a->alert = alert;
		return;
	}
	a->outcome = OUT_ERROR;
}

/* After a refusal, with --request: does the peer still answer? */
static int check_alive(struct probe_conn *pc, const struct probe_opts *o)
{
	uint64_t have;

	pthread_mutex_lock(&pc->m);
	have = pc->rx_bytes;
	pthread_mutex_unlock(&pc->m);
	if (tp_conn_write(pc->c, o->request, o->request_len) < 0)
		return 0;
	return probe_wait_rx(pc, have, cli_now_ms() + o->timeout_ms);
}

static int attempt_one(struct probe_conn *pc, const struct probe_opts *o,
		       struct attempt *a)
{
	struct timespec t0;
	struct tp_timing t;
	int r;

	memset(a, 0, sizeof(*a));
	a->alert = -1;
	a->alive = -1;
	tp_conn_timing(pc->c, &t);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	a->start_ms = timing_ms_from(&t.start, &t0);
	r = tp_conn_renegotiate(pc->c);
	a->ms = probe_elapsed_ms(&t0);
	if (r == 0) {
		a->outcome = OUT_COMPLETED;
		return 0;
	}
	snprintf(a->msg, sizeof(a->msg), "%s", tp_conn_error(pc->c));
	switch (tp_conn_errcode(pc->c)) {
	case TP_ERR_REFUSED:
		a->outcome = OUT_REFUSED;
		if (o->request != NULL)
			a->alive = check_alive(pc, o);
		return a->alive == 0 ? -1 : 0;
	case TP_ERR_TIMEOUT:
		a->outcome = OUT_IGNORED;
		return 0;
	default:
		classify_dead(pc->c, a);
		return -1;
	}
}

static int peer_closed(struct probe_conn *pc)
{
	return pc->rx_done;
}

void probe_client_initiated(struct probe_conn *pc, const struct probe_opts *o,
			    struct reneg_result *r)
{
	int ignored_in_row = 0;

	r->att = calloc((size_t)o->attempts, sizeof(*r->att));
	r->alive_after = -1;
	if (r->att == NULL)
		return;
	for (int i = 0; i < o->attempts; i++) {
		struct attempt *a = &r->att[i];

		if (i > 0 && o->interval_ms > 0)
			sleep_ms(o->interval_ms);
		int dead = attempt_one(pc, o, a) < 0;
		r->n_att++;
		if (a->outcome == OUT_COMPLETED)
			r->n_completed++;
		ignored_in_row =
			a->outcome == OUT_IGNORED ? ignored_in_row + 1 : 0;
		if (dead || ignored_in_row >= 2) {
			r->stopped_early = r->n_att < o->attempts;
			break;
		}
	}
	/* Did the peer close right after the last attempt? */
	if (r->n_att > 0 && r->att[r->n_att - 1].outcome != OUT_COMPLETED &&
	    r->att[r->n_att - 1].outcome != OUT_REFUSED &&
	    r->att[r->n_att - 1].outcome != OUT_IGNORED)
		r->alive_after = 0;
	else
		r->alive_after =
			!probe_wait(pc, peer_closed, cli_now_ms() + 100);
}

static int hello_seen(struct probe_conn *pc)
{
	return pc->peer_reneg_requested > 0 || pc->peer_reneg_refused > 0 ||
	       pc->rx_done;
}

static int hello_settled(struct probe_conn *pc)
{
	return pc->peer_reneg_done + pc->peer_reneg_refused >=
		       pc->peer_reneg_requested ||
	       pc->rx_done;
}

void probe_server_initiated(const struct probe_opts *o, enum tp_version v,
			    struct reneg_result *r)
{
	struct probe_conn pc;
	struct timespec first_hello;
	struct tp_timing t;
	enum tp_errcode err;
	char msg[CLI_ERROR_MAX - 64]; /* room for "could not connect again: " */

	r->srv_wait_ms = o->hello_wait_ms;
	r->srv_first_ms = -1;
	if (probe_open(&pc, o, "server_initiated", v, v, &err, msg,
		       sizeof(msg)) < 0) {
		r->srv_status = SRV_INCONCLUSIVE;
		snprintf(r->srv_reason, sizeof(r->srv_reason),
			 "could not connect again: %s", msg);
		return;
	}
	if (probe_start_reader(&pc) < 0) {
		r->srv_status = SRV_INCONCLUSIVE;
		snprintf(r->srv_reason, sizeof(r->srv_reason), "no thread");
		probe_close(&pc);
		return;
	}
	if (o->request != NULL) {
		tp_conn_write(pc.c, o->request, o->request_len);
		r->srv_request_sent = 1;
	}
	probe_wait(&pc, hello_seen, cli_now_ms() + o->hello_wait_ms);
	probe_wait(&pc, hello_settled, cli_now_ms() + o->timeout_ms);
	pthread_mutex_lock(&pc.m);
	r->srv_hello_requests = pc.peer_reneg_requested + pc.peer_reneg_refused;
	r->srv_completed = pc.peer_reneg_done;
	r->srv_refused = pc.peer_reneg_refused;
	first_hello = pc.first_hello_at;
	pthread_mutex_unlock(&pc.m);
	tp_conn_timing(pc.c, &t);
	r->srv_first_ms = timing_ms_from(&t.start, &first_hello);
	if (r->srv_hello_requests == 0) {
		r->srv_status = SRV_NOT_OBSERVED;
		snprintf(r->srv_reason, sizeof(r->srv_reason),
			 "no HelloRequest within %d ms%s", o->hello_wait_ms,
			 r->srv_request_sent ? " of the request" : "");
	} else if (r->srv_completed == r->srv_hello_requests) {
		r->srv_status = SRV_COMPLETED;
	} else {
		r->srv_status = SRV_FAILED;
		snprintf(r->srv_reason, sizeof(r->srv_reason), "%s",
			 r->srv_refused ? "the client could not renegotiate "
					  "(no secure renegotiation)" :
					  cli_conn_end_text(pc.c));
	}
	probe_close(&pc);
}
