/*
 * One run of `tlsprobe connect`: the connection (replaced on :resume),
 * the two threads that drive it, and how the run ends.
 *
 * Locking: s->mtx guards the fields marked (M). It is a leaf lock for
 * us: no tp_conn_* call is ever made while holding it, since the library
 * may call the event callback, which takes it, from inside any call.
 */
#ifndef CLI_SESSION_H
#define CLI_SESSION_H

#include <pthread.h>
#include <time.h>

#include "options.h"
#include "timing.h"
#include "common/common.h"
#include "tlsprobe.h"

#define CLI_MAX_RECONNECT 100

struct session {
	const struct cli_options *opt;
	struct tp_config *cfg;
	int interactive; /* stdin is a terminal */
	int stop_fd[2]; /* written once the run has ended */

	pthread_mutex_t mtx;
	pthread_cond_t cv; /* ended, input_eof changes */
	struct tp_conn *conn; /* (M) current connection */
	int summary_done; /* (M) summary shown for conn */
	/* Session tickets of conn the user has been told of (summary, then
	 * a line each), the highest count an event gave, and whether the
	 * summary is out, after which each ticket gets its line. */
	int tickets_told; /* (M) */
	int tickets_seen; /* (M) */
	int tickets_live; /* (M) */
	struct timing_renegs renegs; /* (M) conn's renegotiations, timed */
	int hinted; /* (M) the interactive :help hint was shown */
	int ended; /* (M) the run is over */
	enum cli_status status; /* (M) exit status once ended */
	int input_eof; /* (M) stdin EOF: close_notify follows (closing.h) */
	struct timespec eof_at; /* (M) CLOCK_MONOTONIC */
	int close_sent; /* (M) our close_notify is out, or going */
	int peer_reneg; /* (M) a renegotiation the peer started runs */
	int delivering; /* (M) the reader writes peer data out */
	int sent_data; /* (M) stdin data went to the peer */
	int answered; /* (M) the peer sent data after stdin EOF */
	struct timespec last_rx; /* (M) the peer last heard from */
	struct timespec hs_start; /* (M) the last first handshake began */
	long hs_ms; /* (M) and took this long */
	int resuming; /* (M) conn is being replaced */
	int lingered; /* (M) ended by --linger */
	int signal; /* (M) ended by this signal */
	char error[512]; /* (M) the error line, if any */
	struct expect_state *expect; /* (M) :expect's window (expect.h) */

	struct timespec started_at; /* CLOCK_REALTIME: the report's date */
	struct timespec ended_at; /* CLOCK_MONOTONIC: the run's end */
	/* The timing of a connection that could not be set up (conn is then
	 * NULL), for the report; written by setup_conn. */
	struct tp_timing setup_timing;

	pthread_t reader;
	int reader_started;
	int input_left; /* the stdin thread was left behind at the end */
	int crlf_prev_cr; /* writer thread only */
	int nreconnect;
	int resumed[CLI_MAX_RECONNECT]; /* --reconnect results */
};

/* Entry point of `tlsprobe connect` (argv[0]: program or subcommand). */
int cli_connect_main(int argc, char **argv);
/* Loud notes on stderr about options that weaken or expose connections
 * (--insecure, --noservername, a key log), unless --quiet. */
void connect_warn_options(const struct cli_options *o);

/* s->mtx held: c becomes the current connection, with nothing told of
 * it yet (its summary when summary_due, tickets, renegotiations). */
void session_set_conn_locked(struct session *s, struct tp_conn *c,
			     int summary_due);
/* The current connection. */
struct tp_conn *session_conn(struct session *s);
int session_ended(struct session *s);

/* Ends the run with status (the first call wins); msg, when not NULL, is
 * printed as the run's one error line. */
void session_end(struct session *s, enum cli_status status, const char *msg);
/* Makes s->stop_fd[0] readable for good: the input thread stops. */
void session_wake_input(struct session *s);
/* Ends the run because a call on c failed; ignores the failures that
 * ending or :resume cause themselves. */
void session_conn_failed(struct session *s, struct tp_conn *c);

/* Prints the session summary for c once its handshake is done. */
void session_note_handshake(struct session *s, struct tp_conn *c);

/* Sends data from stdin (converting LF to CRLF with --crlf). 0 or -1
 * (the run has ended). */
int session_send(struct session *s, const char *buf, size_t len);
/* stdin EOF: flush, then keep reading; close_notify follows when the
 * peer closes or goes quiet (closing.h), --linger bounds the wait. */
void session_input_eof(struct session *s);

/* :resume: a new connection resuming the current session replaces it.
 * Called from the writer thread. Returns 0 or -1 (the run has ended). */
int session_resume(struct session *s);

/* The library event callback (arg: the session). */
void session_event(struct tp_conn *c, const struct tp_event *ev, void *arg);

#endif
