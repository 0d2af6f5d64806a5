/* Plain TCP connect with a timeout; see common.h. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

/* Waits for a non-blocking connect to finish. 0, or -1 with errno set
 * (ETIMEDOUT when the deadline passed). */
static int wait_connected(int fd, int64_t deadline_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int n, soerr = 0;

	do
		n = poll(&pfd, 1, cli_remaining_ms(deadline_ms));
	while (n == -1 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	if (n <= 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		return -1;
	if (soerr != 0) {
		errno = soerr;
		return -1;
	}
	return 0;
}

static int connect_one(const struct addrinfo *ai, int64_t deadline_ms)
{
	int fd, saved;

	fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
	    (errno == EINPROGRESS && wait_connected(fd, deadline_ms) == 0))
		return fd;
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static int resolve(const char *host, const char *port, int family,
		   struct addrinfo **res, char *err, size_t errlen)
{
	struct addrinfo hints;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family == 4 ? AF_INET :
			  family == 6 ? AF_INET6 :
					AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	rc = getaddrinfo(host, port, &hints, res);
	if (rc == 0)
		return 0;
	snprintf(err, errlen, "cannot resolve '%s': %s", host,
		 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	return -1;
}

int net_connect(const char *host, const char *port, int family, int timeout_ms,
		char *err, size_t errlen, enum cli_status *st)
{
	struct timespec resolved;

	return net_connect_timed(host, port, family, timeout_ms, err, errlen,
				 st, &resolved);
}

int net_connect_timed(const char *host, const char *port, int family,
		      int timeout_ms, char *err, size_t errlen,
		      enum cli_status *st, struct timespec *resolved_at)
{
	int64_t deadline = timeout_ms > 0 ? cli_now_ms() + timeout_ms : 0;
	struct addrinfo *res, *ai;
	int fd = -1, last = ECONNREFUSED;

	*st = CLI_ECONNECT;
	if (resolve(host, port, family, &res, err, errlen) == -1)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, resolved_at);
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		fd = connect_one(ai, deadline);
		if (fd == -1)
			last = errno;
		if (fd == -1 && last == ETIMEDOUT && deadline != 0 &&
		    cli_remaining_ms(deadline) == 0)
			break;
	}
	freeaddrinfo(res);
	if (fd != -1)
		return fd;
	if (last == ETIMEDOUT)
		*st = CLI_ETIMEOUT;
	snprintf(err, errlen, "connect to %s port %s: %s", host, port,
		 last == ETIMEDOUT ? "timed out" : strerror(last));
	return -1;
}
