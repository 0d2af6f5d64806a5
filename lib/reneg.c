/*
 * Renegotiation (TLS <= 1.2): ours (tp_conn_renegotiate, and a server's
 * HelloRequest, tp_conn_request_renegotiation) and the peer's, met by a
 * read. How a renegotiation ends (done, refused, ignored, abandoned at
 * close) is the handshake state machine's (handshake.c); which of the
 * peer's are accepted, the policy's (policy.c).
 */
#include <poll.h>

#include "internal.h"

#include <wolfssl/error-ssl.h>

/* A wolfSSL read met the peer's ClientHello or HelloRequest (err: its
 * WANT_READ or APP_DATA_READY): this thread owns the renegotiation. */
void tp_conn_begin_peer_reneg(struct tp_conn *c, int err)
{
	if (c->hello_request_pending)
		c->hello_request_pending = 0; /* the answer to ours */
	else
		c->peer_renegs_accepted++;
	tp_conn_hs_begin(c, TP_HS_RENEG_PEER);
	c->app_data_ready = err == APP_DATA_READY;
}

/* After a read: the client answered our HelloRequest with a warning
 * no_renegotiation (tp_conn_request_renegotiation cleared the last one,
 * so this is the answer). */
void tp_reneg_notice_refused(struct tp_conn *c)
{
	/* The flag, not wolfSSL's last alert: a close_notify in the same
	 * read would hide the refusal (as lighttpd does to a client). */
	if (!c->hello_request_pending || !c->peer_refused_reneg)
		return;
	c->hello_request_pending = 0;
	c->info.renegotiations_refused++;
	tp_event_push(c, TP_EV_RENEG_REFUSED, 0, 0, 0,
		      "refused by the peer (warning alert no_renegotiation)");
	tp_hold_flush(c);
}

static int check_can_renegotiate(struct tp_conn *c)
{
	if (c->read_eof || c->write_shut) {
		tp_conn_set_soft_error(c, TP_ERR_CLOSED,
				       "cannot renegotiate: the connection is "
				       "closing");
		return -1;
	}
	if (wolfSSL_version(c->ssl) == TLS1_3_VERSION) {
		tp_conn_set_soft_error(
			c, TP_ERR_USAGE,
			"TLS 1.3 has no renegotiation; use a KeyUpdate");
		return -1;
	}
	if (!c->scr_negotiated) {
		tp_conn_set_soft_error(c, TP_ERR_REFUSED,
				       "the peer does not support secure "
				       "renegotiation (RFC 5746)");
		return -1;
	}
	return 0;
}

/*
 * Before we start a renegotiation, wolfSSL's input must be at a record
 * boundary with no plaintext left inside it: a read shorter than a record
 * leaves the rest in wolfSSL, where the renegotiation's first record would
 * overwrite it, and a record whose header was read but not its body would
 * be misparsed (see wolf_peek.c). Moves such data to rxbuf for the reader.
 * M held, handshake DONE. Returns 0 when settled, 1 when a handshake
 * started meanwhile (the caller re-checks), -1 on error.
 */
static int settle_input(struct tp_conn *c)
{
	int64_t deadline = tp_deadline_in(c->cfg->handshake_ms);

	while (wolfSSL_pending(c->ssl) > 0 || tp_wolf_mid_record(c->ssl)) {
		unsigned char tmp[TP_RECORD_MAX];
		int n, err, w;

		if (c->failed)
			return -1;
		if (c->hs != TP_HS_DONE)
			return 1;
		tp_wolf_hs_save(c->ssl, &c->hs_snap);
		n = wolfSSL_read(c->ssl, tmp, sizeof(tmp));
		err = n > 0 ? 0 : wolfSSL_get_error(c->ssl, n);
		tp_alerts_poll(c);
		if (n > 0) {
			tp_timing_mark(&c->timing.first_byte);
			if (tp_buf_append(&c->rxbuf, tmp, (size_t)n) < 0) {
				tp_conn_fail(c, TP_ERR_IO, "out of memory");
				return -1;
			}
			tp_conn_wake(c); /* for a reader, wherever it waits */
			continue;
		}
		if (!wolfSSL_is_init_finished(c->ssl) &&
		    (err == WOLFSSL_ERROR_WANT_READ || err == APP_DATA_READY)) {
			/* The peer started one first; run it, then retry. */
			tp_conn_begin_peer_reneg(c, err);
			return tp_conn_drive_handshake(c) < 0 && c->failed ?
				       -1 :
				       1;
		}
		if (err == APP_DATA_READY)
			continue;
		if (err != WOLFSSL_ERROR_WANT_READ) {
			if (n == 0) {
				c->read_eof = 1;
				tp_conn_wake(c); /* a reader sees the end */
				tp_conn_set_soft_error(c, TP_ERR_CLOSED,
						       "cannot renegotiate: "
						       "the peer closed");
			} else
				tp_conn_classify_wolf_error(c, n, "read");
			return -1;
		}
		w = tp_io_wait(c, POLLIN, deadline, TP_SP_HS_WAIT);
		if (w == 1)
			tp_conn_set_soft_error(c, TP_ERR_TIMEOUT,
					       "renegotiation not started: "
					       "a record stays incomplete");
		if (w != 0)
			return -1;
	}
	return 0;
}

int tp_conn_renegotiate(struct tp_conn *c)
{
	int r, err;

	TP_ENTER(c);
	r = tp_conn_ensure_handshake(c, 0);
	if (r == 0)
		r = check_can_renegotiate(c);
	while (r == 0 && (r = settle_input(c)) == 1)
		r = tp_conn_ensure_handshake(c, 0);
	if (r == 0)
		r = check_can_renegotiate(c);
	if (r < 0) {
		tp_conn_unlock(c);
		return -1;
	}
	tp_conn_hs_begin(c, TP_HS_RENEG_LOCAL);
	tp_wolf_hs_save(c->ssl, &c->hs_snap);
	tp_wolf_clear_rx_alert(c->ssl);
	r = wolfSSL_Rehandshake(c->ssl);
	err = r == WOLFSSL_SUCCESS ? 0 : wolfSSL_get_error(c->ssl, r);
	if (err == 0 || err == WOLFSSL_ERROR_WANT_READ ||
	    err == APP_DATA_READY) {
		/* Rehandshake sent the ClientHello (or, on a server, the
		 * HelloRequest); drive the rest. */
		c->app_data_ready = err == APP_DATA_READY;
		r = tp_conn_drive_handshake(c);
	} else if (tp_conn_reneg_ended_by_close(c, err)) {
		r = -1;
	} else {
		tp_conn_classify_wolf_error(c, r, "renegotiation");
		tp_conn_hs_end(c, TP_HS_FAILED);
		r = -1;
	}
	tp_conn_unlock(c);
	return r;
}

int tp_conn_request_renegotiation(struct tp_conn *c)
{
	int r;

	TP_ENTER(c);
	r = tp_conn_ensure_handshake(c, 0);
	if (r == 0 && c->cfg->role != TP_SERVER) {
		tp_conn_set_soft_error(c, TP_ERR_USAGE,
				       "only a server sends HelloRequest");
		r = -1;
	}
	if (r == 0)
		r = check_can_renegotiate(c);
	if (r == 0 && c->hello_request_pending) {
		/* A client that is renegotiating must ignore a HelloRequest
		 * (RFC 5246, 7.4.1.1), but wolfSSL's fails the session. */
		tp_conn_unlock(c);
		return 1;
	}
	if (r == 0) {
		/* A refusal of an earlier request must not count for this
		 * one, nor a new one go unseen for being the same alert; and
		 * wolfSSL 5.5.4 ends a session after 5 warnings in all. */
		tp_wolf_clear_rx_alert(c->ssl);
		c->last_rx_alert = -1;
		c->peer_refused_reneg = 0;
		if (tp_wolf_send_hello_request(c->ssl) < 0) {
			tp_conn_set_soft_error(c, TP_ERR_USAGE,
					       "cannot send HelloRequest");
			r = -1;
		} else {
			c->hello_request_pending = 1;
			r = tp_io_flush(c);
		}
	}
	tp_conn_unlock(c);
	return r < 0 ? -1 : 0;
}
