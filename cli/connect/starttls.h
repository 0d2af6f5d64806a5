/* The plaintext preambles that upgrade a connection to TLS. */
#ifndef CLI_STARTTLS_H
#define CLI_STARTTLS_H

#include <stddef.h>

#include "options.h"
#include "common/common.h"

/*
 * Runs the STARTTLS exchange of proto on the connected socket fd, so that
 * the next thing on the wire is our ClientHello. host names the server
 * (XMPP's to=). timeout_ms bounds the whole exchange (0: none). Returns
 * 0, or -1 with a message in err and *st set (CLI_EHANDSHAKE when the
 * server refuses or breaks the exchange, CLI_ETIMEOUT, CLI_EPROTO never).
 */
int starttls_run(int fd, enum cli_starttls proto, const char *host,
		 int timeout_ms, char *err, size_t errlen, enum cli_status *st);

#endif
