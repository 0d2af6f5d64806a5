/*
 * Test support; see testutil.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/* ---- failures --------------------------------------------------------- */

#define NOTES 8
#define NOTE_LEN 256

static pthread_mutex_t note_mu = PTHREAD_MUTEX_INITIALIZER;
static char notes[NOTES][NOTE_LEN];
static unsigned note_next; /* total notes ever written; ring index mod NOTES */

/* Oldest first. Called on the way out, possibly while another thread is
 * adding a note: the lock keeps each line whole. */
static void print_notes(void)
{
	unsigned i, first;

	pthread_mutex_lock(&note_mu);
	first = note_next > NOTES ? note_next - NOTES : 0;
	for (i = first; i < note_next; i++)
		fprintf(stderr, "  note: %s\n", notes[i % NOTES]);
	pthread_mutex_unlock(&note_mu);
}

void tu_watchdog_note(const char *fmt, ...)
{
	char line[NOTE_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&note_mu);
	memcpy(notes[note_next % NOTES], line, sizeof(line));
	note_next++;
	pthread_mutex_unlock(&note_mu);
}

void tu_fail(const char *file, int line, const char *fmt, ...)
{
	static atomic_flag failing = ATOMIC_FLAG_INIT;
	va_list ap;

	/* When both ends of a connection fail at once, report the first and
	 * park the others until exit() ends the process, so the output is
	 * not interleaved. */
	if (atomic_flag_test_and_set(&failing))
		for (;;)
			pause();
	fprintf(stderr, "%s:%d: FAILED: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_notes();
	fflush(stderr);
	exit(1);
}

/* ---- watchdog --------------------------------------------------------- */

static pthread_mutex_t wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cv;
static pthread_once_t wd_once = PTHREAD_ONCE_INIT;
static pthread_t wd_thread;
static int wd_running, wd_cancel, wd_seconds;
static char wd_what[128];

/* CLOCK_MONOTONIC, so that a clock step does not fire (or hold off) the
 * watchdog. */
static void wd_init(void)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&wd_cv, &a);
	pthread_condattr_destroy(&a);
}

static void *wd_main(void *arg)
{
	struct timespec deadline;
	int rc = 0;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += wd_seconds;
	pthread_mutex_lock(&wd_mu);
	while (!wd_cancel && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&wd_cv, &wd_mu, &deadline);
	if (wd_cancel) {
		pthread_mutex_unlock(&wd_mu);
		return NULL;
	}
	fprintf(stderr, "watchdog: %s did not finish in %d s\n", wd_what,
		wd_seconds);
	pthread_mutex_unlock(&wd_mu);
	print_notes();
	fflush(stderr);
	/* _exit: the other threads are stuck, possibly holding locks that
	 * exit()'s atexit handlers and stdio flushing would need. */
	_exit(1);
}

void tu_watchdog_start(int seconds, const char *what)
{
	pthread_once(&wd_once, wd_init);
	tu_watchdog_stop();
	pthread_mutex_lock(&wd_mu);
	wd_cancel = 0;
	wd_seconds = seconds;
	snprintf(wd_what, sizeof(wd_what), "%s", what ? what : "test");
	if (pthread_create(&wd_thread, NULL, wd_main, NULL) != 0) {
		pthread_mutex_unlock(&wd_mu);
		tu_fail(__FILE__, __LINE__, "cannot start the watchdog thread");
	}
	wd_running = 1;
	pthread_mutex_unlock(&wd_mu);
}

void tu_watchdog_stop(void)
{
	pthread_once(&wd_once, wd_init);
	pthread_mutex_lock(&wd_mu);
	if (!wd_running) {
		pthread_mutex_unlock(&wd_mu);
		return;
	}
	wd_cancel = 1;
	wd_running = 0;
	pthread_cond_broadcast(&wd_cv);
	pthread_mutex_unlock(&wd_mu);
	pthread_join(wd_thread, NULL);
}

/* ---- certificates ----------------------------------------------------- */

static pthread_once_t certs_once = PTHREAD_ONCE_INIT;
static struct tp_testcerts certs;
static int certs_ok;

static void certs_init(void)
{
	certs_ok = tp_testcerts_generate(&certs, "localhost,127.0.0.1,::1",
					 30) == 0;
}

const struct tp_testcerts *tu_certs(void)
{
	pthread_once(&certs_once, certs_init);
	if (!certs_ok)
		tu_fail(__FILE__, __LINE__, "tp_testcerts_generate failed");
	return &certs;
}

/* ---- sockets ---------------------------------------------------------- */

/* Tests exchange small messages back and forth; without TCP_NODELAY,
 * Nagle plus delayed ACKs would add 40 ms stalls to each round trip. */
static int nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int tcp_listener(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr->sin_port = 0; /* any free port */
	if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) != 0 ||
	    listen(fd, 1) != 0 ||
	    getsockname(fd, (struct sockaddr *)addr, &len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int tu_tcp_pair(int *client_fd, int *server_fd)
{
	struct sockaddr_in addr;
	int lfd, cfd, sfd;

	lfd = tcp_listener(&addr);
	if (lfd < 0)
		return -1;
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0) {
		close(lfd);
		return -1;
	}
	/* A loopback connect completes against the backlog, before accept. */
	if (connect(cfd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		close(cfd);
		close(lfd);
		return -1;
	}
	sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	close(lfd);
	if (sfd < 0 || nodelay(cfd) != 0 || nodelay(sfd) != 0) {
		if (sfd >= 0)
			close(sfd);
		close(cfd);
		return -1;
	}
	*client_fd = cfd;
	*server_fd = sfd;
	return 0;
}

int tu_socketpair(int fds[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
}

/* ---- wolfSSL contexts ------------------------------------------------- */

static pthread_once_t wolf_once = PTHREAD_ONCE_INIT;

static void wolf_init(void)
{
	if (wolfSSL_Init() != WOLFSSL_SUCCESS) {
		fprintf(stderr, "wolfSSL_Init failed\n");
		exit(1);
	}
}

static WOLFSSL_METHOD *method(const char *version, int server)
{
	if (version == NULL)
		return server ? wolfSSLv23_server_method() :
				wolfSSLv23_client_method();
	if (strcmp(version, "1.2") == 0)
		return server ? wolfTLSv1_2_server_method() :
				wolfTLSv1_2_client_method();
#ifdef WOLFSSL_TLS13
	if (strcmp(version, "1.3") == 0)
		return server ? wolfTLSv1_3_server_method() :
				wolfTLSv1_3_client_method();
#endif
	tu_fail(__FILE__, __LINE__, "unsupported TLS version \"%s\"", version);
}

static WOLFSSL_CTX *new_ctx(const char *version, int server)
{
	WOLFSSL_CTX *ctx;

	pthread_once(&wolf_once, wolf_init);
	ctx = wolfSSL_CTX_new(method(version, server));
	if (ctx == NULL)
		tu_fail(__FILE__, __LINE__, "wolfSSL_CTX_new failed");
#if defined(HAVE_SECURE_RENEGOTIATION) || \
	defined(HAVE_SERVER_RENEGOTIATION_INFO)
	/* In 5.5.4 this flag only reaches client objects (wolfSSL_new calls
	 * wolfSSL_UseSecureRenegotiation for them); a server turns it on by
	 * itself when the client offers renegotiation_info. */
	if (wolfSSL_CTX_UseSecureRenegotiation(ctx) != WOLFSSL_SUCCESS)
		tu_fail(__FILE__, __LINE__,
			"wolfSSL_CTX_UseSecureRenegotiation failed");
#endif
	return ctx;
}

static int pem_len(const struct tp_pem *p)
{
	return (int)p->len;
}

WOLFSSL_CTX *tu_wolf_server_ctx(const char *version)
{
	const struct tp_testcerts *c = tu_certs();
	WOLFSSL_CTX *ctx = new_ctx(version, 1);

	if (wolfSSL_CTX_use_certificate_buffer(
		    ctx, (const unsigned char *)c->leaf_cert.data,
		    pem_len(&c->leaf_cert),
		    WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS)
		tu_fail(__FILE__, __LINE__, "server: cannot load leaf cert");
	if (wolfSSL_CTX_use_PrivateKey_buffer(
		    ctx, (const unsigned char *)c->leaf_key.data,
		    pem_len(&c->leaf_key),
		    WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS)
		tu_fail(__FILE__, __LINE__, "server: cannot load leaf key");
	wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
	return ctx;
}

WOLFSSL_CTX *tu_wolf_client_ctx(const char *version)
{
	const struct tp_testcerts *c = tu_certs();
	WOLFSSL_CTX *ctx = new_ctx(version, 0);

	if (wolfSSL_CTX_load_verify_buffer(
		    ctx, (const unsigned char *)c->ca_cert.data,
		    pem_len(&c->ca_cert),
		    WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS)
		tu_fail(__FILE__, __LINE__, "client: cannot load CA cert");
	wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
	return ctx;
}
