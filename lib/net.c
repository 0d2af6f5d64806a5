/* TCP connect with a bound on the time it takes. */
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

static void addr_string(const struct sockaddr *sa, socklen_t len, char *out,
			size_t outlen)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, outlen, "?");
		return;
	}
	if (sa->sa_family == AF_INET6)
		snprintf(out, outlen, "[%s]:%s", host, serv);
	else
		snprintf(out, outlen, "%s:%s", host, serv);
}

/* Returns 0 connected, -1 failed (errno set), -2 timed out. */
static int connect_one(int fd, const struct addrinfo *ai, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int err = 0, n;
	socklen_t len = sizeof(err);

	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	do
		n = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
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

/*
 * Resolves host and connects to the first address that answers. Returns a
 * connected non-blocking socket, -1 on error, -2 on timeout; err gets one
 * line saying what failed. *resolved_at (CLOCK_MONOTONIC) is set once the
 * name resolved, also when no address answers.
 */
int tp_net_connect(const char *host, const char *port, int family,
		   int timeout_ms, char *err, size_t errlen, char *peer,
		   size_t peerlen, struct timespec *resolved_at)
{
	struct addrinfo hints, *res, *ai;
	int r, fd = -1, timed_out = 0, last_errno = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family == 4 ? AF_INET :
			  family == 6 ? AF_INET6 :
					AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host,
			 gai_strerror(r));
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, resolved_at);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
			    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		r = connect_one(fd, ai, timeout_ms);
		if (r == 0) {
			int one = 1;

			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
			addr_string(ai->ai_addr, ai->ai_addrlen, peer, peerlen);
			break;
		}
		timed_out |= r == -2;
		last_errno = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		return fd;
	if (timed_out) {
		snprintf(err, errlen, "connect to %s port %s timed out", host,
			 port);
		return -2;
	}
	snprintf(err, errlen, "cannot connect to %s port %s: %s", host, port,
		 strerror(last_errno ? last_errno : EHOSTUNREACH));
	return -1;
}
