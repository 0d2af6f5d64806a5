/*
 * libFuzzer target for session files: tp_conn_load_session (lib/session.c,
 * wolfSSL's DER session decoder underneath) reads the input from a memfd
 * through its /proc/self/fd path. When the file is taken, the session is
 * used: the client sends its ClientHello (which carries the session ID or
 * ticket) over a socketpair whose other end is already shut down, so the
 * handshake then ends with an error.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tlsprobe.h"
#include "tlsprobe_certgen.h"
#include "fuzz.h"

static struct tp_config *cfg;
static int mfd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct tp_testcerts certs;

	(void)argc;
	(void)argv;
	cfg = tp_config_new(TP_CLIENT);
	CHECK(cfg != NULL);
	/* A trust store of our own: the system's is slow to load. */
	CHECK(tp_testcerts_generate(&certs, "localhost", 30) == 0);
	CHECK(tp_config_set_ca_mem(cfg, certs.ca_cert.data,
				   certs.ca_cert.len) == 0);
	tp_testcerts_free(&certs);
	tp_config_set_timeouts(cfg, 1000, 1000);
	mfd = memfd_create("fuzz-session", MFD_CLOEXEC);
	CHECK(mfd >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	return 0;
}

/* Frees c, which was handed sv[0]. */
static void use_session(struct tp_conn *c)
{
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(shutdown(sv[1], SHUT_WR) == 0);
	if (tp_conn_attach_fd(c, sv[0], "localhost") == 0) {
		CHECK(tp_conn_handshake(c) == -1);
		CHECK(tp_conn_errcode(c) != TP_ERR_NONE);
		CHECK(tp_conn_errcode(c) != TP_ERR_TIMEOUT);
	}
	tp_conn_free(c);
	/* The connection owns the socket, also after a failed attach. */
	CHECK(fcntl(sv[0], F_GETFD) == -1);
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tp_conn *c;
	int r;

	if (size > 65536)
		return 0;
	CHECK(ftruncate(mfd, 0) == 0);
	CHECK(pwrite(mfd, data, size, 0) == (ssize_t)size);
	c = tp_conn_new(cfg);
	CHECK(c != NULL);
	r = tp_conn_load_session(c, path);
	CHECK(r == 0 || r == -1);
	if (r == -1) {
		CHECK(tp_conn_error(c) != NULL);
		CHECK(tp_conn_errcode(c) == TP_ERR_USAGE);
		tp_conn_free(c);
	} else {
		use_session(c);
	}
	return 0;
}
