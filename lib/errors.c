/*
 * The connection's error: sticky errors that end it (the first wins and
 * wakes every waiter, invariant 8), soft ones kept for the thread whose
 * call met them while the session goes on, the category and one-line
 * reason of a failed wolfSSL call, and the lock that turns an abort into
 * the sticky error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

#include <wolfssl/error-ssl.h>

/*
 * A soft error belongs to the call that met it, so it is kept per thread:
 * between a thread's failed call and its question, another thread's
 * failed call or the abort that ends the session (the CLI's main thread,
 * while its input thread learns that :reneg was refused) must not replace
 * the answer. Keyed by connection and serial, so that a new connection at
 * a freed one's address is not mistaken for it. Cleared when the thread
 * enters its next call on that connection (tp_conn_enter).
 */
static __thread struct {
	const struct tp_conn *c;
	uint64_t serial;
	enum tp_errcode code;
	char msg[TP_ERR_MAX];
} mine;

static int mine_is(const struct tp_conn *c)
{
	return mine.c == c && mine.serial == c->serial &&
	       mine.code != TP_ERR_NONE;
}

static void forget_mine(const struct tp_conn *c)
{
	if (mine.c == c)
		mine.c = NULL;
}

/* Sticky: the first error wins, and every waiter is woken to see it
 * (invariant 8). */
static void fail_sticky(struct tp_conn *c, enum tp_errcode code,
			const char *msg)
{
	c->failed = 1;
	c->errcode = code;
	snprintf(c->err, sizeof(c->err), "%s", msg);
	tp_conn_wake(c);
}

/* The calling thread's call fails for good: its report is the sticky
 * error, whatever soft one it met on the way. */
void tp_conn_fail(struct tp_conn *c, enum tp_errcode code, const char *fmt, ...)
{
	char msg[TP_ERR_MAX];
	va_list ap;

	if (c->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	forget_mine(c);
	fail_sticky(c, code, msg);
}

/* An error reported to the calling thread only; the session goes on. */
void tp_conn_set_soft_error(struct tp_conn *c, enum tp_errcode code,
			    const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	mine.c = c;
	mine.serial = c->serial;
	mine.code = code;
	va_start(ap, fmt);
	vsnprintf(mine.msg, sizeof(mine.msg), fmt, ap);
	va_end(ap);
}

static const char *wolf_reason(int err, char *buf, size_t len)
{
	wolfSSL_ERR_error_string_n((unsigned long)err, buf, len);
	return buf;
}

/*
 * The peer wrote text where a TLS record belongs: a server that gave up on
 * TLS and said so in plaintext before closing (Exim's "421 ... lost input
 * connection" after a renegotiation it does not allow), or an HTTP server
 * ("HTTP/1.1 400", whose "length" bytes "/1" exceed a record's: wolfSSL
 * says LENGTH_ERROR). Returns 1 with the first line, escaped (tp_escape),
 * in out.
 */
static int peer_plaintext(struct tp_conn *c, int err, char *out, size_t len)
{
	const struct tp_rec_tracer *t = &c->trace_in;
	unsigned char text[sizeof(t->start) + 80];
	size_t n = t->start_len, line;
	ssize_t more;

	if ((err != UNKNOWN_RECORD_TYPE && err != VERSION_ERROR &&
	     err != LENGTH_ERROR) ||
	    n < 5)
		return 0;
	for (size_t i = 0; i < 5; i++)
		if (t->start[i] < 0x20 || t->start[i] > 0x7e)
			return 0;
	memcpy(text, t->start, n);
	/* wolfSSL read only the "header": the rest of the line is unread. */
	more = recv(c->fd, text + n, sizeof(text) - n, MSG_PEEK | MSG_DONTWAIT);
	if (more > 0)
		n += (size_t)more;
	for (line = 0; line < n && text[line] != '\r' && text[line] != '\n';
	     line++)
		;
	tp_escape(out, len, text, line, 0);
	return 1;
}

/* Turns a failed wolfSSL call into a sticky error with a category. */
void tp_conn_classify_wolf_error(struct tp_conn *c, int ret, const char *what)
{
	int err = wolfSSL_get_error(c->ssl, ret);
	WOLFSSL_ALERT_HISTORY h;
	char reason[80], text[100];

	if (c->failed)
		return;
	tp_alerts_poll(c);
	memset(&h, 0, sizeof(h));
	wolfSSL_get_alert_history(c->ssl, &h);
	if (c->verify_failures > 0 && !c->cfg->insecure &&
	    c->hs_kind == TP_HS_INITIAL && c->hs == TP_HS_RUNNING) {
		tp_conn_fail(c, TP_ERR_VERIFY,
			     "certificate verification failed: %s",
			     c->first_verify_error);
		return;
	}
	if (c->saw_reset || c->saw_fin || err == WOLFSSL_ERROR_ZERO_RETURN) {
		tp_conn_fail(
			c,
			c->hs == TP_HS_RUNNING ? TP_ERR_HANDSHAKE : TP_ERR_IO,
			"%s: connection %s by peer%s", what,
			c->saw_reset ? "reset" : "closed",
			c->hs == TP_HS_RUNNING ? " during the handshake" : "");
		return;
	}
	if (h.last_rx.level == 2 && h.last_rx.code >= 0 &&
	    c->last_rx_level == 2) {
		tp_conn_fail(c,
			     c->hs == TP_HS_RUNNING ? TP_ERR_HANDSHAKE :
						      TP_ERR_ALERT,
			     "%s: peer sent fatal alert %s (%d)", what,
			     tp_alert_name(h.last_rx.code), h.last_rx.code);
		return;
	}
	if (peer_plaintext(c, err, text, sizeof(text))) {
		c->saw_plaintext = 1;
		tp_conn_fail(c,
			     c->hs == TP_HS_RUNNING ? TP_ERR_HANDSHAKE :
						      TP_ERR_IO,
			     "%s: the peer answered in plaintext, not TLS%s: "
			     "\"%s\"",
			     what,
			     strncmp(text, "HTTP/", 5) == 0 ?
				     " (it looks like HTTP)" :
				     "",
			     text);
		return;
	}
	tp_conn_fail(c, c->hs == TP_HS_RUNNING ? TP_ERR_HANDSHAKE : TP_ERR_IO,
		     "%s: %s (%d)", what,
		     wolf_reason(err, reason, sizeof(reason)), err);
}

/* Takes M, and turns an abort requested without it (tp_conn_abort may
 * run in a signal handler) into the sticky error every waiter sees. */
void tp_conn_lock(struct tp_conn *c)
{
	pthread_mutex_lock(&c->m);
	/* Not this thread's call failing: a soft error it holds stays. */
	if (atomic_load(&c->aborted) && !c->failed)
		fail_sticky(c, TP_ERR_CLOSED, "connection closed");
}

/* A public call that can fail: its reason replaces the last one's. */
void tp_conn_enter(struct tp_conn *c)
{
	forget_mine(c);
	tp_conn_lock(c);
}

/* The calling thread's own soft error first, else the sticky one. */
const char *tp_conn_error(struct tp_conn *c)
{
	/* A copy per thread: another thread may fail the connection while
	 * the caller reads it. */
	static __thread char copy[TP_ERR_MAX];
	const char *e = NULL;

	TP_LOCK(c);
	if (mine_is(c)) {
		memcpy(copy, mine.msg, sizeof(copy));
		e = copy;
	} else if (c->failed) {
		memcpy(copy, c->err, sizeof(copy));
		e = copy;
	}
	pthread_mutex_unlock(&c->m);
	return e;
}

enum tp_errcode tp_conn_errcode(struct tp_conn *c)
{
	enum tp_errcode e = TP_ERR_NONE;

	TP_LOCK(c);
	if (mine_is(c))
		e = mine.code;
	else if (c->failed)
		e = c->errcode;
	pthread_mutex_unlock(&c->m);
	return e;
}
