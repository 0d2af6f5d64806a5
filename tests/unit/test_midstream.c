/*
 * Peer renegotiation (TLS 1.2, HelloRequest) and peer KeyUpdate (TLS 1.3)
 * in the middle of a transfer (issue 3, DESIGN 3.3): every byte must
 * arrive exactly once and in order, in both directions.
 *
 * Both ends use the library over a loopback TCP pair. The client is shaped
 * like the CLI: one reader thread and one writer thread on one tp_conn,
 * neither calling the handshake. The server has a reader, a writer and a
 * control thread that calls tp_conn_renegotiate (TLS 1.2) or
 * tp_conn_key_update (TLS 1.3) while data flows.
 *
 * Each direction carries a deterministic stream (xorshift64, one seed per
 * direction): every sink compares each byte it receives with the stream
 * and reads on to end of stream, so a lost, repeated or reordered byte
 * fails at its offset, as does a short or long stream. The FNV-1a of what
 * was sent and received is printed and compared too.
 *
 * 1. Deterministic: the client's write queue is 16 KiB and the server does
 *    not read, so the client writer parks on a full transport (awaited at
 *    the TP_SP_WRITE_WAIT scheduling point). Only then does the server
 *    start a renegotiation / send a KeyUpdate; only once the client has
 *    taken it up (its reader owns the renegotiation, or has processed the
 *    KeyUpdate) does the server start reading. All bytes must arrive and
 *    the writer must complete.
 * 2. Bulk: TP_MIDSTREAM_MB MiB (default 32) each way at once, with
 *    NACT renegotiations / KeyUpdates spread over the transfer. The
 *    sources are held at most two intervals ahead of the control thread,
 *    and each action waits until the previous one has reached the client
 *    and more data has followed it both ways, so that every action
 *    happens with both directions in flight and the counts are exact.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "peer.h"

#define NACT 16 /* renegotiations / KeyUpdates in the bulk run */
#define MIN_ACT 8

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- deterministic streams --------------------------------------------- */

struct gen {
	uint64_t s, word;
	int left;
};

static void gen_init(struct gen *g, uint64_t seed)
{
	g->s = seed ? seed : 1;
	g->left = 0;
}

static void gen_fill(struct gen *g, unsigned char *p, size_t n)
{
	while (n-- > 0) {
		if (g->left == 0) {
			g->s ^= g->s << 13;
			g->s ^= g->s >> 7;
			g->s ^= g->s << 17;
			g->word = g->s;
			g->left = 8;
		}
		*p++ = (unsigned char)g->word;
		g->word >>= 8;
		g->left--;
	}
}

#define FNV_INIT 0xcbf29ce484222325ull

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
	while (n-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

#define SEED_C2S 0x9e3779b97f4a7c15ull
#define SEED_S2C 0xd1b54a32d192ed03ull

/* ---- one run: shared state ---------------------------------------------- */

struct stream {
	const char *name; /* "c2s" or "s2c" */
	uint64_t seed;
	uint64_t total;
	struct tp_conn *from, *to;
	/* results */
	uint64_t sent, received;
	uint64_t fnv_sent, fnv_received;
	int write_ok, eof_ok;
	char err[256];
};

struct run {
	const char *version;
	int tls13;
	struct tp_conn *cli, *srv;
	struct stream c2s, s2c;

	/* throttling (bulk only): under m */
	pthread_mutex_t m;
	pthread_cond_t cv;
	int throttle;
	uint64_t interval;
	uint64_t maxchunk;
	uint64_t c2s_grant, s2c_grant; /* a source writes up to its grant */
	int control_done;
	uint64_t c2s_written, s2c_written, c2s_read, s2c_read;
	int writers_done; /* sources that wrote everything */
};

static void run_init(struct run *r, const char *version, uint64_t total)
{
	memset(r, 0, sizeof(*r));
	r->version = version;
	r->tls13 = strcmp(version, "1.3") == 0;
	pthread_mutex_init(&r->m, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->c2s.name = "c2s";
	r->c2s.seed = SEED_C2S;
	r->c2s.total = total;
	r->s2c.name = "s2c";
	r->s2c.seed = SEED_S2C;
	r->s2c.total = total;
}

static void run_destroy(struct run *r)
{
	pthread_mutex_destroy(&r->m);
	pthread_cond_destroy(&r->cv);
}

static uint64_t *written_of(struct run *r, struct stream *s)
{
	return s == &r->c2s ? &r->c2s_written : &r->s2c_written;
}

static uint64_t *read_of(struct run *r, struct stream *s)
{
	return s == &r->c2s ? &r->c2s_read : &r->s2c_read;
}

/* ---- source: writes the stream, then close_notify ------------------------ */

struct worker {
	struct run *r;
	struct stream *s;
	pthread_t t;
};

static size_t allowance(struct run *r, struct stream *s, uint64_t written)
{
	uint64_t limit;

	if (!r->throttle || r->control_done)
		return (size_t)(s->total - written);
	limit = s == &r->c2s ? r->c2s_grant : r->s2c_grant;
	if (limit > s->total)
		limit = s->total;
	return limit > written ? (size_t)(limit - written) : 0;
}

static void *source_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;
	struct stream *s = w->s;
	size_t maxchunk = 48 * 1024;
	unsigned char *buf = malloc(maxchunk);
	uint64_t rnd = s->seed ^ 0x5555;
	struct gen g;

	CHECK(buf != NULL);
	gen_init(&g, s->seed);
	s->fnv_sent = FNV_INIT;
	if (r->throttle)
		maxchunk = (size_t)r->maxchunk;
	while (s->sent < s->total) {
		size_t n, room;
		ssize_t k;

		rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
		n = 1 + (size_t)((rnd >> 33) % maxchunk);
		if (n > s->total - s->sent)
			n = (size_t)(s->total - s->sent);
		pthread_mutex_lock(&r->m);
		while ((room = allowance(r, s, s->sent)) == 0)
			pthread_cond_wait(&r->cv, &r->m);
		pthread_mutex_unlock(&r->m);
		if (n > room)
			n = room;
		gen_fill(&g, buf, n);
		k = tp_conn_write(s->from, buf, n);
		if (k != (ssize_t)n) {
			snprintf(s->err, sizeof(s->err), "%s write: %s",
				 s->name, tp_conn_error(s->from));
			break;
		}
		s->fnv_sent = fnv1a(s->fnv_sent, buf, n);
		s->sent += n;
		pthread_mutex_lock(&r->m);
		*written_of(r, s) = s->sent;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->m);
	}
	free(buf);
	if (s->sent != s->total)
		return NULL;
	/* The end of the stream: close_notify, after the control thread is
	 * done (so that no renegotiation or KeyUpdate answer follows it). */
	pthread_mutex_lock(&r->m);
	while (r->throttle && !r->control_done)
		pthread_cond_wait(&r->cv, &r->m);
	pthread_mutex_unlock(&r->m);
	if (tp_conn_shutdown_write(s->from) != 0) {
		snprintf(s->err, sizeof(s->err), "%s shutdown_write: %s",
			 s->name, tp_conn_error(s->from));
		return NULL;
	}
	s->write_ok = 1;
	pthread_mutex_lock(&r->m);
	r->writers_done++;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->m);
	return NULL;
}

/* Where in the stream do the unexpected bytes come from? */
static void diagnose(struct stream *s, const unsigned char *got, size_t n,
		     uint64_t at)
{
	uint64_t span = s->total + 4096;
	unsigned char *all = malloc(span);
	struct gen g;

	if (all == NULL || n < 16)
		goto out;
	gen_init(&g, s->seed);
	gen_fill(&g, all, span);
	for (uint64_t off = 0; off + 16 <= span; off++)
		if (memcmp(all + off, got, 16) == 0) {
			fprintf(stderr,
				"%s: at offset %llu came the bytes of "
				"offset %llu\n",
				s->name, (unsigned long long)at,
				(unsigned long long)off);
			goto out;
		}
	fprintf(stderr,
		"%s: at offset %llu came bytes not in the stream "
		"(%zu bytes in this read)\n",
		s->name, (unsigned long long)at, n);
out:
	free(all);
}

/* ---- sink: checks every byte against the stream, reads to EOF ------------ */

static void *sink_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;
	struct stream *s = w->s;
	size_t bufsz = 40000; /* not a record multiple */
	unsigned char *buf = malloc(bufsz), *want = malloc(bufsz);
	uint64_t rnd = s->seed ^ 0xaaaa;
	struct gen g;

	CHECK(buf != NULL && want != NULL);
	gen_init(&g, s->seed);
	s->fnv_received = FNV_INIT;
	for (;;) {
		size_t n;
		ssize_t k;

		rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
		n = 1 + (size_t)((rnd >> 33) % bufsz);
		k = tp_conn_read(s->to, buf, n);
		if (k < 0) {
			snprintf(s->err, sizeof(s->err),
				 "%s read after %llu bytes: %s", s->name,
				 (unsigned long long)s->received,
				 tp_conn_error(s->to));
			break;
		}
		if (k == 0) {
			s->eof_ok = 1;
			break;
		}
		if (s->received + (uint64_t)k > s->total)
			tu_fail(__FILE__, __LINE__,
				"%s: %llu bytes beyond the end of the stream "
				"(%llu)",
				s->name,
				(unsigned long long)(s->received + (uint64_t)k -
						     s->total),
				(unsigned long long)s->total);
		gen_fill(&g, want, (size_t)k);
		if (memcmp(buf, want, (size_t)k) != 0) {
			size_t i = 0;

			while (buf[i] == want[i])
				i++;
			diagnose(s, buf + i, (size_t)k - i, s->received + i);
			tu_fail(__FILE__, __LINE__,
				"%s: byte %llu differs from the stream "
				"(got 0x%02x, want 0x%02x): lost, repeated or "
				"reordered data",
				s->name, (unsigned long long)(s->received + i),
				buf[i], want[i]);
		}
		s->fnv_received = fnv1a(s->fnv_received, buf, (size_t)k);
		s->received += (uint64_t)k;
		pthread_mutex_lock(&r->m);
		*read_of(r, s) = s->received;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->m);
	}
	free(buf);
	free(want);
	return NULL;
}

static void start(struct worker *w, struct run *r, struct stream *s,
		  void *(*fn)(void *))
{
	w->r = r;
	w->s = s;
	CHECK(pthread_create(&w->t, NULL, fn, w) == 0);
}

static void check_stream(struct stream *s)
{
	if (s->err[0] != '\0')
		tu_fail(__FILE__, __LINE__, "%s", s->err);
	CHECK(s->write_ok);
	CHECK(s->eof_ok);
	CHECK_EQ_INT(s->sent, s->total);
	CHECK_EQ_INT(s->received, s->total);
	if (s->fnv_sent != s->fnv_received)
		tu_fail(__FILE__, __LINE__,
			"%s: FNV-1a sent %016llx != "
			"received %016llx",
			s->name, (unsigned long long)s->fnv_sent,
			(unsigned long long)s->fnv_received);
	printf("  %s: %llu bytes, exactly once and in order, FNV-1a "
	       "%016llx\n",
	       s->name, (unsigned long long)s->received,
	       (unsigned long long)s->fnv_received);
}

/* ---- the connection pair ------------------------------------------------ */

struct pair {
	struct tp_config *ccfg, *scfg;
	struct tp_conn *cli, *srv;
	int cfd, sfd;
};

static void pair_open(struct pair *p, const char *version, size_t cli_queue,
		      int small_buffers)
{
	memset(p, 0, sizeof(*p));
	p->ccfg = tu_client_config(version);
	p->scfg = tu_server_config(version);
	if (cli_queue)
		tp_config_set_write_queue(p->ccfg, cli_queue);
	CHECK(tu_tcp_pair(&p->cfd, &p->sfd) == 0);
	if (small_buffers) {
		int sz = 32 * 1024;

		for (int i = 0; i < 2; i++) {
			int fd = i ? p->sfd : p->cfd;

			CHECK(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz,
					 sizeof(sz)) == 0);
			CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz,
					 sizeof(sz)) == 0);
		}
	}
	p->cli = tp_conn_new(p->ccfg);
	p->srv = tp_conn_new(p->scfg);
	CHECK(p->cli != NULL && p->srv != NULL);
	CHECK(tp_conn_attach_fd(p->cli, p->cfd, "localhost") == 0);
	CHECK(tp_conn_attach_fd(p->srv, p->sfd, NULL) == 0);
}

static void pair_close(struct pair *p)
{
	tp_conn_free(p->cli);
	tp_conn_free(p->srv);
	tp_config_free(p->ccfg);
	tp_config_free(p->scfg);
}

static struct tp_info info_of(struct tp_conn *c)
{
	struct tp_info in;

	CHECK(tp_conn_info(c, &in) == 0);
	return in;
}

/* ---- scheduling points (deterministic phase only) ------------------------ */

static pthread_mutex_t sched_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sched_cv = PTHREAD_COND_INITIALIZER;
static int seen[TP_SP_COUNT];
static struct tp_conn *watched; /* under sched_m */

/* Counts the points the client passes; the server's are ignored. */
static void hook(struct tp_conn *c, enum tp_sched_point sp, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&sched_m);
	if (c == watched) {
		seen[sp]++;
		pthread_cond_broadcast(&sched_cv);
	}
	pthread_mutex_unlock(&sched_m);
}

static void sched_watch(struct tp_conn *c)
{
	pthread_mutex_lock(&sched_m);
	memset(seen, 0, sizeof(seen));
	watched = c;
	pthread_mutex_unlock(&sched_m);
}

static int seen_count(enum tp_sched_point sp)
{
	int n;

	pthread_mutex_lock(&sched_m);
	n = seen[sp];
	pthread_mutex_unlock(&sched_m);
	return n;
}

static void await_point(enum tp_sched_point sp, int count)
{
	tu_watchdog_note("awaiting client at %s x%d", tp_sched_point_name(sp),
			 count);
	pthread_mutex_lock(&sched_m);
	while (seen[sp] < count)
		pthread_cond_wait(&sched_cv, &sched_m);
	pthread_mutex_unlock(&sched_m);
	tu_watchdog_note("client reached %s x%d", tp_sched_point_name(sp),
			 count);
}

struct hs_arg {
	struct tp_conn *c;
	int ret;
	char err[256];
};

static void *handshake_main(void *arg)
{
	struct hs_arg *h = arg;

	h->ret = tp_conn_handshake(h->c);
	snprintf(h->err, sizeof(h->err), "%s",
		 tp_conn_error(h->c) ? tp_conn_error(h->c) : "");
	return NULL;
}

static void *renegotiate_main(void *arg)
{
	struct hs_arg *h = arg;

	h->ret = tp_conn_renegotiate(h->c);
	snprintf(h->err, sizeof(h->err), "%s",
		 tp_conn_error(h->c) ? tp_conn_error(h->c) : "");
	return NULL;
}

/*
 * 1. The writer parked on a full transport, then the peer's HelloRequest
 *    or KeyUpdate, then the peer starts reading.
 */
static void parked_writer(const char *version, uint64_t total)
{
	struct worker cw, cr, sw, sr;
	struct hs_arg hs, reneg;
	pthread_t hs_t, reneg_t = 0;
	struct tp_info ci, si;
	struct pair p;
	struct run r;
	char what[128];
	double t0 = now_s();
	int n;

	snprintf(what, sizeof(what), "TLS %s parked writer: handshake",
		 version);
	tu_watchdog_start(60, what);
	run_init(&r, version, total);
	r.s2c.total = 64 * 1024; /* some data the other way, at the end */
	pair_open(&p, version, 16384, 1);
	r.c2s.from = r.s2c.to = p.cli;
	r.s2c.from = r.c2s.to = p.srv;
	sched_watch(p.cli);
	tp_test_set_hook(hook, NULL);

	/* Client: reader and writer, as in the CLI; the server handshakes
	 * and then neither reads nor writes. */
	hs.c = p.srv;
	CHECK(pthread_create(&hs_t, NULL, handshake_main, &hs) == 0);
	start(&cr, &r, &r.s2c, sink_main);
	start(&cw, &r, &r.c2s, source_main);
	pthread_join(hs_t, NULL);
	if (hs.ret != 0)
		tu_fail(__FILE__, __LINE__, "server handshake: %s", hs.err);

	snprintf(what, sizeof(what), "TLS %s parked writer: writer parks",
		 version);
	tu_watchdog_start(60, what);
	await_point(TP_SP_WRITE_WAIT, 1); /* the transport is full */
	await_point(TP_SP_READ_WAIT, 1); /* the reader waits for data */
	pthread_mutex_lock(&r.m);
	CHECK(r.c2s_written < total);
	pthread_mutex_unlock(&r.m);

	snprintf(what, sizeof(what), "TLS %s parked writer: %s", version,
		 r.tls13 ? "KeyUpdate" : "renegotiation");
	tu_watchdog_start(60, what);
	if (r.tls13) {
		/* The KeyUpdate reaches the client's reader, which answers it
		 * (the answer is queued behind the full transport) and waits
		 * again; the writer stays parked. */
		n = seen_count(TP_SP_READ_WAIT);
		CHECK(tp_conn_key_update(p.srv, 1) == 0);
		do
			await_point(TP_SP_READ_WAIT, ++n);
		while (info_of(p.cli).key_updates_received == 0);
	} else {
		/* The HelloRequest reaches the client's reader, which starts
		 * the renegotiation and waits for the server's answer; that
		 * needs the server to get past the data queued before the
		 * client's ClientHello. */
		n = seen_count(TP_SP_HS_WAIT);
		reneg.c = p.srv;
		CHECK(pthread_create(&reneg_t, NULL, renegotiate_main,
				     &reneg) == 0);
		await_point(TP_SP_HS_WAIT, n + 1);
	}
	pthread_mutex_lock(&r.m);
	CHECK(r.c2s_written < total); /* still parked */
	CHECK_EQ_INT(r.c2s_read, 0);
	pthread_mutex_unlock(&r.m);

	/* Only now does the server read (and, at the end, write). */
	snprintf(what, sizeof(what), "TLS %s parked writer: drain", version);
	tu_watchdog_start(60, what);
	start(&sr, &r, &r.c2s, sink_main);
	if (!r.tls13) {
		pthread_join(reneg_t, NULL);
		if (reneg.ret != 0)
			tu_fail(__FILE__, __LINE__, "server renegotiation: %s",
				reneg.err);
	}
	pthread_join(cw.t, NULL);
	pthread_join(sr.t, NULL);
	start(&sw, &r, &r.s2c, source_main);
	pthread_join(sw.t, NULL);
	pthread_join(cr.t, NULL);
	tp_test_set_hook(NULL, NULL);
	n = seen_count(TP_SP_WRITE_WAIT);
	sched_watch(NULL);
	tu_watchdog_stop();

	printf("TLS %s, writer parked on a full transport, peer %s: "
	       "%.2f s, writer parked %d times\n",
	       version, r.tls13 ? "KeyUpdate" : "HelloRequest", now_s() - t0,
	       n);
	check_stream(&r.c2s);
	check_stream(&r.s2c);
	ci = info_of(p.cli);
	si = info_of(p.srv);
	printf("  client: renegotiations %d, key updates received %d; "
	       "server: renegotiations %d, key updates sent %d, "
	       "received %d\n",
	       ci.renegotiations, ci.key_updates_received, si.renegotiations,
	       si.key_updates_sent, si.key_updates_received);
	if (r.tls13) {
		CHECK_EQ_INT(si.key_updates_sent, 1);
		CHECK_EQ_INT(ci.key_updates_received, 1);
		CHECK_EQ_INT(si.key_updates_received, 1); /* the answer */
	} else {
		CHECK_EQ_INT(ci.renegotiations, 1);
		CHECK_EQ_INT(si.renegotiations, 1);
	}
	CHECK_EQ_INT(ci.bytes_written, r.c2s.total);
	CHECK_EQ_INT(si.bytes_read, r.c2s.total);
	pair_close(&p);
	run_destroy(&r);
}

/* ---- 2. bulk transfer both ways with actions in the middle --------------- */

static int action_count(struct tp_conn *c, int tls13)
{
	struct tp_info in = info_of(c);

	return tls13 ? in.key_updates_received : in.renegotiations;
}

/*
 * The server's control thread. Action k happens once both directions are
 * past k intervals; the sources are granted one interval more at a time,
 * so both are in flight at every action. Before the next action, the
 * client must have received data the server wrote after action k (so it
 * has taken action k up: its count must be exactly k), and the server must
 * have received data the client wrote after that (so a KeyUpdate answer
 * is never adjacent to the next one, and each is counted).
 */
static void *control_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;
	uint64_t c2s_mark = 0;

	for (int k = 1; k <= NACT; k++) {
		uint64_t s2c_mark;
		int ret;

		pthread_mutex_lock(&r->m);
		while (r->c2s_read < (uint64_t)k * r->interval ||
		       r->c2s_read <= c2s_mark ||
		       r->s2c_written < (uint64_t)k * r->interval)
			pthread_cond_wait(&r->cv, &r->m);
		pthread_mutex_unlock(&r->m);

		tu_watchdog_note("TLS %s: action %d", r->version, k);
		if (r->tls13)
			ret = tp_conn_key_update(r->srv, k % 2);
		else
			ret = tp_conn_renegotiate(r->srv);
		if (ret != 0)
			tu_fail(__FILE__, __LINE__, "server %s %d: %s",
				r->tls13 ? "key update" : "renegotiation", k,
				tp_conn_error(r->srv));

		/* Every s2c byte past s2c_mark was written after action k (a
		 * chunk may have been under way while it ran). */
		pthread_mutex_lock(&r->m);
		s2c_mark = r->s2c_written + r->maxchunk;
		r->s2c_grant = (uint64_t)(k + 2) * r->interval;
		pthread_cond_broadcast(&r->cv);
		while (r->s2c_read <= s2c_mark)
			pthread_cond_wait(&r->cv, &r->m);
		pthread_mutex_unlock(&r->m);
		CHECK_EQ_INT(action_count(r->cli, r->tls13), k);

		/* The client's answer (if any) is queued: every c2s byte past
		 * c2s_mark follows it. */
		pthread_mutex_lock(&r->m);
		c2s_mark = r->c2s_written + r->maxchunk;
		r->c2s_grant = (uint64_t)(k + 2) * r->interval;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->m);
	}
	pthread_mutex_lock(&r->m);
	r->control_done = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->m);
	return NULL;
}

static void bulk(const char *version, uint64_t total)
{
	struct worker cw, cr, sw, sr, ctl;
	struct tp_info ci, si;
	struct pair p;
	struct run r;
	char what[128];
	double t0 = now_s(), dt;

	snprintf(what, sizeof(what), "TLS %s bulk %llu MiB each way", version,
		 (unsigned long long)(total >> 20));
	/* Generous: TSan and ASan builds are much slower. */
	tu_watchdog_start(240, what);
	run_init(&r, version, total);
	r.throttle = 1;
	r.interval = total / (NACT + 3); /* grants stay below total */
	r.maxchunk = r.interval / 3;
	if (r.maxchunk > 48 * 1024)
		r.maxchunk = 48 * 1024;
	r.c2s_grant = r.s2c_grant = 2 * r.interval;
	pair_open(&p, version, 0, 0);
	r.cli = p.cli;
	r.srv = p.srv;
	r.c2s.from = r.s2c.to = p.cli;
	r.s2c.from = r.c2s.to = p.srv;

	start(&cr, &r, &r.s2c, sink_main);
	start(&cw, &r, &r.c2s, source_main);
	start(&sr, &r, &r.c2s, sink_main);
	start(&sw, &r, &r.s2c, source_main);
	ctl.r = &r;
	CHECK(pthread_create(&ctl.t, NULL, control_main, &ctl) == 0);
	pthread_join(ctl.t, NULL);
	pthread_join(cw.t, NULL);
	pthread_join(sw.t, NULL);
	pthread_join(cr.t, NULL);
	pthread_join(sr.t, NULL);
	tu_watchdog_stop();
	dt = now_s() - t0;

	printf("TLS %s, bulk both ways with peer %s: %.2f s "
	       "(%.1f MiB/s each way)\n",
	       version, r.tls13 ? "KeyUpdates" : "renegotiations", dt,
	       (double)total / (1 << 20) / dt);
	check_stream(&r.c2s);
	check_stream(&r.s2c);
	ci = info_of(p.cli);
	si = info_of(p.srv);
	printf("  client: handshakes %d, renegotiations %d, key updates "
	       "sent %d, received %d\n",
	       ci.handshakes, ci.renegotiations, ci.key_updates_sent,
	       ci.key_updates_received);
	printf("  server: handshakes %d, renegotiations %d, key updates "
	       "sent %d, received %d\n",
	       si.handshakes, si.renegotiations, si.key_updates_sent,
	       si.key_updates_received);
	CHECK(NACT >= MIN_ACT);
	if (r.tls13) {
		CHECK_EQ_INT(si.key_updates_sent, NACT);
		CHECK_EQ_INT(ci.key_updates_received, NACT);
		/* Only every other one asked for an answer. */
		CHECK_EQ_INT(si.key_updates_received, (NACT + 1) / 2);
		CHECK_EQ_INT(ci.renegotiations, 0);
	} else {
		CHECK_EQ_INT(si.renegotiations, NACT);
		CHECK_EQ_INT(ci.renegotiations, NACT);
		CHECK_EQ_INT(si.handshakes, NACT + 1);
		CHECK_EQ_INT(ci.handshakes, NACT + 1);
		CHECK_EQ_INT(si.renegotiations_refused, 0);
	}
	CHECK_EQ_INT(ci.bytes_written, total);
	CHECK_EQ_INT(ci.bytes_read, total);
	CHECK_EQ_INT(si.bytes_written, total);
	CHECK_EQ_INT(si.bytes_read, total);
	pair_close(&p);
	run_destroy(&r);
}

/*
 * 3. Two KeyUpdates and then data, all in the client's socket before it
 *    reads: wolfSSL goes through the three records in one read, and both
 *    KeyUpdates are counted.
 */
static void key_updates_in_one_read(void)
{
	struct pair p;
	char buf[16];

	pair_open(&p, "1.3", 0, 0);
	tu_handshake_both(p.cli, p.srv);
	CHECK_EQ_INT(tp_conn_key_update(p.srv, 0), 0);
	CHECK_EQ_INT(tp_conn_key_update(p.srv, 0), 0);
	CHECK_EQ_INT(tp_conn_write(p.srv, "x", 1), 1);
	CHECK_EQ_INT(tp_conn_read(p.cli, buf, sizeof(buf)), 1);
	CHECK_EQ_INT(info_of(p.cli).key_updates_received, 2);
	printf("two KeyUpdates before data, one read: both counted\n");
	pair_close(&p);
}

int main(void)
{
	const char *env = getenv("TP_MIDSTREAM_MB");
	uint64_t mb = env ? strtoull(env, NULL, 10) : 32;
	static const char *const versions[] = { "1.2", "1.3" };

	if (mb < 1)
		mb = 1;
	setvbuf(stdout, NULL, _IOLBF, 0); /* progress survives a watchdog */
	tu_certs();
	for (int i = 0; i < 2; i++)
		parked_writer(versions[i], 4u << 20);
	for (int i = 0; i < 2; i++)
		bulk(versions[i], mb << 20);
	key_updates_in_one_read();
	printf("midstream: ok\n");
	return 0;
}
