/*
 * A server's writes while its HelloRequest is unanswered. RFC 5246 lets
 * it go on sending, but clients such as gnutls-cli ("Application data
 * were received, while expecting handshake data") and openssl s_client
 * in a duplex flow fail on application data that reaches them inside the
 * renegotiation they start. Stopping to read is no way out: the client's
 * ClientHello is behind whatever it writes meanwhile. So writes are kept
 * here, and sent when the renegotiation ends (tp_conn_hs_end) or is
 * refused; past the bounds of the config (bytes kept, milliseconds since
 * the first), they go out anyway, which tlsprobe's own client takes in
 * stride. Everything here runs under M.
 */
#include <string.h>

#include "internal.h"

/* Keeps buf when the rules say so. Returns 1 when kept, 0 when the caller
 * is to write it now (anything kept before has been sent), -1 on error. */
int tp_hold_write(struct tp_conn *c, const void *buf, size_t len)
{
	int64_t now = tp_now_ms();

	if (c->hello_request_pending && c->hs == TP_HS_DONE &&
	    c->held.len + len <= c->cfg->hold_max &&
	    (c->held.len == 0 || now < c->hold_deadline_ms)) {
		if (c->held.len == 0)
			c->hold_deadline_ms = now + c->cfg->hold_ms;
		if (tp_buf_append(&c->held, buf, len) < 0) {
			tp_conn_fail(c, TP_ERR_IO, "out of memory");
			return -1;
		}
		return 1;
	}
	/* During a handshake the caller waits for its end, which sends what
	 * is kept (invariant 4: nothing is encrypted meanwhile). */
	if (c->hs != TP_HS_DONE)
		return 0;
	return tp_hold_flush(c) < 0 ? -1 : 0;
}

/* Sends what was kept. The handshake must be DONE. */
int tp_hold_flush(struct tp_conn *c)
{
	while (c->held.len > 0 && !c->failed) {
		int ret = tp_io_encrypt(c, c->held.data + c->held.off,
					c->held.len);

		if (ret < 0)
			return -1;
		tp_buf_consume(&c->held, (size_t)ret);
	}
	if (c->held.len == 0 && c->held.cap > (1u << 20))
		tp_buf_free(&c->held); /* rare and possibly large: give back */
	return c->failed ? -1 : tp_io_flush(c);
}

/* When a reader waiting for the peer must wake to send what is kept
 * (0: nothing kept). */
int64_t tp_hold_deadline(const struct tp_conn *c)
{
	return c->held.len > 0 ? c->hold_deadline_ms : 0;
}
