/* --reconnect N: the first connection and N-1 reconnections each do a
 * handshake, show whether they resumed, and close; the Nth reconnection
 * is returned to carry the data. */
#ifndef CLI_RECONNECT_H
#define CLI_RECONNECT_H

#include "session.h"

/* Returns the connection for the run, or NULL (error line printed, *st
 * set). Records each result in s->resumed. */
struct tp_conn *reconnect_run(struct session *s, enum cli_status *st);

#endif
