/* Ending a connection the way every command does; see common.h. */
#include <pthread.h>

#include "common.h"

const struct tp_info *conn_info(struct tp_conn *c, struct tp_info *buf)
{
	return tp_conn_info(c, buf) == 0 ? buf : NULL;
}

int cli_flush_and_close_notify(struct tp_conn *c)
{
	if (tp_conn_flush(c) == -1)
		return -1;
	return tp_conn_shutdown_write(c);
}

void cli_join_or_abort(pthread_t t, struct tp_conn *c, long ms)
{
	struct timespec at = cli_real_after_ms(ms);

	if (pthread_timedjoin_np(t, NULL, &at) == 0)
		return;
	tp_conn_abort(c);
	pthread_join(t, NULL);
}

static void *drain_thread(void *arg)
{
	struct tp_conn *c = arg;
	char buf[4096];

	while (tp_conn_read(c, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

void cli_close_and_drain(struct tp_conn *c, long ms)
{
	pthread_t t;

	(void)cli_flush_and_close_notify(c);
	if (pthread_create(&t, NULL, drain_thread, c) != 0)
		return;
	cli_join_or_abort(t, c, ms);
}
