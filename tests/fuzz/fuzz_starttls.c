/*
 * libFuzzer target for the STARTTLS exchanges of cli/common/starttls.c, which
 * parse the server's plaintext replies (SMTP/FTP numeric replies, POP3,
 * IMAP tagged responses, XMPP stream features, the PostgreSQL SSLRequest
 * answer) while reading a socket.
 *
 * Input: one selector byte, then the server's bytes. The selector picks
 * the protocol (low 3 bits, modulo 6) and the transport (bit 0x80):
 *   stream:    a SOCK_STREAM socketpair; the harness writes all the bytes
 *              and shuts its end down (the kernel may deliver them in any
 *              split; here usually in one read);
 *   seqpacket: a SOCK_SEQPACKET socketpair; the bytes are split at each
 *              "\xff\xff" into packets, and every recv() of the client
 *              returns one packet, as if the server answered each of our
 *              commands with one segment.
 * The exchange must end (success, or failure with CLI_EHANDSHAKE and a
 * message): every byte is there before it starts and the end is shut
 * down, so a timeout is a hang and fails the run.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common.h"
#include "fuzz.h"

#define MAX_PACKETS 64

/* Writes what the socket takes now; the rest is dropped (as if the server
 * hung up there). Returns 0 when the socket is full. */
static int put(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	if (n == 0)
		return 1;
	w = send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	return w == (ssize_t)n;
}

static void fill_stream(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w <= 0)
			break;
		p += w;
		n -= (size_t)w;
	}
}

static void fill_packets(int fd, const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n, *sep;
	int packets = 0;

	while (p <= end && packets < MAX_PACKETS) {
		sep = memmem(p, (size_t)(end - p), "\xff\xff", 2);
		if (sep == NULL)
			sep = end;
		if (!put(fd, p, (size_t)(sep - p)))
			return;
		packets++;
		p = sep + 2;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = { "example.org", "", "x'><a" };
	enum cli_starttls proto;
	enum cli_status st = CLI_OK;
	char err[256];
	int sv[2], seq, r;

	if (size < 1 || size > 65536)
		return 0;
	proto = (enum cli_starttls)(CLI_STARTTLS_SMTP + (data[0] & 7) % 6);
	seq = (data[0] & 0x80) != 0;
	CHECK(socketpair(AF_UNIX,
			 (seq ? SOCK_SEQPACKET : SOCK_STREAM) | SOCK_CLOEXEC, 0,
			 sv) == 0);
	/* The client side is non-blocking, as tp_tcp_connect leaves it. */
	CHECK(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0);
	if (seq)
		fill_packets(sv[1], data + 1, size - 1);
	else
		fill_stream(sv[1], data + 1, size - 1);
	CHECK(shutdown(sv[1], SHUT_WR) == 0);

	memset(err, 'x', sizeof(err));
	r = starttls_run(sv[0], proto, hosts[(data[0] >> 3) % 3], 5000, err,
			 sizeof(err), &st);
	CHECK(r == 0 || r == -1);
	if (r == -1) {
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		CHECK(strncmp(err, "STARTTLS (", 10) == 0);
		if (st != CLI_EHANDSHAKE)
			fprintf(stderr, "status %d: %s\n", st, err);
		CHECK(st == CLI_EHANDSHAKE);
	}
	close(sv[0]);
	close(sv[1]);
	return 0;
}
