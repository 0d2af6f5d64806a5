/*
 * wolfSSL patch 0001 (cmake/patches): a TLS client ignores a HelloRequest
 * while it is negotiating (RFC 5246 7.4.1.1). A wolfSSL client and server
 * in one thread over in-memory pipes, so that each HelloRequest lands at
 * an exact point of the client's handshake:
 *
 *   1. after the client answered a first HelloRequest with its ClientHello
 *      (a server renegotiating on a byte budget sends its next one before
 *      the renegotiation ends): unpatched, -373 "Out of order message";
 *   2. after a ServerHello: unpatched, in the first handshake the client
 *      starts a renegotiation nobody asked for as soon as it reads;
 *   3. before the ServerHello of the first handshake, TLS 1.2 only
 *      (unpatched: -373) and with TLS 1.3 offered (unpatched: -394).
 *
 * Each case then checks that application data flows both ways and that
 * the client sends nothing it was not asked for.
 */
#include <string.h>

#include "testutil.h"
#include "internal.h" /* tp_wolf_send_hello_request */

/* One direction of the connection. */
struct pipe {
	unsigned char buf[1 << 17];
	size_t len;
};

struct end {
	const char *name;
	WOLFSSL *ssl;
	struct pipe *in, *out;
};

static int pipe_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct end *e = arg;
	size_t n = e->in->len < (size_t)sz ? e->in->len : (size_t)sz;

	(void)ssl;
	if (n == 0)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	memcpy(buf, e->in->buf, n);
	memmove(e->in->buf, e->in->buf + n, e->in->len - n);
	e->in->len -= n;
	return (int)n;
}

static int pipe_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct end *e = arg;

	(void)ssl;
	if ((size_t)sz > sizeof(e->out->buf) - e->out->len)
		return WOLFSSL_CBIO_ERR_WANT_WRITE;
	memcpy(e->out->buf + e->out->len, buf, (size_t)sz);
	e->out->len += (size_t)sz;
	return sz;
}

static struct pipe c2s, s2c;
static struct end client = { "client", NULL, &s2c, &c2s };
static struct end server = { "server", NULL, &c2s, &s2c };

static void open_pair(const char *client_version, const char *server_version)
{
	WOLFSSL_CTX *cctx = tu_wolf_client_ctx(client_version);
	WOLFSSL_CTX *sctx = tu_wolf_server_ctx(server_version);

	c2s.len = s2c.len = 0;
	client.ssl = wolfSSL_new(cctx);
	server.ssl = wolfSSL_new(sctx);
	CHECK(client.ssl != NULL && server.ssl != NULL);
	/* The objects keep their contexts alive. */
	wolfSSL_CTX_free(cctx);
	wolfSSL_CTX_free(sctx);
	CHECK_EQ_INT(wolfSSL_UseSNI(client.ssl, WOLFSSL_SNI_HOST_NAME,
				    "localhost", 9),
		     WOLFSSL_SUCCESS);
	CHECK_EQ_INT(wolfSSL_check_domain_name(client.ssl, "localhost"),
		     WOLFSSL_SUCCESS);
	for (struct end *e = &client; e; e = e == &client ? &server : NULL) {
		wolfSSL_SSLSetIORecv(e->ssl, pipe_recv);
		wolfSSL_SSLSetIOSend(e->ssl, pipe_send);
		wolfSSL_SetIOReadCtx(e->ssl, e);
		wolfSSL_SetIOWriteCtx(e->ssl, e);
	}
}

static void close_pair(void)
{
	wolfSSL_free(client.ssl);
	wolfSSL_free(server.ssl);
	client.ssl = server.ssl = NULL;
}

/* Fails unless ret is a success or the call waits for the peer. */
static void expect_progress(struct end *e, const char *what, int ret)
{
	int err = wolfSSL_get_error(e->ssl, ret);
	char s[WOLFSSL_MAX_ERROR_SZ];

	if (ret > 0 || err == WOLFSSL_ERROR_WANT_READ || err == APP_DATA_READY)
		return;
	wolfSSL_ERR_error_string_n((unsigned long)err, s, sizeof(s));
	tu_fail(__FILE__, __LINE__, "%s: %s: ret %d, error %d (%s)", e->name,
		what, ret, err, s);
}

/* The first handshake, both ends driven in turn. */
static void handshake(void)
{
	int c = 0, s = 0;

	for (int i = 0; i < 20 && !(c == WOLFSSL_SUCCESS && s == c); i++) {
		if (c != WOLFSSL_SUCCESS) {
			c = wolfSSL_connect(client.ssl);
			expect_progress(&client, "wolfSSL_connect", c);
		}
		if (s != WOLFSSL_SUCCESS) {
			s = wolfSSL_accept(server.ssl);
			expect_progress(&server, "wolfSSL_accept", s);
		}
	}
	CHECK(c == WOLFSSL_SUCCESS && s == WOLFSSL_SUCCESS);
}

/* One wolfSSL_read that must not fail; returns the bytes read (0: none). */
static int read_some(struct end *e, char *buf, int len)
{
	int n = wolfSSL_read(e->ssl, buf, len);

	expect_progress(e, "wolfSSL_read", n);
	return n > 0 ? n : 0;
}

/* Reads on both ends in turn until neither has anything left to read:
 * carries a renegotiation through to its end. */
static void settle(void)
{
	char buf[64];

	for (int i = 0; i < 20 && (c2s.len > 0 || s2c.len > 0); i++) {
		CHECK_EQ_INT(read_some(&server, buf, sizeof(buf)), 0);
		CHECK_EQ_INT(read_some(&client, buf, sizeof(buf)), 0);
	}
	CHECK_EQ_INT(c2s.len + s2c.len, 0);
}

/* Data both ways, then nothing more from the client: no renegotiation
 * nobody asked for, no alert. */
static void check_data_flows(void)
{
	char buf[16] = { 0 };
	int n;

	CHECK_EQ_INT(wolfSSL_write(client.ssl, "ping", 4), 4);
	CHECK_EQ_INT(read_some(&server, buf, sizeof(buf)), 4);
	CHECK(memcmp(buf, "ping", 4) == 0);
	CHECK_EQ_INT(wolfSSL_write(server.ssl, "pong", 4), 4);
	n = read_some(&client, buf, sizeof(buf));
	n += read_some(&client, buf + n, (int)sizeof(buf) - n);
	if (c2s.len > 0)
		tu_fail(__FILE__, __LINE__,
			"the client sent %zu bytes unasked: a renegotiation "
			"nobody requested",
			c2s.len);
	CHECK_EQ_INT(n, 4);
	CHECK(memcmp(buf, "pong", 4) == 0);
	CHECK_EQ_INT(wolfSSL_SSL_renegotiate_pending(client.ssl), 0);
}

static void send_hello_request(void)
{
	CHECK_EQ_INT(tp_wolf_send_hello_request(server.ssl), 0);
}

/* 1 and 2: HelloRequests inside a renegotiation. */
static void test_during_renegotiation(void)
{
	char buf[16];

	tu_watchdog_note("during a renegotiation");
	open_pair("1.2", "1.2");
	handshake();
	send_hello_request();
	CHECK_EQ_INT(read_some(&client, buf, sizeof(buf)), 0);
	CHECK(c2s.len > 0); /* the client's ClientHello */
	/* The next HelloRequest of a server on a byte budget, sent before
	 * it read that ClientHello. */
	send_hello_request();
	CHECK_EQ_INT(read_some(&client, buf, sizeof(buf)), 0);
	/* The server answers with its flight; one more HelloRequest right
	 * behind it reaches the client after the ServerHello. */
	CHECK_EQ_INT(read_some(&server, buf, sizeof(buf)), 0);
	CHECK(s2c.len > 0);
	send_hello_request();
	settle();
	check_data_flows();
	close_pair();
}

/* 2, in the first handshake: after the server's first flight. */
static void test_after_first_server_hello(void)
{
	tu_watchdog_note("after the first ServerHello");
	open_pair("1.2", "1.2");
	expect_progress(&client, "wolfSSL_connect",
			wolfSSL_connect(client.ssl));
	expect_progress(&server, "wolfSSL_accept", wolfSSL_accept(server.ssl));
	CHECK(s2c.len > 0); /* ServerHello ... ServerHelloDone */
	send_hello_request();
	handshake();
	check_data_flows();
	close_pair();
}

/* 3: before the first ServerHello. */
static void test_before_server_hello(const char *client_version)
{
	tu_watchdog_note("before the ServerHello, client %s",
			 client_version ? client_version : "1.2 or 1.3");
	open_pair(client_version, "1.2");
	expect_progress(&client, "wolfSSL_connect",
			wolfSSL_connect(client.ssl));
	CHECK(c2s.len > 0);
	send_hello_request(); /* plaintext: no keys yet */
	handshake();
	CHECK_EQ_INT(wolfSSL_version(client.ssl), TLS1_2_VERSION);
	check_data_flows();
	close_pair();
}

int main(void)
{
	tu_watchdog_start(30, "test_hello_request_ignored");
	test_during_renegotiation();
	test_after_first_server_hello();
	test_before_server_hello("1.2");
	test_before_server_hello(NULL);
	tu_watchdog_stop();
	printf("test_hello_request_ignored: ok\n");
	return 0;
}
