/*
 * Reads from the connection's non-blocking socket, for wolfSSL's receive
 * callback and the renegotiation-policy filter alike: the end of the
 * stream and a reset are noted for the error and close reason, and every
 * byte read is copied for the raw-bytes callback.
 */
#include <errno.h>
#include <sys/socket.h>

#include "internal.h"

int tp_sock_recv(struct tp_conn *c, void *buf, size_t len)
{
	ssize_t n;

	do
		n = recv(c->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		tp_raw_push(c, 0, buf, (size_t)n);
		return (int)n;
	}
	if (n == 0) {
		c->saw_fin = 1;
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	if (errno == ECONNRESET) {
		c->saw_reset = 1;
		return WOLFSSL_CBIO_ERR_CONN_RST;
	}
	return WOLFSSL_CBIO_ERR_GENERAL;
}
