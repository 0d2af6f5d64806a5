/* What the user is told about a connection: the summary after the
 * handshake, :status, and the --json document. */
#ifndef CLI_SUMMARY_H
#define CLI_SUMMARY_H

#include "session.h"

/* The summary of c for o's verbosity (full "Key: value" lines, or one
 * --brief line), malloc'ed; NULL before the handshake or with --quiet.
 * *tickets: the session tickets it counts (the same snapshot), also when
 * it prints none. */
char *summary_text(struct tp_conn *c, const struct cli_options *o,
		   int *tickets);

/* The :status text of c, malloc'ed (never NULL unless out of memory). */
char *summary_status(struct tp_conn *c);

/* Writes the --json document for the run to path: c is the last
 * connection (NULL when there is none), status the exit status, error the
 * run's error line (NULL: none). Returns 0, or -1 after printing an
 * error. */
int summary_json(const char *path, struct session *s, struct tp_conn *c,
		 enum cli_status status, const char *error);

/* The timing figures of the run (c, or the connection that could not be
 * set up), to its end once s->ended is set. */
void summary_run_timing(const struct session *s, struct tp_conn *c,
			struct timing_figures *f);
/* The Timing: line at the end of a run that had a handshake, with every
 * figure, as --json has them (normal verbosity only). */
void summary_print_end(const struct session *s, struct tp_conn *c);

#endif
