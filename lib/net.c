/* TCP connect with a bound on the time it takes: tp_conn_connect's, and
 * the CLI's for a plaintext preamble (STARTTLS). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

/* Returns 0 connected, -1 failed (errno set), -2 timed out. */
static int connect_one(int fd, const struct addrinfo *ai, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int err = 0, n;
	socklen_t len = sizeof(err);

	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	do
		n = poll(&p, 1, tp_ms_until(deadline));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return -2;
	if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	/* ECONNRESET: it was connected, and reset at once; that is for the
	 * TLS layer to report (a refused connect is ECONNREFUSED). */
	if (err != 0 && err != ECONNRESET) {
		errno = err;
		return -1;
	}
	return 0;
}

static int resolve(const char *host, const char *port, int family,
		   struct addrinfo **res, char *err, size_t errlen)
{
	struct addrinfo hints;
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family == 4 ? AF_INET :
			  family == 6 ? AF_INET6 :
					AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(host, port, &hints, res);
	if (r == 0)
		return 0;
	snprintf(err, errlen, "cannot resolve '%s': %s", host,
		 r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
	return -1;
}

/*
 * Each address in turn until one answers, all within one deadline: the
 * time --timeout gives the connect is the whole connect's, however many
 * addresses the name has.
 */
int tp_tcp_connect(const char *host, const char *port, int family,
		   int timeout_ms, char *err, size_t errlen, int *timed_out,
		   struct tp_timing *t)
{
	int64_t deadline = tp_deadline_in(timeout_ms);
	struct addrinfo *res, *ai;
	int r = -1, fd = -1, last_errno = 0, one = 1;

	*timed_out = 0;
	if (t != NULL)
		clock_gettime(CLOCK_MONOTONIC, &t->start);
	if (resolve(host, port, family, &res, err, errlen) < 0)
		return -1;
	if (t != NULL)
		clock_gettime(CLOCK_MONOTONIC, &t->resolved);
	for (ai = res; ai != NULL && r != 0 && !*timed_out; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
			    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			/* The reason, if no address works. */
			last_errno = errno;
			continue;
		}
		r = connect_one(fd, ai, deadline);
		if (r == 0)
			break;
		*timed_out = r == -2;
		last_errno = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (t != NULL)
			clock_gettime(CLOCK_MONOTONIC, &t->connected);
		return fd;
	}
	if (*timed_out)
		snprintf(err, errlen, "connect to %s port %s timed out", host,
			 port);
	else
		snprintf(err, errlen, "cannot connect to %s port %s: %s", host,
			 port,
			 strerror(last_errno ? last_errno : EHOSTUNREACH));
	return -1;
}
