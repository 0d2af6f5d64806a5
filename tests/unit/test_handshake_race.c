/*
 * A port of Go's TestHandshakeRace (issue 17101): the first read and the
 * first write race to run the handshake, against a server that must read
 * before it writes. Neither thread calls the handshake explicitly. Before
 * the fix this deadlocked when the reader won and then waited for data
 * while holding what the writer needed.
 *
 * TP_RACE_ITERS overrides the iteration count (default 1000; both start
 * orders alternate).
 */
#include <stdlib.h>
#include <string.h>

#include "peer.h"

struct side {
	struct tp_conn *c;
	char buf[64];
	size_t got;
	ssize_t wrote;
};

static const char request[] = "hello, race\n";
static const char reply[] = "ecar ,olleh\n";

static void *reader(void *arg)
{
	struct side *s = arg;

	s->got = tu_read_full(s->c, s->buf, sizeof(reply) - 1);
	return NULL;
}

static void *writer(void *arg)
{
	struct side *s = arg;

	s->wrote = tp_conn_write(s->c, request, sizeof(request) - 1);
	return NULL;
}

static void one_race(struct tp_config *cfg, WOLFSSL_CTX *sctx, int order)
{
	struct tu_rev_server srv;
	struct side s;
	pthread_t r, w;
	int cfd, sfd;

	memset(&s, 0, sizeof(s));
	CHECK(tu_tcp_pair(&cfd, &sfd) == 0);
	tu_rev_server_start(&srv, sctx, sfd);
	s.c = tp_conn_new(cfg);
	CHECK(tp_conn_attach_fd(s.c, cfd, "localhost") == 0);
	if (order == 0) {
		CHECK(pthread_create(&r, NULL, reader, &s) == 0);
		CHECK(pthread_create(&w, NULL, writer, &s) == 0);
	} else {
		CHECK(pthread_create(&w, NULL, writer, &s) == 0);
		CHECK(pthread_create(&r, NULL, reader, &s) == 0);
	}
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	tu_rev_server_join(&srv);
	if (s.wrote != (ssize_t)sizeof(request) - 1 ||
	    s.got != sizeof(reply) - 1)
		tu_fail(__FILE__, __LINE__, "order %d: wrote %zd, read %zu: %s",
			order, s.wrote, s.got,
			tp_conn_error(s.c) ? tp_conn_error(s.c) : "");
	CHECK(memcmp(s.buf, reply, sizeof(reply) - 1) == 0);
	CHECK(srv.ok);
	tp_conn_free(s.c);
}

int main(void)
{
	const char *env = getenv("TP_RACE_ITERS");
	int iters = env ? atoi(env) : 1000;
	const char *versions[] = { "1.3", "1.2" };

	for (int v = 0; v < 2; v++) {
		struct tp_config *cfg = tu_client_config(versions[v]);
		WOLFSSL_CTX *sctx = tu_wolf_server_ctx(versions[v]);

		tu_watchdog_start(600, "handshake race");
		for (int i = 0; i < iters; i++) {
			tu_watchdog_note("TLS %s iteration %d", versions[v], i);
			one_race(cfg, sctx, i % 2);
		}
		tu_watchdog_stop();
		wolfSSL_CTX_free(sctx);
		tp_config_free(cfg);
		printf("handshake race: %d iterations, TLS %s, both orders: "
		       "ok\n",
		       iters, versions[v]);
	}
	return 0;
}
