/*
 * When our close_notify goes out, at the end of input and at the end of the
 * run.
 *
 * Sending it the moment standard input ends loses replies. A server that
 * closes after its last reply (Postfix after QUIT) finds our alert unread
 * in its socket, so its kernel resets the connection instead of closing it
 * and drops what it had still to send; a server that renegotiates after
 * reading a request (Apache asking for a client certificate for one
 * directory) cannot be answered once we have closed. So after end of input
 * the write side stays open, renegotiations and KeyUpdates that arrive are
 * answered, and close_notify goes only when the peer closes (ours then
 * answers its close_notify: RFC 5246 7.2.1, RFC 8446 6.1) or when it has
 * been quiet for the close-idle time, measured from the end of input, the
 * last record received, the end of a renegotiation the peer ran, or the
 * last data written to standard output: CLOSING_IDLE_MS (or twice the
 * handshake's duration, when longer) until the peer has sent data after
 * the end of input, CLOSING_ANSWERED_MS (or the handshake's duration)
 * once it has; --close-idle sets both. When no data was sent at all
 * (stdin empty: a handshake check), there is no request to answer and
 * close_notify goes at once. Reading goes on after it until the peer
 * closes; --linger bounds the whole wait.
 */
#ifndef CLI_CLOSING_H
#define CLI_CLOSING_H

#include <time.h>

#include "session.h"

/* The default close-idle time before the peer answers, in ms: far above
 * a loopback or LAN server's turnaround (under 10 ms), which is how long
 * Apache takes to ask for a renegotiation after a request. */
#define CLOSING_IDLE_MS 250
/* After it has answered: what an echo server's last reply costs. */
#define CLOSING_ANSWERED_MS 100
/* The longest default: twice a very slow handshake. */
#define CLOSING_IDLE_MAX_MS 5000

/* Keeps track of the peer: records received, renegotiations it runs, how
 * long the handshake took. From the library's event callback. */
void closing_note_event(struct session *s, const struct tp_event *ev);

/* Data from standard input went to the peer (a request to answer). */
void closing_note_sent(struct session *s);

/* The reader thread around writing the peer's data out (on) and after
 * (off): a slow standard output leaves records unread in the socket, where
 * their arrival is not seen, so the quiet time is not counted meanwhile. */
void closing_delivering(struct session *s, int on);

/* s->mtx held, after end of input: when close_notify is due, in *at
 * (CLOCK_MONOTONIC). Returns 0 when it is not due at any time yet: it is
 * out already, or the peer is running a renegotiation, or the reader is
 * writing its data out (the cv is broadcast when those end). */
int closing_due_locked(const struct session *s, struct timespec *at);

/* Sends close_notify unless it went out already. Not under s->mtx. */
void closing_send(struct session *s, struct tp_conn *c);

/* The end of the run: our close_notify, if not out yet, in answer to the
 * peer's, or to end cleanly a run that a signal or --linger ends. Not
 * after a FIN, a reset or a fatal alert, when nobody reads it, nor after a
 * local error (standard output gone): a peer that has stopped reading
 * would hold the exit for the handshake timeout. */
void closing_at_end(struct session *s, struct tp_conn *c);

/* The error line for a renegotiation the peer started that failed, into
 * buf; 0 when none was running (the caller formats its own). */
int closing_reneg_error(struct session *s, struct tp_conn *c, char *buf,
			size_t len);

#endif
