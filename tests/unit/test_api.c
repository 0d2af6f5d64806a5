/*
 * The small accessors of the API, over real loopback handshakes:
 * tp_conn_set_arg/tp_conn_arg (two connections on one config, one event
 * callback: each event reaches the state of its own connection),
 * tp_conn_handshake_done (0 until the first handshake completed, 1 from
 * then on, also inside a renegotiation), the protocol as an enum in
 * tp_info (and the string beside it), and the error convention: NULL
 * when there is none, for a config as for a connection; the string of
 * tp_conn_verify_log stays as it was returned while a renegotiation
 * records more failures.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "peer.h"

/* The state a caller keeps per connection. */
struct mine {
	struct tp_conn *conn; /* what tp_conn_arg must lead back to */
	int starts, dones, reneg_requests, reneg_dones;
	int done_at_start; /* tp_conn_handshake_done in HANDSHAKE_START */
	int done_at_done; /* ... in HANDSHAKE_DONE */
	int done_in_reneg; /* ... in RENEG_REQUESTED */
};

static void on_event(struct tp_conn *c, const struct tp_event *ev, void *arg)
{
	struct mine *m = tp_conn_arg(c);

	(void)arg;
	CHECK(m != NULL);
	CHECK(m->conn == c);
	switch (ev->type) {
	case TP_EV_HANDSHAKE_START:
		m->starts++;
		m->done_at_start = tp_conn_handshake_done(c);
		break;
	case TP_EV_HANDSHAKE_DONE:
		m->dones++;
		m->done_at_done = tp_conn_handshake_done(c);
		break;
	case TP_EV_RENEG_REQUESTED:
		m->reneg_requests++;
		m->done_in_reneg = tp_conn_handshake_done(c);
		break;
	case TP_EV_RENEG_DONE:
		m->reneg_dones++;
		break;
	default:
		break;
	}
}

struct pair {
	struct tp_conn *client, *server;
	struct mine cm, sm;
};

static void pair_open(struct pair *p, struct tp_config *ccfg,
		      struct tp_config *scfg)
{
	memset(p, 0, sizeof(*p));
	tu_conn_pair(ccfg, scfg, &p->client, &p->server);
	CHECK(tp_conn_arg(p->client) == NULL);
	CHECK_EQ_INT(tp_conn_handshake_done(p->client), 0);
	p->cm.conn = p->client;
	p->sm.conn = p->server;
	tp_conn_set_arg(p->client, &p->cm);
	tp_conn_set_arg(p->server, &p->sm);
	CHECK(tp_conn_arg(p->client) == &p->cm);
}

static void pair_free(struct pair *p)
{
	tp_conn_free(p->client);
	tp_conn_free(p->server);
}

/* The server reads until the end of the stream, which is what runs the
 * client's renegotiation on its side. */
static void *drain_main(void *arg)
{
	char buf[256];

	while (tp_conn_read(arg, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

/* Two pairs on the same two configs, handshaken one after the other:
 * each connection's events reach its own state, and only its own. */
static void test_arg_and_handshake_done(void)
{
	struct tp_config *ccfg = tu_client_config("1.2");
	struct tp_config *scfg = tu_server_config("1.2");
	struct pair a, b;
	pthread_t drain;

	tp_config_set_event_cb(ccfg, on_event, NULL);
	tp_config_set_event_cb(scfg, on_event, NULL);
	pair_open(&a, ccfg, scfg);
	pair_open(&b, ccfg, scfg);
	tu_handshake_both(a.client, a.server);
	CHECK_EQ_INT(a.cm.dones, 1);
	CHECK_EQ_INT(a.sm.dones, 1);
	CHECK_EQ_INT(b.cm.starts + b.sm.starts, 0);
	CHECK_EQ_INT(tp_conn_handshake_done(a.client), 1);
	CHECK_EQ_INT(tp_conn_handshake_done(b.client), 0);
	tu_handshake_both(b.client, b.server);
	CHECK_EQ_INT(b.cm.dones, 1);
	CHECK_EQ_INT(a.cm.dones, 1);
	CHECK_EQ_INT(a.cm.done_at_start, 0);
	CHECK_EQ_INT(a.cm.done_at_done, 1);

	/* A renegotiation: still done while it runs, and after it. */
	CHECK(pthread_create(&drain, NULL, drain_main, a.server) == 0);
	CHECK_EQ_INT(tp_conn_renegotiate(a.client), 0);
	CHECK_EQ_INT(a.cm.reneg_requests, 1);
	CHECK_EQ_INT(a.cm.reneg_dones, 1);
	CHECK_EQ_INT(a.cm.done_in_reneg, 1);
	CHECK_EQ_INT(b.cm.reneg_requests, 0);
	CHECK_EQ_INT(tp_conn_handshake_done(a.client), 1);
	CHECK_EQ_INT(tp_conn_shutdown_write(a.client), 0);
	pthread_join(drain, NULL);

	pair_free(&a);
	pair_free(&b);
	tp_config_free(ccfg);
	tp_config_free(scfg);
	printf("tp_conn_arg, tp_conn_handshake_done: ok\n");
}

static void test_protocol(const char *version, enum tp_version want)
{
	struct tp_config *ccfg = tu_client_config(version);
	struct tp_config *scfg = tu_server_config(version);
	struct tp_conn *client, *server;
	struct tp_info in;

	tu_conn_pair(ccfg, scfg, &client, &server);
	CHECK(tp_conn_info(client, &in) == -1);
	CHECK_EQ_INT(in.protocol, TP_VERSION_ANY);
	tu_handshake_both(client, server);
	CHECK(tp_conn_info(client, &in) == 0);
	CHECK_EQ_INT(in.protocol, want);
	CHECK(strcmp(in.version, tp_version_name(want)) == 0);
	CHECK(tp_conn_info(server, &in) == 0);
	CHECK_EQ_INT(in.protocol, want);
	tp_conn_free(client);
	tp_conn_free(server);
	tp_config_free(ccfg);
	tp_config_free(scfg);
	printf("tp_info.protocol %s: ok\n", tp_version_name(want));
}

/* As tp_conn_error: NULL until something failed, then the reason. */
static void test_error_convention(void)
{
	struct tp_config *cfg = tp_config_new(TP_CLIENT);
	struct tp_conn *c;
	const char *why;

	CHECK(cfg != NULL);
	CHECK(tp_config_error(cfg) == NULL);
	c = tp_conn_new(cfg);
	CHECK(c != NULL);
	CHECK(tp_conn_error(c) == NULL);
	tp_conn_free(c);
	CHECK_EQ_INT(tp_config_set_ca_file(cfg, "/nonexistent/ca.pem"), -1);
	why = tp_config_error(cfg);
	CHECK(why != NULL && strstr(why, "/nonexistent/ca.pem") != NULL);
	tp_config_free(cfg);
	printf("tp_config_error, tp_conn_error: NULL when none: ok\n");
}

/* A call that fails says why, also when it fails before doing anything:
 * resuming from a connection that never had a handshake (before, -1 with
 * no reason at all). */
static void test_reuse_without_session(void)
{
	struct tp_config *cfg = tp_config_new(TP_CLIENT);
	struct tp_conn *prev = tp_conn_new(cfg), *c = tp_conn_new(cfg);
	const char *why;

	CHECK(prev != NULL && c != NULL);
	CHECK_EQ_INT(tp_conn_reuse_session_from(c, prev), -1);
	CHECK_EQ_INT(tp_conn_errcode(c), TP_ERR_USAGE);
	why = tp_conn_error(c);
	CHECK(why != NULL && strstr(why, "session") != NULL);
	tp_conn_free(prev);
	tp_conn_free(c);
	tp_config_free(cfg);
	printf("tp_conn_reuse_session_from without a session says so: ok\n");
}

/* A TLS 1.2 pair whose client verifies the wrong name and goes on
 * (--insecure), so each handshake records a failure; the server drains
 * what the client sends, which runs its side of each renegotiation. */
struct failing_pair {
	struct tp_config *ccfg, *scfg;
	struct tp_conn *client, *server;
	pthread_t drain;
};

static void failing_pair_open(struct failing_pair *f)
{
	f->ccfg = tu_client_config("1.2");
	f->scfg = tu_server_config("1.2");
	tp_config_insecure(f->ccfg, 1);
	tu_conn_pair(f->ccfg, f->scfg, &f->client, &f->server);
	CHECK(tp_conn_set_verify_name(f->client, "wrong.example") == 0);
	tu_handshake_both(f->client, f->server);
	CHECK(pthread_create(&f->drain, NULL, drain_main, f->server) == 0);
}

static void failing_pair_close(struct failing_pair *f)
{
	CHECK_EQ_INT(tp_conn_shutdown_write(f->client), 0);
	pthread_join(f->drain, NULL);
	tp_conn_free(f->client);
	tp_conn_free(f->server);
	tp_config_free(f->ccfg);
	tp_config_free(f->scfg);
}

/* tp_conn_verify_log's string is the caller's until its next call: a
 * renegotiation that records more failures (in this thread here; in
 * another, the same append would race with the caller's reading) leaves
 * it as it was, and the next call sees them. */
static void test_verify_log_snapshot(void)
{
	struct failing_pair f;
	char before[4096];
	const char *log;

	failing_pair_open(&f);
	log = tp_conn_verify_log(f.client);
	CHECK(strstr(log, "'wrong.example'") != NULL);
	snprintf(before, sizeof(before), "%s", log);

	CHECK_EQ_INT(tp_conn_renegotiate(f.client), 0);
	if (strcmp(log, before) != 0)
		tu_fail(__FILE__, __LINE__,
			"the log returned changed under the caller:\n"
			"was:\n%snow:\n%s",
			before, log);
	CHECK(strlen(tp_conn_verify_log(f.client)) > strlen(before));
	failing_pair_close(&f);
	printf("tp_conn_verify_log: a snapshot: ok\n");
}

/* Lets the process open only `spare` more descriptors; the old limit in
 * *old, for setrlimit after. */
static void limit_descriptors(struct rlimit *old, int spare)
{
	struct rlimit low;
	int fd = dup(0); /* the lowest free descriptor */

	CHECK(fd >= 0);
	close(fd);
	CHECK(getrlimit(RLIMIT_NOFILE, old) == 0);
	low = *old;
	low.rlim_cur = (rlim_t)(fd + spare);
	CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
}

/* A log that fills up says so on its last line, once, and keeps what it
 * had: the count of failures goes on without it. */
static void test_verify_log_full(void)
{
	struct failing_pair f;
	const char *log, *mark = "(further failures not kept)\n";
	int i;

	failing_pair_open(&f);
	for (i = 0; i < 48; i++) /* about 130 bytes each: past 4 KiB */
		CHECK_EQ_INT(tp_conn_renegotiate(f.client), 0);
	log = tp_conn_verify_log(f.client);
	if (strlen(log) < strlen(mark) ||
	    strcmp(log + strlen(log) - strlen(mark), mark) != 0)
		tu_fail(__FILE__, __LINE__, "a full log ends without '%s':%s",
			mark,
			log + (strlen(log) > 200 ? strlen(log) - 200 : 0));
	CHECK(strstr(log, mark) == log + strlen(log) - strlen(mark));
	failing_pair_close(&f);
	printf("tp_conn_verify_log: a full log says so: ok\n");
}

/* With one descriptor left, the connection's wake-up descriptor takes it
 * and wolfSSL finds none for its random source: NULL and errno, not a
 * connection that fails later as a "usage" error. */
static void test_conn_new_no_descriptor(void)
{
	struct tp_config *cfg = tp_config_new(TP_CLIENT);
	struct rlimit old;
	struct tp_conn *c;
	int e;

	CHECK(cfg != NULL);
	tp_config_insecure(cfg, 1); /* no trust store to load */
	limit_descriptors(&old, 1);
	errno = 0;
	c = tp_conn_new(cfg);
	e = errno;
	CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
	if (c != NULL)
		tu_fail(__FILE__, __LINE__,
			"tp_conn_new gave a connection that cannot work: %s",
			tp_conn_error(c) ? tp_conn_error(c) : "(no error)");
	CHECK_EQ_INT(e, EMFILE);
	tp_config_free(cfg);
	printf("tp_conn_new: NULL and errno with no descriptor: ok\n");
}

/* A reader in a thread that cannot get its wake-up descriptor: a local
 * failure (TP_ERR_LOCAL, the CLI's exit 1), not an I/O error of the peer's
 * (which the CLI reports as a failed handshake). */
static void *read_without_descriptor(void *arg)
{
	static int code;
	char buf[16];

	code = tp_conn_read(arg, buf, sizeof(buf)) < 0 ?
		       (int)tp_conn_errcode(arg) :
		       -1;
	return &code;
}

static void test_read_no_descriptor(void)
{
	struct tp_config *ccfg = tu_client_config("1.3");
	struct tp_config *scfg = tu_server_config("1.3");
	struct tp_conn *client, *server;
	struct rlimit old;
	pthread_t t;
	void *ret;

	tu_conn_pair(ccfg, scfg, &client, &server);
	tu_handshake_both(client, server);
	limit_descriptors(&old, 0);
	CHECK(pthread_create(&t, NULL, read_without_descriptor, client) == 0);
	pthread_join(t, &ret);
	CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
	if (*(int *)ret != TP_ERR_LOCAL)
		tu_fail(__FILE__, __LINE__,
			"want TP_ERR_LOCAL (%d), got %d: %s", TP_ERR_LOCAL,
			*(int *)ret, tp_conn_error(client));
	tp_conn_free(client);
	tp_conn_free(server);
	tp_config_free(ccfg);
	tp_config_free(scfg);
	printf("a wait with no descriptor left: TP_ERR_LOCAL: ok\n");
}

/* When no socket can be made, the message says why (here: no descriptor
 * left), not a made-up "No route to host". */
static void test_tcp_connect_socket_error(void)
{
	struct rlimit old;
	char err[256] = "";
	int fd, timed_out;

	limit_descriptors(&old, 0);
	fd = tp_tcp_connect("127.0.0.1", "9", 0, 1000, err, sizeof(err),
			    &timed_out, NULL);
	CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
	CHECK_EQ_INT(fd, -1);
	if (strstr(err, strerror(EMFILE)) == NULL)
		tu_fail(__FILE__, __LINE__, "want '%s' in: %s",
			strerror(EMFILE), err);
	printf("tp_tcp_connect: a failed socket() named: ok\n");
}

int main(void)
{
	tu_watchdog_start(60, "API accessors");
	test_arg_and_handshake_done();
	test_protocol("1.2", TP_TLS1_2);
	test_protocol("1.3", TP_TLS1_3);
	test_error_convention();
	test_reuse_without_session();
	test_verify_log_snapshot();
	test_verify_log_full();
	test_tcp_connect_socket_error();
	test_conn_new_no_descriptor();
	test_read_no_descriptor();
	tu_watchdog_stop();
	return 0;
}
