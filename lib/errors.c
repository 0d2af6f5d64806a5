/*
 * The connection's error: sticky errors that end it (the first wins and
 * wakes every waiter, invariant 8), soft ones reported to one caller
 * while the session goes on, the category and one-line reason of a
 * failed wolfSSL call, and the lock that turns an abort into the sticky
 * error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

#include <wolfssl/error-ssl.h>

static void set_error(struct tp_conn *c, enum tp_errcode code, const char *fmt,
		      va_list ap) __attribute__((format(printf, 3, 0)));

static void set_error(struct tp_conn *c, enum tp_errcode code, const char *fmt,
		      va_list ap)
{
	c->errcode = code;
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
}

/* Sticky: the first error wins, and every waiter is woken to see it
 * (invariant 8). */
void tp_conn_fail(struct tp_conn *c, enum tp_errcode code, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = 1;
	va_start(ap, fmt);
	set_error(c, code, fmt, ap);
	va_end(ap);
	tp_conn_wake(c);
}

/* An error reported to one caller only; the session goes on. */
void tp_conn_set_soft_error(struct tp_conn *c, enum tp_errcode code,
			    const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	va_start(ap, fmt);
	set_error(c, code, fmt, ap);
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
	if (atomic_load(&c->aborted) && !c->failed)
		tp_conn_fail(c, TP_ERR_CLOSED, "connection closed");
}

const char *tp_conn_error(struct tp_conn *c)
{
	/* A copy per thread: another thread may set a new error meanwhile. */
	static __thread char copy[sizeof(c->err)];
	const char *e = NULL;

	TP_LOCK(c);
	if (c->err[0]) {
		memcpy(copy, c->err, sizeof(copy));
		e = copy;
	}
	pthread_mutex_unlock(&c->m);
	return e;
}

enum tp_errcode tp_conn_errcode(struct tp_conn *c)
{
	enum tp_errcode e;

	TP_LOCK(c);
	e = c->errcode;
	pthread_mutex_unlock(&c->m);
	return e;
}
