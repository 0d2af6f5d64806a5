/*
 * Test support shared by every unit test: assertions that stop at the
 * first failure, a watchdog that turns a hang into a failure, generated
 * certificates, loopback sockets and ready-made wolfSSL contexts.
 */
#ifndef TP_TESTUTIL_H
#define TP_TESTUTIL_H

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "tlsprobe.h"
#include "tlsprobe_certgen.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TU_NORETURN __attribute__((noreturn))
#define TU_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TU_NORETURN
#define TU_PRINTF(f, a)
#endif

/* Print file:line and the failed expression, then exit(1). */
#define CHECK(cond)                                                      \
	do {                                                             \
		if (!(cond))                                             \
			tu_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
	} while (0)

/* Evaluates each side once; prints both values on failure. */
#define CHECK_EQ_INT(a, b)                                                    \
	do {                                                                  \
		long long tu_a_ = (long long)(a);                             \
		long long tu_b_ = (long long)(b);                             \
		if (tu_a_ != tu_b_)                                           \
			tu_fail(__FILE__, __LINE__,                           \
				"CHECK_EQ_INT(%s, %s): %lld != %lld", #a, #b, \
				tu_a_, tu_b_);                                \
	} while (0)

/* Reports a failure (plus the watchdog notes, which usually say how far
 * the test got) and exits with status 1. */
TU_NORETURN TU_PRINTF(3, 4) void tu_fail(const char *file, int line,
					 const char *fmt, ...);

/*
 * Unless tu_watchdog_stop() is called within seconds, prints
 * "watchdog: <what> did not finish in N s" and the recent notes, then
 * _exit(1): a deadlock fails the test instead of blocking ctest. One
 * watchdog at a time; starting a new one replaces the old.
 */
void tu_watchdog_start(int seconds, const char *what);
void tu_watchdog_stop(void);
/* Remembers a progress line (the last few are kept); thread-safe. */
TU_PRINTF(1, 2) void tu_watchdog_note(const char *fmt, ...);

/* A CA and a leaf for "localhost,127.0.0.1,::1", valid 30 days, generated
 * once per process. Exits on failure. */
const struct tp_testcerts *tu_certs(void);

/* A connected TCP pair over 127.0.0.1 (blocking, TCP_NODELAY), for tests
 * that need real socket buffering. Returns 0 or -1. */
int tu_tcp_pair(int *client_fd, int *server_fd);
/* AF_UNIX stream socketpair (blocking). Returns 0 or -1. */
int tu_socketpair(int fds[2]);

/*
 * wolfSSL contexts pinned to version "1.2" or "1.3" (NULL: any). The server
 * serves tu_certs()'s leaf and key and has secure renegotiation enabled;
 * the client verifies the peer against tu_certs()'s CA and offers secure
 * renegotiation. Both exit on failure; free with wolfSSL_CTX_free.
 */
WOLFSSL_CTX *tu_wolf_server_ctx(const char *version);
WOLFSSL_CTX *tu_wolf_client_ctx(const char *version);

#ifdef __cplusplus
}
#endif
#endif
