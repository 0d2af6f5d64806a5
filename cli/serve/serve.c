/*
 * tlsprobe serve: a TLS server on libtlsprobe, for demos, tests and users
 * who need a peer whose policy they control. One thread per connection.
 * Without --cert it generates a CA and a leaf for localhost, 127.0.0.1 and
 * ::1 in memory; --write-ca saves the CA so that clients can verify.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/checksum.h"
#include "serve.h"
#include "tlsprobe.h"
#include "tlsprobe_certgen.h"

enum serve_mode {
	MODE_ECHO,
	MODE_REVERSE,
	MODE_SINK,
	MODE_SOURCE
};

struct serve_opts {
	const char *addr, *port;
	const char *cert, *key, *write_ca;
	enum serve_mode mode;
	uint64_t source_bytes;
	uint64_t hello_request_every; /* bytes; TLS <= 1.2 */
	uint64_t key_update_every; /* bytes; TLS 1.3 */
	int hello_request_secs; /* HelloRequest every N s; TLS <= 1.2 */
	int reply_delay_ms; /* echo, reverse: wait before each reply write */
	enum tp_reneg_policy reneg;
	int reneg_limit; /* TP_RENEG_LIMIT */
	enum tp_version min, max;
	int require_client_cert;
	int naccept; /* 0: forever */
	int quiet;
};

struct serve_conn {
	const struct serve_opts *o;
	struct tp_conn *c;
	int id;
	char peer[NI_MAXHOST + NI_MAXSERV + 2];
	int closing; /* no more renegotiations: the peer closed */
	/* --hello-request-interval: a timer thread, stopped before free */
	pthread_t timer;
	pthread_mutex_t tm;
	pthread_cond_t tcv;
	int timer_stop;
};

static atomic_int next_id;

static void say(const struct serve_conn *sc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(const struct serve_conn *sc, const char *fmt, ...)
{
	char line[512], esc[1024];
	va_list ap;

	if (sc->o->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Lines carry what the client sent (alerts, errors): no control
	 * byte of its choosing reaches the terminal. */
	tp_escape(esc, sizeof(esc), line, strlen(line), TP_ESC_TEXT);
	fprintf(stderr, "serve: #%d %s: %s\n", sc->id, sc->peer, esc);
}

/* Events are reported per connection; the config is shared, so the
 * connection's state is its tp_conn_arg. */
static void on_event(struct tp_conn *c, const struct tp_event *ev, void *arg)
{
	struct serve_conn *sc = tp_conn_arg(c);
	struct tp_info in;

	(void)arg;
	if (sc == NULL)
		return;
	switch (ev->type) {
	case TP_EV_HANDSHAKE_DONE:
		if (tp_conn_info(c, &in) == 0)
			say(sc, "handshake done: %s %s", in.version, in.cipher);
		break;
	case TP_EV_RENEG_REQUESTED:
		say(sc, "renegotiation started (%s)", ev->detail);
		break;
	case TP_EV_RENEG_DONE:
		say(sc, "renegotiation completed (%s)", ev->detail);
		break;
	case TP_EV_RENEG_REFUSED:
		say(sc, "renegotiation refused (%s)", ev->detail);
		break;
	case TP_EV_KEYUPDATE_SENT:
		say(sc, "KeyUpdate sent%s",
		    ev->value ? " (update_requested)" : "");
		break;
	case TP_EV_KEYUPDATE_RECEIVED:
		say(sc, "KeyUpdate received");
		break;
	case TP_EV_ALERT_RECEIVED:
	case TP_EV_ALERT_SENT:
		say(sc, "%s alert %s: %s", ev->level == 2 ? "fatal" : "warning",
		    ev->type == TP_EV_ALERT_SENT ? "sent" : "received",
		    ev->detail ? ev->detail : "?");
		break;
	default:
		break;
	}
}

/* --reply-delay: a server that answers late. */
static void reply_delay(const struct serve_opts *o)
{
	struct timespec ts;

	if (o->reply_delay_ms <= 0)
		return;
	ts.tv_sec = o->reply_delay_ms / 1000;
	ts.tv_nsec = (long)(o->reply_delay_ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* --mode reverse reverses lines up to this long whole; a longer one is
 * reversed in pieces of this size. */
#define REVERSE_LINE_MAX 16384

static void reverse_lines(char *buf, size_t n, char *line, size_t *have,
			  size_t cap, const struct serve_opts *o,
			  struct tp_conn *c)
{
	for (size_t i = 0; i < n; i++) {
		if (*have < cap)
			line[(*have)++] = buf[i];
		if (buf[i] != '\n' && *have < cap)
			continue;
		size_t len = *have - (line[*have - 1] == '\n');
		for (size_t a = 0, b = len ? len - 1 : 0; a < b; a++, b--) {
			char t = line[a];
			line[a] = line[b];
			line[b] = t;
		}
		reply_delay(o);
		tp_conn_write(c, line, *have);
		*have = 0;
	}
}

/* Asks the client to renegotiate. Modes that read (echo, reverse, sink)
 * send the HelloRequest and read on; the client's ClientHello is handled
 * when it comes, and its data meanwhile flows (waiting here instead, a
 * client that writes much and reads slowly would have to be buffered
 * without bound). Source mode does not read while it writes, so it waits
 * for each renegotiation. */
static int ask_renegotiation(struct serve_conn *sc)
{
	if (sc->o->mode == MODE_SOURCE)
		return tp_conn_renegotiate(sc->c);
	switch (tp_conn_request_renegotiation(sc->c)) {
	case 0:
		say(sc, "HelloRequest sent");
		return 0;
	case 1:
		return 0; /* the last one is still unanswered */
	default:
		return -1;
	}
}

/* Starts a HelloRequest or KeyUpdate when enough bytes went by. */
static void maybe_rekey(struct serve_conn *sc, uint64_t *since)
{
	const struct serve_opts *o = sc->o;
	struct tp_info in;
	int tls13;

	if (sc->closing || tp_conn_info(sc->c, &in) < 0)
		return;
	tls13 = in.protocol == TP_TLS1_3;
	if (!tls13 && o->hello_request_every &&
	    *since >= o->hello_request_every) {
		*since = 0;
		if (ask_renegotiation(sc) == 0)
			return;
		if (tp_conn_errcode(sc->c) == TP_ERR_CLOSED)
			sc->closing = 1; /* the client finished: stop asking */
		else if (tp_conn_errcode(sc->c) != TP_ERR_REFUSED)
			say(sc, "renegotiation failed: %s",
			    tp_conn_error(sc->c));
	} else if (tls13 && o->key_update_every &&
		   *since >= o->key_update_every) {
		*since = 0;
		tp_conn_key_update(sc->c, 1);
	}
}

static void source_data(struct serve_conn *sc)
{
	char buf[TP_RECORD_MAX];
	uint64_t left = sc->o->source_bytes, since = 0;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)('a' + i % 26);
	while (left > 0) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		if (tp_conn_write(sc->c, buf, n) < 0)
			return;
		left -= n;
		since += n;
		maybe_rekey(sc, &since);
	}
}

static void serve_one(struct serve_conn *sc)
{
	char buf[TP_RECORD_MAX], line[REVERSE_LINE_MAX];
	size_t have = 0;
	uint64_t total = 0, since = 0;
	struct sum64 sum;
	ssize_t n;

	sum64_init(&sum);
	if (sc->o->mode == MODE_SOURCE) {
		source_data(sc);
		tp_conn_shutdown_write(sc->c);
	}
	while ((n = tp_conn_read(sc->c, buf, sizeof(buf))) > 0) {
		total += (uint64_t)n;
		since += (uint64_t)n;
		switch (sc->o->mode) {
		case MODE_ECHO:
			reply_delay(sc->o);
			if (tp_conn_write(sc->c, buf, (size_t)n) < 0)
				n = -1;
			break;
		case MODE_REVERSE:
			reverse_lines(buf, (size_t)n, line, &have, sizeof(line),
				      sc->o, sc->c);
			break;
		case MODE_SINK:
			sum64_update(&sum, buf, (size_t)n);
			break;
		case MODE_SOURCE:
			break;
		}
		if (n < 0)
			break;
		maybe_rekey(sc, &since);
	}
	if (n < 0)
		say(sc, "error: %s", tp_conn_error(sc->c));
	if (sc->o->mode == MODE_SINK)
		say(sc, "received %llu bytes, checksum %016llx",
		    (unsigned long long)total,
		    (unsigned long long)sum64_final(&sum));
	tp_conn_shutdown_write(sc->c);
	say(sc, "closed after %llu bytes in", (unsigned long long)total);
}

/* Sends HelloRequest every --hello-request-interval seconds (TLS <= 1.2)
 * while the connection thread reads; the library lets any thread start a
 * renegotiation. */
static void *timer_thread(void *arg)
{
	struct serve_conn *sc = arg;
	struct timespec ts;
	struct tp_info in;

	pthread_mutex_lock(&sc->tm);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += sc->o->hello_request_secs;
		while (!sc->timer_stop &&
		       pthread_cond_timedwait(&sc->tcv, &sc->tm, &ts) == 0)
			;
		if (sc->timer_stop)
			break;
		pthread_mutex_unlock(&sc->tm);
		if (tp_conn_info(sc->c, &in) == 0 && in.protocol != TP_TLS1_3 &&
		    ask_renegotiation(sc) < 0 &&
		    tp_conn_errcode(sc->c) != TP_ERR_REFUSED &&
		    tp_conn_errcode(sc->c) != TP_ERR_TIMEOUT) {
			say(sc, "renegotiation failed: %s",
			    tp_conn_error(sc->c));
			pthread_mutex_lock(&sc->tm);
			break;
		}
		pthread_mutex_lock(&sc->tm);
	}
	pthread_mutex_unlock(&sc->tm);
	return NULL;
}

static int start_timer(struct serve_conn *sc)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&sc->tm, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sc->tcv, &ca);
	pthread_condattr_destroy(&ca);
	return pthread_create(&sc->timer, NULL, timer_thread, sc) == 0;
}

static void stop_timer(struct serve_conn *sc)
{
	pthread_mutex_lock(&sc->tm);
	sc->timer_stop = 1;
	pthread_cond_broadcast(&sc->tcv);
	pthread_mutex_unlock(&sc->tm);
	tp_conn_abort(sc->c); /* ends a renegotiation in progress */
	pthread_join(sc->timer, NULL);
	pthread_cond_destroy(&sc->tcv);
	pthread_mutex_destroy(&sc->tm);
}

static void *conn_thread(void *arg)
{
	struct serve_conn *sc = arg;
	int timer = 0;

	if (sc->o->hello_request_secs > 0 && tp_conn_handshake(sc->c) == 0)
		timer = start_timer(sc);
	serve_one(sc);
	if (timer)
		stop_timer(sc);
	tp_conn_free(sc->c);
	free(sc);
	return NULL;
}

static int parse_bytes(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -1;
	if (*end == 'k' || *end == 'K')
		v <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		v <<= 20, end++;
	else if (*end == 'g' || *end == 'G')
		v <<= 30, end++;
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tlsprobe serve: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'tlsprobe serve --help')\n");
	return 2;
}

static void serve_help(void)
{
	printf("Usage: tlsprobe serve [OPTIONS] [ADDR:]PORT\n"
	       "A TLS server for demos and tests (see tlsprobe(1)).\n\n"
	       "  --cert FILE --key FILE   serve this certificate (default: "
	       "generate one)\n"
	       "  --write-ca FILE          write the generated CA here\n"
	       "  --mode MODE              echo (default), reverse, sink, "
	       "source\n"
	       "  --source-bytes N         bytes sent in source mode "
	       "(k/M/G suffixes)\n"
	       "  --client-reneg POLICY    client renegotiation: allow "
	       "(default), refuse\n"
	       "                           (warning alert), ignore (no "
	       "answer), or limit:N\n"
	       "                           (allow N per connection, then "
	       "refuse)\n"
	       "  --hello-request-every N  send HelloRequest every N bytes "
	       "(TLS <= 1.2)\n"
	       "  --hello-request-interval SECS\n"
	       "                           send HelloRequest every SECS "
	       "seconds (TLS <= 1.2)\n"
	       "  --key-update-every N     send KeyUpdate every N bytes (TLS "
	       "1.3)\n"
	       "  --reply-delay MS         echo, reverse: wait MS milliseconds "
	       "before each\n"
	       "                           reply (a server that answers "
	       "late)\n"
	       "  --tls1.2, --tls1.3       pin the protocol version\n"
	       "  --min-tls V, --max-tls V version bounds\n"
	       "  --require-client-cert    ask for and require a client "
	       "certificate\n"
	       "  --naccept N              exit after N connections\n"
	       "  --quiet                  no per-connection reports\n");
}

enum {
	S_CERT = 256,
	S_KEY,
	S_WRITE_CA,
	S_MODE,
	S_SOURCE_BYTES,
	S_RENEG,
	S_HELLO_EVERY,
	S_KU_EVERY,
	S_TLS12,
	S_TLS13,
	S_MIN,
	S_MAX,
	S_REQ_CERT,
	S_NACCEPT,
	S_QUIET,
	S_HELP,
	S_HELLO_SECS,
	S_REPLY_DELAY
};

static const struct option serve_longopts[] = {
	{ "cert", required_argument, NULL, S_CERT },
	{ "key", required_argument, NULL, S_KEY },
	{ "write-ca", required_argument, NULL, S_WRITE_CA },
	{ "mode", required_argument, NULL, S_MODE },
	{ "source-bytes", required_argument, NULL, S_SOURCE_BYTES },
	{ "client-reneg", required_argument, NULL, S_RENEG },
	{ "hello-request-every", required_argument, NULL, S_HELLO_EVERY },
	{ "key-update-every", required_argument, NULL, S_KU_EVERY },
	{ "hello-request-interval", required_argument, NULL, S_HELLO_SECS },
	{ "reply-delay", required_argument, NULL, S_REPLY_DELAY },
	{ "tls1.2", no_argument, NULL, S_TLS12 },
	{ "tls1.3", no_argument, NULL, S_TLS13 },
	{ "min-tls", required_argument, NULL, S_MIN },
	{ "max-tls", required_argument, NULL, S_MAX },
	{ "require-client-cert", no_argument, NULL, S_REQ_CERT },
	{ "naccept", required_argument, NULL, S_NACCEPT },
	{ "quiet", no_argument, NULL, S_QUIET },
	{ "help", no_argument, NULL, S_HELP },
	{ NULL, 0, NULL, 0 },
};

static int parse_mode(const char *s, enum serve_mode *m)
{
	static const char *const names[] = { "echo", "reverse", "sink",
					     "source" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*m = (enum serve_mode)i;
			return 0;
		}
	return -1;
}

/* Returns -1 to go on, else an exit status. */
static int parse_one(struct serve_opts *o, int opt, const char *arg)
{
	enum tp_version v;

	switch (opt) {
	case S_CERT:
		o->cert = arg;
		break;
	case S_KEY:
		o->key = arg;
		break;
	case S_WRITE_CA:
		o->write_ca = arg;
		break;
	case S_MODE:
		if (parse_mode(arg, &o->mode) < 0)
			return usage_error("unknown mode '%s'", arg);
		break;
	case S_SOURCE_BYTES:
	case S_HELLO_EVERY:
	case S_KU_EVERY:
		if (parse_bytes(arg, opt == S_SOURCE_BYTES ?
					     &o->source_bytes :
				     opt == S_HELLO_EVERY ?
					     &o->hello_request_every :
					     &o->key_update_every) < 0)
			return usage_error("bad byte count '%s'", arg);
		break;
	case S_RENEG:
		if (strcmp(arg, "allow") == 0)
			o->reneg = TP_RENEG_ACCEPT;
		else if (strcmp(arg, "refuse") == 0)
			o->reneg = TP_RENEG_REFUSE;
		else if (strcmp(arg, "ignore") == 0)
			o->reneg = TP_RENEG_IGNORE;
		else if (strncmp(arg, "limit:", 6) == 0 &&
			 (o->reneg_limit = atoi(arg + 6)) > 0)
			o->reneg = TP_RENEG_LIMIT;
		else
			return usage_error("--client-reneg: '%s' is not allow, "
					   "refuse, ignore or limit:N",
					   arg);
		break;
	case S_HELLO_SECS:
		o->hello_request_secs = atoi(arg);
		if (o->hello_request_secs <= 0)
			return usage_error("bad --hello-request-interval '%s'",
					   arg);
		break;
	case S_REPLY_DELAY: {
		char *end;
		long ms;

		errno = 0;
		ms = strtol(arg, &end, 10);
		if (errno || end == arg || *end != '\0' || ms < 0 ||
		    ms > 3600000)
			return usage_error(
				"bad --reply-delay '%s' (milliseconds, "
				"0 to 3600000)",
				arg);
		o->reply_delay_ms = (int)ms;
		break;
	}
	case S_TLS12:
		o->min = o->max = TP_TLS1_2;
		break;
	case S_TLS13:
		o->min = o->max = TP_TLS1_3;
		break;
	case S_MIN:
	case S_MAX:
		v = tp_version_parse(arg);
		if (v == TP_VERSION_ANY)
			return usage_error("unknown TLS version '%s'", arg);
		*(opt == S_MIN ? &o->min : &o->max) = v;
		break;
	case S_REQ_CERT:
		o->require_client_cert = 1;
		break;
	case S_NACCEPT:
		o->naccept = atoi(arg);
		if (o->naccept <= 0)
			return usage_error("bad --naccept '%s'", arg);
		break;
	case S_QUIET:
		o->quiet = 1;
		break;
	case S_HELP:
		serve_help();
		return 0;
	default:
		return 2;
	}
	return -1;
}

static int parse_listen(struct serve_opts *o, char *spec)
{
	char *colon = strrchr(spec, ':');
	long port;
	char *end;

	o->addr = NULL;
	o->port = spec;
	if (colon != NULL) {
		*colon = '\0';
		o->addr = spec;
		o->port = colon + 1;
		if (o->addr[0] == '[') {
			o->addr++;
			char *rb = strchr(o->addr, ']');
			if (rb == NULL)
				return -1;
			*rb = '\0';
		}
		if (o->addr[0] == '\0')
			o->addr = NULL; /* ":PORT": the default, loopback */
	}
	port = strtol(o->port, &end, 10);
	return (*end != '\0' || port < 0 || port > 65535) ? -1 : 0;
}

static int listen_on(const struct serve_opts *o)
{
	struct addrinfo hints, *res;
	int fd, one = 1, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	r = getaddrinfo(o->addr ? o->addr : "127.0.0.1", o->port, &hints, &res);
	if (r != 0) {
		fprintf(stderr, "tlsprobe serve: cannot resolve '%s': %s\n",
			o->addr, gai_strerror(r));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 64) < 0) {
		fprintf(stderr,
			"tlsprobe serve: cannot listen on %s port %s: "
			"%s\n",
			o->addr ? o->addr : "127.0.0.1", o->port,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Clients trust what this file holds: written whole, never through a
 * link or into another user's file (tp_file_write). Not secret: 0644. */
static int write_ca(const struct tp_pem *ca, const char *path)
{
	char why[160];

	if (tp_file_write(path, ca->data, ca->len, 0, why, sizeof(why)) == 0)
		return 0;
	fprintf(stderr, "tlsprobe serve: --write-ca '%s': %s\n", path, why);
	return -1;
}

static struct tp_config *server_config(const struct serve_opts *o)
{
	struct tp_config *cfg = tp_config_new(TP_SERVER);
	struct tp_testcerts tc;
	int r = 0;

	if (cfg == NULL)
		return NULL;
	if (o->cert != NULL) {
		r = tp_config_set_cert_file(cfg, o->cert, o->key);
	} else if (tp_testcerts_generate(&tc, "localhost,127.0.0.1,::1", 30) ==
		   0) {
		r = tp_config_set_cert_mem(cfg, tc.leaf_cert.data,
					   tc.leaf_cert.len, tc.leaf_key.data,
					   tc.leaf_key.len);
		if (r == 0 && o->write_ca)
			r = write_ca(&tc.ca_cert, o->write_ca);
		tp_testcerts_free(&tc);
	} else {
		fprintf(stderr, "tlsprobe serve: cannot generate a "
				"certificate\n");
		r = -1;
	}
	if (r == 0 && (o->min || o->max))
		r = tp_config_set_versions(cfg, o->min, o->max);
	if (r < 0) {
		if (tp_config_error(cfg) != NULL)
			fprintf(stderr, "tlsprobe serve: %s\n",
				tp_config_error(cfg));
		tp_config_free(cfg);
		return NULL;
	}
	if (o->require_client_cert)
		tp_config_verify_client(cfg, 1);
	tp_config_set_reneg_policy(cfg, o->reneg, o->reneg_limit);
	tp_config_set_event_cb(cfg, on_event, NULL);
	return cfg;
}

/*
 * Out of descriptors, accept fails and the connection stays in the
 * backlog, so the loop would spin on it and the client would wait for its
 * own timeout. A descriptor kept in reserve is given up to accept and
 * close that one connection, then taken back.
 */
static int reserve_fd = -1;

static void refuse_pending(int lfd)
{
	int fd;

	if (reserve_fd >= 0)
		close(reserve_fd);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fprintf(stderr, "serve: connection refused: %s\n", strerror(EMFILE));
}

/* A connection with its peer's name and a libtlsprobe connection on fd
 * (which it then owns), or NULL (fd closed). */
static struct serve_conn *conn_new(const struct serve_opts *o,
				   struct tp_config *cfg, int fd,
				   const struct sockaddr_storage *ss,
				   socklen_t sl)
{
	struct serve_conn *sc = calloc(1, sizeof(*sc));
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (sc == NULL) {
		close(fd);
		return NULL;
	}
	sc->o = o;
	sc->id = atomic_fetch_add(&next_id, 1) + 1;
	if (getnameinfo((const struct sockaddr *)ss, sl, host, sizeof(host),
			serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(sc->peer, sizeof(sc->peer), "%s:%s", host, serv);
	sc->c = tp_conn_new(cfg);
	if (sc->c == NULL)
		close(fd);
	else
		tp_conn_set_arg(sc->c, sc);
	if (sc->c == NULL || tp_conn_attach_fd(sc->c, fd, NULL) < 0) {
		tp_conn_free(sc->c); /* it owns fd now */
		free(sc);
		return NULL;
	}
	return sc;
}

/* Runs sc in a thread of its own. At the thread limit (ulimit -u,
 * systemd's TasksMax) that connection alone is refused: closed at once
 * and logged, so its client fails now instead of at its own timeout, and
 * nothing of it stays behind. */
static int conn_start(struct serve_conn *sc, pthread_t *tid, int detach)
{
	int e = pthread_create(tid, NULL, conn_thread, sc);

	if (e != 0) {
		/* Always printed, --quiet or not: a refusal is no routine
		 * report. */
		fprintf(stderr,
			"serve: #%d %s: connection refused: cannot "
			"start a thread: %s\n",
			sc->id, sc->peer, strerror(e));
		tp_conn_free(sc->c);
		free(sc);
		return -1;
	}
	if (detach)
		pthread_detach(*tid);
	return 0;
}

/* Accepts connections, each in its thread; with --naccept N, N of them
 * (refused ones included), then waits for those it started. */
static void accept_loop(const struct serve_opts *o, struct tp_config *cfg,
			int lfd)
{
	pthread_t *threads =
		calloc((size_t)(o->naccept ? o->naccept : 1), sizeof(*threads));
	int accepted = 0, started = 0;

	reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	while (threads != NULL && (o->naccept == 0 || accepted < o->naccept)) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd =
			accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		struct serve_conn *sc;

		if (fd < 0 && (errno == EMFILE || errno == ENFILE))
			refuse_pending(lfd);
		if (fd < 0)
			continue;
		accepted++;
		sc = conn_new(o, cfg, fd, &ss, sl);
		if (sc != NULL &&
		    conn_start(sc, &threads[o->naccept ? started : 0],
			       o->naccept == 0) == 0)
			started++;
	}
	for (int i = 0; o->naccept && i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	if (reserve_fd >= 0)
		close(reserve_fd);
}

int serve_main(int argc, char **argv)
{
	struct serve_opts o;
	struct tp_config *cfg;
	char listen_spec[512];
	int opt, lfd, r;

	memset(&o, 0, sizeof(o));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", serve_longopts, NULL)) != -1)
		if ((r = parse_one(&o, opt, optarg)) >= 0)
			return r;
	if (optind != argc - 1)
		return usage_error("%s", optind >= argc ?
						 "missing [ADDR:]PORT" :
						 "too many arguments");
	/* parse_listen cuts its argument up; keep argv as ps shows it. */
	if (strlen(argv[optind]) >= sizeof(listen_spec) ||
	    parse_listen(&o, strcpy(listen_spec, argv[optind])) < 0)
		return usage_error("bad listen address '%s'", argv[optind]);
	if (o.key && !o.cert)
		return usage_error("%s", "--key needs --cert");
	signal(SIGPIPE, SIG_IGN);
	cfg = server_config(&o);
	if (cfg == NULL)
		return 1;
	lfd = listen_on(&o);
	if (lfd < 0) {
		tp_config_free(cfg);
		return 3;
	}
	if (!o.quiet)
		fprintf(stderr, "serve: listening on %s port %s\n",
			o.addr ? o.addr : "127.0.0.1", o.port);
	accept_loop(&o, cfg, lfd);
	close(lfd);
	tp_config_free(cfg);
	return 0;
}
