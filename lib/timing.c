/* When a connection's phases were reached (tp_conn_timing): CLOCK_MONOTONIC
 * instants taken where the library reaches them (conn.c, handshake.c), so
 * a caller's own scheduling delays are not counted. */
#include <string.h>

#include "internal.h"

void tp_timing_mark(struct timespec *phase)
{
	if (phase->tv_sec == 0 && phase->tv_nsec == 0)
		clock_gettime(CLOCK_MONOTONIC, phase);
}

void tp_conn_timing(struct tp_conn *c, struct tp_timing *out)
{
	TP_LOCK(c);
	*out = c->timing;
	tp_conn_unlock(c);
}

void tp_conn_set_connect_timing(struct tp_conn *c, const struct tp_timing *t)
{
	TP_LOCK(c);
	c->timing.start = t->start;
	c->timing.resolved = t->resolved;
	c->timing.connected = t->connected;
	tp_conn_unlock(c);
}
