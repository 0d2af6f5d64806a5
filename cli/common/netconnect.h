/* A plain TCP connection made by the CLI itself (for --starttls, where the
 * plaintext preamble must happen before the library takes the socket). */
#ifndef CLI_NETCONNECT_H
#define CLI_NETCONNECT_H

#include <stddef.h>
#include <time.h>

#include "status.h"

/*
 * Resolves host and connects to port (family 0, 4 or 6), trying each
 * address in turn, within timeout_ms in all (0: no limit). Returns a
 * connected non-blocking socket, or -1 with a message in err and *st set
 * to CLI_ECONNECT or CLI_ETIMEOUT.
 */
int net_connect(const char *host, const char *port, int family, int timeout_ms,
		char *err, size_t errlen, enum cli_status *st);
/* The same, setting *resolved_at (CLOCK_MONOTONIC) once the name resolved,
 * also when no address answers afterwards. */
int net_connect_timed(const char *host, const char *port, int family,
		      int timeout_ms, char *err, size_t errlen,
		      enum cli_status *st, struct timespec *resolved_at);

/* Milliseconds left until deadline_ms (a CLOCK_MONOTONIC time in ms), or
 * -1 (wait forever) when deadline_ms is 0. Never below 0 otherwise. */
int net_remaining_ms(long long deadline_ms);
/* Now on CLOCK_MONOTONIC, in ms. */
long long net_now_ms(void);

#endif
