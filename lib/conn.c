/*
 * Connection objects: creation, read, write, key update, shutdown, abort
 * and the state accessors. Every function takes M for bounded work only
 * and waits in poll() or on cv with M released; see handshake.c for the
 * state machine, reneg.c for renegotiation and io.c for the transport.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

#include <wolfssl/error-ssl.h>

static int ticket_cb(WOLFSSL *ssl, const unsigned char *ticket, int len,
		     void *arg)
{
	struct tp_conn *c = arg;

	(void)ssl;
	(void)ticket;
	c->info.ticket_received = 1;
	c->info.tickets_received++;
	tp_event_push(c, TP_EV_TICKET, 0, c->info.tickets_received, (size_t)len,
		      NULL);
	return 0;
}

/* One event per handshake message in buf (type, 24-bit length, body). */
static void push_handshake_msgs(struct tp_conn *c, int sent,
				const unsigned char *p, size_t len)
{
	while (len >= 4) {
		size_t body = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];

		tp_event_push(c, TP_EV_HANDSHAKE_MSG, sent, p[0], body,
			      tp_handshake_name(p[0]));
		if (body > len - 4)
			break; /* a fragment: its message was named */
		p += 4 + body;
		len -= 4 + body;
	}
}

/* With cmake/patches/0005, wolfSSL reports every handshake message in
 * plaintext, once, each way (decrypted ones too), so the types named here
 * are the messages' own and never an encrypted record's first byte. */
static void msg_cb(int write_p, int version, int content_type, const void *buf,
		   size_t len, WOLFSSL *ssl, void *arg)
{
	const unsigned char *p = buf;

	(void)version;
	(void)ssl;
	if (content_type != 22)
		return;
	/* Messages sent before encryption come with their record header. */
	if (len > 5 && p[0] == 22 && p[1] == 3 &&
	    ((size_t)p[3] << 8 | p[4]) == len - 5) {
		p += 5;
		len -= 5;
	}
	tp_peer_note_msg(arg, write_p != 0, p, len);
	push_handshake_msgs(arg, write_p != 0, p, len);
}

/* Connection serials, so that a thread's error is never matched to a new
 * connection at a freed one's address (errors.c). */
static atomic_uint_fast64_t serials;

struct tp_conn *tp_conn_new(struct tp_config *cfg)
{
	struct tp_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->cfg = cfg;
	c->serial = atomic_fetch_add(&serials, 1) + 1;
	c->fd = -1;
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0) {
		int e = errno; /* EMFILE, ENFILE, ENOMEM */

		free(c);
		errno = e;
		return NULL;
	}
	pthread_mutex_init(&c->m, NULL);
	pthread_cond_init(&c->cv, NULL);
	errno = 0; /* what wolfSSL_new leaves, if it fails */
	c->last_rx_alert = c->last_tx_alert = -1;
	c->last_rx_level = c->last_tx_level = -1;
	tp_config_load_default_trust(cfg);
	c->ssl = wolfSSL_new(cfg->ctx);
	if (c->ssl == NULL) {
		/* Memory, or a descriptor for its random source: not the
		 * caller's usage, and nothing a connection could go on with. */
		int e = errno != 0 ? errno : ENOMEM;

		tp_conn_free(c);
		errno = e;
		return NULL;
	}
	tp_io_install(c);
	wolfSSL_SetCertCbCtx(c->ssl, c);
	wolfSSL_set_ex_data(c->ssl, TP_SSL_EX_CONN, c); /* ocsp.c */
	tp_revocation_reset(c);
	if (cfg->keylog_path != NULL)
		wolfSSL_KeepArrays(c->ssl); /* for tp_keylog_tls12 */
	/* Also without an event callback: tp_conn_peer_certs reads the
	 * server's CertificateRequest from it. */
	wolfSSL_set_msg_callback(c->ssl, msg_cb);
	wolfSSL_set_msg_callback_arg(c->ssl, c);
	if (cfg->role == TP_CLIENT) {
		wolfSSL_UseSecureRenegotiation(c->ssl);
		/* TLS 1.3 servers ask for a client certificate after the
		 * handshake too (Apache's per-directory SSLVerifyClient); a
		 * client with one says it can answer. */
		if (cfg->have_cert)
			wolfSSL_allow_post_handshake_auth(c->ssl);
		if (cfg->tickets) {
			wolfSSL_UseSessionTicket(c->ssl);
			wolfSSL_set_SessionTicket_cb(c->ssl, ticket_cb, c);
		}
	}
	return c;
}

int tp_name_is_address(const char *s)
{
	return strchr(s, ':') != NULL || strspn(s, "0123456789.") == strlen(s);
}

/* SNI for a client with a name to send; sni_sent says whether it goes
 * out, so the report never claims one that did not. */
static void use_sni(struct tp_conn *c)
{
	if (c->cfg->role != TP_CLIENT || c->servername == NULL || c->no_sni ||
	    tp_name_is_address(c->servername))
		return;
	c->sni_sent =
		wolfSSL_UseSNI(c->ssl, WOLFSSL_SNI_HOST_NAME, c->servername,
			       (unsigned short)strlen(c->servername)) ==
		WOLFSSL_SUCCESS;
}

static int use_alpn(struct tp_conn *c)
{
	char *list;
	int r;

	if (c->cfg->alpn == NULL)
		return 0;
	list = strdup(c->cfg->alpn); /* wolfSSL_UseALPN takes char * */
	if (list == NULL)
		return -1;
	r = wolfSSL_UseALPN(c->ssl, list, (unsigned)strlen(list),
			    WOLFSSL_ALPN_CONTINUE_ON_MISMATCH);
	free(list);
	return r == WOLFSSL_SUCCESS ? 0 : -1;
}

static void peer_address(int fd, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), serv,
			sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return;
	snprintf(out, outlen, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 host, serv);
}

int tp_conn_attach_fd(struct tp_conn *c, int fd, const char *servername)
{
	int flags;

	TP_ENTER(c);
	if (c->failed) {
		close(fd); /* ours in every case, so callers never close it */
		tp_conn_unlock(c);
		return -1;
	}
	c->fd = fd;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		tp_conn_fail(c, TP_ERR_IO, "fcntl: %s", strerror(errno));
		tp_conn_unlock(c);
		return -1;
	}
	/* Handshake flights and interactive lines are small: no Nagle delay.
	 * (Fails harmlessly on sockets that are not TCP.) */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	wolfSSL_set_fd(c->ssl, fd); /* for wolfSSL's own use; I/O is ours */
	tp_io_install(c);
	if (c->peer_addr[0] == '\0')
		peer_address(fd, c->peer_addr, sizeof(c->peer_addr));
	if (servername != NULL && servername[0] == '\0')
		c->no_sni = 1; /* "" asks for no SNI */
	else if (servername != NULL && c->servername == NULL)
		c->servername = strdup(servername);
	use_sni(c);
	if (use_alpn(c) < 0)
		tp_conn_fail(c, TP_ERR_USAGE, "cannot use ALPN list");
	tp_conn_unlock(c);
	return c->failed ? -1 : 0;
}

int tp_conn_connect(struct tp_conn *c, const char *host, const char *port,
		    const char *servername, int family)
{
	char err[200];
	struct tp_timing t;
	int fd, timed_out;

	memset(&t, 0, sizeof(t));
	fd = tp_tcp_connect(host, port, family, c->cfg->connect_ms, err,
			    sizeof(err), &timed_out, &t);
	TP_ENTER(c);
	c->timing.start = t.start;
	c->timing.resolved = t.resolved;
	c->timing.connected = t.connected;
	if (fd < 0)
		tp_conn_fail(c, timed_out ? TP_ERR_TIMEOUT : TP_ERR_CONNECT,
			     "%s", err);
	tp_conn_unlock(c);
	if (fd < 0)
		return -1;
	if (servername != NULL && servername[0] == '\0') {
		/* No SNI, but the certificate must still match HOST. */
		c->no_sni = 1;
		servername = NULL;
	}
	return tp_conn_attach_fd(c, fd, servername ? servername : host);
}

int tp_conn_handshake(struct tp_conn *c)
{
	int r;

	TP_ENTER(c);
	r = tp_conn_ensure_handshake(c, 0);
	tp_conn_unlock(c);
	return r < 0 ? -1 : 0;
}

/* One wolfSSL_read under M. Returns >0 bytes, 0 at end of stream, -1 on a
 * sticky error, -2 to call again, -3 to wait for the peer. */
static int read_once(struct tp_conn *c, void *buf, size_t len)
{
	int want = len > TP_RECORD_MAX ? TP_RECORD_MAX : (int)len;
	int ret, err;

	/* A renegotiation the peer starts in this read may have to be
	 * abandoned (close_notify in the middle): keep the state to go back
	 * to. */
	tp_wolf_hs_save(c->ssl, &c->hs_snap);
	ret = wolfSSL_read(c->ssl, buf, want);
	err = ret > 0 ? 0 : wolfSSL_get_error(c->ssl, ret);
	tp_alerts_poll(c);
	tp_policy_send_refusal(c); /* of a request the policy dropped */
	tp_reneg_notice_refused(c);
	tp_conn_notice_key_update(c);
	if (ret > 0)
		tp_timing_mark(&c->timing.first_byte);
	if (tp_io_flush(c) < 0)
		return -1;
	if (ret > 0)
		return ret;
	if (!wolfSSL_is_init_finished(c->ssl) && !c->failed &&
	    (err == WOLFSSL_ERROR_WANT_READ || err == APP_DATA_READY)) {
		/* The peer started a renegotiation inside this read: own it. */
		tp_conn_begin_peer_reneg(c, err);
		return -2;
	}
	if (err == APP_DATA_READY)
		return -2;
	if (err == WOLFSSL_ERROR_WANT_READ)
		return -3;
	if (err == WOLFSSL_ERROR_ZERO_RETURN) {
		c->read_eof = 1;
		return 0;
	}
	if (c->saw_reset) {
		/* wolfSSL reports a reset as a quiet end of stream. */
		tp_conn_fail(c, TP_ERR_IO, "read: connection reset by peer");
		return -1;
	}
	if (ret == 0 || err == SOCKET_PEER_CLOSED_E) {
		c->read_eof = 1;
		return 0;
	}
	tp_conn_classify_wolf_error(c, ret, "read");
	return -1;
}

ssize_t tp_conn_read(struct tp_conn *c, void *buf, size_t len)
{
	ssize_t out;

	tp_hook(c, TP_SP_READ_ENTER);
	TP_ENTER(c);
	for (;;) {
		int r;

		if (c->rxbuf.len > 0) {
			out = (ssize_t)tp_buf_take(&c->rxbuf, buf, len);
			break;
		}
		if (c->failed) {
			out = -1;
			break;
		}
		if (c->read_eof || len == 0) {
			out = 0;
			break;
		}
		r = tp_conn_ensure_handshake(c, 1);
		/* Plaintext that arrived before an error is delivered
		 * first: the error comes with the next call. */
		if (r < 0 && c->rxbuf.len == 0 &&
		    (c->failed || c->hs != TP_HS_DONE)) {
			out = -1;
			break;
		}
		if (r != 0 || c->rxbuf.len > 0)
			continue;
		r = read_once(c, buf, len);
		if (r >= 0 || r == -1) {
			out = r;
			break;
		}
		if (r == -3) {
			r = tp_io_wait(c, POLLIN, tp_hold_deadline(c),
				       TP_SP_READ_WAIT);
			if (r == 1)
				r = tp_hold_flush(c); /* kept long enough */
			if (r < 0) {
				out = -1;
				break;
			}
		}
	}
	if (out > 0)
		c->info.bytes_read += (uint64_t)out;
	tp_conn_unlock(c);
	return out;
}

/* Waits until the queue is below its high-water mark. Only application
 * writes wait for space; the read path never does (invariant 6). */
static int wait_queue_space(struct tp_conn *c)
{
	while (c->outq.len >= c->cfg->write_queue) {
		if (c->failed)
			return -1;
		if (tp_io_wait(c, 0, 0, TP_SP_WRITE_WAIT) < 0)
			return -1;
	}
	return 0;
}

ssize_t tp_conn_write(struct tp_conn *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t done = 0;

	tp_hook(c, TP_SP_WRITE_ENTER);
	TP_ENTER(c);
	if (c->hello_request_pending || c->held.len > 0) {
		int h = c->write_shut || c->failed ? 0 :
						     tp_hold_write(c, p, len);

		if (h != 0) {
			tp_conn_unlock(c);
			return h > 0 ? (ssize_t)len : -1;
		}
	}
	while (done < len) {
		size_t chunk =
			len - done > TP_RECORD_MAX ? TP_RECORD_MAX : len - done;
		int ret;

		if (c->write_shut && !c->failed)
			tp_conn_fail(c, TP_ERR_CLOSED,
				     "write after close_notify");
		if (c->failed || wait_queue_space(c) < 0 ||
		    tp_conn_ensure_handshake(c, 0) != 0)
			break;
		if (c->outq.len >= c->cfg->write_queue)
			continue; /* the handshake filled it; wait again */
		/* Invariant 4: the handshake is DONE in this same critical
		 * section, so no data is encrypted while one is running. */
		ret = tp_io_encrypt(c, p + done, chunk);
		if (ret < 0)
			break;
		done += (size_t)ret;
		if (tp_io_flush(c) < 0)
			break;
	}
	tp_conn_unlock(c);
	return done == len ? (ssize_t)len : -1;
}

int tp_conn_flush(struct tp_conn *c)
{
	int r = 0;

	TP_ENTER(c);
	if (c->held.len > 0 && tp_conn_ensure_handshake(c, 0) == 0)
		r = tp_hold_flush(c);
	while (c->outq.len > 0 && r == 0 && !c->failed)
		r = tp_io_wait(c, 0, 0, TP_SP_WRITE_WAIT) < 0 ? -1 : 0;
	r = c->failed ? -1 : 0;
	tp_conn_unlock(c);
	return r;
}

int tp_conn_key_update(struct tp_conn *c, int request)
{
	int r;

	TP_ENTER(c);
	r = tp_conn_ensure_handshake(c, 0);
	if (r == 0 && wolfSSL_version(c->ssl) != TLS1_3_VERSION) {
		tp_conn_set_soft_error(c, TP_ERR_USAGE,
				       "KeyUpdate exists only in TLS 1.3; "
				       "use renegotiation");
		r = -1;
	}
	if (r == 0) {
		if (!request)
			tp_wolf_keyupdate_no_request(c->ssl);
		/* A reply wolfSSL sent before this one is counted first. */
		tp_conn_notice_key_update_reply(c);
		r = wolfSSL_update_keys(c->ssl);
		if (r == WOLFSSL_SUCCESS) {
			tp_wolf_encrypt_key(c->ssl, c->enc_key_snap);
			c->info.key_updates_sent++;
			tp_event_push(c, TP_EV_KEYUPDATE_SENT, 0, request, 0,
				      NULL);
			r = tp_io_flush(c);
		} else {
			tp_conn_classify_wolf_error(c, r, "key update");
			r = -1;
		}
	}
	tp_conn_unlock(c);
	return r;
}

int tp_conn_shutdown_write(struct tp_conn *c)
{
	int64_t deadline;
	int r = 0;

	TP_ENTER(c);
	/* close_notify needs the handshake, even when nothing was written. */
	if (!c->write_shut && !c->failed &&
	    tp_conn_ensure_handshake(c, 0) == 0 && tp_hold_flush(c) == 0) {
		c->write_shut = 1;
		wolfSSL_shutdown(c->ssl); /* queues close_notify */
		c->close_notify_queued = 1;
		tp_alerts_poll(c);
	}
	/* Bounded like a handshake: a peer that reads nothing more must not
	 * hold us here. */
	deadline = tp_deadline_in(c->cfg->handshake_ms);
	while (c->outq.len > 0 && !c->failed) {
		int w = tp_io_wait(c, 0, deadline, TP_SP_WRITE_WAIT);

		if (w == 1)
			tp_conn_set_soft_error(c, TP_ERR_TIMEOUT,
					       "close_notify not sent: the "
					       "peer reads nothing");
		if (w != 0) {
			tp_conn_unlock(c);
			return -1;
		}
	}
	r = c->failed ? -1 : 0;
	tp_conn_unlock(c);
	return r;
}

/* Async-signal-safe: an atomic store and write(2), no lock. Every
 * thread in poll() watches wake_fd, which stays readable; a thread on cv
 * waits for one of those, which fails the connection and wakes it; a
 * thread on its way in sees the flag in tp_conn_lock. */
void tp_conn_abort(struct tp_conn *c)
{
	uint64_t one = 1;

	atomic_store(&c->aborted, 1);
	if (write(c->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter can only overflow after 2^64 aborts. */
	}
}

void tp_conn_free(struct tp_conn *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL)
		wolfSSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	close(c->wake_fd);
	tp_buf_free(&c->outq);
	tp_buf_free(&c->rxbuf);
	tp_buf_free(&c->held);
	tp_events_free(c);
	tp_info_free_all(c);
	tp_peer_free(c);
	tp_verify_free(c);
	free(c->servername);
	pthread_mutex_destroy(&c->m);
	pthread_cond_destroy(&c->cv);
	free(c);
}

void tp_conn_set_arg(struct tp_conn *c, void *arg)
{
	atomic_store(&c->arg, arg);
}

void *tp_conn_arg(struct tp_conn *c)
{
	return atomic_load(&c->arg);
}

enum tp_close_reason tp_conn_close_reason(struct tp_conn *c)
{
	enum tp_close_reason r = TP_CLOSE_NONE;

	TP_LOCK(c);
	if (c->saw_plaintext)
		r = TP_CLOSE_PLAINTEXT;
	else if (c->last_rx_alert == 0)
		r = TP_CLOSE_NOTIFY;
	else if (c->last_rx_level == 2)
		r = TP_CLOSE_FATAL_ALERT;
	else if (c->saw_reset)
		r = TP_CLOSE_RESET;
	else if (c->saw_fin)
		r = TP_CLOSE_FIN;
	pthread_mutex_unlock(&c->m);
	return r;
}

int tp_conn_last_alert(struct tp_conn *c, int *level)
{
	int code;

	TP_LOCK(c);
	code = c->last_rx_alert;
	if (level != NULL)
		*level = c->last_rx_level;
	pthread_mutex_unlock(&c->m);
	return code;
}
