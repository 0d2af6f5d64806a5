/* Listening and accepting for `tlsprobe serve`: one thread per
 * connection, and refusals that the client sees at once. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve.h"

static atomic_int next_id;

int serve_listen(const struct serve_opts *o)
{
	const char *addr = o->addr ? o->addr : "127.0.0.1";
	struct addrinfo hints, *res;
	int fd, one = 1, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	r = getaddrinfo(addr, o->port, &hints, &res);
	if (r != 0) {
		fprintf(stderr, "tlsprobe serve: cannot resolve '%s': %s\n",
			addr, gai_strerror(r));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 64) < 0) {
		fprintf(stderr,
			"tlsprobe serve: cannot listen on %s port %s: %s\n",
			addr, o->port, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/*
 * Out of descriptors, accept fails and the connection stays in the
 * backlog, so the loop would spin on it and the client would wait for its
 * own timeout. A descriptor kept in reserve is given up to accept and
 * close that one connection, then taken back.
 */
static int reserve_fd = -1;

static void refuse_pending(int lfd)
{
	int fd;

	if (reserve_fd >= 0)
		close(reserve_fd);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fprintf(stderr, "serve: connection refused: %s\n", strerror(EMFILE));
}

/* A connection with its peer's name and a libtlsprobe connection on fd
 * (which it then owns), or NULL (fd closed). */
static struct serve_conn *conn_new(const struct serve_opts *o,
				   struct tp_config *cfg, int fd,
				   const struct sockaddr_storage *ss,
				   socklen_t sl)
{
	struct serve_conn *sc = calloc(1, sizeof(*sc));
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (sc == NULL) {
		close(fd);
		return NULL;
	}
	sc->o = o;
	sc->id = atomic_fetch_add(&next_id, 1) + 1;
	if (getnameinfo((const struct sockaddr *)ss, sl, host, sizeof(host),
			serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(sc->peer, sizeof(sc->peer), "%s:%s", host, serv);
	sc->c = tp_conn_new(cfg);
	if (sc->c == NULL)
		close(fd);
	else
		tp_conn_set_arg(sc->c, sc);
	if (sc->c == NULL || tp_conn_attach_fd(sc->c, fd, NULL) < 0) {
		tp_conn_free(sc->c); /* it owns fd now */
		free(sc);
		return NULL;
	}
	return sc;
}

/* Runs sc in a thread of its own. At the thread limit (ulimit -u,
 * systemd's TasksMax) that connection alone is refused: closed at once
 * and logged, so its client fails now instead of at its own timeout, and
 * nothing of it stays behind. */
static int conn_start(struct serve_conn *sc, pthread_t *tid, int detach)
{
	int e = pthread_create(tid, NULL, serve_conn_thread, sc);

	if (e != 0) {
		/* Always printed, --quiet or not: a refusal is no routine
		 * report. */
		fprintf(stderr,
			"serve: #%d %s: connection refused: cannot start a "
			"thread: %s\n",
			sc->id, sc->peer, strerror(e));
		tp_conn_free(sc->c);
		free(sc);
		return -1;
	}
	if (detach)
		pthread_detach(*tid);
	return 0;
}

void serve_accept_loop(const struct serve_opts *o, struct tp_config *cfg,
		       int lfd)
{
	pthread_t *threads =
		calloc((size_t)(o->naccept ? o->naccept : 1), sizeof(*threads));
	int accepted = 0, started = 0;

	reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	while (threads != NULL && (o->naccept == 0 || accepted < o->naccept)) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd =
			accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		struct serve_conn *sc;

		if (fd < 0 && (errno == EMFILE || errno == ENFILE))
			refuse_pending(lfd);
		if (fd < 0)
			continue;
		accepted++;
		sc = conn_new(o, cfg, fd, &ss, sl);
		if (sc != NULL &&
		    conn_start(sc, &threads[o->naccept ? started : 0],
			       o->naccept == 0) == 0)
			started++;
	}
	for (int i = 0; o->naccept && i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	if (reserve_fd >= 0)
		close(reserve_fd);
}
