/*
 * Proves that the wolfSSL we build can renegotiate (DESIGN 2): a wolfSSL
 * client and server in one process, over a socketpair, TLS 1.2, perform
 *
 *   1. the handshake, then "before" is echoed;
 *   2. a client-initiated renegotiation (client: wolfSSL_Rehandshake; the
 *      server's wolfSSL_read drives its side), then a message is echoed;
 *   3. a server-initiated one (server: wolfSSL_Rehandshake sends
 *      HelloRequest; the client's wolfSSL_read answers it), then a message
 *      and a multi-record payload are echoed;
 *   4. close_notify.
 *
 * What proves that a renegotiation completed: every full TLS 1.2 handshake
 * has each side send one ChangeCipherSpec record, and CCS records keep
 * their content type (20) in the record header even when encrypted under
 * the old keys. Our I/O callbacks count them on the wire, so after k
 * renegotiations each side must have sent and received exactly 1 + k
 * CCS records, with no alert, wolfSSL_SSL_renegotiate_pending 0, and the
 * application data on both sides of it intact. (wolfSSL's msg callback
 * cannot be used: in 5.5.4 it is skipped once encryption is on, i.e. for
 * every renegotiation message. wolfSSL_num_renegotiations only counts the
 * ones started locally, so it is checked on the initiator only.)
 *
 * Against a wolfSSL without HAVE_SECURE_RENEGOTIATION this test fails:
 * at compile time below, and, when forced to run anyway
 * (-DTP_RENEG_TEST_FORCE), at run time. Verified by hand against Debian
 * 12's libwolfssl35 5.5.4 (which has only HAVE_SERVER_RENEGOTIATION_INFO):
 * see the end of this file for what happened.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

#if !defined(HAVE_SECURE_RENEGOTIATION) && !defined(TP_RENEG_TEST_FORCE)

int main(void)
{
	fprintf(stderr,
		"test_wolfssl_reneg: wolfSSL %s was built without "
		"HAVE_SECURE_RENEGOTIATION: it cannot renegotiate "
		"(see docs/DESIGN.md section 2)\n",
		LIBWOLFSSL_VERSION_STRING);
	return 1;
}

#else

#define WATCHDOG_S 30
#define BIG_LEN (40 * 1024) /* three records at 16 KiB each */

/* TLS record content types. */
#define CT_CCS 20
#define CT_ALERT 21

/* Follows the record headers of one direction of the byte stream, which
 * the I/O callbacks see in arbitrary slices. */
struct scan {
	unsigned char hdr[5];
	size_t have; /* header bytes collected */
	size_t skip; /* body bytes still to pass over */
	int ccs, alerts;
};

struct side {
	const char *name;
	WOLFSSL_CTX *ctx;
	WOLFSSL *ssl;
	int fd;
	struct scan sent, rcvd; /* touched only by this side's thread */
};

static void scan_bytes(struct scan *s, const unsigned char *p, size_t n)
{
	size_t k;

	while (n > 0) {
		if (s->skip > 0) {
			k = n < s->skip ? n : s->skip;
			p += k;
			n -= k;
			s->skip -= k;
			continue;
		}
		s->hdr[s->have++] = *p++;
		n--;
		if (s->have < sizeof(s->hdr))
			continue;
		if (s->hdr[0] == CT_CCS)
			s->ccs++;
		else if (s->hdr[0] == CT_ALERT)
			s->alerts++;
		s->skip = (size_t)s->hdr[3] << 8 | s->hdr[4];
		s->have = 0;
	}
}

/* ---- blocking I/O callbacks that watch the records -------------------- */

static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct side *s = arg;
	ssize_t n;

	(void)ssl;
	do
		n = recv(s->fd, buf, (size_t)sz, 0);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	if (n < 0)
		return errno == ECONNRESET ? WOLFSSL_CBIO_ERR_CONN_RST :
					     WOLFSSL_CBIO_ERR_GENERAL;
	scan_bytes(&s->rcvd, (unsigned char *)buf, (size_t)n);
	return (int)n;
}

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct side *s = arg;
	ssize_t n;

	(void)ssl;
	do
		n = send(s->fd, buf, (size_t)sz, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EPIPE || errno == ECONNRESET ?
			       WOLFSSL_CBIO_ERR_CONN_RST :
			       WOLFSSL_CBIO_ERR_GENERAL;
	scan_bytes(&s->sent, (unsigned char *)buf, (size_t)n);
	return (int)n;
}

/* ---- helpers ---------------------------------------------------------- */

static const char *err_text(WOLFSSL *ssl, int ret)
{
	static __thread char buf[160];
	int err = wolfSSL_get_error(ssl, ret);
	char s[WOLFSSL_MAX_ERROR_SZ];

	wolfSSL_ERR_error_string_n((unsigned long)err, s, sizeof(s));
	snprintf(buf, sizeof(buf), "ret %d, error %d (%s)", ret, err, s);
	return buf;
}

#define CHECK_OK(s, what, ret)                                               \
	do {                                                                 \
		int ok_ = (ret);                                             \
		if (ok_ != WOLFSSL_SUCCESS)                                  \
			tu_fail(__FILE__, __LINE__, "%s: %s: %s", (s)->name, \
				what, err_text((s)->ssl, ok_));              \
	} while (0)

static void step(struct side *s, const char *what)
{
	tu_watchdog_note("%s: %s (CCS sent %d rcvd %d, alerts sent %d rcvd %d)",
			 s->name, what, s->sent.ccs, s->rcvd.ccs,
			 s->sent.alerts, s->rcvd.alerts);
}

/* Reads exactly len bytes. During a renegotiation wolfSSL_read returns -1
 * with APP_DATA_READY when data arrived mid-handshake: call it again. */
static void read_full(struct side *s, void *buf, int len)
{
	char *p = buf;
	int got = 0, n, err;

	while (got < len) {
		n = wolfSSL_read(s->ssl, p + got, len - got);
		if (n > 0) {
			got += n;
			continue;
		}
		err = wolfSSL_get_error(s->ssl, n);
		if (n < 0 &&
		    (err == APP_DATA_READY || err == WOLFSSL_ERROR_WANT_READ))
			continue;
		tu_fail(__FILE__, __LINE__, "%s: wolfSSL_read: %s", s->name,
			err_text(s->ssl, n));
	}
}

static void write_full(struct side *s, const void *buf, int len)
{
	int n = wolfSSL_write(s->ssl, buf, len);

	if (n != len)
		tu_fail(__FILE__, __LINE__, "%s: wolfSSL_write: %s", s->name,
			err_text(s->ssl, n));
}

static void expect_msg(struct side *s, const char *msg)
{
	char buf[128];
	int len = (int)strlen(msg);

	read_full(s, buf, len);
	buf[len] = '\0';
	if (strcmp(buf, msg) != 0)
		tu_fail(__FILE__, __LINE__, "%s: got \"%s\", want \"%s\"",
			s->name, buf, msg);
}

static void send_msg(struct side *s, const char *msg)
{
	write_full(s, msg, (int)strlen(msg));
}

/* Server side of one echo: read len bytes, send them back. */
static void echo(struct side *s, int len)
{
	char *buf = malloc((size_t)len);

	CHECK(buf != NULL);
	read_full(s, buf, len);
	write_full(s, buf, len);
	free(buf);
}

/* After k renegotiations: 1 + k full handshakes seen from this side. */
static void expect_handshakes(struct side *s, int n)
{
	if (s->sent.ccs != n || s->rcvd.ccs != n)
		tu_fail(__FILE__, __LINE__,
			"%s: expected %d complete handshakes, but CCS sent %d, "
			"received %d",
			s->name, n, s->sent.ccs, s->rcvd.ccs);
	CHECK_EQ_INT(s->sent.alerts, 0);
	CHECK_EQ_INT(s->rcvd.alerts, 0);
	CHECK_EQ_INT(wolfSSL_SSL_renegotiate_pending(s->ssl), 0);
	CHECK_EQ_INT(wolfSSL_is_init_finished(s->ssl), 1);
}

static void expect_scr(struct side *s)
{
	long on = wolfSSL_SSL_get_secure_renegotiation_support(s->ssl);

	if (on != 1)
		tu_fail(__FILE__, __LINE__,
			"%s: secure renegotiation not negotiated (%ld)",
			s->name, on);
}

static void setup(struct side *s, int fd)
{
	s->fd = fd;
	s->ssl = wolfSSL_new(s->ctx);
	CHECK(s->ssl != NULL);
	wolfSSL_SSLSetIORecv(s->ssl, io_recv);
	wolfSSL_SSLSetIOSend(s->ssl, io_send);
	wolfSSL_SetIOReadCtx(s->ssl, s);
	wolfSSL_SetIOWriteCtx(s->ssl, s);
	/* Both sides, as the library does: it also makes the server's own
	 * wolfSSL_Rehandshake possible. */
	CHECK_OK(s, "wolfSSL_UseSecureRenegotiation",
		 wolfSSL_UseSecureRenegotiation(s->ssl));
}

/* A pattern that would show a lost, repeated or reordered record. */
static void fill_big(unsigned char *p)
{
	size_t i;

	for (i = 0; i < BIG_LEN; i++)
		p[i] = (unsigned char)(i * 7 + i / 251);
}

/* ---- the two scripts -------------------------------------------------- */

#define MSG1 "before"
#define MSG2 "after client-initiated renegotiation"
#define MSG3 "after server-initiated renegotiation"

static void *client_main(void *arg)
{
	struct side *s = arg;
	unsigned char *big = malloc(BIG_LEN), *back = malloc(BIG_LEN);
	int n;

	CHECK(big != NULL && back != NULL);
	step(s, "handshake");
	CHECK_OK(s, "wolfSSL_connect", wolfSSL_connect(s->ssl));
	expect_scr(s);
	expect_handshakes(s, 1);

	step(s, "echo before");
	send_msg(s, MSG1);
	expect_msg(s, MSG1);

	step(s, "client-initiated renegotiation");
	CHECK_OK(s, "wolfSSL_Rehandshake", wolfSSL_Rehandshake(s->ssl));
	expect_handshakes(s, 2);
	expect_scr(s);
#ifdef OPENSSL_EXTRA
	CHECK_EQ_INT(wolfSSL_num_renegotiations(s->ssl), 1);
#endif
	step(s, "echo after client renegotiation");
	send_msg(s, MSG2);
	expect_msg(s, MSG2);

	step(s, "read through server-initiated renegotiation");
	expect_msg(s, MSG3);
	expect_handshakes(s, 3);
	expect_scr(s);

	step(s, "echo big");
	fill_big(big);
	write_full(s, big, BIG_LEN);
	read_full(s, back, BIG_LEN);
	CHECK(memcmp(big, back, BIG_LEN) == 0);

	step(s, "shutdown");
	/* Sends close_notify; NOT_DONE because we do not wait for the
	 * server's (it closes without replying). */
	n = wolfSSL_shutdown(s->ssl);
	if (n != WOLFSSL_SHUTDOWN_NOT_DONE && n != WOLFSSL_SUCCESS)
		tu_fail(__FILE__, __LINE__, "client: wolfSSL_shutdown: %s",
			err_text(s->ssl, n));
	free(big);
	free(back);
	return NULL;
}

static void *server_main(void *arg)
{
	struct side *s = arg;
	char c;
	int n;

	step(s, "handshake");
	CHECK_OK(s, "wolfSSL_accept", wolfSSL_accept(s->ssl));
	expect_scr(s);
	expect_handshakes(s, 1);

	step(s, "echo before");
	echo(s, (int)strlen(MSG1));

	step(s, "read through client-initiated renegotiation");
	echo(s, (int)strlen(MSG2));
	expect_handshakes(s, 2);
	expect_scr(s);

	step(s, "server-initiated renegotiation");
	CHECK_OK(s, "wolfSSL_Rehandshake", wolfSSL_Rehandshake(s->ssl));
	expect_handshakes(s, 3);
	expect_scr(s);
#ifdef OPENSSL_EXTRA
	CHECK_EQ_INT(wolfSSL_num_renegotiations(s->ssl), 1);
#endif
	send_msg(s, MSG3);

	step(s, "echo big");
	echo(s, BIG_LEN);

	step(s, "wait for close_notify");
	n = wolfSSL_read(s->ssl, &c, 1);
	if (n != 0)
		tu_fail(__FILE__, __LINE__, "server: expected close_notify: %s",
			err_text(s->ssl, n));
	step(s, "done");
	return NULL;
}

int main(void)
{
	struct side client = { .name = "client" },
		    server = { .name = "server" };
	pthread_t ct, st;
	int fds[2];

	printf("wolfSSL %s (headers %s)\n", wolfSSL_lib_version(),
	       LIBWOLFSSL_VERSION_STRING);
	tu_watchdog_start(WATCHDOG_S, "test_wolfssl_reneg");
	client.ctx = tu_wolf_client_ctx("1.2");
	server.ctx = tu_wolf_server_ctx("1.2");
	CHECK(tu_socketpair(fds) == 0);
	setup(&client, fds[0]);
	setup(&server, fds[1]);
	CHECK(wolfSSL_check_domain_name(client.ssl, "localhost") ==
	      WOLFSSL_SUCCESS);

	CHECK(pthread_create(&st, NULL, server_main, &server) == 0);
	CHECK(pthread_create(&ct, NULL, client_main, &client) == 0);
	CHECK(pthread_join(ct, NULL) == 0);
	CHECK(pthread_join(st, NULL) == 0);
	tu_watchdog_stop();

	printf("ok: handshake + client- and server-initiated renegotiation "
	       "(CCS sent/received: client %d/%d, server %d/%d)\n",
	       client.sent.ccs, client.rcvd.ccs, server.sent.ccs,
	       server.rcvd.ccs);
	wolfSSL_free(client.ssl);
	wolfSSL_free(server.ssl);
	wolfSSL_CTX_free(client.ctx);
	wolfSSL_CTX_free(server.ctx);
	close(fds[0]);
	close(fds[1]);
	wolfSSL_Cleanup();
	return 0;
}

#endif /* HAVE_SECURE_RENEGOTIATION || TP_RENEG_TEST_FORCE */

/*
 * How this test was seen to fail without secure renegotiation (Debian 12,
 * libwolfssl-dev 5.5.4-2+deb12u3, options.h: HAVE_SERVER_RENEGOTIATION_INFO
 * only), building this file, testutil.c and lib/certgen.c by hand against
 * /usr/include/wolfssl with -lwolfssl:
 *
 * - as is: exit 1, "wolfSSL 5.5.4 was built without
 *   HAVE_SECURE_RENEGOTIATION: it cannot renegotiate".
 * - with -DTP_RENEG_TEST_FORCE: the handshake and the first echo pass
 *   (secure_renegotiation_support 1, one CCS each way), then the server's
 *   wolfSSL_read fails on the renegotiating ClientHello with -395
 *   "Duplicate HandShake message Error" and the client's
 *   wolfSSL_Rehandshake with -313 "received alert fatal error": exit 1.
 * - with the client-initiated step removed: the server's
 *   wolfSSL_Rehandshake returns -1 at once (no HelloRequest is ever sent):
 *   exit 1.
 */
