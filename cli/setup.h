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

#endif
