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
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

/* A recv() that returned n <= 0, as a wolfSSL I/O error code. */
static int recv_error(struct tp_conn *c, ssize_t n)
{
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
			tp_raw_push(c, 0, scratch, (size_t)n);
			c->drop_left -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return recv_error(c, n);
	}
	return 0;
}

/*
 * Does the renegotiation policy judge the next record? In TLS <= 1.2,
 * once the handshake is done, a handshake record from the peer can only
 * start a renegotiation (a HelloRequest, or a ClientHello on a server).
 * Only at a record boundary; TLS 1.3 has no renegotiation, and TLS 1.0
 * chains CBC IVs across records, so a record cannot be skipped there.
 * After our close_notify, whatever the policy: nothing we send reaches
 * the wire any more, so a renegotiation could only wait for its timeout.
 */
static int policy_applies(struct tp_conn *c)
{
	int v;

	if (c->hs != TP_HS_DONE || c->trace_in.have != 0 ||
	    c->trace_in.body_left != 0 ||
	    (tp_conn_peer_reneg_allowed(c) && !c->close_notify_queued))
		return 0;
	v = wolfSSL_version(c->ssl);
	return v != TLS1_3_VERSION && v != TLS1_VERSION;
}

/* Reads the rest of the next record's header into pol_hdr. Returns 0
 * once it is whole, else a wolfSSL I/O error code. The bytes leave the
 * socket, so a header cut across TCP segments neither reaches wolfSSL
 * unjudged nor makes poll() report the same bytes again and again. */
static int gather_header(struct tp_conn *c)
{
	struct tp_policy_hdr *h = &c->pol_hdr;

	while (h->have < (int)sizeof(h->b)) {
		ssize_t n = recv(c->fd, h->b + h->have,
				 sizeof(h->b) - (size_t)h->have, 0);

		if (n > 0) {
			tp_raw_push(c, 0, h->b + h->have, (size_t)n);
			h->have += (int)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return recv_error(c, n);
	}
	return 0;
}

/* Hands wolfSSL the part of a judged header it has not had yet. */
static int give_header(struct tp_conn *c, char *buf, int sz)
{
	struct tp_policy_hdr *h = &c->pol_hdr;
	int n = h->have - h->given;

	if (n > sz)
		n = sz;
	memcpy(buf, h->b + h->given, (size_t)n);
	h->given += n;
	if (h->given == h->have)
		h->have = h->given = 0;
	tp_trace_bytes(c, &c->trace_in, 0, (unsigned char *)buf, (size_t)n);
	return n;
}

/* The policy says no to the renegotiation record whose header is in
 * pol_hdr: drop it. For "refuse" a warning no_renegotiation is sent once
 * the read returns, as OpenSSL does; wolfSSL alone would answer a
 * server-side refusal with a fatal alert and has no way to ignore.
 * Returns 0 when it is gone, else a wolfSSL I/O error code. */
static int drop_record(struct tp_conn *c)
{
	struct tp_policy_hdr *h = &c->pol_hdr;

	c->drop_left = (size_t)h->b[3] << 8 | h->b[4];
	h->have = 0;
	tp_wolf_skip_peer_record(c->ssl);
	if (c->close_notify_queued) {
		tp_event_push(c, TP_EV_RENEG_REFUSED, 0, 1, 0,
			      "ignored: after our close_notify");
	} else if (c->cfg->reneg_policy == TP_RENEG_IGNORE) {
		tp_event_push(c, TP_EV_RENEG_REFUSED, 0, 1, 0,
			      "policy: ignored");
	} else {
		c->refusal_pending = 1;
		tp_event_push(c, TP_EV_RENEG_REFUSED, 0, 1, 0,
			      "policy: refused");
	}
	return discard_pending(c);
}

/*
 * The renegotiation policy, applied to records before wolfSSL sees them.
 * Returns >0 bytes of a passed header put in buf, 0 when there is no
 * header to judge (read normally), else a wolfSSL I/O error code.
 */
static int apply_reneg_policy(struct tp_conn *c, char *buf, int sz)
{
	struct tp_policy_hdr *h = &c->pol_hdr;
	int r;

	for (;;) {
		/* Once gathering started, the header is finished and handed
		 * on whatever changed meanwhile: its bytes left the socket. */
		if (h->have == 0 && !policy_applies(c))
			return 0;
		if ((r = gather_header(c)) != 0)
			return r;
		if (h->given > 0 || h->b[0] != 22 || !policy_applies(c))
			return give_header(c, buf, sz);
		if ((r = drop_record(c)) != 0)
			return r;
	}
}

static int recv_cb(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tp_conn *c = arg;
	ssize_t n;
	int r;

	(void)ssl;
	/* Before each record: what the last one changed (a KeyUpdate, an
	 * alert) is seen even when more records follow in the same read. */
	tp_conn_notice_key_update(c);
	tp_alerts_poll(c);
	if ((r = discard_pending(c)) != 0 ||
	    (r = apply_reneg_policy(c, buf, sz)) != 0)
		return r;
	do
		n = recv(c->fd, buf, (size_t)sz, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		tp_raw_push(c, 0, buf, (size_t)n);
		tp_trace_bytes(c, &c->trace_in, 0, (unsigned char *)buf,
			       (size_t)n);
		return (int)n;
	}
	return recv_error(c, n);
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

static void wake_pollers(struct tp_conn *c, enum tp_sched_point sp);

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
		wake_pollers(c, TP_SP_WRITE_WAIT);
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

/* This thread's eventfd for tp_conn_wake: made on its first wait,
 * closed when the thread exits. -1 when none can be made. */
static pthread_key_t poller_fd_key;
static pthread_once_t poller_fd_once = PTHREAD_ONCE_INIT;

static void close_poller_fd(void *v)
{
	close((int)(intptr_t)v - 1);
}

static void make_poller_fd_key(void)
{
	if (pthread_key_create(&poller_fd_key, close_poller_fd) != 0)
		abort(); /* only with PTHREAD_KEYS_MAX keys in use */
}

static int thread_poller_fd(void)
{
	void *v;
	int fd;

	pthread_once(&poller_fd_once, make_poller_fd_key);
	v = pthread_getspecific(poller_fd_key);
	if (v != NULL)
		return (int)(intptr_t)v - 1;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd >= 0 &&
	    pthread_setspecific(poller_fd_key, (void *)(intptr_t)(fd + 1))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Makes the pollers waiting at sp (every one for TP_SP_COUNT) return
 * from poll(). M held. */
static void wake_pollers(struct tp_conn *c, enum tp_sched_point sp)
{
	uint64_t one = 1;

	for (struct tp_poller *w = c->pollers; w != NULL; w = w->next) {
		if (w->signalled || (sp != TP_SP_COUNT && w->sp != sp))
			continue;
		w->signalled = 1;
		if (write(w->fd, &one, sizeof(one)) < 0) {
			/* Cannot fail: the counter is drained after each
			 * wait, so it never nears its limit. */
		}
	}
}

/* What another thread waits for has changed (handshake state, plaintext
 * in rxbuf, end of stream, a sticky error): wake it wherever it waits,
 * on cv or in poll(). M held. */
void tp_conn_wake(struct tp_conn *c)
{
	pthread_cond_broadcast(&c->cv);
	wake_pollers(c, TP_SP_COUNT);
}

/* Takes M, and turns an abort requested without it (tp_conn_abort may
 * run in a signal handler) into the sticky error every waiter sees. */
void tp_conn_lock(struct tp_conn *c)
{
	pthread_mutex_lock(&c->m);
	if (atomic_load(&c->aborted) && !c->failed)
		tp_conn_fail(c, TP_ERR_CLOSED, "connection closed");
}

static void poller_add(struct tp_conn *c, struct tp_poller *me)
{
	me->next = c->pollers;
	c->pollers = me;
}

static void poller_remove(struct tp_conn *c, struct tp_poller *me)
{
	struct tp_poller **pp = &c->pollers;
	uint64_t count;

	while (*pp != me)
		pp = &(*pp)->next;
	*pp = me->next;
	if (me->signalled && read(me->fd, &count, sizeof(count)) < 0) {
		/* Already drained: nothing to do. */
	}
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
	poller_add(c, &me);
	tp_conn_unlock(c);
	tp_hook(c, sp);
	n = poll(p, (nfds_t)np, timeout);
	TP_LOCK(c);
	poller_remove(c, &me);
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
	int timeout = timeout_until(deadline_ms);
	int n;

	if (timeout == 0)
		return 1;
	p[0].fd = c->fd;
	p[0].events = events;
	if (c->outq.len > 0)
		p[0].events |= POLLOUT;
	p[1].fd = c->wake_fd;
	p[1].events = POLLIN;
	p[2].fd = thread_poller_fd();
	p[2].events = POLLIN;
	for (int i = 0; i < 3; i++)
		p[i].revents = 0;
	if (p[2].fd < 0) {
		tp_conn_fail(c, TP_ERR_IO, "eventfd: %s", strerror(errno));
		return -1;
	}
	n = poll_unlocked(c, p, 3, timeout, sp);
	if (n < 0 && errno != EINTR) {
		tp_conn_fail(c, TP_ERR_IO, "poll: %s", strerror(errno));
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
