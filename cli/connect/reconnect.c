/* --reconnect; see reconnect.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "console.h"
#include "reconnect.h"
#include "setup.h"

/* How long a closed connection may take to deliver what the server sent
 * after the handshake (TLS 1.3 tickets) and its close_notify. */
#define DRAIN_MS 2000

struct watchdog {
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	int done;
	struct tp_conn *c;
};

/* Aborts w->c unless told to stop within DRAIN_MS. */
static void *watchdog_thread(void *arg)
{
	struct watchdog *w = arg;
	struct timespec ts;
	int fire;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += DRAIN_MS / 1000;
	ts.tv_nsec += (long)(DRAIN_MS % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&w->mtx);
	while (!w->done &&
	       pthread_cond_timedwait(&w->cv, &w->mtx, &ts) != ETIMEDOUT)
		;
	fire = !w->done;
	pthread_mutex_unlock(&w->mtx);
	if (fire)
		tp_conn_abort(w->c);
	return NULL;
}

/* close_notify, then read (and drop) until the peer closes, so session
 * tickets sent after the handshake are seen. */
static void close_and_drain(struct tp_conn *c)
{
	struct watchdog w = { .done = 0, .c = c };
	pthread_t t;
	char buf[4096];

	pthread_mutex_init(&w.mtx, NULL);
	pthread_cond_init(&w.cv, NULL);
	(void)tp_conn_shutdown_write(c);
	if (pthread_create(&t, NULL, watchdog_thread, &w) != 0)
		return;
	while (tp_conn_read(c, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&w.mtx);
	w.done = 1;
	pthread_cond_signal(&w.cv);
	pthread_mutex_unlock(&w.mtx);
	pthread_join(t, NULL);
	pthread_mutex_destroy(&w.mtx);
	pthread_cond_destroy(&w.cv);
}

static int handshake(struct session *s, struct tp_conn *c, enum cli_status *st)
{
	char line[512];
	enum tp_errcode e;

	if (tp_conn_handshake(c) == 0)
		return 0;
	e = tp_conn_errcode(c);
	cli_format_error(line, sizeof(line), e, 0, tp_conn_error(c));
	console_error("%s", line);
	*st = cli_status_from_errcode(e, 0);
	return -1;
}

static void report(struct session *s, struct tp_conn *c, int k)
{
	struct tp_info info;
	const struct tp_info *i = conn_info(c, &info);
	int resumed = i != NULL && i->session_reused;

	if (k == 0) {
		session_note_handshake(s, c);
		return;
	}
	if (s->nreconnect < CLI_MAX_RECONNECT)
		s->resumed[s->nreconnect++] = resumed;
	if (s->opt->verbosity != CLI_QUIET)
		console_msg("Reconnect %d/%d: Resumed: %s (%s)", k,
			    s->opt->reconnect, resumed ? "yes" : "no",
			    i && i->version ? i->version : "?");
}

/* Makes c the connection whose summary may be shown. */
static void set_current(struct session *s, struct tp_conn *c, int show_summary)
{
	pthread_mutex_lock(&s->mtx);
	session_set_conn_locked(s, c, show_summary);
	pthread_mutex_unlock(&s->mtx);
}

struct tp_conn *reconnect_run(struct session *s, enum cli_status *st)
{
	struct tp_conn *c = setup_conn(s, NULL, st), *next;
	int k;

	for (k = 0; c != NULL && k < s->opt->reconnect; k++) {
		set_current(s, c, k == 0);
		if (handshake(s, c, st) == -1) {
			tp_conn_free(c);
			return NULL;
		}
		report(s, c, k);
		close_and_drain(c);
		next = setup_conn(s, c, st);
		tp_conn_free(c);
		c = next;
	}
	if (c != NULL)
		set_current(s, c, 1);
	return c;
}
