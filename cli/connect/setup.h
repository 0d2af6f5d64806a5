/* From options to a configured library: the tp_config, and connections
 * (plain or through STARTTLS). */
#ifndef CLI_SETUP_H
#define CLI_SETUP_H

#include "session.h"

/* Builds the configuration; on failure prints the error line, sets *st
 * and returns NULL. The event callback gets s. */
struct tp_config *setup_config(struct session *s, enum cli_status *st);

/*
 * A new connection to the target, TCP connected and ready for the
 * handshake. prev (may be NULL) is a connection whose session to resume;
 * without it, --sess-in is loaded. On failure prints the error line, sets
 * *st and returns NULL.
 */
struct tp_conn *setup_conn(struct session *s, struct tp_conn *prev,
			   enum cli_status *st);

/* SSLKEYLOGFILE unless --keylog; NULL when neither. */
const char *setup_keylog_path(const struct cli_options *o);

/* What setup_config reads from files: trust anchors, the client
 * certificate and key, the key log. On failure prints the error line,
 * sets *st and returns -1. */
int setup_config_files(struct tp_config *cfg, const struct cli_options *o,
		       enum cli_status *st);

/* The name for SNI and verification: --servername, else HOST; "" with
 * --noservername (no SNI, verified against HOST). */
const char *setup_servername(const struct cli_options *o);
/* The name SNI is to carry: NULL with --noservername, or when the name is
 * an IP address (which SNI cannot carry). */
const char *setup_sni(const struct cli_options *o);

/*
 * Connects c to the target, ready for the handshake: by the library, or
 * with --starttls by setup_plain_connect. Prints nothing: returns 0, or -1
 * with the error line in err and *st set. Safe to call from several
 * threads at once.
 */
int setup_connect(struct tp_conn *c, const struct cli_options *o, char *err,
		  size_t errlen, enum cli_status *st);

/* A plain TCP socket to the target, past the STARTTLS preamble when
 * --starttls is given, so that the next bytes are TLS; bounded by
 * --timeout. Returns the socket, or -1 with err and *st set. */
int setup_plain_connect(const struct cli_options *o, char *err, size_t errlen,
			enum cli_status *st);

#endif
