/*
 * One probe connection: a config shared with the run's other connections
 * of the same versions, the handshake, and a reader thread that reads
 * until EOF or abort, counting and checksumming what arrives. Incoming
 * HelloRequest and KeyUpdate messages are processed inside tp_conn_read,
 * so some thread must always be reading; the probe's main thread
 * renegotiates, sends KeyUpdate and waits on the counters.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "probe.h"

double probe_elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void on_event(struct tp_conn *c, const struct tp_event *ev, void *arg)
{
	struct probe_conn *pc = tp_conn_arg(c);
	int peer = ev->detail != NULL && strcmp(ev->detail, "peer") == 0;

	(void)arg;
	pthread_mutex_lock(&pc->m);
	switch (ev->type) {
	case TP_EV_RENEG_REQUESTED:
		pc->in_reneg = 1;
		if (peer) {
			pc->peer_reneg_requested++;
			if (pc->first_hello_at.tv_sec == 0 &&
			    pc->first_hello_at.tv_nsec == 0)
				pc->first_hello_at = ev->when;
		}
		break;
	case TP_EV_RENEG_DONE:
		pc->in_reneg = 0;
		pc->renegs_ended++;
		if (peer)
			pc->peer_reneg_done++;
		break;
	case TP_EV_RENEG_REFUSED:
		pc->in_reneg = 0;
		pc->renegs_ended++;
		/* value 1: we refused or ignored a peer's HelloRequest */
		if (ev->value == 1)
			pc->peer_reneg_refused++;
		break;
	case TP_EV_KEYUPDATE_RECEIVED:
		pc->key_updates_rx++;
		break;
	case TP_EV_RECORD:
		if (pc->in_reneg && ev->value == 23) {
			if (ev->level)
				pc->interleaved_tx++;
			else
				pc->interleaved_rx++;
		}
		break;
	default:
		break;
	}
	pthread_cond_broadcast(&pc->cv);
	pthread_mutex_unlock(&pc->m);
}

static int configure(struct tp_config *cfg, const struct probe_opts *o,
		     enum tp_version min, enum tp_version max)
{
	enum cli_status st;
	char err[CLI_ERROR_MAX];

	/* Trust, client certificate and key log as the connect command
	 * loads them (probe_main checked them once already). */
	if (setup_config_files(cfg, &o->conn, NULL, err, sizeof(err), &st) < 0)
		return -1;
	tp_config_insecure(cfg, o->conn.insecure);
	if (tp_config_set_versions(cfg, min, max) < 0)
		return -1;
	tp_config_set_timeouts(cfg, o->timeout_ms, o->timeout_ms);
	tp_config_set_reneg_policy(cfg, TP_RENEG_ACCEPT, 0);
	tp_config_set_event_cb(cfg, on_event, NULL);
	return 0;
}

/* The run's config for versions [min, max], made on first use. Returns
 * NULL with the reason in msg. */
static struct tp_config *config_for(const struct probe_opts *o,
				    enum tp_version min, enum tp_version max,
				    char *msg, size_t msglen)
{
	struct probe_configs *pcs = o->configs;
	struct tp_config *cfg;

	for (int i = 0; i < pcs->n; i++)
		if (pcs->v[i].min == min && pcs->v[i].max == max)
			return pcs->v[i].cfg;
	if (pcs->n == PROBE_MAX_CONFIGS) {
		snprintf(msg, msglen, "too many version ranges");
		return NULL;
	}
	cfg = tp_config_new(TP_CLIENT);
	if (cfg == NULL || configure(cfg, o, min, max) < 0) {
		const char *why = cfg ? tp_config_error(cfg) : "out of memory";

		snprintf(msg, msglen, "%s", why ? why : "cannot configure");
		tp_config_free(cfg);
		return NULL;
	}
	pcs->v[pcs->n].min = min;
	pcs->v[pcs->n].max = max;
	pcs->v[pcs->n++].cfg = cfg;
	return cfg;
}

void probe_configs_free(struct probe_configs *pcs)
{
	for (int i = 0; i < pcs->n; i++)
		tp_config_free(pcs->v[i].cfg);
	pcs->n = 0;
}

/* The library's category for a connect failure that happened outside it
 * (our STARTTLS preamble): probe_main judges errors by it. */
static enum tp_errcode errcode_of(enum cli_status st)
{
	switch (st) {
	case CLI_ETIMEOUT:
		return TP_ERR_TIMEOUT;
	case CLI_EHANDSHAKE:
		return TP_ERR_HANDSHAKE;
	case CLI_EUSAGE:
		return TP_ERR_USAGE;
	default:
		return TP_ERR_CONNECT;
	}
}

int probe_open(struct probe_conn *pc, const struct probe_opts *o,
	       const char *purpose, enum tp_version min, enum tp_version max,
	       enum tp_errcode *err, char *msg, size_t msglen)
{
	struct tp_config *cfg;
	enum cli_status st;

	memset(pc, 0, sizeof(*pc));
	cli_cond_init(&pc->m, &pc->cv);
	pc->log = o->log;
	pc->starttls = o->conn.starttls != CLI_STARTTLS_NONE;
	pc->purpose = purpose;
	sum64_init(&pc->rx_sum);
	cfg = config_for(o, min, max, msg, msglen);
	if (cfg == NULL) {
		*err = TP_ERR_USAGE;
		goto fail;
	}
	pc->c = tp_conn_new(cfg);
	if (pc->c == NULL) {
		*err = TP_ERR_LOCAL;
		snprintf(msg, msglen, "cannot create a connection: %s",
			 strerror(errno));
		goto fail;
	}
	tp_conn_set_arg(pc->c, pc);
	if (setup_connect(pc->c, &o->conn, msg, msglen, &st) < 0) {
		*err = tp_conn_errcode(pc->c);
		if (*err == TP_ERR_NONE)
			*err = errcode_of(st);
		goto fail;
	}
	if (tp_conn_handshake(pc->c) < 0) {
		*err = tp_conn_errcode(pc->c);
		snprintf(msg, msglen, "%s", tp_conn_error(pc->c));
		goto fail;
	}
	return 0;
fail:
	snprintf(pc->open_error, sizeof(pc->open_error), "%s", msg);
	probe_close(pc);
	return -1;
}

/* tp_conn_read, once the mid-stream probe lets the reader go on: while
 * it holds the reader back, echoed records stay for its renegotiation to
 * meet (stream.c). Woken by probe_hold_reader. */
static ssize_t read_when_allowed(struct probe_conn *pc, char *buf, size_t len)
{
	pthread_mutex_lock(&pc->m);
	while (pc->reader_held)
		pthread_cond_wait(&pc->cv, &pc->m);
	pthread_mutex_unlock(&pc->m);
	return tp_conn_read(pc->c, buf, len);
}

void probe_hold_reader(struct probe_conn *pc, int hold)
{
	pthread_mutex_lock(&pc->m);
	pc->reader_held = hold;
	pthread_cond_broadcast(&pc->cv);
	pthread_mutex_unlock(&pc->m);
}

static void *reader_main(void *arg)
{
	struct probe_conn *pc = arg;
	char buf[TP_RECORD_MAX];
	ssize_t n;

	while ((n = read_when_allowed(pc, buf, sizeof(buf))) > 0) {
		pthread_mutex_lock(&pc->m);
		pc->rx_bytes += (uint64_t)n;
		sum64_update(&pc->rx_sum, buf, (size_t)n);
		if (pc->capture_len < sizeof(pc->capture)) {
			size_t k = sizeof(pc->capture) - pc->capture_len;

			if (k > (size_t)n)
				k = (size_t)n;
			memcpy(pc->capture + pc->capture_len, buf, k);
			pc->capture_len += k;
		}
		pthread_cond_broadcast(&pc->cv);
		pthread_mutex_unlock(&pc->m);
	}
	pthread_mutex_lock(&pc->m);
	pc->rx_done = 1;
	pthread_cond_broadcast(&pc->cv);
	pthread_mutex_unlock(&pc->m);
	return NULL;
}

int probe_start_reader(struct probe_conn *pc)
{
	if (pthread_create(&pc->reader, NULL, reader_main, pc) != 0)
		return -1;
	pc->reader_started = 1;
	return 0;
}

int probe_wait(struct probe_conn *pc, int (*pred)(struct probe_conn *),
	       int64_t deadline_ms)
{
	struct timespec ts;
	int ok;

	ts.tv_sec = (time_t)(deadline_ms / 1000);
	ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
	pthread_mutex_lock(&pc->m);
	while (!(ok = pred(pc)) && cli_now_ms() < deadline_ms)
		if (pthread_cond_timedwait(&pc->cv, &pc->m, &ts) == ETIMEDOUT)
			break;
	ok = pred(pc);
	pthread_mutex_unlock(&pc->m);
	return ok;
}

static int rx_grew(struct probe_conn *pc)
{
	return pc->rx_bytes > pc->want || pc->rx_done;
}

int probe_wait_rx(struct probe_conn *pc, uint64_t have, int64_t deadline_ms)
{
	/* Only the thread that waits sets want, and only between waits. */
	pthread_mutex_lock(&pc->m);
	pc->want = have;
	pthread_mutex_unlock(&pc->m);
	probe_wait(pc, rx_grew, deadline_ms);
	pthread_mutex_lock(&pc->m);
	int grew = pc->rx_bytes > have;
	pthread_mutex_unlock(&pc->m);
	return grew;
}

void probe_reset_rx(struct probe_conn *pc)
{
	pthread_mutex_lock(&pc->m);
	pc->rx_bytes = 0;
	sum64_init(&pc->rx_sum);
	pc->capture_len = 0;
	pthread_mutex_unlock(&pc->m);
}

/* The connection as the report shows it, once it is over. */
static void note_conn(struct probe_conn *pc)
{
	struct probe_log *log = pc->log;
	struct probe_conn_log *l;
	struct timespec end = cli_mono_now();
	struct tp_timing t;
	struct tp_info in;

	if (log == NULL)
		return;
	if (log->n == PROBE_MAX_LOGGED) {
		log->more++;
		return;
	}
	l = &log->c[log->n++];
	memset(l, 0, sizeof(*l));
	l->purpose = pc->purpose;
	snprintf(l->error, sizeof(l->error), "%s", pc->open_error);
	tp_conn_timing(pc->c, &t);
	timing_figures(&t, &end, pc->starttls, &l->timing);
	/* Before a handshake completed the library has no snapshot: the
	 * report then has the timings and the error only. */
	if (tp_conn_info(pc->c, &in) < 0)
		return;
	l->handshake_done = 1;
	snprintf(l->protocol, sizeof(l->protocol), "%s",
		 in.version ? in.version : "");
	snprintf(l->cipher, sizeof(l->cipher), "%s",
		 in.cipher ? in.cipher : "");
	snprintf(l->peer_addr, sizeof(l->peer_addr), "%s",
		 in.peer_addr ? in.peer_addr : "");
	snprintf(l->sni, sizeof(l->sni), "%s", in.sni ? in.sni : "");
}

void probe_close(struct probe_conn *pc)
{
	if (pc->c != NULL && pc->reader_started) {
		/* A polite end: close_notify, then a short wait for the
		 * peer's (the reader ends at it), so that servers log a clean
		 * close. */
		cli_join_or_abort(pc->reader, pc->c,
				  tp_conn_shutdown_write(pc->c) == 0 ?
					  PROBE_CLOSE_WAIT_MS :
					  0);
		pc->reader_started = 0;
	}
	if (pc->c != NULL) {
		note_conn(pc);
		tp_conn_free(pc->c);
	}
	pc->c = NULL;
	cli_cond_destroy(&pc->m, &pc->cv);
}
