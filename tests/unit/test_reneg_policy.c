/*
 * Renegotiation policies (TLS 1.2), both ends on the library: a peer that
 * refuses answers with a warning no_renegotiation and the session goes on;
 * one that ignores lets our request time out and the session goes on; a
 * limit accepts N and then refuses; a client can refuse a HelloRequest.
 * After each refusal, data must still flow both ways, which also checks
 * that the dropped record's sequence number was accounted for.
 */
#include <string.h>

#include "peer.h"

struct echo {
	struct tp_conn *c;
	pthread_t thread;
};

/* Echoes until the end of the stream, then closes its side. */
static void *echo_main(void *arg)
{
	struct echo *e = arg;
	char buf[4096];
	ssize_t n;

	while ((n = tp_conn_read(e->c, buf, sizeof(buf))) > 0)
		if (tp_conn_write(e->c, buf, (size_t)n) < 0)
			break;
	tp_conn_shutdown_write(e->c);
	return NULL;
}

struct pair {
	struct tp_config *ccfg, *scfg;
	struct tp_conn *client, *server;
	struct echo echo;
};

static void pair_open(struct pair *p, enum tp_reneg_policy server_policy,
		      enum tp_reneg_policy client_policy, int limit,
		      int echo_on_server)
{
	memset(p, 0, sizeof(*p));
	p->ccfg = tu_client_config("1.2");
	p->scfg = tu_server_config("1.2");
	tp_config_set_reneg_policy(p->scfg, server_policy, limit);
	tp_config_set_reneg_policy(p->ccfg, client_policy, limit);
	tp_config_set_timeouts(p->ccfg, 5000, 700);
	tp_config_set_timeouts(p->scfg, 5000, 700);
	tu_conn_pair(p->ccfg, p->scfg, &p->client, &p->server);
	p->echo.c = echo_on_server ? p->server : p->client;
	CHECK(pthread_create(&p->echo.thread, NULL, echo_main, &p->echo) == 0);
}

/* One round trip through the echoing side. */
static void round_trip(struct tp_conn *c, const char *msg)
{
	char buf[64];
	size_t n = strlen(msg);

	CHECK_EQ_INT(tp_conn_write(c, msg, n), n);
	CHECK_EQ_INT(tu_read_full(c, buf, n), n);
	CHECK(memcmp(buf, msg, n) == 0);
}

static void pair_close(struct pair *p, struct tp_conn *active)
{
	char b;

	CHECK(tp_conn_shutdown_write(active) == 0);
	CHECK_EQ_INT(tp_conn_read(active, &b, 1), 0); /* echo side closed */
	pthread_join(p->echo.thread, NULL);
	tp_conn_free(p->client);
	tp_conn_free(p->server);
	tp_config_free(p->ccfg);
	tp_config_free(p->scfg);
}

static void expect_renegotiation(struct tp_conn *c, int ok,
				 enum tp_errcode code)
{
	int r = tp_conn_renegotiate(c);

	if (ok) {
		if (r != 0)
			tu_fail(__FILE__, __LINE__, "renegotiation: %s",
				tp_conn_error(c));
		return;
	}
	CHECK_EQ_INT(r, -1);
	CHECK_EQ_INT(tp_conn_errcode(c), code);
}

static void test_server_policy(enum tp_reneg_policy policy, int limit,
			       const char *name)
{
	struct pair p;
	struct tp_info in;
	int attempts = 4;

	pair_open(&p, policy, TP_RENEG_ACCEPT, limit, 1);
	round_trip(p.client, "before\n");
	for (int i = 0; i < attempts; i++) {
		int ok = policy == TP_RENEG_LIMIT && i < limit;
		enum tp_errcode code = policy == TP_RENEG_IGNORE ?
					       TP_ERR_TIMEOUT :
					       TP_ERR_REFUSED;

		tu_watchdog_note("%s: attempt %d", name, i);
		expect_renegotiation(p.client, ok, code);
		round_trip(p.client, "after a renegotiation attempt\n");
	}
	CHECK(tp_conn_info(p.client, &in) == 0);
	CHECK_EQ_INT(in.renegotiations, policy == TP_RENEG_LIMIT ? limit : 0);
	CHECK_EQ_INT(in.renegotiations_refused,
		     attempts - (policy == TP_RENEG_LIMIT ? limit : 0));
	pair_close(&p, p.client);
	printf("server policy %s: ok\n", name);
}

/* The client refuses the server's HelloRequest with a warning. */
static void test_client_refuses(void)
{
	struct pair p;

	pair_open(&p, TP_RENEG_ACCEPT, TP_RENEG_REFUSE, 0, 0);
	round_trip(p.server, "before\n");
	for (int i = 0; i < 3; i++) {
		tu_watchdog_note("client refuses: attempt %d", i);
		expect_renegotiation(p.server, 0, TP_ERR_REFUSED);
		round_trip(p.server, "after a HelloRequest\n");
	}
	pair_close(&p, p.server);
	printf("client refuses HelloRequest: ok\n");
}

/* Runs one call on another thread, as the CLI's reader or main thread
 * would while this one is between its failed call and its question. */
struct other_call {
	struct tp_conn *c;
	int abort; /* else a KeyUpdate on TLS 1.2: a soft error of its own */
	int ret;
	enum tp_errcode code;
};

static void *other_call_main(void *arg)
{
	struct other_call *o = arg;

	if (o->abort) {
		tp_conn_abort(o->c);
		return NULL;
	}
	o->ret = tp_conn_key_update(o->c, 0);
	o->code = tp_conn_errcode(o->c);
	return NULL;
}

static void run_other_call(struct tp_conn *c, int abort_it)
{
	struct other_call o = { .c = c, .abort = abort_it };
	pthread_t t;

	CHECK(pthread_create(&t, NULL, other_call_main, &o) == 0);
	pthread_join(t, NULL);
	if (!abort_it) {
		CHECK_EQ_INT(o.ret, -1);
		CHECK_EQ_INT(o.code, TP_ERR_USAGE);
	}
}

static void expect_refusal_reported(struct tp_conn *c)
{
	const char *why = tp_conn_error(c);

	CHECK_EQ_INT(tp_conn_errcode(c), TP_ERR_REFUSED);
	if (why == NULL || strstr(why, "no_renegotiation") == NULL)
		tu_fail(__FILE__, __LINE__, "refusal reported as '%s'",
			why ? why : "(null)");
}

/* A refused renegotiation's reason belongs to the thread that asked:
 * another thread's failed call, or an abort that ends the session, must
 * not replace it before that thread reads it (the CLI's :reneg lost its
 * "refused" line when the session's end aborted the connection first). A
 * next failed call of the same thread reports its own reason. */
static void test_error_per_thread(void)
{
	struct pair p;
	char b;

	pair_open(&p, TP_RENEG_REFUSE, TP_RENEG_ACCEPT, 0, 1);
	round_trip(p.client, "before\n");
	CHECK_EQ_INT(tp_conn_renegotiate(p.client), -1);
	run_other_call(p.client, 0);
	expect_refusal_reported(p.client);
	run_other_call(p.client, 1);
	expect_refusal_reported(p.client);
	CHECK_EQ_INT(tp_conn_read(p.client, &b, 1), -1);
	CHECK_EQ_INT(tp_conn_errcode(p.client), TP_ERR_CLOSED);
	tp_conn_free(p.client); /* the echo thread sees the end */
	pthread_join(p.echo.thread, NULL);
	tp_conn_free(p.server);
	tp_config_free(p.ccfg);
	tp_config_free(p.scfg);
	printf("a refusal stays with the thread that asked: ok\n");
}

int main(void)
{
	tu_watchdog_start(60, "renegotiation policies");
	test_server_policy(TP_RENEG_REFUSE, 0, "refuse");
	test_server_policy(TP_RENEG_IGNORE, 0, "ignore");
	test_server_policy(TP_RENEG_LIMIT, 2, "limit 2");
	test_client_refuses();
	test_error_per_thread();
	tu_watchdog_stop();
	return 0;
}
