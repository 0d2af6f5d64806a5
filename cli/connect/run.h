/* Running a connected session: the two threads, waiting for the end,
 * and what is done at the end. */
#ifndef CLI_RUN_H
#define CLI_RUN_H

#include "session.h"

/* Starts the reader thread on the current connection. 0 or -1. */
int run_start_reader(struct session *s);

/* Starts the reader and input threads at once (no handshake first),
 * waits until the run ends, and cleans up. Returns the exit status (the
 * caller writes the report). */
enum cli_status run_session(struct session *s);

#endif
