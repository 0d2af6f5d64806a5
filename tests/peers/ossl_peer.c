/*
 * ossl_peer: a TLS server on loopback built on OpenSSL's libssl, for the
 * CLI tests (tests/cli/storm.bats). It rekeys the way an OpenSSL 3 server
 * on a byte budget does, which `openssl s_server` cannot: every N bytes it
 * calls SSL_renegotiate + SSL_do_handshake (TLS 1.2), whether or not the
 * previous renegotiation has finished, or SSL_key_update (TLS 1.3).
 *
 * usage: ossl_peer --port N --cert PEM --key PEM [--tls 1.2|1.3]
 *                  [--mode echo|sink|source] [--every BYTES]
 *                  [--bytes BYTES] [--no-update-request]
 *                  [--client-reneg] [--hello-before-sh]
 *                  [--hello-after-sh] [--count N]
 *
 *   echo    sends back what it reads, until the client's close_notify
 *   sink    reads until the client's close_notify
 *   source  sends --bytes of a fixed pseudo-random stream, then its
 *           close_notify, and reads until the client's
 *   --every BYTES        rekey after each BYTES read (echo, sink) or
 *                        written (source); 0: never (default)
 *   --no-update-request  TLS 1.3 KeyUpdates do not ask for the client's
 *   --client-reneg       accept renegotiations the client starts
 *   --hello-before-sh    send a plaintext HelloRequest record after the
 *                        ClientHello arrives, before the ServerHello
 *   --hello-after-sh     the same between the first ServerHello record
 *                        and the rest of the server's flight
 *   --count N            serve N connections, one after the other, then
 *                        exit (default 0: forever)
 *
 * BYTES take a K or M suffix (KiB, MiB). After each connection it prints
 * one line for the tests to check against the client's side:
 *
 *   conn 1 ok: read R sha256 HEX, wrote W sha256 HEX, hello_requests H,
 *   raw_hello_requests N, client_hellos N, renegotiations R,
 *   key_updates_sent K, key_updates_received K, client_close_notify yes
 *
 * ("ok" or "error: WHAT"); "renegotiations" counts completed handshakes
 * after the first, whoever started them.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

enum mode {
	MODE_ECHO,
	MODE_SINK,
	MODE_SOURCE
};

struct opts {
	int port;
	const char *cert, *key;
	int tls13;
	enum mode mode;
	uint64_t every, bytes;
	int update_request, client_reneg, hello_before_sh, hello_after_sh;
	long count;
};

/* What one connection did, as both ends of a test must agree on it. */
struct stats {
	uint64_t nread, nwritten, since_rekey;
	EVP_MD_CTX *in_sum, *out_sum;
	unsigned hello_requests, finished_sent, ku_sent, ku_received;
	unsigned client_hellos, raw_hello_requests;
	int sent_close_notify, got_close_notify;
	char error[160];
};

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ossl_peer: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static void usage(void)
{
	fputs("usage: ossl_peer --port N --cert PEM --key PEM [--tls 1.2|1.3]\n"
	      "  [--mode echo|sink|source] [--every BYTES] [--bytes BYTES]\n"
	      "  [--no-update-request] [--client-reneg] [--hello-before-sh]\n"
	      "  [--hello-after-sh] [--count N]\n",
	      stderr);
	exit(2);
}

/* "512K", "32M" or plain bytes. */
static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		usage();
	if (*end == 'K')
		v <<= 10, end++;
	else if (*end == 'M')
		v <<= 20, end++;
	if (*end != '\0')
		usage();
	return v;
}

static enum mode parse_mode(const char *s)
{
	if (strcmp(s, "echo") == 0)
		return MODE_ECHO;
	if (strcmp(s, "sink") == 0)
		return MODE_SINK;
	if (strcmp(s, "source") == 0)
		return MODE_SOURCE;
	usage();
	return MODE_ECHO;
}

static const char *need_arg(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		usage();
	return argv[++*i];
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->update_request = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--port") == 0)
			o->port = atoi(need_arg(argc, argv, &i));
		else if (strcmp(a, "--cert") == 0)
			o->cert = need_arg(argc, argv, &i);
		else if (strcmp(a, "--key") == 0)
			o->key = need_arg(argc, argv, &i);
		else if (strcmp(a, "--tls") == 0)
			o->tls13 = strcmp(need_arg(argc, argv, &i), "1.3") == 0;
		else if (strcmp(a, "--mode") == 0)
			o->mode = parse_mode(need_arg(argc, argv, &i));
		else if (strcmp(a, "--every") == 0)
			o->every = parse_size(need_arg(argc, argv, &i));
		else if (strcmp(a, "--bytes") == 0)
			o->bytes = parse_size(need_arg(argc, argv, &i));
		else if (strcmp(a, "--count") == 0)
			o->count = atol(need_arg(argc, argv, &i));
		else if (strcmp(a, "--no-update-request") == 0)
			o->update_request = 0;
		else if (strcmp(a, "--client-reneg") == 0)
			o->client_reneg = 1;
		else if (strcmp(a, "--hello-before-sh") == 0)
			o->hello_before_sh = 1;
		else if (strcmp(a, "--hello-after-sh") == 0)
			o->hello_after_sh = 1;
		else
			usage();
	}
	if (o->port <= 0 || o->port > 65535 || !o->cert || !o->key)
		usage();
}

/* Counts handshake messages as they cross the wire (HelloRequest out,
 * KeyUpdate either way, our Finished: one per completed handshake), not as
 * we ask for them: OpenSSL may defer a renegotiation while records are
 * pending, and its info callback also reports a "handshake done" after
 * each HelloRequest it writes. */
static void on_msg(int write_p, int version, int content_type, const void *buf,
		   size_t len, SSL *ssl, void *arg)
{
	struct stats *st = arg;
	const unsigned char *p = buf;

	(void)version;
	(void)ssl;
	if (content_type != SSL3_RT_HANDSHAKE || len < 1)
		return;
	if (p[0] == SSL3_MT_HELLO_REQUEST && write_p)
		st->hello_requests++;
	else if (p[0] == SSL3_MT_KEY_UPDATE && write_p)
		st->ku_sent++;
	else if (p[0] == SSL3_MT_KEY_UPDATE)
		st->ku_received++;
	else if (p[0] == SSL3_MT_FINISHED && write_p)
		st->finished_sent++;
	else if (p[0] == SSL3_MT_CLIENT_HELLO && !write_p)
		st->client_hellos++;
}

static SSL_CTX *make_ctx(const struct opts *o)
{
	int v = o->tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, v) ||
	    !SSL_CTX_set_max_proto_version(ctx, v))
		die("cannot set up a TLS context");
	if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1)
		die("cannot load %s / %s", o->cert, o->key);
	/* Blocking I/O: SSL_read and SSL_write carry a renegotiation through
	 * to the end instead of returning WANT_READ halfway. */
	SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
	if (o->client_reneg)
		SSL_CTX_set_options(ctx, SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
	return ctx;
}

static int listen_on(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 16) < 0)
		die("listen on 127.0.0.1:%d: %s", port, strerror(errno));
	return fd;
}

static void set_error(struct stats *st, SSL *ssl, int ret, const char *what)
{
	unsigned long e = ERR_peek_error();

	if (st->error[0])
		return;
	snprintf(st->error, sizeof(st->error), "%s: SSL error %d, %s", what,
		 SSL_get_error(ssl, ret),
		 e ? ERR_reason_error_string(e) : strerror(errno));
}

/* The server side of a byte budget: a new renegotiation, or KeyUpdate,
 * each time `every` more bytes have gone through. Like a real server it
 * does not wait for the previous renegotiation: SSL_renegotiate sends a
 * new HelloRequest as soon as OpenSSL is back in its idle state, which a
 * server is right after writing a HelloRequest. */
static int rekey_if_due(const struct opts *o, SSL *ssl, struct stats *st,
			size_t n)
{
	int ok;

	st->since_rekey += n;
	if (o->every == 0 || st->since_rekey < o->every)
		return 0;
	st->since_rekey = 0;
	if (o->tls13)
		ok = SSL_key_update(ssl, o->update_request ?
						 SSL_KEY_UPDATE_REQUESTED :
						 SSL_KEY_UPDATE_NOT_REQUESTED);
	else
		ok = SSL_renegotiate(ssl);
	if (ok != 1) {
		set_error(st, ssl, ok,
			  o->tls13 ? "SSL_key_update" : "SSL_renegotiate");
		return -1;
	}
	ok = SSL_do_handshake(ssl);
	if (ok != 1) {
		set_error(st, ssl, ok, "SSL_do_handshake");
		return -1;
	}
	return 0;
}

static int write_all(SSL *ssl, struct stats *st, const void *p, size_t n)
{
	size_t done;
	int ok = SSL_write_ex(ssl, p, n, &done);

	if (!ok) {
		set_error(st, ssl, 0, "SSL_write");
		return -1;
	}
	EVP_DigestUpdate(st->out_sum, p, done);
	st->nwritten += done;
	return 0;
}

/* Reads until the client's close_notify; echoes each read when asked.
 * 1: clean end, -1: error. Once ours is sent, all data is out: a client
 * that then closes without its close_notify ends cleanly too (the report
 * says which it was). */
static int run_reader(const struct opts *o, SSL *ssl, struct stats *st,
		      int echo)
{
	static unsigned char buf[65536];

	for (;;) {
		size_t n;
		int ok = SSL_read_ex(ssl, buf, sizeof(buf), &n);

		if (!ok) {
			int e = SSL_get_error(ssl, 0);

			if (e == SSL_ERROR_WANT_READ)
				continue; /* a handshake record (source) */
			st->got_close_notify = e == SSL_ERROR_ZERO_RETURN;
			if (st->got_close_notify || st->sent_close_notify)
				return 1;
			set_error(st, ssl, 0, "SSL_read");
			return -1;
		}
		EVP_DigestUpdate(st->in_sum, buf, n);
		st->nread += n;
		if (echo && write_all(ssl, st, buf, n) < 0)
			return -1;
		if (rekey_if_due(o, ssl, st, n) < 0)
			return -1;
	}
}

/* The source stream: xorshift64 from a fixed seed, so a test can also
 * regenerate it, but a checksum of what was sent is all it needs. */
static void fill(unsigned char *p, size_t n, uint64_t *x)
{
	for (size_t i = 0; i < n; i += 8) {
		*x ^= *x << 13;
		*x ^= *x >> 7;
		*x ^= *x << 17;
		memcpy(p + i, x, n - i < 8 ? n - i : 8);
	}
}

/* Between writes, whatever the client sent: its answer to a HelloRequest
 * (SSL_read carries the whole renegotiation through), its KeyUpdate, data,
 * or its close_notify. A blocking SSL_write never reads, so a source that
 * did not do this would leave every renegotiation hanging. */
static int read_if_ready(SSL *ssl, struct stats *st)
{
	static unsigned char buf[16384];
	struct pollfd p = { .fd = SSL_get_rfd(ssl), .events = POLLIN };
	size_t n;

	while (!st->got_close_notify &&
	       (SSL_has_pending(ssl) || poll(&p, 1, 0) == 1)) {
		if (SSL_read_ex(ssl, buf, sizeof(buf), &n)) {
			EVP_DigestUpdate(st->in_sum, buf, n);
			st->nread += n;
			continue;
		}
		switch (SSL_get_error(ssl, 0)) {
		case SSL_ERROR_WANT_READ: /* no data after a handshake record */
			return 0;
		case SSL_ERROR_ZERO_RETURN:
			st->got_close_notify = 1;
			return 0;
		default:
			set_error(st, ssl, 0, "SSL_read");
			return -1;
		}
	}
	return 0;
}

static int run_source(const struct opts *o, SSL *ssl, struct stats *st)
{
	static unsigned char buf[16384];
	uint64_t x = 0x9e3779b97f4a7c15ull, left = o->bytes;

	/* SSL_read must return after a handshake record instead of waiting
	 * for data the client may never send. */
	SSL_clear_mode(ssl, SSL_MODE_AUTO_RETRY);
	while (left > 0) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);

		fill(buf, n, &x);
		if (read_if_ready(ssl, st) < 0 ||
		    write_all(ssl, st, buf, n) < 0 ||
		    rekey_if_due(o, ssl, st, n) < 0)
			return -1;
		left -= n;
	}
	/* Ours first, then the client's: anything it sends meanwhile
	 * (renegotiation answers included) is read and counted. */
	if (SSL_shutdown(ssl) < 0) {
		set_error(st, ssl, -1, "SSL_shutdown");
		return -1;
	}
	st->sent_close_notify = 1;
	return st->got_close_notify ? 1 : run_reader(o, ssl, st, 0);
}

/* RFC 5246 7.4.1.1 allows a HelloRequest at any time; a client that is
 * negotiating must ignore it. OpenSSL never sends one inside a handshake,
 * so these modes write the plaintext record themselves. */
static const unsigned char raw_hello_request[] = { 0x16, 0x03, 0x03, 0x00, 0x04,
						   0x00, 0x00, 0x00, 0x00 };

static int write_fd(int fd, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n > 0) {
		ssize_t k = write(fd, b, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Before the ServerHello: once the ClientHello is there (it stays unread
 * for SSL_accept). */
static void send_hello_before_sh(int fd, struct stats *st)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 10000) == 1 &&
	    write_fd(fd, raw_hello_request, sizeof(raw_hello_request)) == 0)
		st->raw_hello_requests++;
}

/* After the ServerHello: a write BIO on the socket that follows the record
 * headers of what OpenSSL writes and puts the HelloRequest right after the
 * first record (the ServerHello; the rest of the flight follows it). */
struct injector {
	int fd, done;
	unsigned char hdr[5];
	size_t have, left;
	struct stats *st;
};

/* How many bytes of p[0..n) belong to the first record; sets done at its
 * end. */
static size_t first_record_part(struct injector *in, const unsigned char *p,
				size_t n)
{
	size_t i = 0;

	while (i < n && in->have < sizeof(in->hdr)) {
		in->hdr[in->have++] = p[i++];
		in->left = (size_t)in->hdr[3] << 8 | in->hdr[4];
	}
	if (in->have == sizeof(in->hdr)) {
		size_t k = n - i < in->left ? n - i : in->left;

		i += k;
		in->left -= k;
		in->done = in->left == 0;
	}
	return i;
}

static int inject_write(BIO *b, const char *buf, int len)
{
	struct injector *in = BIO_get_data(b);
	const unsigned char *p = (const unsigned char *)buf;
	size_t n = (size_t)len, head = 0;

	if (!in->done) {
		head = first_record_part(in, p, n);
		if (write_fd(in->fd, p, head) < 0)
			return -1;
		if (in->done && write_fd(in->fd, raw_hello_request,
					 sizeof(raw_hello_request)) == 0)
			in->st->raw_hello_requests++;
	}
	if (head < n && write_fd(in->fd, p + head, n - head) < 0)
		return -1;
	return len;
}

static long inject_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH;
}

static BIO *injector_bio(struct injector *in)
{
	static BIO_METHOD *m;
	BIO *b;

	if (!m) {
		m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
				 "hello-request injector");
		if (!m || !BIO_meth_set_write(m, inject_write) ||
		    !BIO_meth_set_ctrl(m, inject_ctrl))
			die("BIO_meth_new");
	}
	b = BIO_new(m);
	if (!b)
		die("BIO_new");
	BIO_set_data(b, in);
	BIO_set_init(b, 1);
	return b;
}

static const char *hex(EVP_MD_CTX *md, char out[65])
{
	unsigned char d[32];
	unsigned int n = 0;

	EVP_DigestFinal_ex(md, d, &n);
	for (unsigned int i = 0; i < n && i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
	return out;
}

static void report(long id, struct stats *st)
{
	char in[65] = "", out[65] = "";
	unsigned reneg = st->finished_sent > 0 ? st->finished_sent - 1 : 0;

	printf("conn %ld %s%s: read %llu sha256 %s, wrote %llu sha256 %s, "
	       "hello_requests %u, raw_hello_requests %u, client_hellos %u, "
	       "renegotiations %u, key_updates_sent %u, "
	       "key_updates_received %u, client_close_notify %s\n",
	       id, st->error[0] ? "error: " : "ok", st->error,
	       (unsigned long long)st->nread, hex(st->in_sum, in),
	       (unsigned long long)st->nwritten, hex(st->out_sum, out),
	       st->hello_requests, st->raw_hello_requests, st->client_hellos,
	       reneg, st->ku_sent, st->ku_received,
	       st->got_close_notify ? "yes" : "no");
	fflush(stdout);
}

static void serve_one(const struct opts *o, SSL_CTX *ctx, int fd, long id)
{
	struct stats st = { 0 };
	SSL *ssl = SSL_new(ctx);
	struct injector inj = { .fd = fd, .st = &st };
	int r;

	st.in_sum = EVP_MD_CTX_new();
	st.out_sum = EVP_MD_CTX_new();
	if (!ssl || !st.in_sum || !st.out_sum ||
	    !EVP_DigestInit_ex(st.in_sum, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(st.out_sum, EVP_sha256(), NULL))
		die("out of memory");
	SSL_set_fd(ssl, fd);
	if (o->hello_after_sh) /* our socket BIO stays the read side */
		SSL_set0_wbio(ssl, injector_bio(&inj));
	SSL_set_msg_callback(ssl, on_msg);
	SSL_set_msg_callback_arg(ssl, &st);
	if (o->hello_before_sh)
		send_hello_before_sh(fd, &st);
	r = SSL_accept(ssl);
	if (r != 1)
		set_error(&st, ssl, r, "handshake");
	else if (o->mode == MODE_SOURCE)
		r = run_source(o, ssl, &st);
	else
		r = run_reader(o, ssl, &st, o->mode == MODE_ECHO);
	if (r == 1 && !st.sent_close_notify)
		SSL_shutdown(ssl); /* answer the client's close_notify */
	report(id, &st);
	ERR_clear_error();
	SSL_free(ssl);
	EVP_MD_CTX_free(st.in_sum);
	EVP_MD_CTX_free(st.out_sum);
	close(fd);
}

int main(int argc, char **argv)
{
	struct opts o;
	SSL_CTX *ctx;
	int lfd;

	parse_args(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	ctx = make_ctx(&o);
	lfd = listen_on(o.port);
	printf("ossl_peer: %s on 127.0.0.1:%d, TLS %s, every %llu bytes\n",
	       o.mode == MODE_ECHO ? "echo" :
	       o.mode == MODE_SINK ? "sink" :
				     "source",
	       o.port, o.tls13 ? "1.3" : "1.2", (unsigned long long)o.every);
	fflush(stdout);
	for (long id = 1; o.count == 0 || id <= o.count; id++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			die("accept: %s", strerror(errno));
		}
		serve_one(&o, ctx, fd, id);
	}
	SSL_CTX_free(ctx);
	close(lfd);
	return 0;
}
