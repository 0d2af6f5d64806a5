/* What the user is told about a connection: the summary after the
 * handshake, :status, and the --json document. */
#ifndef CLI_SUMMARY_H
#define CLI_SUMMARY_H

#include "session.h"

/* The summary of c for o's verbosity (full "Key: value" lines, or one
 * --brief line), malloc'ed; NULL before the handshake or with --quiet. */
char *summary_text(struct tp_conn *c, const struct cli_options *o);

/* The :status text of c, malloc'ed (never NULL unless out of memory). */
char *summary_status(struct tp_conn *c);

/* Writes the --json document for the run to path. c is the last
 * connection (may be NULL). Returns 0, or -1 after printing an error. */
int summary_json(const char *path, const struct session *s, struct tp_conn *c);

#endif
