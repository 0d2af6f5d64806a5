/*
 * The handshake state machine of DESIGN 3.2: NONE -> RUNNING(owner) ->
 * DONE | FAILED, and back to RUNNING for a renegotiation. A thread commits
 * to driving the handshake by setting RUNNING under M; every other thread
 * waits on cv (the handshakeCond of the Go 17101 fix) instead of competing
 * for the connection. The owner waits only for the peer, in poll() with M
 * released, so no cycle of waits can form.
 */
#include <assert.h>
#include <poll.h>
#include <string.h>

#include "internal.h"

#include <wolfssl/error-ssl.h>

/* Plaintext kept while a handshake runs must stay bounded. */
#define TP_RXBUF_MAX (256u << 20) /* above loopback TCP buffers (36 MiB) */

int tp_conn_hs_begin(struct tp_conn *c, enum tp_hs_kind kind)
{
	assert(c->hs != TP_HS_RUNNING);
	c->hs = TP_HS_RUNNING;
	c->hs_kind = kind;
	c->owner = pthread_self();
	c->hs_deadline_ms = tp_deadline_in(c->cfg->handshake_ms);
	c->peer_refused_reneg = 0;
	if (kind == TP_HS_INITIAL) {
		tp_timing_mark(&c->timing.handshake_start);
		tp_event_push(c, TP_EV_HANDSHAKE_START, 0, 0, 0, NULL);
	} else
		tp_event_push(c, TP_EV_RENEG_REQUESTED, 0, 0, 0,
			      kind == TP_HS_RENEG_LOCAL ? "local" : "peer");
	return 0;
}

/* Every move out of RUNNING broadcasts before M is released
 * (invariant 3). */
void tp_conn_hs_end(struct tp_conn *c, enum tp_hs_state to)
{
	assert(c->hs == TP_HS_RUNNING);
	assert(pthread_equal(c->owner, pthread_self()));
	c->hs = to;
	c->hs_paused = 0;
	tp_conn_wake(c);
	/* Writes kept while our HelloRequest was open go out now. */
	if (to == TP_HS_DONE)
		tp_hold_flush(c);
}

/* Is the running handshake driven by another thread? A paused one (its
 * owner left to hand data to its caller) is driven by nobody: any thread
 * that needs it takes it over, so a reader that does not come back soon
 * never holds up the others (the 17101 pattern). */
static int driven_elsewhere(struct tp_conn *c)
{
	return c->hs == TP_HS_RUNNING && !c->hs_paused &&
	       !pthread_equal(c->owner, pthread_self());
}

/*
 * Waits while another thread drives a handshake. M held. Returns 0 when no
 * other thread drives one any more, 1 when stop_on_data and plaintext is
 * waiting in rxbuf, -1 on a sticky error. Woken by tp_conn_wake: the
 * owner's tp_conn_hs_end or pause, a stash of plaintext, tp_conn_fail.
 */
static int wait_for_owner(struct tp_conn *c, int stop_on_data)
{
	while (driven_elsewhere(c)) {
		if (stop_on_data && c->rxbuf.len > 0)
			return 1;
		if (c->failed)
			return -1;
#ifdef TP_TEST_HOOKS
		tp_conn_unlock(c);
		tp_hook(c, TP_SP_CV_WAIT);
		TP_LOCK(c);
		if (!driven_elsewhere(c) || c->failed ||
		    (stop_on_data && c->rxbuf.len > 0))
			continue;
#endif
		pthread_cond_wait(&c->cv, &c->m);
	}
	return c->failed ? -1 : 0;
}

static int drive(struct tp_conn *c, int deliver);

/*
 * Makes sure a handshake is complete: runs it when nobody does, waits when
 * another thread does. M held. Returns 0 when DONE, 1 (only with
 * stop_on_data) when plaintext is ready, -1 on error.
 */
int tp_conn_ensure_handshake(struct tp_conn *c, int stop_on_data)
{
	for (;;) {
		int r;

		if (c->failed)
			return -1;
		switch (c->hs) {
		case TP_HS_DONE:
			return 0;
		case TP_HS_FAILED:
			return -1;
		case TP_HS_NONE:
			tp_conn_hs_begin(c, TP_HS_INITIAL);
			tp_conn_unlock(c);
			tp_hook(c, TP_SP_HS_OWNER);
			TP_LOCK(c);
			r = drive(c, stop_on_data);
			return r < 0 ? -1 : r;
		case TP_HS_RUNNING:
			if (!driven_elsewhere(c)) {
				/* Ours, or paused and now taken over. */
				c->owner = pthread_self();
				r = drive(c, stop_on_data);
				return r < 0 ? -1 : r;
			}
			r = wait_for_owner(c, stop_on_data);
			if (r != 0)
				return r;
			break;
		}
	}
}

/* Application data that arrived in the middle of a handshake: wolfSSL
 * hands it out through wolfSSL_read only, so keep it, in order, for the
 * next tp_conn_read. Also used for plaintext wolfSSL still holds when a
 * renegotiation of ours starts. */
int tp_conn_stash_app_data(struct tp_conn *c)
{
	unsigned char tmp[TP_RECORD_MAX];
	int n = wolfSSL_read(c->ssl, tmp, sizeof(tmp));

	if (n <= 0)
		return 0;
	tp_timing_mark(&c->timing.first_byte);
	if (c->rxbuf.len + (size_t)n > TP_RXBUF_MAX ||
	    tp_buf_append(&c->rxbuf, tmp, (size_t)n) < 0) {
		tp_conn_fail(c, TP_ERR_IO,
			     "too much application data during a handshake");
		return -1;
	}
	tp_conn_wake(c); /* a waiting reader may take it */
	return 0;
}

/* The peer answered our renegotiation with a warning no_renegotiation
 * alert: wolfSSL 5.5.4 never ends such a handshake, so we do. */
static int local_reneg_refused(struct tp_conn *c)
{
	return c->hs_kind == TP_HS_RENEG_LOCAL && c->peer_refused_reneg;
}

static void finish_local_reneg_unsuccessful(struct tp_conn *c,
					    enum tp_errcode code,
					    const char *why)
{
	tp_wolf_hs_restore(c->ssl, &c->hs_snap);
	tp_wolf_clear_rx_alert(c->ssl);
	c->last_rx_alert = -1;
	c->info.renegotiations_refused++;
	tp_conn_set_soft_error(c, code, "renegotiation %s", why);
	tp_event_push(c, TP_EV_RENEG_REFUSED, 0, 0, 0, why);
	tp_conn_hs_end(c, TP_HS_DONE);
}

/*
 * The peer sent close_notify while a renegotiation was under way (it
 * finished writing before it saw our HelloRequest or ClientHello). Its
 * data so far is in rxbuf; our side may still write. Put the session back
 * as it was and report the end of the stream once rxbuf is read.
 */
static void abandon_reneg_at_close(struct tp_conn *c)
{
	const char *how = c->saw_fin && c->last_rx_alert != 0 ?
				  "the peer closed the connection" :
				  "the peer sent close_notify";

	/* A close_notify that is the stream's last record is never noted
	 * before a next one (notice.c): note it here, so that the close
	 * reason says what the message says (lighttpd: a refusal, then
	 * close_notify during the next attempt). */
	if (!c->saw_fin || c->last_rx_alert == 0) {
		c->last_rx_alert = 0;
		c->last_rx_level = 1;
	}
	tp_wolf_hs_restore(c->ssl, &c->hs_snap);
	c->read_eof = 1;
	if (local_reneg_refused(c)) {
		/* Refused, then closed (lighttpd sends both at once). */
		c->info.renegotiations_refused++;
		tp_conn_set_soft_error(c, TP_ERR_REFUSED,
				       "renegotiation refused by the peer "
				       "(warning alert no_renegotiation), "
				       "then %s",
				       how);
		tp_event_push(c, TP_EV_RENEG_REFUSED, 0, 0, 0,
			      "warning alert no_renegotiation, then close");
		tp_conn_hs_end(c, TP_HS_DONE);
		return;
	}
	tp_conn_set_soft_error(c, TP_ERR_CLOSED, "renegotiation abandoned: %s",
			       how);
	tp_event_push(c, TP_EV_RENEG_REFUSED, 0, 0, 0, how);
	tp_conn_hs_end(c, TP_HS_DONE);
}

/* During a renegotiation, the end of the peer's stream (close_notify, or
 * a FIN without it) ends the renegotiation, not the session: what the peer
 * sent before is delivered, and our side may still write. */
int tp_conn_reneg_ended_by_close(struct tp_conn *c, int err)
{
	if (c->hs_kind == TP_HS_INITIAL || c->saw_reset ||
	    (err != WOLFSSL_ERROR_ZERO_RETURN && !c->saw_fin))
		return 0;
	abandon_reneg_at_close(c);
	return 1;
}

static void finish_handshake(struct tp_conn *c)
{
	int kind = c->hs_kind;

	tp_info_capture(c);
	tp_keylog_tls12(c);
	tp_wolf_decrypt_key(c->ssl, c->dec_key_snap);
	tp_wolf_encrypt_key(c->ssl, c->enc_key_snap);
	if (kind == TP_HS_INITIAL) {
		tp_timing_mark(&c->timing.handshake_done);
		tp_event_push(c, TP_EV_HANDSHAKE_DONE, 0, 0, 0, NULL);
	} else
		tp_event_push(c, TP_EV_RENEG_DONE, 0, 0, 0,
			      kind == TP_HS_RENEG_LOCAL ? "local" : "peer");
	tp_conn_hs_end(c, TP_HS_DONE);
}

static int wait_for_peer(struct tp_conn *c)
{
	int r = tp_io_wait(c, POLLIN, c->hs_deadline_ms, TP_SP_HS_WAIT);

	if (r == 1) {
		if (c->hs_kind == TP_HS_RENEG_LOCAL) {
			finish_local_reneg_unsuccessful(
				c, TP_ERR_TIMEOUT,
				"ignored by the peer (timeout)");
			return 1;
		}
		tp_conn_fail(c, TP_ERR_TIMEOUT,
			     "handshake timed out after %d ms",
			     c->cfg->handshake_ms);
		return -1;
	}
	return r;
}

/*
 * Drives the handshake this thread owns to its end. M held. Returns 0 when
 * it completed, -1 otherwise (sticky error, or a soft one when the peer
 * refused or ignored our renegotiation and the session goes on).
 */
int tp_conn_drive_handshake(struct tp_conn *c)
{
	return drive(c, 0);
}

/*
 * The same; with deliver (a reader drives), application data met on the
 * way is handed to the reader at once: returns 1 with it in rxbuf, the
 * handshake still RUNNING but paused: the reader resumes it in its next
 * call, or another thread that needs it first takes it over. Stashing all
 * of it until the end instead, a peer that echoes what it receives would
 * fill rxbuf with everything in flight (megabytes on loopback). Time spent
 * outside does not count against the peer: the deadline restarts on
 * resuming.
 */
static int drive(struct tp_conn *c, int deliver)
{
	if (c->hs_paused) {
		c->hs_paused = 0;
		c->hs_deadline_ms = tp_deadline_in(c->cfg->handshake_ms);
	}
	for (;;) {
		int ret, err, r;

		if (c->failed) {
			tp_conn_hs_end(c, TP_HS_FAILED);
			return -1;
		}
		if (c->app_data_ready) {
			c->app_data_ready = 0;
			if (tp_conn_stash_app_data(c) < 0) {
				tp_conn_hs_end(c, TP_HS_FAILED);
				return -1;
			}
		}
		if (deliver && c->rxbuf.len > 0) {
			/* Threads waiting for this handshake take it over. */
			c->hs_paused = 1;
			tp_conn_wake(c);
			return 1;
		}
		ret = wolfSSL_negotiate(c->ssl);
		tp_alerts_poll(c);
		if (tp_io_flush(c) < 0) {
			tp_conn_hs_end(c, TP_HS_FAILED);
			return -1;
		}
		if (ret == WOLFSSL_SUCCESS) {
			finish_handshake(c);
			return 0;
		}
		err = wolfSSL_get_error(c->ssl, ret);
		if (err == APP_DATA_READY) {
			if (tp_conn_stash_app_data(c) < 0) {
				tp_conn_hs_end(c, TP_HS_FAILED);
				return -1;
			}
			continue;
		}
		if (tp_conn_reneg_ended_by_close(c, err))
			return -1;
		if (err != WOLFSSL_ERROR_WANT_READ) {
			tp_conn_classify_wolf_error(c, ret, "handshake");
			tp_conn_hs_end(c, TP_HS_FAILED);
			return -1;
		}
		if (local_reneg_refused(c)) {
			finish_local_reneg_unsuccessful(
				c, TP_ERR_REFUSED,
				"refused by the peer (warning alert "
				"no_renegotiation)");
			return -1;
		}
		r = wait_for_peer(c);
		if (r == 1)
			return -1;
		if (r < 0) {
			tp_conn_hs_end(c, TP_HS_FAILED);
			return -1;
		}
	}
}
