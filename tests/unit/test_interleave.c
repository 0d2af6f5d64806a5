/*
 * Deterministic interleavings through the library's named scheduling
 * points (DESIGN 3.3):
 *
 * 1. The Go 17101 schedule: the reader wins the handshake, the writer
 *    arrives while it runs (and, in a second variant, only once the reader
 *    waits for data). The peer answers only after the write, so the write
 *    must complete while the reader waits.
 * 2. The same schedule under the pre-fix protocol (reader waits for data
 *    holding the lock), in a child process: it must deadlock and be caught
 *    by the watchdog, which proves this test can fail.
 * 3. A handshake failure wakes every waiting thread with the same error.
 * 4. tp_conn_abort ends a blocked read and a blocked write.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hooks.h"
#include "peer.h"

/* ---- a tiny rendezvous on scheduling points ---------------------------- */

static pthread_mutex_t sched_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sched_cv = PTHREAD_COND_INITIALIZER;
static int seen[TP_SP_COUNT];
static int writer_gate_open;
/* Keeps the handshake owner in its wait for the peer until the writer
 * waits for it, so that "writer arrives during the handshake" happens
 * every time instead of depending on timing. */
static int hold_owner_for_writer;
static pthread_t reader_thread, writer_thread;
static __thread const char *role = "other"; /* set by each thread itself */

static const char *who(void)
{
	return role;
}

static void hook(struct tp_conn *c, enum tp_sched_point sp, void *arg)
{
	(void)c;
	(void)arg;
	tu_watchdog_note("%s at %s", who(), tp_sched_point_name(sp));
	pthread_mutex_lock(&sched_m);
	seen[sp]++;
	pthread_cond_broadcast(&sched_cv);
	/* The writer is held at its entry until the test opens the gate. */
	while (sp == TP_SP_WRITE_ENTER && !writer_gate_open)
		pthread_cond_wait(&sched_cv, &sched_m);
	while (sp == TP_SP_HS_WAIT && hold_owner_for_writer &&
	       seen[TP_SP_CV_WAIT] == 0)
		pthread_cond_wait(&sched_cv, &sched_m);
	pthread_mutex_unlock(&sched_m);
}

static void sched_reset(void)
{
	pthread_mutex_lock(&sched_m);
	memset(seen, 0, sizeof(seen));
	writer_gate_open = 0;
	hold_owner_for_writer = 0;
	pthread_mutex_unlock(&sched_m);
}

static void await_point(enum tp_sched_point sp, int count)
{
	pthread_mutex_lock(&sched_m);
	while (seen[sp] < count)
		pthread_cond_wait(&sched_cv, &sched_m);
	pthread_mutex_unlock(&sched_m);
}

static void open_writer_gate(void)
{
	pthread_mutex_lock(&sched_m);
	writer_gate_open = 1;
	pthread_cond_broadcast(&sched_cv);
	pthread_mutex_unlock(&sched_m);
}

/* ---- 1 and 2: the 17101 schedule --------------------------------------- */

struct io {
	struct tp_conn *c;
	char buf[64];
	size_t got;
	ssize_t wrote;
};

static const char request[] = "ping 17101\n";

static void *do_read(void *arg)
{
	struct io *io = arg;

	role = "reader";
	io->got = tu_read_full(io->c, io->buf, sizeof(request) - 1);
	return NULL;
}

static void *do_write(void *arg)
{
	struct io *io = arg;

	role = "writer";
	io->wrote = tp_conn_write(io->c, request, sizeof(request) - 1);
	return NULL;
}

/* late_writer 0: release the writer while the reader runs the handshake;
 * 1: once the reader waits for data after it. */
static void schedule_17101(int late_writer)
{
	struct tp_config *cfg = tu_client_config("1.3");
	WOLFSSL_CTX *sctx = tu_wolf_server_ctx("1.3");
	struct tu_rev_server srv;
	struct io io;
	int cfd, sfd;

	memset(&io, 0, sizeof(io));
	sched_reset();
	hold_owner_for_writer = !late_writer;
	tp_test_set_hook(hook, NULL);
	CHECK(tu_tcp_pair(&cfd, &sfd) == 0);
	tu_rev_server_start(&srv, sctx, sfd);
	io.c = tp_conn_new(cfg);
	CHECK(tp_conn_attach_fd(io.c, cfd, "localhost") == 0);

	/* The writer starts first but is held at its entry, so the reader
	 * wins the handshake. */
	CHECK(pthread_create(&writer_thread, NULL, do_write, &io) == 0);
	await_point(TP_SP_WRITE_ENTER, 1);
	CHECK(pthread_create(&reader_thread, NULL, do_read, &io) == 0);
	await_point(TP_SP_HS_OWNER, 1);
	if (late_writer)
		await_point(TP_SP_READ_WAIT, 1);
	open_writer_gate();
	if (!late_writer)
		await_point(TP_SP_CV_WAIT, 1); /* writer waits for the owner */

	pthread_join(writer_thread, NULL);
	pthread_join(reader_thread, NULL);
	tu_rev_server_join(&srv);
	tp_test_set_hook(NULL, NULL);
	CHECK_EQ_INT(io.wrote, sizeof(request) - 1);
	CHECK_EQ_INT(io.got, sizeof(request) - 1);
	CHECK(memcmp(io.buf, "10171 gnip\n", sizeof(request) - 1) == 0);
	tp_conn_free(io.c);
	wolfSSL_CTX_free(sctx);
	tp_config_free(cfg);
}

/* Runs the schedule under the pre-fix protocol in a child; returns what
 * the child wrote on stderr and its exit status. */
static int prefix_protocol_child(char *out, size_t outlen)
{
	int fds[2], status;
	size_t have = 0;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		tp_test_set_prefix_protocol(1);
		tu_watchdog_start(3,
				  "17101 schedule under the pre-fix protocol");
		schedule_17101(1);
		tu_watchdog_stop();
		_exit(0);
	}
	close(fds[1]);
	for (;;) {
		ssize_t n = read(fds[0], out + have, outlen - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	out[have] = '\0';
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	return status;
}

static void test_prefix_protocol_deadlocks(void)
{
	char out[4096];
	int status = prefix_protocol_child(out, sizeof(out));

	fprintf(stderr, "--- pre-fix protocol child said:\n%s---\n", out);
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 1);
	CHECK(strstr(out, "did not finish") != NULL);
	CHECK(strstr(out, "reader at READ_WAIT") != NULL);
}

/* ---- 3: a failed handshake wakes every waiter -------------------------- */

struct waiter {
	struct tp_conn *c;
	int is_writer;
	long ret;
	enum tp_errcode code;
	char err[256];
};

static void *wait_io(void *arg)
{
	struct waiter *w = arg;
	char b[16];

	role = w->is_writer ? "writer" : "reader";
	w->ret = w->is_writer ? (long)tp_conn_write(w->c, "x", 1) :
				(long)tp_conn_read(w->c, b, sizeof(b));
	w->code = tp_conn_errcode(w->c);
	snprintf(w->err, sizeof(w->err), "%s",
		 tp_conn_error(w->c) ? tp_conn_error(w->c) : "");
	return NULL;
}

static void test_failure_wakes_all(void)
{
	struct tp_config *cfg = tu_client_config("1.3");
	struct waiter w[3];
	pthread_t t[3];
	struct tp_conn *c;
	int cfd, sfd;

	sched_reset();
	open_writer_gate();
	tp_test_set_hook(hook, NULL);
	CHECK(tu_tcp_pair(&cfd, &sfd) == 0);
	c = tp_conn_new(cfg);
	CHECK(tp_conn_attach_fd(c, cfd, "localhost") == 0);
	for (int i = 0; i < 3; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].c = c;
		w[i].is_writer = i == 2;
		CHECK(pthread_create(&t[i], NULL, wait_io, &w[i]) == 0);
	}
	/* One owns the handshake and waits for the server; two wait on it. */
	await_point(TP_SP_HS_WAIT, 1);
	await_point(TP_SP_CV_WAIT, 2);
	close(sfd); /* the server goes away mid-handshake */
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	tp_test_set_hook(NULL, NULL);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(w[i].ret, -1);
		CHECK_EQ_INT(w[i].code, TP_ERR_HANDSHAKE);
		CHECK(strcmp(w[i].err, w[0].err) == 0);
	}
	fprintf(stderr, "all three waiters got: %s\n", w[0].err);
	tp_conn_free(c);
	tp_config_free(cfg);
}

/* ---- 4: abort ends blocked reads and writes ---------------------------- */

struct silent_server {
	pthread_t thread;
	WOLFSSL_CTX *ctx;
	int fd;
	int stop_pipe[2];
};

/* Completes the handshake, then neither reads nor writes until told. */
static void *silent_main(void *arg)
{
	struct silent_server *s = arg;
	WOLFSSL *ssl = wolfSSL_new(s->ctx);
	char b;

	wolfSSL_set_fd(ssl, s->fd);
	wolfSSL_accept(ssl);
	if (read(s->stop_pipe[0], &b, 1) < 0)
		b = 0;
	wolfSSL_free(ssl);
	close(s->fd);
	return NULL;
}

static void *big_write(void *arg)
{
	struct waiter *w = arg;
	size_t len = 64u << 20;
	char *data = calloc(1, len);

	CHECK(data != NULL);
	w->ret = (long)tp_conn_write(w->c, data, len);
	w->code = tp_conn_errcode(w->c);
	free(data);
	return NULL;
}

static void abort_blocked(int writer)
{
	struct tp_config *cfg = tu_client_config("1.3");
	WOLFSSL_CTX *sctx = tu_wolf_server_ctx("1.3");
	struct silent_server srv;
	struct waiter w;
	pthread_t t;
	int cfd;

	memset(&w, 0, sizeof(w));
	sched_reset();
	open_writer_gate();
	tp_test_set_hook(hook, NULL);
	tp_config_set_write_queue(cfg, 16384);
	CHECK(tu_tcp_pair(&cfd, &srv.fd) == 0);
	CHECK(pipe(srv.stop_pipe) == 0);
	srv.ctx = sctx;
	CHECK(pthread_create(&srv.thread, NULL, silent_main, &srv) == 0);
	w.c = tp_conn_new(cfg);
	CHECK(tp_conn_attach_fd(w.c, cfd, "localhost") == 0);
	CHECK(tp_conn_handshake(w.c) == 0);
	CHECK(pthread_create(&t, NULL, writer ? big_write : wait_io, &w) == 0);
	await_point(writer ? TP_SP_WRITE_WAIT : TP_SP_READ_WAIT, 1);
	tp_conn_abort(w.c);
	pthread_join(t, NULL);
	tp_test_set_hook(NULL, NULL);
	CHECK_EQ_INT(w.ret, -1);
	CHECK_EQ_INT(w.code, TP_ERR_CLOSED);
	CHECK(write(srv.stop_pipe[1], "x", 1) == 1);
	pthread_join(srv.thread, NULL);
	close(srv.stop_pipe[0]);
	close(srv.stop_pipe[1]);
	tp_conn_free(w.c);
	wolfSSL_CTX_free(sctx);
	tp_config_free(cfg);
}

int main(void)
{
	tu_certs(); /* generate before any fork */
	tu_watchdog_start(60, "17101 schedule, writer during the handshake");
	schedule_17101(0);
	tu_watchdog_start(60, "17101 schedule, writer after the handshake");
	schedule_17101(1);
	tu_watchdog_stop();
	printf("17101 schedules: ok\n");

	test_prefix_protocol_deadlocks();
	printf("pre-fix protocol deadlocks and is caught: ok\n");

	tu_watchdog_start(60, "handshake failure wakes all");
	test_failure_wakes_all();
	printf("handshake failure wakes every waiter: ok\n");

	tu_watchdog_start(60, "abort during a blocked read");
	abort_blocked(0);
	tu_watchdog_start(60, "abort during a blocked write");
	abort_blocked(1);
	tu_watchdog_stop();
	printf("abort ends blocked read and write: ok\n");
	return 0;
}
