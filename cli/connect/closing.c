/* When our close_notify goes out; see connect.h. */
#include <stdio.h>
#include <string.h>

#include "connect.h"

/* s->mtx held. Until the peer answers, the quiet time must cover a
 * request's turnaround: a round trip and the server's work, as a handshake
 * does (one or two round trips and the server's work), so a slow path or
 * server gets a longer one. Once it has answered, only the rest of the
 * answer or the close that follows it is awaited, which needs no round
 * trip: a shorter time, above a busy machine's scheduling delays. */
static long idle_ms(const struct session *s)
{
	long floor = s->answered ? CLOSING_ANSWERED_MS : CLOSING_IDLE_MS;
	long ms = s->answered ? s->hs_ms : 2 * s->hs_ms;

	if (s->opt->close_idle >= 0)
		return s->opt->close_idle;
	if (!s->sent_data)
		return 0; /* no request, nothing to answer */
	if (ms < floor)
		return floor;
	return ms > CLOSING_IDLE_MAX_MS ? CLOSING_IDLE_MAX_MS : ms;
}

/* s->mtx held: the peer was heard from now. Wakes the main thread only
 * after end of input, the only time it counts quiet time. */
static void heard_locked(struct session *s)
{
	s->last_rx = cli_mono_now();
	if (s->input_eof)
		pthread_cond_broadcast(&s->cv);
}

static int is_peer(const struct tp_event *ev)
{
	return ev->detail != NULL && strcmp(ev->detail, "peer") == 0;
}

void closing_note_event(struct session *s, const struct tp_event *ev)
{
	struct timespec now;

	pthread_mutex_lock(&s->mtx);
	switch (ev->type) {
	case TP_EV_HANDSHAKE_START:
		s->hs_start = cli_mono_now();
		break;
	case TP_EV_HANDSHAKE_DONE:
		now = cli_mono_now();
		s->hs_ms = cli_ms_between(&s->hs_start, &now);
		break;
	case TP_EV_RECORD:
		if (ev->level == 0) /* received */
			s->last_rx =
				cli_mono_now(); /* no wake: a later deadline */
		break;
	case TP_EV_RENEG_REQUESTED:
		s->peer_reneg = is_peer(ev);
		s->last_rx = cli_mono_now();
		break;
	case TP_EV_RENEG_DONE:
	case TP_EV_RENEG_REFUSED:
		s->peer_reneg = 0;
		heard_locked(s);
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&s->mtx);
}

void closing_note_sent(struct session *s)
{
	pthread_mutex_lock(&s->mtx);
	s->sent_data = 1;
	pthread_mutex_unlock(&s->mtx);
}

void closing_delivering(struct session *s, int on)
{
	pthread_mutex_lock(&s->mtx);
	s->delivering = on;
	if (!on && s->input_eof)
		s->answered = 1;
	if (!on)
		heard_locked(s);
	pthread_mutex_unlock(&s->mtx);
}

int closing_due_locked(const struct session *s, struct timespec *at)
{
	struct timespec from = s->eof_at;

	if (s->close_sent || s->peer_reneg || s->delivering)
		return 0;
	if (cli_ts_before(&from, &s->last_rx))
		from = s->last_rx;
	*at = cli_ts_add_ms(from, idle_ms(s));
	return 1;
}

/* Takes the one close_notify of the run: 1 when it is ours to send. */
static int claim(struct session *s)
{
	int mine;

	pthread_mutex_lock(&s->mtx);
	mine = !s->close_sent;
	s->close_sent = 1;
	pthread_mutex_unlock(&s->mtx);
	return mine;
}

void closing_send(struct session *s, struct tp_conn *c)
{
	/* A failure needs no word here: a broken connection is reported by
	 * the reader, and a peer that reads nothing more (the send is
	 * bounded by the handshake timeout) is left to its close or to
	 * --linger. */
	if (claim(s))
		(void)tp_conn_shutdown_write(c);
}

void closing_at_end(struct session *s, struct tp_conn *c)
{
	enum tp_close_reason r;
	int ours;

	if (!tp_conn_handshake_done(c))
		return;
	pthread_mutex_lock(&s->mtx);
	ours = s->signal != 0 || s->lingered;
	pthread_mutex_unlock(&s->mtx);
	r = tp_conn_close_reason(c);
	if (r == TP_CLOSE_NOTIFY || (ours && r == TP_CLOSE_NONE))
		closing_send(s, c);
}

int closing_reneg_error(struct session *s, struct tp_conn *c, char *buf,
			size_t len)
{
	const char *why = tp_conn_error(c);
	int running;

	pthread_mutex_lock(&s->mtx);
	running = s->peer_reneg && c == s->conn;
	pthread_mutex_unlock(&s->mtx);
	if (!running)
		return 0;
	if (why == NULL)
		why = "unknown error";
	else if (strncmp(why, "handshake: ", 11) == 0)
		why += 11; /* the line says which handshake */
	snprintf(buf, len,
		 "the server asked for a renegotiation (HelloRequest), which "
		 "failed: %s%s",
		 why,
		 s->opt->cert == NULL ? " (it may want a client certificate: "
					"--cert)" :
					"");
	return 1;
}
