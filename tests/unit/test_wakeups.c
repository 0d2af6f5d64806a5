/*
 * Every wait names its waker: a change one thread makes must reach the
 * thread that waits for it, on the condition variable or asleep in
 * poll(). Each case parks a thread at a named scheduling point, makes the
 * change from another thread, and expects the parked thread to go on
 * within a bound (BOUND_S); on the code before the fix each one stayed
 * asleep.
 *
 * 1. Data stranded by a renegotiation another thread runs: the reader
 *    sleeps in poll() while the writer's renegotiation reads the peer's
 *    data into the connection; the socket stays empty, so only a wake-up
 *    can tell the reader.
 * 2. A renegotiation paused in a reader (it handed data to its caller)
 *    does not hold up a writer: an application whose reader waits for its
 *    writer must not deadlock (the Go 17101 pattern).
 * 3. A sticky error set by the reader wakes a writer asleep in poll()
 *    for queue space that will never come.
 * 4. The renegotiation policy judges a record whose header arrives split
 *    across reads (through a relay that splits it).
 * 5. Events are never dropped: 256 records written in one call are 256
 *    record events.
 * 6. tp_conn_abort from a signal handler that interrupted a thread inside
 *    the library (holding its lock) returns, and the connection fails.
 * 7. Data that another thread's renegotiation stashed just before it
 *    failed reaches the reader waiting for that renegotiation; the error
 *    comes with the next read.
 * 8. A HelloRequest that arrives after our close_notify is ignored: the
 *    reader waits for the peer's data and close, not for a renegotiation
 *    whose messages could never be sent.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "internal.h"
#include "peer.h"

#define BOUND_S 5

/* ---- scheduling points, per role --------------------------------------- */

enum role {
	R_OTHER,
	R_READER,
	R_WRITER,
	R_SERVER_READER,
	R_COUNT
};

static pthread_mutex_t sm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t scv = PTHREAD_COND_INITIALIZER;
static int seen[R_COUNT][TP_SP_COUNT];
static int park_reader; /* hold the reader at its next READ_WAIT */
static int park_reader_cv; /* hold the reader at its next CV_WAIT */
static int writer_stuck; /* the writer is about to poll a full socket */
static int client_fd = -1;
static __thread enum role my_role = R_OTHER;

static void hook(struct tp_conn *c, enum tp_sched_point sp, void *arg)
{
	struct pollfd p = { .fd = client_fd, .events = POLLOUT };

	(void)c;
	(void)arg;
	pthread_mutex_lock(&sm);
	seen[my_role][sp]++;
	if (my_role == R_WRITER && sp == TP_SP_WRITE_WAIT &&
	    poll(&p, 1, 0) == 0)
		writer_stuck = 1; /* nothing can make the socket writable */
	pthread_cond_broadcast(&scv);
	while (my_role == R_READER && sp == TP_SP_READ_WAIT && park_reader)
		pthread_cond_wait(&scv, &sm);
	while (my_role == R_READER && sp == TP_SP_CV_WAIT && park_reader_cv)
		pthread_cond_wait(&scv, &sm);
	pthread_mutex_unlock(&sm);
}

static void sched_reset(void)
{
	pthread_mutex_lock(&sm);
	memset(seen, 0, sizeof(seen));
	park_reader = park_reader_cv = writer_stuck = 0;
	pthread_mutex_unlock(&sm);
}

static int seen_count(enum role r, enum tp_sched_point sp)
{
	int n;

	pthread_mutex_lock(&sm);
	n = seen[r][sp];
	pthread_mutex_unlock(&sm);
	return n;
}

static void await_seen(enum role r, enum tp_sched_point sp, int count)
{
	pthread_mutex_lock(&sm);
	while (seen[r][sp] < count)
		pthread_cond_wait(&scv, &sm);
	pthread_mutex_unlock(&sm);
}

static void set_flag(int *flag, int v)
{
	pthread_mutex_lock(&sm);
	*flag = v;
	pthread_cond_broadcast(&scv);
	pthread_mutex_unlock(&sm);
}

static void await_flag(const int *flag)
{
	pthread_mutex_lock(&sm);
	while (!*flag)
		pthread_cond_wait(&scv, &sm);
	pthread_mutex_unlock(&sm);
}

/* ---- a call in its own thread, awaited with a bound -------------------- */

struct call {
	pthread_t t;
	enum role role;
	struct tp_conn *c;
	char buf[64]; /* what was read */
	const void *data; /* to write */
	size_t len; /* to write, or room to read */
	ssize_t ret;
	int done;
	int (*then)(struct call *); /* runs after the call, may block */
};

static void *call_main(void *arg)
{
	struct call *k = arg;
	ssize_t r;

	my_role = k->role;
	if (k->role == R_WRITER)
		r = tp_conn_write(k->c, k->data, k->len);
	else
		r = tp_conn_read(k->c, k->buf, k->len);
	pthread_mutex_lock(&sm);
	k->ret = r;
	k->done = 1;
	pthread_cond_broadcast(&scv);
	pthread_mutex_unlock(&sm);
	if (k->then != NULL)
		k->then(k);
	return NULL;
}

/* A reader (data NULL, len: room) or a writer of data. */
static void call_start(struct call *k, enum role role, struct tp_conn *c,
		       const void *data, size_t len)
{
	k->role = role;
	k->c = c;
	k->data = data;
	k->len = len;
	/* Under the lock: another call's `then` may already await this one. */
	pthread_mutex_lock(&sm);
	k->done = 0;
	pthread_mutex_unlock(&sm);
	CHECK(pthread_create(&k->t, NULL, call_main, k) == 0);
}

/* 1 when the call returned within BOUND_S seconds. */
static int call_await(struct call *k)
{
	struct timespec ts;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += BOUND_S;
	pthread_mutex_lock(&sm);
	while (!k->done && r == 0)
		r = pthread_cond_timedwait(&scv, &sm, &ts);
	r = k->done;
	pthread_mutex_unlock(&sm);
	return r;
}

/* A server reader that takes everything until the end of the stream. */
struct drain {
	pthread_t t;
	struct tp_conn *c;
	size_t bytes;
	char first[64];
};

static void *drain_main(void *arg)
{
	struct drain *d = arg;
	char buf[16384];
	ssize_t n;

	my_role = R_SERVER_READER;
	while ((n = tp_conn_read(d->c, buf, sizeof(buf))) > 0) {
		if (d->bytes == 0)
			memcpy(d->first, buf, (size_t)n < 63 ? (size_t)n : 63);
		d->bytes += (size_t)n;
	}
	return NULL;
}

static void drain_start(struct drain *d, struct tp_conn *c)
{
	memset(d, 0, sizeof(*d));
	d->c = c;
	CHECK(pthread_create(&d->t, NULL, drain_main, d) == 0);
}

/* A TLS 1.2 pair over loopback, handshaken; client_fd is the client's
 * socket (for the hook to look at). */
static void pair12(struct tp_config *ccfg, struct tp_config *scfg,
		   struct tp_conn **client, struct tp_conn **server)
{
	int cfd, sfd;

	CHECK(tu_tcp_pair(&cfd, &sfd) == 0);
	*client = tp_conn_new(ccfg);
	*server = tp_conn_new(scfg);
	CHECK(*client != NULL && *server != NULL);
	CHECK(tp_conn_attach_fd(*client, cfd, "localhost") == 0);
	CHECK(tp_conn_attach_fd(*server, sfd, NULL) == 0);
	client_fd = cfd;
	tu_handshake_both(*client, *server);
}

static void end_pair(struct tp_conn *client, struct tp_conn *server,
		     struct drain *d)
{
	tp_conn_abort(server);
	tp_conn_abort(client);
	if (d != NULL)
		pthread_join(d->t, NULL);
	tp_conn_free(client);
	tp_conn_free(server);
	client_fd = -1;
}

static void await_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	CHECK(poll(&p, 1, BOUND_S * 1000) == 1);
}

/* ---- 1. data stranded by another thread's renegotiation ----------------- */

static void test_stranded_by_renegotiation(void)
{
	struct tp_config *ccfg = tu_client_config("1.2");
	struct tp_config *scfg = tu_server_config("1.2");
	struct tp_conn *client, *server;
	struct drain d;
	struct call reader = { 0 };

	sched_reset();
	pair12(ccfg, scfg, &client, &server);
	drain_start(&d, server); /* takes the ClientHello */
	set_flag(&park_reader, 1);
	call_start(&reader, R_READER, client, NULL, sizeof(reader.buf) - 1);
	await_seen(R_READER, TP_SP_READ_WAIT, 1); /* about to poll() */
	CHECK_EQ_INT(tp_conn_write(server, "stranded", 8), 8);
	await_readable(client_fd);
	/* This thread's renegotiation reads the record into the
	 * connection and empties the socket. */
	CHECK_EQ_INT(tp_conn_renegotiate(client), 0);
	set_flag(&park_reader, 0); /* the reader now enters poll() */
	if (!call_await(&reader))
		tu_fail(__FILE__, __LINE__,
			"reader asleep in poll() %d s after a renegotiation "
			"stashed its data",
			BOUND_S);
	CHECK_EQ_INT(reader.ret, 8);
	CHECK(memcmp(reader.buf, "stranded", 8) == 0);
	pthread_join(reader.t, NULL);
	end_pair(client, server, &d);
	tp_config_free(ccfg);
	tp_config_free(scfg);
	printf("ok 1 data stranded by another thread's renegotiation\n");
}

/* ---- 2. a paused renegotiation does not hold up a writer ---------------- */

static struct call *writer_of_2;

/* The application's reader waits for its writer before reading on. */
static int wait_for_writer(struct call *k)
{
	(void)k;
	call_await(writer_of_2);
	return 0;
}

static void test_paused_renegotiation(void)
{
	struct tp_config *ccfg = tu_client_config("1.2");
	struct tp_config *scfg = tu_server_config("1.2");
	struct tp_conn *client, *server;
	struct call reader = { 0 }, writer = { 0 };
	struct drain d;

	sched_reset();
	/* Writes after the HelloRequest go out at once: the client meets
	 * data inside the renegotiation it runs, and pauses to deliver it. */
	tp_config_set_hello_request_hold(scfg, 0, 0);
	pair12(ccfg, scfg, &client, &server);
	CHECK_EQ_INT(tp_conn_request_renegotiation(server), 0);
	CHECK_EQ_INT(tp_conn_write(server, "inside", 6), 6);
	drain_start(&d, server); /* takes the ClientHello, answers it */
	writer_of_2 = &writer;
	reader.then = wait_for_writer;
	call_start(&reader, R_READER, client, NULL, sizeof(reader.buf) - 1);
	CHECK(call_await(&reader));
	CHECK_EQ_INT(reader.ret, 6);
	writer.then = NULL;
	call_start(&writer, R_WRITER, client, "after", 5);
	if (!call_await(&writer))
		tu_fail(__FILE__, __LINE__,
			"writer blocked %d s by a renegotiation paused in "
			"the reader",
			BOUND_S);
	CHECK_EQ_INT(writer.ret, 5);
	pthread_join(writer.t, NULL);
	pthread_join(reader.t, NULL);
	CHECK_EQ_INT(tp_conn_shutdown_write(client), 0);
	pthread_join(d.t, NULL);
	CHECK_EQ_INT(d.bytes, 5);
	CHECK(memcmp(d.first, "after", 5) == 0);
	end_pair(client, server, NULL);
	tp_config_free(ccfg);
	tp_config_free(scfg);
	printf("ok 2 a paused renegotiation does not block the writer\n");
}

/* ---- 3. a sticky error wakes a writer asleep in poll() ------------------ */

static void test_fail_wakes_writer(void)
{
	static char big[8 << 20];
	struct tp_config *ccfg = tu_client_config("1.2");
	struct tp_config *scfg = tu_server_config("1.2");
	/* An AES-GCM record whose tag cannot verify. */
	unsigned char bad[5 + 40] = { 23, 3, 3, 0, 40 };
	struct tp_conn *client, *server;
	struct call reader = { 0 }, writer = { 0 };

	sched_reset();
	tp_config_set_write_queue(ccfg, 16384);
	pair12(ccfg, scfg, &client, &server);
	reader.then = writer.then = NULL;
	call_start(&reader, R_READER, client, NULL, sizeof(reader.buf) - 1);
	await_seen(R_READER, TP_SP_READ_WAIT, 1);
	/* Nothing reads on the server side: the writer fills the socket
	 * and goes to sleep in poll() for space that never comes. */
	call_start(&writer, R_WRITER, client, big, sizeof(big));
	await_flag(&writer_stuck);
	/* The reader fails on this record; its error must reach the
	 * writer, which nothing else would wake. */
	CHECK_EQ_INT(send(server->fd, bad, sizeof(bad), 0), sizeof(bad));
	CHECK(call_await(&reader));
	CHECK_EQ_INT(reader.ret, -1);
	if (!call_await(&writer))
		tu_fail(__FILE__, __LINE__,
			"writer asleep in poll() %d s after the connection "
			"failed (%s)",
			BOUND_S, tp_conn_error(client));
	CHECK_EQ_INT(writer.ret, -1);
	pthread_join(reader.t, NULL);
	pthread_join(writer.t, NULL);
	end_pair(client, server, NULL);
	tp_config_free(ccfg);
	tp_config_free(scfg);
	printf("ok 3 a sticky error wakes a writer in poll()\n");
}

/* ---- 4. the policy judges a header split across reads ------------------- */

/* Relays bytes both ways between two sockets; the first client-to-server
 * chunk after `split` is set goes in two parts: 2 bytes, then (once the
 * server's reader has taken them and waits again) the rest. */
struct relay {
	pthread_t t;
	int cfd, sfd; /* towards the client, towards the server */
	int split;
	int stop[2];
};

static void split_forward(int to, const char *buf, ssize_t n)
{
	int before = seen_count(R_SERVER_READER, TP_SP_READ_WAIT);

	CHECK_EQ_INT(send(to, buf, 2, MSG_NOSIGNAL), 2);
	await_seen(R_SERVER_READER, TP_SP_READ_WAIT, before + 1);
	CHECK_EQ_INT(send(to, buf + 2, (size_t)n - 2, MSG_NOSIGNAL), n - 2);
}

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	struct pollfd p[3] = { { .fd = r->cfd, .events = POLLIN },
			       { .fd = r->sfd, .events = POLLIN },
			       { .fd = r->stop[0], .events = POLLIN } };
	char buf[65536];

	while (poll(p, 3, -1) > 0 && !(p[2].revents & POLLIN)) {
		for (int i = 0; i < 2; i++) {
			ssize_t n;
			int to = i == 0 ? r->sfd : r->cfd;

			if (!(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			n = recv(p[i].fd, buf, sizeof(buf), 0);
			if (n <= 0)
				return NULL;
			if (i == 0 && n > 2 && __atomic_load_n(&r->split, 0)) {
				__atomic_store_n(&r->split, 0, 0);
				split_forward(to, buf, n);
			} else if (send(to, buf, (size_t)n, MSG_NOSIGNAL) !=
				   n) {
				return NULL;
			}
		}
	}
	return NULL;
}

static void test_policy_split_header(void)
{
	struct tp_config *ccfg = tu_client_config("1.2");
	struct tp_config *scfg = tu_server_config("1.2");
	struct tp_conn *client, *server;
	struct relay r = { .split = 0 };
	int a[2], b[2];
	struct drain d;
	int ret;

	sched_reset();
	tp_config_set_reneg_policy(scfg, TP_RENEG_REFUSE, 0);
	CHECK(tu_tcp_pair(&a[0], &a[1]) == 0); /* client - relay */
	CHECK(tu_tcp_pair(&b[0], &b[1]) == 0); /* relay - server */
	CHECK(pipe(r.stop) == 0);
	r.cfd = a[1];
	r.sfd = b[0];
	CHECK(pthread_create(&r.t, NULL, relay_main, &r) == 0);
	client = tp_conn_new(ccfg);
	server = tp_conn_new(scfg);
	CHECK(tp_conn_attach_fd(client, a[0], "localhost") == 0);
	CHECK(tp_conn_attach_fd(server, b[1], NULL) == 0);
	tu_handshake_both(client, server);
	drain_start(&d, server);
	await_seen(R_SERVER_READER, TP_SP_READ_WAIT, 1);
	__atomic_store_n(&r.split, 1, 0);
	ret = tp_conn_renegotiate(client);
	if (ret == 0)
		tu_fail(__FILE__, __LINE__,
			"a ClientHello whose header came in two parts "
			"renegotiated past the refuse policy");
	CHECK_EQ_INT(tp_conn_errcode(client), TP_ERR_REFUSED);
	CHECK_EQ_INT(tp_conn_write(client, "still", 5), 5);
	CHECK_EQ_INT(tp_conn_shutdown_write(client), 0);
	pthread_join(d.t, NULL);
	CHECK_EQ_INT(d.bytes, 5);
	CHECK(write(r.stop[1], "x", 1) == 1);
	pthread_join(r.t, NULL);
	end_pair(client, server, NULL);
	close(a[1]);
	close(b[0]);
	close(r.stop[0]);
	close(r.stop[1]);
	tp_config_free(ccfg);
	tp_config_free(scfg);
	printf("ok 4 the policy judges a split record header\n");
}

/* ---- 5. no event is dropped --------------------------------------------- */

static int records_sent;

static void count_records(struct tp_conn *c, const struct tp_event *ev,
			  void *arg)
{
	(void)c;
	(void)arg;
	if (ev->type == TP_EV_RECORD && ev->level == 1 && ev->value == 23)
		__atomic_add_fetch(&records_sent, 1, __ATOMIC_RELAXED);
}

static void test_no_event_dropped(void)
{
	static char big[4 << 20]; /* 256 records of 16 KiB */
	struct tp_config *ccfg = tu_client_config("1.2");
	struct tp_config *scfg = tu_server_config("1.2");
	struct tp_conn *client, *server;
	struct drain d;

	sched_reset();
	tp_config_set_event_cb(ccfg, count_records, NULL);
	tp_config_set_write_queue(ccfg, sizeof(big) * 2); /* one go */
	pair12(ccfg, scfg, &client, &server);
	drain_start(&d, server);
	CHECK_EQ_INT(tp_conn_write(client, big, sizeof(big)), sizeof(big));
	CHECK_EQ_INT(tp_conn_shutdown_write(client), 0);
	pthread_join(d.t, NULL);
	CHECK_EQ_INT(d.bytes, sizeof(big));
	CHECK_EQ_INT(__atomic_load_n(&records_sent, __ATOMIC_RELAXED),
		     sizeof(big) / 16384);
	end_pair(client, server, NULL);
	tp_config_free(ccfg);
	tp_config_free(scfg);
	printf("ok 5 no record event dropped\n");
}

/* ---- 6. tp_conn_abort from a signal handler ----------------------------- */

static struct tp_conn *abort_target;

static void on_sigusr1(int sig)
{
	(void)sig;
	tp_conn_abort(abort_target);
}

static void test_abort_in_signal_handler(void)
{
	struct tp_config *ccfg = tu_client_config("1.2");
	struct tp_config *scfg = tu_server_config("1.2");
	struct tp_conn *client, *server;
	char buf[16];

	sched_reset();
	pair12(ccfg, scfg, &client, &server);
	abort_target = client;
	signal(SIGUSR1, on_sigusr1);
	/* The signal lands while this thread is inside the library, as a
	 * Ctrl-C can at any moment: here, holding the connection's lock. */
	pthread_mutex_lock(&client->m);
	raise(SIGUSR1);
	pthread_mutex_unlock(&client->m);
	CHECK_EQ_INT(tp_conn_read(client, buf, sizeof(buf)), -1);
	CHECK_EQ_INT(tp_conn_errcode(client), TP_ERR_CLOSED);
	signal(SIGUSR1, SIG_DFL);
	end_pair(client, server, NULL);
	tp_config_free(ccfg);
	tp_config_free(scfg);
	printf("ok 6 tp_conn_abort from a signal handler\n");
}

/* ---- 7. data stashed before an error is delivered first ---------------- */

static void *renegotiate_main(void *arg)
{
	my_role = R_WRITER;
	return tp_conn_renegotiate(arg) == 0 ? arg : NULL;
}

static void test_data_before_error(void)
{
	struct tp_config *ccfg = tu_client_config("1.2");
	struct tp_config *scfg = tu_server_config("1.2");
	unsigned char bad[5 + 40] = { 23, 3, 3, 0, 40 };
	struct tp_conn *client, *server;
	struct call reader = { 0 };
	pthread_t reneg;
	void *ok;

	sched_reset();
	pair12(ccfg, scfg, &client, &server);
	/* This thread's renegotiation waits for a ServerHello that never
	 * comes (nothing reads on the server side)... */
	CHECK(pthread_create(&reneg, NULL, renegotiate_main, client) == 0);
	await_seen(R_WRITER, TP_SP_HS_WAIT, 1);
	/* ...while the reader waits for it to end. */
	set_flag(&park_reader_cv, 1);
	call_start(&reader, R_READER, client, NULL, sizeof(reader.buf) - 1);
	await_seen(R_READER, TP_SP_CV_WAIT, 1);
	/* Data, then a record that fails: the renegotiation stashes the
	 * data and fails before the reader looks again. */
	CHECK_EQ_INT(tp_conn_write(server, "last", 4), 4);
	CHECK_EQ_INT(send(server->fd, bad, sizeof(bad), 0), sizeof(bad));
	pthread_join(reneg, &ok);
	CHECK(ok == NULL);
	set_flag(&park_reader_cv, 0);
	CHECK(call_await(&reader));
	if (reader.ret != 4)
		tu_fail(__FILE__, __LINE__,
			"read returned %zd: the data stashed before the error "
			"was lost",
			reader.ret);
	CHECK(memcmp(reader.buf, "last", 4) == 0);
	pthread_join(reader.t, NULL);
	CHECK_EQ_INT(tp_conn_read(client, reader.buf, sizeof(reader.buf)), -1);
	end_pair(client, server, NULL);
	tp_config_free(ccfg);
	tp_config_free(scfg);
	printf("ok 7 data stashed before an error is delivered first\n");
}

/* ---- 8. a HelloRequest after our close_notify --------------------------- */

/* 1 when role reached sp count times within BOUND_S seconds. */
static int await_seen_bounded(enum role r, enum tp_sched_point sp, int count)
{
	struct timespec ts;
	int ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += BOUND_S;
	pthread_mutex_lock(&sm);
	while (seen[r][sp] < count &&
	       pthread_cond_timedwait(&scv, &sm, &ts) == 0)
		;
	ok = seen[r][sp] >= count;
	pthread_mutex_unlock(&sm);
	return ok;
}

static int refused_by_us;

static void note_refused(struct tp_conn *c, const struct tp_event *ev,
			 void *arg)
{
	(void)c;
	(void)arg;
	if (ev->type == TP_EV_RENEG_REFUSED && ev->value == 1 &&
	    ev->detail != NULL &&
	    strcmp(ev->detail, "ignored: after our close_notify") == 0)
		__atomic_add_fetch(&refused_by_us, 1, __ATOMIC_RELAXED);
}

static void test_hello_request_after_close_notify(void)
{
	struct tp_config *ccfg = tu_client_config("1.2");
	struct tp_config *scfg = tu_server_config("1.2");
	struct tp_conn *client, *server;
	struct call reader = { 0 };
	char rest[8];

	sched_reset();
	tp_config_set_event_cb(ccfg, note_refused, NULL);
	pair12(ccfg, scfg, &client, &server);
	CHECK_EQ_INT(tp_conn_shutdown_write(client), 0);
	call_start(&reader, R_READER, client, NULL, sizeof(reader.buf) - 1);
	await_seen(R_READER, TP_SP_READ_WAIT, 1);
	CHECK_EQ_INT(tp_conn_request_renegotiation(server), 0);
	/* The reader takes the HelloRequest and waits for data again; with
	 * a renegotiation started it would wait for a ServerHello. */
	if (!await_seen_bounded(R_READER, TP_SP_READ_WAIT, 2))
		tu_fail(__FILE__, __LINE__,
			"a HelloRequest after our close_notify started a "
			"renegotiation (reader at HS_WAIT %d times)",
			seen_count(R_READER, TP_SP_HS_WAIT));
	CHECK_EQ_INT(seen_count(R_READER, TP_SP_HS_WAIT), 0);
	CHECK_EQ_INT(tp_conn_write(server, "bye", 3), 3);
	CHECK_EQ_INT(tp_conn_shutdown_write(server), 0);
	CHECK(call_await(&reader));
	CHECK_EQ_INT(reader.ret, 3);
	pthread_join(reader.t, NULL);
	CHECK_EQ_INT(tp_conn_read(client, rest, sizeof(rest)), 0);
	CHECK_EQ_INT(__atomic_load_n(&refused_by_us, __ATOMIC_RELAXED), 1);
	end_pair(client, server, NULL);
	tp_config_free(ccfg);
	tp_config_free(scfg);
	printf("ok 8 a HelloRequest after our close_notify is ignored\n");
}

/* With an argument N, only case N runs (to see each fail on old code). */
int main(int argc, char **argv)
{
	static void (*const cases[])(void) = {
		test_stranded_by_renegotiation,
		test_paused_renegotiation,
		test_fail_wakes_writer,
		test_policy_split_header,
		test_no_event_dropped,
		test_abort_in_signal_handler,
		test_data_before_error,
		test_hello_request_after_close_notify,
	};
	int only = argc > 1 ? atoi(argv[1]) : 0;

	signal(SIGPIPE, SIG_IGN);
	tp_test_set_hook(hook, NULL);
	for (int i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
		if (only != 0 && only != i + 1)
			continue;
		tu_watchdog_start(60, "test_wakeups");
		cases[i]();
		tu_watchdog_stop();
	}
	return 0;
}
