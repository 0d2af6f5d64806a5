/*
 * One connection of `tlsprobe serve`, in its own thread: the mode (echo,
 * reverse, sink, source), the HelloRequest and KeyUpdate schedules, and
 * its report lines.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve.h"

static void say(const struct serve_conn *sc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(const struct serve_conn *sc, const char *fmt, ...)
{
	char line[512], esc[1024];
	va_list ap;

	if (sc->o->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Lines carry what the client sent (alerts, errors): no control
	 * byte of its choosing reaches the terminal. */
	tp_escape(esc, sizeof(esc), line, strlen(line), TP_ESC_TEXT);
	fprintf(stderr, "serve: #%d %s: %s\n", sc->id, sc->peer, esc);
}

/* Events are reported per connection; the config is shared, so the
 * connection's state is its tp_conn_arg. */
void serve_on_event(struct tp_conn *c, const struct tp_event *ev, void *arg)
{
	struct serve_conn *sc = tp_conn_arg(c);
	struct tp_info in;

	(void)arg;
	if (sc == NULL)
		return;
	switch (ev->type) {
	case TP_EV_HANDSHAKE_DONE:
		if (tp_conn_info(c, &in) == 0)
			say(sc, "handshake done: %s %s", in.version, in.cipher);
		break;
	case TP_EV_RENEG_REQUESTED:
		say(sc, "renegotiation started (%s)", ev->detail);
		break;
	case TP_EV_RENEG_DONE:
		say(sc, "renegotiation completed (%s)", ev->detail);
		break;
	case TP_EV_RENEG_REFUSED:
		say(sc, "renegotiation refused (%s)", ev->detail);
		break;
	case TP_EV_KEYUPDATE_SENT:
		say(sc, "KeyUpdate sent%s",
		    ev->value ? " (update_requested)" : "");
		break;
	case TP_EV_KEYUPDATE_RECEIVED:
		say(sc, "KeyUpdate received");
		break;
	case TP_EV_ALERT_RECEIVED:
	case TP_EV_ALERT_SENT:
		say(sc, "%s alert %s: %s", ev->level == 2 ? "fatal" : "warning",
		    ev->type == TP_EV_ALERT_SENT ? "sent" : "received",
		    ev->detail ? ev->detail : "?");
		break;
	default:
		break;
	}
}

/* --reply-delay: a server that answers late. */
static void reply_delay(const struct serve_opts *o)
{
	if (o->reply_delay_ms > 0)
		cli_sleep_ms(o->reply_delay_ms);
}

/* --mode reverse reverses lines up to this long whole; a longer one is
 * reversed in pieces of this size. */
#define REVERSE_LINE_MAX 16384

static void reverse_lines(char *buf, size_t n, char *line, size_t *have,
			  size_t cap, const struct serve_opts *o,
			  struct tp_conn *c)
{
	for (size_t i = 0; i < n; i++) {
		if (*have < cap)
			line[(*have)++] = buf[i];
		if (buf[i] != '\n' && *have < cap)
			continue;
		size_t len = *have - (line[*have - 1] == '\n');
		for (size_t a = 0, b = len ? len - 1 : 0; a < b; a++, b--) {
			char t = line[a];
			line[a] = line[b];
			line[b] = t;
		}
		reply_delay(o);
		tp_conn_write(c, line, *have);
		*have = 0;
	}
}

/* Asks the client to renegotiate. Modes that read (echo, reverse, sink)
 * send the HelloRequest and read on; the client's ClientHello is handled
 * when it comes, and its data meanwhile flows (waiting here instead, a
 * client that writes much and reads slowly would have to be buffered
 * without bound). Source mode does not read while it writes, so it waits
 * for each renegotiation. */
static int ask_renegotiation(struct serve_conn *sc)
{
	if (sc->o->mode == MODE_SOURCE)
		return tp_conn_renegotiate(sc->c);
	switch (tp_conn_request_renegotiation(sc->c)) {
	case 0:
		say(sc, "HelloRequest sent");
		return 0;
	case 1:
		return 0; /* the last one is still unanswered */
	default:
		return -1;
	}
}

/* Starts a HelloRequest or KeyUpdate when enough bytes went by. */
static void maybe_rekey(struct serve_conn *sc, uint64_t *since)
{
	const struct serve_opts *o = sc->o;
	struct tp_info in;
	int tls13;

	if (sc->closing || tp_conn_info(sc->c, &in) < 0)
		return;
	tls13 = in.protocol == TP_TLS1_3;
	if (!tls13 && o->hello_request_every &&
	    *since >= o->hello_request_every) {
		*since = 0;
		if (ask_renegotiation(sc) == 0)
			return;
		if (tp_conn_errcode(sc->c) == TP_ERR_CLOSED)
			sc->closing = 1; /* the client finished: stop asking */
		else if (tp_conn_errcode(sc->c) != TP_ERR_REFUSED)
			say(sc, "renegotiation failed: %s",
			    tp_conn_error(sc->c));
	} else if (tls13 && o->key_update_every &&
		   *since >= o->key_update_every) {
		*since = 0;
		tp_conn_key_update(sc->c, 1);
	}
}

static void source_data(struct serve_conn *sc)
{
	char buf[TP_RECORD_MAX];
	uint64_t left = sc->o->source_bytes, since = 0;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)('a' + i % 26);
	while (left > 0) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		if (tp_conn_write(sc->c, buf, n) < 0)
			return;
		left -= n;
		since += n;
		maybe_rekey(sc, &since);
	}
}

static void serve_one(struct serve_conn *sc)
{
	char buf[TP_RECORD_MAX], line[REVERSE_LINE_MAX];
	size_t have = 0;
	uint64_t total = 0, since = 0;
	struct sum64 sum;
	ssize_t n;

	sum64_init(&sum);
	if (sc->o->mode == MODE_SOURCE) {
		source_data(sc);
		tp_conn_shutdown_write(sc->c);
	}
	while ((n = tp_conn_read(sc->c, buf, sizeof(buf))) > 0) {
		total += (uint64_t)n;
		since += (uint64_t)n;
		switch (sc->o->mode) {
		case MODE_ECHO:
			reply_delay(sc->o);
			if (tp_conn_write(sc->c, buf, (size_t)n) < 0)
				n = -1;
			break;
		case MODE_REVERSE:
			reverse_lines(buf, (size_t)n, line, &have, sizeof(line),
				      sc->o, sc->c);
			break;
		case MODE_SINK:
			sum64_update(&sum, buf, (size_t)n);
			break;
		case MODE_SOURCE:
			break;
		}
		if (n < 0)
			break;
		maybe_rekey(sc, &since);
	}
	if (n < 0)
		say(sc, "error: %s", tp_conn_error(sc->c));
	if (sc->o->mode == MODE_SINK)
		say(sc, "received %llu bytes, checksum %016llx",
		    (unsigned long long)total,
		    (unsigned long long)sum64_final(&sum));
	tp_conn_shutdown_write(sc->c);
	say(sc, "closed after %llu bytes in", (unsigned long long)total);
}

/* Sends HelloRequest every --hello-request-interval seconds (TLS <= 1.2)
 * while the connection thread reads; the library lets any thread start a
 * renegotiation. */
static void *timer_thread(void *arg)
{
	struct serve_conn *sc = arg;
	struct timespec ts;
	struct tp_info in;

	pthread_mutex_lock(&sc->tm);
	for (;;) {
		ts = cli_mono_after_ms(sc->o->hello_request_secs * 1000L);
		while (!sc->timer_stop &&
		       pthread_cond_timedwait(&sc->tcv, &sc->tm, &ts) == 0)
			;
		if (sc->timer_stop)
			break;
		pthread_mutex_unlock(&sc->tm);
		if (tp_conn_info(sc->c, &in) == 0 && in.protocol != TP_TLS1_3 &&
		    ask_renegotiation(sc) < 0 &&
		    tp_conn_errcode(sc->c) != TP_ERR_REFUSED &&
		    tp_conn_errcode(sc->c) != TP_ERR_TIMEOUT) {
			say(sc, "renegotiation failed: %s",
			    tp_conn_error(sc->c));
			pthread_mutex_lock(&sc->tm);
			break;
		}
		pthread_mutex_lock(&sc->tm);
	}
	pthread_mutex_unlock(&sc->tm);
	return NULL;
}

static int start_timer(struct serve_conn *sc)
{
	cli_cond_init(&sc->tm, &sc->tcv);
	return pthread_create(&sc->timer, NULL, timer_thread, sc) == 0;
}

static void stop_timer(struct serve_conn *sc)
{
	pthread_mutex_lock(&sc->tm);
	sc->timer_stop = 1;
	pthread_cond_broadcast(&sc->tcv);
	pthread_mutex_unlock(&sc->tm);
	tp_conn_abort(sc->c); /* ends a renegotiation in progress */
	pthread_join(sc->timer, NULL);
	cli_cond_destroy(&sc->tm, &sc->tcv);
}

void *serve_conn_thread(void *arg)
{
	struct serve_conn *sc = arg;
	int timer = 0;

	if (sc->o->hello_request_secs > 0 && tp_conn_handshake(sc->c) == 0)
		timer = start_timer(sc);
	serve_one(sc);
	if (timer)
		stop_timer(sc);
	tp_conn_free(sc->c);
	free(sc);
	return NULL;
}
