/*
 * The transport under wolfSSL. The receive callback reads the non-blocking
 * socket (sock.c) through the renegotiation-policy filter (policy.c); the
 * send callback never refuses a byte: it appends to our own
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

#include "internal.h"

static int recv_cb(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tp_conn *c = arg;
	int n;

	(void)ssl;
	/* Before each record: what the last one changed (a KeyUpdate, an
	 * alert) is seen even when more records follow in the same read. */
	tp_conn_notice_key_update(c);
	tp_alerts_poll(c);
	if ((n = tp_policy_filter(c, buf, sz)) != 0)
		return n;
	n = tp_sock_recv(c, buf, (size_t)sz);
	if (n > 0)
		tp_trace_bytes(c, &c->trace_in, 0, (unsigned char *)buf,
			       (size_t)n);
	return n;
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
	size_t before = c->outq.len;

	while (c->outq.len > 0) {
		ssize_t n = send(c->fd, c->outq.data + c->outq.off, c->outq.len,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			tp_raw_push(c, 1, c->outq.data + c->outq.off,
				    (size_t)n);
			tp_buf_consume(&c->outq, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
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
	/* A writer asleep waiting for queue space may go on now. */
	if (c->outq.len < before)
		tp_wake_pollers(c, TP_SP_WRITE_WAIT);
	return 0;
}

/* Encrypts up to one record of application data into the queue. M held,
 * handshake DONE (invariant 4). Returns the bytes taken, or -1 with a
 * sticky error. */
int tp_io_encrypt(struct tp_conn *c, const void *p, size_t n)
{
	int ret = wolfSSL_write(c->ssl, p,
				(int)(n > TP_RECORD_MAX ? TP_RECORD_MAX : n));

	tp_alerts_poll(c);
	if (ret <= 0) {
		tp_conn_classify_wolf_error(c, ret, "write");
		return -1;
	}
	c->info.bytes_written += (uint64_t)ret;
	return ret;
}

/* poll() with M released (invariant 1), registered as a poller so that
 * tp_conn_wake reaches this thread. The pre-fix protocol of the 17101
 * tests keeps M while the reader waits for the peer, as Go's crypto/tls
 * did before the fix. */
static int poll_unlocked(struct tp_conn *c, struct pollfd *p, int np,
			 int timeout, enum tp_sched_point sp)
{
	struct tp_poller me = { .fd = p[np - 1].fd, .sp = sp };
	int n;

	if (tp_test_prefix_protocol && sp == TP_SP_READ_WAIT) {
		tp_hook(c, sp);
		return poll(p, (nfds_t)np, timeout);
	}
	tp_poller_add(c, &me);
	tp_conn_unlock(c);
	tp_hook(c, sp);
	n = poll(p, (nfds_t)np, timeout);
	TP_LOCK(c);
	tp_poller_remove(c, &me);
	return n;
}

/*
 * Waits until the socket has one of events (POLLIN for the peer, POLLOUT
 * for queue space), the deadline passes, another thread changes what the
 * caller waits for (tp_conn_wake), or the connection is aborted. Called
 * with M held; releases it around poll(), flushes the queue whenever the
 * socket is writable. Returns 0 when the caller should check again, -1
 * with a sticky error, 1 on timeout.
 */
int tp_io_wait(struct tp_conn *c, short events, int64_t deadline_ms,
	       enum tp_sched_point sp)
{
	struct pollfd p[3];
	int timeout = tp_ms_until(deadline_ms);
	int n;

	if (timeout == 0)
		return 1;
	p[0].fd = c->fd;
	p[0].events = events;
	if (c->outq.len > 0)
		p[0].events |= POLLOUT;
	p[1].fd = c->wake_fd;
	p[1].events = POLLIN;
	p[2].fd = tp_thread_poller_fd();
	p[2].events = POLLIN;
	for (int i = 0; i < 3; i++)
		p[i].revents = 0;
	if (p[2].fd < 0) {
		tp_conn_fail(c, TP_ERR_LOCAL,
			     "cannot wait for the connection: eventfd: %s",
			     strerror(errno));
		return -1;
	}
	n = poll_unlocked(c, p, 3, timeout, sp);
	if (n < 0 && errno != EINTR) {
		tp_conn_fail(c, TP_ERR_LOCAL, "poll: %s", strerror(errno));
		return -1;
	}
	if (atomic_load(&c->aborted) || (p[1].revents & POLLIN)) {
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
