/*
 * libFuzzer target: arbitrary server bytes fed to a library client
 * connection. The harness writes the input into one end of a socketpair
 * and shuts it down (or closes it); the client (tp_conn_attach_fd,
 * tp_conn_handshake, then tp_conn_read until 0 or -1) must end with an
 * error or end of stream: never crash, never hang, never time out (every
 * byte is there before the handshake starts, and the end follows).
 *
 * Input: one flags byte, then the server's bytes.
 *   bits 0-1  versions: 0 library default (1.2-1.3), 1 TLS 1.2 only,
 *             2 TLS 1.3 only, 3 TLS 1.0-1.2
 *   bit 2     insecure (verification failures recorded, not fatal)
 *   bits 3-4  server name: "localhost", "127.0.0.1" (IP: checked against
 *             the subjectAltName by lib/info.c), none (no name check),
 *             "" (no SNI)
 *   bit 5     framed: the bytes are frames [type][len:2][len bytes], each
 *             written as a TLS record with a correct header (type, 3 3,
 *             length of the bytes actually present), or without a header
 *             when type is 0xff (raw bytes: splits, garbage)
 *   bit 6     an event callback (record tracer, handshake messages,
 *             alerts)
 *   bit 7     close the server end instead of shutting down its write
 *             side (the client's writes then fail)
 * The seeds are real server flights (tests/fuzz/capture_flight.py).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tlsprobe.h"
#include "tlsprobe_certgen.h"
#include "fuzz.h"

static struct tp_config *configs[16];
static struct tp_testcerts certs;
static unsigned long events_seen;

static void on_event(struct tp_conn *c, const struct tp_event *ev, void *arg)
{
	struct tp_info info;

	(void)arg;
	/* Callbacks may call accessors (tlsprobe.h). */
	if (ev->type == TP_EV_HANDSHAKE_DONE)
		tp_conn_info(c, &info);
	if (ev->detail != NULL)
		events_seen += strlen(ev->detail);
	events_seen++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	CHECK(tp_testcerts_generate(&certs, "localhost,127.0.0.1", 30) == 0);
	return 0;
}

static struct tp_config *config_for(int flags)
{
	static const enum tp_version range[4][2] = {
		{ TP_VERSION_ANY, TP_VERSION_ANY },
		{ TP_TLS1_2, TP_TLS1_2 },
		{ TP_TLS1_3, TP_TLS1_3 },
		{ TP_TLS1_0, TP_TLS1_2 },
	};
	int i = (flags & 7) | (flags & 0x40 ? 8 : 0);
	struct tp_config *cfg = configs[i];

	if (cfg != NULL)
		return cfg;
	cfg = tp_config_new(TP_CLIENT);
	CHECK(cfg != NULL);
	/* Our own trust anchor: the system store is slow to load, and the
	 * captured chains are not from it either. */
	CHECK(tp_config_set_ca_mem(cfg, certs.ca_cert.data,
				   certs.ca_cert.len) == 0);
	if ((flags & 3) != 0)
		CHECK(tp_config_set_versions(cfg, range[flags & 3][0],
					     range[flags & 3][1]) == 0);
	tp_config_insecure(cfg, (flags & 4) != 0);
	tp_config_set_timeouts(cfg, 1000, 1000);
	if (flags & 0x40)
		tp_config_set_event_cb(cfg, on_event, NULL);
	configs[i] = cfg;
	return cfg;
}

/* Writes what the socket takes without blocking; drops the rest (a server
 * that hung up there). Returns 0 once the socket is full. */
static int put(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w <= 0)
			return 0;
		p += w;
		n -= (size_t)w;
	}
	return 1;
}

static void put_framed(int fd, const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;

	while (end - p >= 3) {
		size_t len = (size_t)p[1] << 8 | p[2];
		uint8_t hdr[5];

		if (len > (size_t)(end - p - 3))
			len = (size_t)(end - p - 3);
		hdr[0] = p[0];
		hdr[1] = 3;
		hdr[2] = 3;
		hdr[3] = (uint8_t)(len >> 8);
		hdr[4] = (uint8_t)len;
		if (p[0] != 0xff && !put(fd, hdr, sizeof(hdr)))
			return;
		if (!put(fd, p + 3, len))
			return;
		p += 3 + len;
	}
	put(fd, p, (size_t)(end - p));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[4] = { "localhost", "127.0.0.1", NULL,
					      "" };
	struct tp_config *cfg;
	struct tp_conn *c;
	char buf[4096];
	int sv[2], flags, i, r;
	ssize_t n = 0;
	enum tp_errcode e;

	if (size < 1 || size > 65536)
		return 0;
	flags = data[0];
	cfg = config_for(flags);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	if (flags & 0x20)
		put_framed(sv[1], data + 1, size - 1);
	else
		put(sv[1], data + 1, size - 1);
	if (flags & 0x80) {
		close(sv[1]);
		sv[1] = -1;
	} else {
		CHECK(shutdown(sv[1], SHUT_WR) == 0);
	}

	c = tp_conn_new(cfg);
	CHECK(c != NULL);
	if (tp_conn_attach_fd(c, sv[0], names[(flags >> 3) & 3]) == -1) {
		fprintf(stderr, "attach: %s\n", tp_conn_error(c));
		abort();
	}
	r = tp_conn_handshake(c);
	CHECK(r == 0 || r == -1);
	for (i = 0; i < 1000; i++) {
		n = tp_conn_read(c, buf, sizeof(buf));
		if (n <= 0)
			break;
	}
	CHECK(n <= 0); /* at most 64 KiB of input: the stream must end */
	e = tp_conn_errcode(c);
	if (r == -1 || n == -1) {
		CHECK(e != TP_ERR_NONE && tp_conn_error(c) != NULL);
		if (e == TP_ERR_TIMEOUT) {
			fprintf(stderr, "timed out: %s\n", tp_conn_error(c));
			abort();
		}
	}
	tp_conn_free(c);
	if (sv[1] != -1)
		close(sv[1]);
	return 0;
}
