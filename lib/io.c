/*
 * The transport under wolfSSL. The receive callback reads the non-blocking
 * socket; the send callback never refuses a byte: it appends to our own
 * queue (invariant 5), so wolfSSL never sees WANT_WRITE, whose retry path
 * in 5.5.4 duplicates or drops data when the read path also sends. We
 * flush the queue ourselves, and every thread that waits in poll() also
 * asks for POLLOUT while the queue is non-empty (invariant 7).
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

/* Bytes of a dropped record still to be read and thrown away. Returns 0
 * when none are left, else a wolfSSL I/O error code. */
static int discard_pending(struct tp_conn *c)
{
	unsigned char scratch[4096];

	while (c->drop_left > 0) {
		size_t want = c->drop_left < sizeof(scratch) ? c->drop_left :
							       sizeof(scratch);
		ssize_t n = recv(c->fd, scratch, want, 0);

		if (n > 0) {
			c->drop_left -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			c->saw_fin = 1;
			return WOLFSSL_CBIO_ERR_CONN_CLOSE;
		}
		return errno == EAGAIN || errno == EWOULDBLOCK ?
			       WOLFSSL_CBIO_ERR_WANT_READ :
			       WOLFSSL_CBIO_ERR_GENERAL;
	}
	return 0;
}

/*
 * The renegotiation policy, applied to records before wolfSSL sees them.
 * In TLS <= 1.2, once the handshake is done, a handshake record from the
 * peer can only start a renegotiation (a HelloRequest, or a ClientHello on
 * a server). When the policy says no, the record is dropped here; for
 * "refuse" a warning no_renegotiation is sent once the read returns, as
 * OpenSSL does. wolfSSL alone would answer a server-side refusal with a
 * fatal alert and has no way to ignore. Returns 0 to read normally, else
 * a wolfSSL I/O error code.
 */
static int apply_reneg_policy(struct tp_conn *c)
{
	unsigned char hdr[5];
	ssize_t n;

	int v = wolfSSL_version(c->ssl);

	/* TLS 1.3 has no renegotiation; TLS 1.0 chains CBC IVs across
	 * records, so a record cannot be skipped there. */
	if (c->hs != TP_HS_DONE || tp_conn_peer_reneg_allowed(c) ||
	    c->trace_in.have != 0 || c->trace_in.body_left != 0 ||
	    v == TLS1_3_VERSION || v == TLS1_VERSION)
		return 0;
	n = recv(c->fd, hdr, sizeof(hdr), MSG_PEEK);
	if (n < (ssize_t)sizeof(hdr) || hdr[0] != 22)
		return 0; /* a partial header is left to wolfSSL */
	if (recv(c->fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		return WOLFSSL_CBIO_ERR_GENERAL;
	c->drop_left = (size_t)hdr[3] << 8 | hdr[4];
	tp_wolf_skip_peer_record(c->ssl);
	if (c->cfg->reneg_policy == TP_RENEG_IGNORE) {
		tp_event_push(c, TP_EV_RENEG_REFUSED, 0, 0, 0,
			      "policy: ignored");
	} else {
		c->refusal_pending = 1;
		tp_event_push(c, TP_EV_RENEG_REFUSED, 0, 0, 0,
			      "policy: refused");
	}
	return discard_pending(c);
}

static int recv_cb(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tp_conn *c = arg;
	ssize_t n;
	int r;

	(void)ssl;
	tp_conn_notice_key_update(c);
	if ((r = discard_pending(c)) != 0 || (r = apply_reneg_policy(c)) != 0)
		return r;
	do
		n = recv(c->fd, buf, (size_t)sz, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		tp_trace_bytes(c, &c->trace_in, 0, (unsigned char *)buf,
			       (size_t)n);
		return (int)n;
	}
	if (n == 0) {
		c->saw_fin = 1;
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	if (errno == ECONNRESET) {
		c->saw_reset = 1;
		return WOLFSSL_CBIO_ERR_CONN_RST;
	}
	return WOLFSSL_CBIO_ERR_GENERAL;
}

static int send_cb(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tp_conn *c = arg;

	(void)ssl;
	/* Nothing follows our close_notify on the wire: a HelloRequest that
	 * crossed it would otherwise be answered after it. */
	if (c->close_notify_queued)
		return sz;
	if (tp_buf_append(&c->outq, buf, (size_t)sz) < 0)
		return WOLFSSL_CBIO_ERR_GENERAL;
	tp_trace_bytes(c, &c->trace_out, 1, (unsigned char *)buf, (size_t)sz);
	return sz;
}

void tp_io_install(struct tp_conn *c)
{
	wolfSSL_SSLSetIORecv(c->ssl, recv_cb);
	wolfSSL_SSLSetIOSend(c->ssl, send_cb);
	wolfSSL_SetIOReadCtx(c->ssl, c);
	wolfSSL_SetIOWriteCtx(c->ssl, c);
}

/* Sends what the socket takes now. M held. Returns -1 on a socket error
 * (made sticky), else 0. */
int tp_io_flush(struct tp_conn *c)
{
	while (c->outq.len > 0) {
		ssize_t n = send(c->fd, c->outq.data + c->outq.off, c->outq.len,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			tp_buf_consume(&c->outq, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
			/* The peer is gone: say so, as a read would. */
			c->saw_reset = 1;
			tp_conn_fail(c,
				     c->hs == TP_HS_RUNNING &&
						     c->hs_kind ==
							     TP_HS_INITIAL ?
					     TP_ERR_HANDSHAKE :
					     TP_ERR_IO,
				     "connection reset by peer%s",
				     c->hs == TP_HS_RUNNING ?
					     " during the handshake" :
					     "");
			return -1;
		}
		tp_conn_fail(c, TP_ERR_IO, "send: %s",
			     n < 0 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

static int timeout_until(int64_t deadline_ms)
{
	int64_t left;

	if (deadline_ms <= 0)
		return -1;
	left = deadline_ms - tp_now_ms();
	if (left < 0)
		return 0;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

/*
 * Waits until the socket has one of events (POLLIN for the peer, POLLOUT
 * for queue space), the deadline passes, or the connection is aborted.
 * Called with M held; releases it around poll() (invariant 1), flushes the
 * queue whenever the socket is writable. Returns 0 when the caller should
 * retry, -1 with a sticky error, 1 on timeout.
 */
int tp_io_wait(struct tp_conn *c, short events, int64_t deadline_ms,
	       enum tp_sched_point sp)
{
	struct pollfd p[2];
	int timeout = timeout_until(deadline_ms);
	int n;

	if (timeout == 0)
		return 1;
	p[0].fd = c->fd;
	p[0].events = events;
	if (c->outq.len > 0)
		p[0].events |= POLLOUT;
	p[0].revents = 0;
	p[1].fd = c->wake_fd;
	p[1].events = POLLIN;
	p[1].revents = 0;

	if (tp_test_prefix_protocol && sp == TP_SP_READ_WAIT) {
		/* The pre-fix protocol: the reader waits for the peer with the
		 * lock held, like Go's crypto/tls before the 17101 fix. */
		tp_hook(c, sp);
		n = poll(p, 2, timeout);
	} else {
		tp_conn_unlock(c);
		tp_hook(c, sp);
		n = poll(p, 2, timeout);
		TP_LOCK(c);
	}
	if (n < 0 && errno != EINTR) {
		tp_conn_fail(c, TP_ERR_IO, "poll: %s", strerror(errno));
		return -1;
	}
	if (c->aborted || (p[1].revents & POLLIN)) {
		if (!c->failed)
			tp_conn_fail(c, TP_ERR_CLOSED, "connection closed");
		return -1;
	}
	if (p[0].revents & (POLLOUT | POLLERR | POLLHUP))
		if (tp_io_flush(c) < 0)
			return -1;
	if (n == 0)
		return 1;
	return 0;
}
