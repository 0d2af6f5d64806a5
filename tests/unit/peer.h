/* Peers for library tests: small TLS servers on the other end of a
 * loopback TCP pair, run in their own thread. */
#ifndef TP_TEST_PEER_H
#define TP_TEST_PEER_H

#include <pthread.h>

#include "testutil.h"

/* A raw wolfSSL server that must read before it writes (Go's
 * TestHandshakeRace server): reads one line, answers with the line
 * reversed, sends close_notify. */
struct tu_rev_server {
	pthread_t thread;
	int fd;
	WOLFSSL_CTX *ctx;
	int ok; /* 1 when it answered */
};
void tu_rev_server_start(struct tu_rev_server *s, WOLFSSL_CTX *ctx, int fd);
void tu_rev_server_join(struct tu_rev_server *s);

/* A library client config trusting the test CA, pinned to version
 * ("1.2", "1.3" or NULL for any). */
struct tp_config *tu_client_config(const char *version);
/* The same for the server side, with the test leaf. */
struct tp_config *tu_server_config(const char *version);

/* A client and a server connection from these configs over a fresh
 * loopback TCP pair (the client verifies "localhost"). Exits on failure. */
void tu_conn_pair(struct tp_config *ccfg, struct tp_config *scfg,
		  struct tp_conn **client, struct tp_conn **server);
/* Both ends handshake at once (the server in a thread); exits unless both
 * succeed. */
void tu_handshake_both(struct tp_conn *client, struct tp_conn *server);

/* Reads until n bytes arrived or end of stream; returns bytes read. */
size_t tu_read_full(struct tp_conn *c, void *buf, size_t n);

#endif
