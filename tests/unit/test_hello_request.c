/*
 * tp_conn_request_renegotiation (TLS 1.2, server side): the server sends a
 * HelloRequest and reads on. The test that matters: a client that writes
 * much and does not read (a slow stdout behind it) must not make the
 * server stop reading or hold its data back; waiting for the answer
 * instead, as tp_conn_renegotiate does, the server would either stop
 * (and time out here) or have to buffer everything the client sends. When
 * the client finally reads, it renegotiates, and the server's next read
 * takes the ClientHello. A client that refuses is seen, every time.
 */
#include <stdlib.h>
#include <string.h>

#include "peer.h"

#define BULK (8u << 20) /* well above the loopback socket buffers */

struct pair {
	struct tp_config *ccfg, *scfg;
	struct tp_conn *client, *server;
};

/* hold: the server's bound on writes kept while its HelloRequest is open
 * (bytes, milliseconds). */
static void pair_open_hold(struct pair *p, enum tp_reneg_policy client_policy,
			   size_t hold_bytes, int hold_ms)
{
	p->ccfg = tu_client_config("1.2");
	p->scfg = tu_server_config("1.2");
	tp_config_set_reneg_policy(p->ccfg, client_policy, 0);
	tp_config_set_timeouts(p->ccfg, 5000, 5000);
	tp_config_set_timeouts(p->scfg, 5000, 5000);
	tp_config_set_hello_request_hold(p->scfg, hold_bytes, hold_ms);
	tu_conn_pair(p->ccfg, p->scfg, &p->client, &p->server);
}

static void pair_open(struct pair *p, enum tp_reneg_policy client_policy)
{
	/* Long enough that a test passing by the hold's timeout fails. */
	pair_open_hold(p, client_policy, 1u << 20, 30000);
}

/* Both ends handshake at once. */
static void pair_handshake(struct pair *p)
{
	tu_handshake_both(p->client, p->server);
}

static void pair_close(struct pair *p)
{
	char b;

	CHECK(tp_conn_shutdown_write(p->client) == 0);
	CHECK_EQ_INT(tp_conn_read(p->server, &b, 1), 0);
	CHECK(tp_conn_shutdown_write(p->server) == 0);
	CHECK_EQ_INT(tp_conn_read(p->client, &b, 1), 0);
	tp_conn_free(p->client);
	tp_conn_free(p->server);
	tp_config_free(p->ccfg);
	tp_config_free(p->scfg);
}

static int renegotiations(struct tp_conn *c, int refused)
{
	struct tp_info in;

	CHECK(tp_conn_info(c, &in) == 0);
	return refused ? in.renegotiations_refused : in.renegotiations;
}

struct bulk_writer {
	pthread_t thread;
	struct tp_conn *c;
	const unsigned char *data;
	ssize_t result;
};

static void *bulk_write_main(void *arg)
{
	struct bulk_writer *w = arg;

	w->result = tp_conn_write(w->c, w->data, BULK);
	/* A write returns once all is queued; the tail may still wait for
	 * socket space, and nobody else calls into the client. */
	if (w->result == BULK && tp_conn_flush(w->c) < 0)
		w->result = -1;
	return NULL;
}

/* The client's side of the end: read what the server wrote after its
 * HelloRequest (this read renegotiates), answer. */
struct late_reader {
	pthread_t thread;
	struct tp_conn *c;
	char got[8];
	int answered;
};

static void *late_read_main(void *arg)
{
	struct late_reader *r = arg;

	if (tu_read_full(r->c, r->got, 5) == 5 &&
	    tp_conn_write(r->c, "ack\n", 4) == 4)
		r->answered = 1;
	return NULL;
}

static void test_server_reads_on(void)
{
	struct pair p;
	struct bulk_writer w = { 0 };
	struct late_reader lr = { 0 };
	unsigned char *sent = malloc(BULK), *got = malloc(BULK);
	unsigned int seed = 17;
	char ack[4];

	CHECK(sent != NULL && got != NULL);
	for (size_t i = 0; i < BULK; i++)
		sent[i] = (unsigned char)rand_r(&seed);
	pair_open(&p, TP_RENEG_ACCEPT);
	w.c = p.client;
	w.data = sent;
	CHECK(pthread_create(&w.thread, NULL, bulk_write_main, &w) == 0);
	/* The first read runs the server's handshake. */
	CHECK_EQ_INT(tu_read_full(p.server, got, 1), 1);
	CHECK_EQ_INT(tp_conn_request_renegotiation(p.server), 0);
	/* Unanswered: no second one (wolfSSL's client would fail on it). */
	CHECK_EQ_INT(tp_conn_request_renegotiation(p.server), 1);
	tu_watchdog_note("server reads the client's data, HelloRequest open");
	CHECK_EQ_INT(tu_read_full(p.server, got + 1, BULK - 1), BULK - 1);
	CHECK(memcmp(got, sent, BULK) == 0);
	pthread_join(w.thread, NULL);
	CHECK_EQ_INT(w.result, BULK);
	CHECK_EQ_INT(renegotiations(p.server, 0), 0);

	tu_watchdog_note("the client reads at last and renegotiates");
	lr.c = p.client;
	CHECK(pthread_create(&lr.thread, NULL, late_read_main, &lr) == 0);
	CHECK_EQ_INT(tp_conn_write(p.server, "done\n", 5), 5);
	CHECK_EQ_INT(tu_read_full(p.server, ack, 4), 4); /* takes the hello */
	pthread_join(lr.thread, NULL);
	CHECK(lr.answered);
	CHECK(memcmp(lr.got, "done\n", 5) == 0 && memcmp(ack, "ack\n", 4) == 0);
	CHECK_EQ_INT(renegotiations(p.server, 0), 1);
	CHECK_EQ_INT(renegotiations(p.client, 0), 1);
	/* Answered, so the next request goes out. */
	CHECK_EQ_INT(tp_conn_request_renegotiation(p.server), 0);
	pair_close(&p);
	free(sent);
	free(got);
	printf("server reads on while its HelloRequest is unanswered: ok\n");
}

struct reader {
	pthread_t thread;
	struct tp_conn *c;
	char got[8];
	size_t want, n;
};

static void *read_main(void *arg)
{
	struct reader *r = arg;

	r->n = tu_read_full(r->c, r->got, r->want);
	return NULL;
}

static void reader_start(struct reader *r, struct tp_conn *c, size_t want)
{
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->want = want;
	CHECK(pthread_create(&r->thread, NULL, read_main, r) == 0);
}

static void reader_expect(struct reader *r, const char *want)
{
	pthread_join(r->thread, NULL);
	CHECK(r->n == r->want && memcmp(r->got, want, r->want) == 0);
}

/* More refusals than wolfSSL tolerates warning alerts (5): each is seen,
 * and each lets the next request go out. */
static void test_client_refuses(void)
{
	struct pair p;
	struct reader r;
	char buf[5];

	pair_open(&p, TP_RENEG_REFUSE);
	pair_handshake(&p);
	for (int i = 0; i < 7; i++) {
		tu_watchdog_note("client refuses: request %d", i);
		CHECK_EQ_INT(tp_conn_request_renegotiation(p.server), 0);
		/* Kept until the server's read sees the refusal. */
		CHECK_EQ_INT(tp_conn_write(p.server, "ping\n", 5), 5);
		reader_start(&r, p.server, 5);
		CHECK_EQ_INT(tu_read_full(p.client, buf, 5), 5);
		CHECK(memcmp(buf, "ping\n", 5) == 0);
		CHECK_EQ_INT(tp_conn_write(p.client, "pong\n", 5), 5);
		reader_expect(&r, "pong\n");
		CHECK_EQ_INT(renegotiations(p.server, 1), i + 1);
	}
	CHECK_EQ_INT(renegotiations(p.server, 0), 0);
	pair_close(&p);
	printf("client refuses each HelloRequest: ok\n");
}

/*
 * Data the server wrote after its HelloRequest reaches the client while
 * the client renegotiates (its ClientHello is out, the server has not
 * read it): the client's read returns it at once instead of holding it
 * until the renegotiation ends (a server echoing a flow would otherwise
 * make the client hold everything in flight). Here the server reads only
 * after that, so holding it would time out.
 */
static void test_client_gets_data_mid_renegotiation(void)
{
	struct pair p;
	struct reader r;
	char buf[2];

	pair_open_hold(&p, TP_RENEG_ACCEPT, 0,
		       0); /* the server keeps nothing */
	pair_handshake(&p);
	CHECK_EQ_INT(tp_conn_request_renegotiation(p.server), 0);
	CHECK_EQ_INT(tp_conn_write(p.server, "A\n", 2), 2);
	tu_watchdog_note("client reads past the HelloRequest");
	if (tu_read_full(p.client, buf, 2) != 2)
		tu_fail(__FILE__, __LINE__, "client read: %s",
			tp_conn_error(p.client));
	CHECK(memcmp(buf, "A\n", 2) == 0);
	CHECK_EQ_INT(renegotiations(p.client, 0), 0); /* still running */
	reader_start(&r, p.server, 2);
	/* The client's write resumes the renegotiation it owns. */
	CHECK_EQ_INT(tp_conn_write(p.client, "B\n", 2), 2);
	reader_expect(&r, "B\n");
	CHECK_EQ_INT(renegotiations(p.client, 0), 1);
	CHECK_EQ_INT(renegotiations(p.server, 0), 1);
	pair_close(&p);
	printf("client gets data in the middle of a renegotiation: ok\n");
}

/*
 * By default the server keeps what it writes after its HelloRequest until
 * the renegotiation is over, so the client sees no application data
 * inside it (gnutls-cli and s_client would fail). Without the hold the
 * client's read returns "A" with the renegotiation still running.
 */
static void test_server_holds_writes(void)
{
	struct pair p;
	struct reader r;
	char buf[2];

	pair_open(&p, TP_RENEG_ACCEPT);
	pair_handshake(&p);
	CHECK_EQ_INT(tp_conn_request_renegotiation(p.server), 0);
	CHECK_EQ_INT(tp_conn_write(p.server, "A\n", 2), 2);
	reader_start(&r, p.server, 2); /* takes the ClientHello */
	CHECK_EQ_INT(tu_read_full(p.client, buf, 2), 2);
	CHECK(memcmp(buf, "A\n", 2) == 0);
	CHECK_EQ_INT(renegotiations(p.client, 0), 1); /* "A" came after it */
	CHECK_EQ_INT(tp_conn_write(p.client, "B\n", 2), 2);
	reader_expect(&r, "B\n");
	pair_close(&p);
	printf("server keeps its writes until the renegotiation ends: ok\n");
}

/* A client that ignores the HelloRequest gets the data once the hold
 * times out; the server's read wakes for it. */
static void test_hold_times_out(void)
{
	struct pair p;
	struct reader r;
	char buf[2];

	pair_open_hold(&p, TP_RENEG_IGNORE, 1u << 20, 200);
	pair_handshake(&p);
	CHECK_EQ_INT(tp_conn_request_renegotiation(p.server), 0);
	CHECK_EQ_INT(tp_conn_write(p.server, "A\n", 2), 2);
	reader_start(&r, p.server, 2);
	CHECK_EQ_INT(tu_read_full(p.client, buf, 2), 2);
	CHECK(memcmp(buf, "A\n", 2) == 0);
	CHECK_EQ_INT(renegotiations(p.client, 0), 0);
	CHECK_EQ_INT(tp_conn_write(p.client, "B\n", 2), 2);
	reader_expect(&r, "B\n");
	pair_close(&p);
	printf("an ignored HelloRequest holds writes back only so long: ok\n");
}

static void test_client_may_not_ask(void)
{
	struct pair p;

	pair_open(&p, TP_RENEG_ACCEPT);
	pair_handshake(&p);
	CHECK_EQ_INT(tp_conn_request_renegotiation(p.client), -1);
	CHECK_EQ_INT(tp_conn_errcode(p.client), TP_ERR_USAGE);
	pair_close(&p);
	printf("a client cannot send HelloRequest: ok\n");
}

int main(void)
{
	tu_watchdog_start(60, "HelloRequest without waiting");
	test_server_reads_on();
	test_client_refuses();
	test_client_gets_data_mid_renegotiation();
	test_server_holds_writes();
	test_hold_times_out();
	test_client_may_not_ask();
	tu_watchdog_stop();
	return 0;
}
