/* --reconnect; see connect.h. */
#include <stdio.h>
#include <string.h>

#include "connect.h"

static int handshake(struct session *s, struct tp_conn *c, enum cli_status *st)
{
	char line[CLI_ERROR_MAX];

	if (tp_conn_handshake(c) == 0)
		return 0;
	*st = cli_conn_error(c, 0, line, sizeof(line));
	console_error("%s", line);
	return -1;
}

static void report(struct session *s, struct tp_conn *c, int k)
{
	struct tp_info info;
	const struct tp_info *i = conn_info(c, &info);
	int resumed = i != NULL && i->session_reused;

	if (k == 0) {
		session_note_handshake(s, c);
		return;
	}
	session_note_reconnect(s, c, resumed);
	if (s->opt->verbosity != CLI_QUIET)
		console_msg("Reconnect %d/%d: Resumed: %s (%s)", k,
			    s->opt->reconnect, resumed ? "yes" : "no",
			    i && i->version ? i->version : "?");
}

/* Makes c the connection whose summary may be shown. */
static void set_current(struct session *s, struct tp_conn *c, int show_summary)
{
	pthread_mutex_lock(&s->mtx);
	session_set_conn_locked(s, c, show_summary);
	pthread_mutex_unlock(&s->mtx);
}

struct tp_conn *reconnect_run(struct session *s, enum cli_status *st)
{
	struct tp_conn *c = setup_conn(s, NULL, st), *next;
	int k;

	for (k = 0; c != NULL && k < s->opt->reconnect; k++) {
		set_current(s, c, k == 0);
		if (handshake(s, c, st) == -1) {
			tp_conn_free(c);
			return NULL;
		}
		report(s, c, k);
		/* The tickets a TLS 1.3 server sends after the handshake
		 * are what the next connection resumes with. */
		cli_close_and_drain(c, CLI_DRAIN_MS);
		next = setup_conn(s, c, st);
		tp_conn_free(c);
		c = next;
	}
	if (c != NULL)
		set_current(s, c, 1);
	return c;
}
