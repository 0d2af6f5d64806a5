/*
 * Which RFC 5746 signal a server honours. wolfSSL cannot send the SCSV
 * (TLS_EMPTY_RENEGOTIATION_INFO_SCSV) in a build that renegotiates, so this
 * probe writes its own TLS 1.2 ClientHello, once with only the
 * renegotiation_info extension and once with only the SCSV, and reads the
 * ServerHello: a server that supports secure renegotiation answers either
 * with a renegotiation_info extension. No handshake is completed.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

struct hello_buf {
	unsigned char b[1024];
	size_t n;
};

static void put8(struct hello_buf *h, unsigned v)
{
	if (h->n < sizeof(h->b))
		h->b[h->n++] = (unsigned char)v;
}

static void put16(struct hello_buf *h, unsigned v)
{
	put8(h, v >> 8);
	put8(h, v & 0xff);
}

static void put_bytes(struct hello_buf *h, const void *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		put8(h, ((const unsigned char *)p)[i]);
}

/* Fills in a 16-bit length at off, counting from off + 2 to the end. */
static void patch16(struct hello_buf *h, size_t off)
{
	size_t len = h->n - off - 2;

	h->b[off] = (unsigned char)(len >> 8);
	h->b[off + 1] = (unsigned char)len;
}

/* ECDHE and RSA suites with AES-GCM, ChaCha20 and AES-CBC: what TLS 1.2
 * servers commonly accept. */
static const uint16_t suites[] = {
	0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc009,
	0xc013, 0xc00a, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
};

static void put_extensions(struct hello_buf *h, const char *sni, int ext)
{
	static const uint16_t groups[] = { 0x001d, 0x0017, 0x0018, 0x0019 };
	static const uint16_t sigalgs[] = { 0x0403, 0x0503, 0x0603, 0x0804,
					    0x0805, 0x0806, 0x0401, 0x0501,
					    0x0601, 0x0203, 0x0201 };
	size_t off = h->n, sub;

	put16(h, 0);
	if (sni != NULL) {
		size_t len = strlen(sni);

		put16(h, 0x0000);
		put16(h, (unsigned)len + 5);
		put16(h, (unsigned)len + 3);
		put8(h, 0); /* host_name */
		put16(h, (unsigned)len);
		put_bytes(h, sni, len);
	}
	put16(h, 0x000a); /* supported_groups */
	put16(h, 2 + 2 * sizeof(groups) / sizeof(groups[0]));
	put16(h, 2 * sizeof(groups) / sizeof(groups[0]));
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		put16(h, groups[i]);
	put16(h, 0x000b); /* ec_point_formats: uncompressed */
	put16(h, 2);
	put8(h, 1);
	put8(h, 0);
	put16(h, 0x000d); /* signature_algorithms */
	sub = h->n;
	put16(h, 0);
	put16(h, 2 * sizeof(sigalgs) / sizeof(sigalgs[0]));
	for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
		put16(h, sigalgs[i]);
	patch16(h, sub);
	if (ext) { /* renegotiation_info, empty */
		put16(h, 0xff01);
		put16(h, 1);
		put8(h, 0);
	}
	patch16(h, off);
}

static void build_hello(struct hello_buf *h, const char *sni, int scsv)
{
	unsigned char random[32];
	size_t rec, hs;

	if (getrandom(random, sizeof(random), 0) != (ssize_t)sizeof(random))
		memset(random, 0x5a, sizeof(random));
	h->n = 0;
	put8(h, 22);
	put16(h, 0x0301);
	rec = h->n;
	put16(h, 0);
	put8(h, 1); /* ClientHello */
	hs = h->n;
	put8(h, 0);
	put16(h, 0);
	put16(h, 0x0303);
	put_bytes(h, random, sizeof(random));
	put8(h, 0); /* no session id */
	put16(h, (unsigned)(2 * (sizeof(suites) / sizeof(suites[0]) + !!scsv)));
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		put16(h, suites[i]);
	if (scsv)
		put16(h, 0x00ff);
	put8(h, 1); /* compression: null */
	put8(h, 0);
	put_extensions(h, sni, !scsv);
	patch16(h, rec);
	h->b[hs] = 0;
	h->b[hs + 1] = (unsigned char)((h->n - hs - 3) >> 8);
	h->b[hs + 2] = (unsigned char)(h->n - hs - 3);
}

/* Reads exactly n bytes before the deadline. */
static int read_full(int fd, unsigned char *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&pfd, 1, cli_remaining_ms(deadline)) <= 0)
			return -1;
		r = recv(fd, p, n, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Looks for renegotiation_info in a ServerHello body. Returns 1 found,
 * 0 absent, -1 malformed. */
static int server_hello_has_ri(const unsigned char *p, size_t n)
{
	size_t i = 2 + 32, end;

	if (n < i + 1)
		return -1;
	i += 1 + p[i]; /* session id */
	i += 2 + 1; /* cipher suite, compression */
	if (i == n)
		return 0; /* no extensions at all */
	if (i + 2 > n)
		return -1;
	end = i + 2 + ((size_t)p[i] << 8 | p[i + 1]);
	if (end > n)
		return -1;
	for (i += 2; i + 4 <= end;) {
		unsigned type = (unsigned)p[i] << 8 | p[i + 1];
		size_t len = (size_t)p[i + 2] << 8 | p[i + 3];

		if (type == 0xff01)
			return 1;
		i += 4 + len;
	}
	return 0;
}

/* Reads records until the ServerHello; the verdict for one signal. */
static enum sig_status read_answer(int fd, int64_t deadline, char *why,
				   size_t whylen)
{
	unsigned char hdr[5], *body;
	size_t len;
	int r;

	if (read_full(fd, hdr, sizeof(hdr), deadline) < 0) {
		snprintf(why, whylen, "no answer to the ClientHello");
		return SIG_INCONCLUSIVE;
	}
	len = (size_t)hdr[3] << 8 | hdr[4];
	if (hdr[0] == 21) {
		snprintf(why, whylen, "the server answered with an alert");
		return SIG_NOT_ACCEPTED;
	}
	body = malloc(len ? len : 1);
	if (hdr[0] != 22 || body == NULL ||
	    read_full(fd, body, len, deadline) < 0 || len < 4 || body[0] != 2) {
		free(body);
		snprintf(why, whylen, "no ServerHello in the first record");
		return SIG_INCONCLUSIVE;
	}
	r = server_hello_has_ri(body + 4, len - 4);
	free(body);
	if (r < 0) {
		snprintf(why, whylen, "malformed ServerHello");
		return SIG_INCONCLUSIVE;
	}
	snprintf(why, whylen, "%s",
		 r ? "ServerHello has renegotiation_info" :
		     "ServerHello without "
		     "renegotiation_info");
	return r ? SIG_SUPPORTED : SIG_NOT_SUPPORTED;
}

enum sig_status probe_signalling(const struct probe_opts *o, int scsv,
				 char *why, size_t whylen)
{
	/* The SNI the library sends: none with --noservername, nor for an
	 * IP address (RFC 6066). */
	const char *name = setup_sni(&o->conn);
	enum cli_status st;
	struct hello_buf h;
	enum sig_status verdict;
	int64_t deadline;
	int fd;

	/* TCP, and the STARTTLS preamble if any, as for every connection. */
	fd = setup_plain_connect(&o->conn, why, whylen, &st);
	if (fd < 0)
		return SIG_INCONCLUSIVE;
	deadline = cli_now_ms() + o->timeout_ms;
	build_hello(&h, name, scsv);
	if (send(fd, h.b, h.n, MSG_NOSIGNAL) != (ssize_t)h.n) {
		snprintf(why, whylen, "cannot send the ClientHello");
		verdict = SIG_INCONCLUSIVE;
	} else {
		verdict = read_answer(fd, deadline, why, whylen);
	}
	close(fd);
	return verdict;
}
