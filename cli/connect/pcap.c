/* --pcap: see connect.h. Block layouts from the pcapng specification
 * (draft-ietf-opsawg-pcapng): SHB, IDB, DSB, EPB, little-endian here. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connect.h"

#define LINKTYPE_RAW 101 /* frames start with the IP header */
#define SECRETS_TLS_KEYLOG 0x544c534bu
#define MAX_SEGMENT 32768 /* payload per frame, under IPv4's 64 KiB */
#define MAX_STREAMS 256

enum {
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10
};

/* One TCP connection, as seen from our side. */
struct stream {
	struct tp_conn *conn;
	int fd;
	int v6;
	unsigned char local[16], peer[16];
	uint16_t lport, pport; /* network order */
	uint32_t seq_out, seq_in; /* next sequence number each way */
	struct timespec last;
};

struct growbuf {
	unsigned char *p;
	size_t len, cap;
	int failed; /* out of memory: the file is not written */
};

static struct {
	const char *path;
	char tmp_keylog[256];
	pthread_mutex_t mu;
	struct growbuf frames; /* EPBs, in order */
	struct stream streams[MAX_STREAMS];
	int nstreams;
} P = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void put(struct growbuf *b, const void *p, size_t n)
{
	if (b->failed || n == 0) /* n == 0: p may be NULL (a bare SYN) */
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		unsigned char *q;

		while (cap < b->len + n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (q == NULL) {
			b->failed = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put32(struct growbuf *b, uint32_t v)
{
	put(b, &v, 4); /* host order: the SHB's byte-order magic says which */
}

static void put_pad(struct growbuf *b, size_t n)
{
	static const unsigned char zero[4];

	put(b, zero, (4 - n % 4) % 4);
}

static uint16_t ip_checksum(const unsigned char *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* The IP and TCP headers of one frame into hdr; returns their length. */
static size_t frame_headers(unsigned char *hdr, const struct stream *s,
			    int sent, int flags, size_t len)
{
	unsigned char *tcp;
	size_t iplen = s->v6 ? 40 : 20;
	const unsigned char *src = sent ? s->local : s->peer;
	const unsigned char *dst = sent ? s->peer : s->local;
	uint32_t seq = htonl(sent ? s->seq_out : s->seq_in);
	uint32_t ack = htonl(sent ? s->seq_in : s->seq_out);
	uint16_t sport = sent ? s->lport : s->pport;
	uint16_t dport = sent ? s->pport : s->lport;

	memset(hdr, 0, iplen + 20);
	if (s->v6) {
		uint16_t plen = htons((uint16_t)(20 + len));

		hdr[0] = 0x60;
		memcpy(hdr + 4, &plen, 2);
		hdr[6] = IPPROTO_TCP;
		hdr[7] = 64;
		memcpy(hdr + 8, src, 16);
		memcpy(hdr + 24, dst, 16);
	} else {
		uint16_t tot = htons((uint16_t)(40 + len)), sum;

		hdr[0] = 0x45;
		memcpy(hdr + 2, &tot, 2);
		hdr[6] = 0x40; /* don't fragment */
		hdr[8] = 64;
		hdr[9] = IPPROTO_TCP;
		memcpy(hdr + 12, src, 4);
		memcpy(hdr + 16, dst, 4);
		sum = ip_checksum(hdr, 20);
		memcpy(hdr + 10, &sum, 2);
	}
	tcp = hdr + iplen;
	memcpy(tcp, &sport, 2);
	memcpy(tcp + 2, &dport, 2);
	memcpy(tcp + 4, &seq, 4);
	if (flags & TCP_ACK)
		memcpy(tcp + 8, &ack, 4);
	tcp[12] = 5 << 4;
	tcp[13] = (unsigned char)flags;
	tcp[14] = 0xff; /* window 65535 */
	tcp[15] = 0xff;
	return iplen + 20; /* TCP checksum left 0: Wireshark does not check */
}

/* One Enhanced Packet Block; the sequence numbers move on. */
static void frame(struct stream *s, int sent, int flags,
		  const unsigned char *data, size_t len,
		  const struct timespec *when)
{
	unsigned char hdr[60];
	size_t hlen = frame_headers(hdr, s, sent, flags, len);
	size_t caplen = hlen + len;
	uint64_t us = (uint64_t)when->tv_sec * 1000000u +
		      (uint64_t)when->tv_nsec / 1000u;
	uint32_t total = (uint32_t)(28 + caplen + (4 - caplen % 4) % 4 + 4);

	put32(&P.frames, 6);
	put32(&P.frames, total);
	put32(&P.frames, 0); /* interface 0 */
	put32(&P.frames, (uint32_t)(us >> 32));
	put32(&P.frames, (uint32_t)us);
	put32(&P.frames, (uint32_t)caplen);
	put32(&P.frames, (uint32_t)caplen);
	put(&P.frames, hdr, hlen);
	put(&P.frames, data, len);
	put_pad(&P.frames, caplen);
	put32(&P.frames, total);
	*(sent ? &s->seq_out : &s->seq_in) +=
		(uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);
	s->last = *when;
}

static int addr_of(const struct sockaddr_storage *ss, unsigned char *addr,
		   uint16_t *port)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		memcpy(addr, &a->sin6_addr, 16);
		*port = a->sin6_port;
		return 1;
	}
	memcpy(addr, &((const struct sockaddr_in *)(const void *)ss)->sin_addr,
	       4);
	*port = ((const struct sockaddr_in *)(const void *)ss)->sin_port;
	return 0;
}

/* A new stream for the connection on fd, opened by a three-way handshake
 * (we connected: a server role would show the other way round). */
static struct stream *new_stream(struct tp_conn *c, int fd,
				 const struct timespec *when)
{
	struct sockaddr_storage l, p;
	socklen_t ll = sizeof(l), pl = sizeof(p);
	struct stream *s;

	if (P.nstreams == MAX_STREAMS ||
	    getsockname(fd, (struct sockaddr *)&l, &ll) < 0 ||
	    getpeername(fd, (struct sockaddr *)&p, &pl) < 0)
		return NULL;
	s = &P.streams[P.nstreams++];
	memset(s, 0, sizeof(*s));
	s->conn = c;
	s->fd = fd;
	s->v6 = addr_of(&l, s->local, &s->lport);
	addr_of(&p, s->peer, &s->pport);
	s->seq_out = 1000;
	s->seq_in = 500000;
	frame(s, 1, TCP_SYN, NULL, 0, when);
	frame(s, 0, TCP_SYN | TCP_ACK, NULL, 0, when);
	frame(s, 1, TCP_ACK, NULL, 0, when);
	return s;
}

static struct stream *stream_of(struct tp_conn *c, int fd,
				const struct timespec *when)
{
	for (int i = P.nstreams - 1; i >= 0; i--)
		if (P.streams[i].conn == c && P.streams[i].fd == fd)
			return &P.streams[i];
	return new_stream(c, fd, when);
}

static void raw_cb(struct tp_conn *c, const struct tp_raw *r, void *arg)
{
	struct stream *s;

	(void)arg;
	pthread_mutex_lock(&P.mu);
	s = stream_of(c, r->fd, &r->when);
	for (size_t off = 0; s != NULL && off < r->len; off += MAX_SEGMENT) {
		size_t n =
			r->len - off < MAX_SEGMENT ? r->len - off : MAX_SEGMENT;

		frame(s, r->sent, TCP_PSH | TCP_ACK, r->data + off, n,
		      &r->when);
	}
	pthread_mutex_unlock(&P.mu);
}

int pcap_begin(const char *path)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	P.path = path;
	snprintf(P.tmp_keylog, sizeof(P.tmp_keylog), "%s/tlsprobe-keys.XXXXXX",
		 dir != NULL && *dir == '/' && strlen(dir) < 200 ? dir :
								   "/tmp");
	fd = mkstemp(P.tmp_keylog); /* 0600, O_EXCL: ours alone */
	if (fd < 0) {
		console_error("--pcap: temporary key log: %m");
		P.tmp_keylog[0] = '\0';
		return -1;
	}
	close(fd);
	return 0;
}

const char *pcap_keylog_path(void)
{
	return P.path != NULL && P.tmp_keylog[0] ? P.tmp_keylog : NULL;
}

void pcap_attach(struct tp_config *cfg)
{
	if (P.path != NULL)
		tp_config_set_raw_cb(cfg, raw_cb, NULL);
}

/* The key log's lines, as read (NULL, 0 when there is none). */
static unsigned char *read_secrets(const char *path, size_t *len)
{
	struct growbuf b = { 0 };
	unsigned char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "re");

	*len = 0;
	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		put(&b, chunk, n);
	fclose(f);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

static void header_blocks(struct growbuf *b, const unsigned char *sec,
			  size_t seclen)
{
	uint16_t v[2] = { 1, 0 };
	uint16_t link[2] = { LINKTYPE_RAW, 0 };

	put32(b, 0x0A0D0D0A); /* Section Header Block */
	put32(b, 28);
	put32(b, 0x1A2B3C4D);
	put(b, v, 4);
	put32(b, 0xffffffffu); /* section length: not given */
	put32(b, 0xffffffffu);
	put32(b, 28);
	put32(b, 1); /* Interface Description Block */
	put32(b, 20);
	put(b, link, 4);
	put32(b, 0); /* no snap length */
	put32(b, 20);
	if (seclen == 0)
		return;
	put32(b, 0x0000000A); /* Decryption Secrets Block */
	put32(b, (uint32_t)(20 + seclen + (4 - seclen % 4) % 4));
	put32(b, SECRETS_TLS_KEYLOG);
	put32(b, (uint32_t)seclen);
	put(b, sec, seclen);
	put_pad(b, seclen);
	put32(b, (uint32_t)(20 + seclen + (4 - seclen % 4) % 4));
}

/* Each stream ends with a FIN each way and the last ACK. */
static void close_streams(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	for (int i = 0; i < P.nstreams; i++) {
		struct stream *s = &P.streams[i];

		frame(s, 1, TCP_FIN | TCP_ACK, NULL, 0, &now);
		frame(s, 0, TCP_FIN | TCP_ACK, NULL, 0, &now);
		frame(s, 1, TCP_ACK, NULL, 0, &now);
	}
}

int pcap_end(const char *user_keylog)
{
	struct growbuf out = { 0 };
	size_t seclen;
	unsigned char *sec;
	char err[256];
	int r = -1;

	if (P.path == NULL)
		return 0;
	sec = read_secrets(user_keylog ? user_keylog : P.tmp_keylog, &seclen);
	if (P.tmp_keylog[0])
		unlink(P.tmp_keylog);
	pthread_mutex_lock(&P.mu);
	close_streams();
	header_blocks(&out, sec, seclen);
	put(&out, P.frames.p, P.frames.len);
	if (out.failed || P.frames.failed)
		console_error("--pcap '%s': out of memory", P.path);
	else if (tp_file_write(P.path, out.p, out.len, 1, err, sizeof(err)))
		console_error("--pcap '%s': %s", P.path, err);
	else
		r = 0;
	pthread_mutex_unlock(&P.mu);
	if (sec != NULL)
		explicit_bzero(sec, seclen); /* secrets: gone from memory too */
	if (out.p != NULL)
		explicit_bzero(out.p, out.len);
	free(sec);
	free(out.p);
	return r;
}
