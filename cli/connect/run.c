/* The two threads of a run, :resume, and the end of the run. */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "connect.h"

/* How long the end of a run waits for the stdin thread. */
#define INPUT_JOIN_MS 200

/* The socket-reader thread: peer data to stdout until the peer closes or
 * the connection fails. It reads from the start, so it may be the thread
 * that runs the handshake (or waits for the writer running it). */
static void *reader_thread(void *arg)
{
	struct session *s = arg;
	struct tp_conn *c = session_conn(s);
	char buf[TP_RECORD_MAX];
	ssize_t n;
	int replaced, we_closed;

	while ((n = tp_conn_read(c, buf, sizeof(buf))) > 0) {
		int out;

		session_note_handshake(s, c);
		/* Before the output, which may block: wakes an :expect. */
		expect_feed(s, buf, (size_t)n);
		closing_delivering(s, 1);
		out = console_data(buf, (size_t)n);
		closing_delivering(s, 0);
		if (out == -1) {
			/* EPIPE: the consumer is gone, end quietly. */
			session_end(s, CLI_EOTHER,
				    console_stdout_errno() == EPIPE ?
					    NULL :
					    "write to standard output "
					    "failed");
			return NULL;
		}
	}
	if (n == -1) {
		session_conn_failed(s, c);
		return NULL;
	}
	/* End of stream: the peer closed; that ends the run (unless this
	 * connection is being replaced by :resume). */
	session_note_handshake(s, c);
	pthread_mutex_lock(&s->mtx);
	replaced = s->resuming || c != s->conn;
	pthread_mutex_unlock(&s->mtx);
	if (replaced)
		return NULL;
	/* A close without close_notify before the end of our input: the
	 * data may have been cut short by anyone on the path (a truncation
	 * attack, or a crashed server): say so in the exit status, unlike
	 * s_client. After it, a plain close is how many servers end their
	 * reply (HTTP with Connection: close) or answer our close_notify
	 * (s_server). */
	pthread_mutex_lock(&s->mtx);
	we_closed = s->input_eof;
	pthread_mutex_unlock(&s->mtx);
	if (!we_closed && tp_conn_close_reason(c) == TP_CLOSE_FIN)
		session_end(s, CLI_EPROTO,
			    "the peer closed the connection without "
			    "close_notify: the data may be truncated");
	else
		session_end(s, CLI_OK, NULL);
	return NULL;
}

/* s->mtx held: starts the reader on s->conn. 0 or -1 (the caller ends
 * the run, without the lock). */
static int start_reader_locked(struct session *s)
{
	if (pthread_create(&s->reader, NULL, reader_thread, s) != 0)
		return -1;
	s->reader_started = 1;
	return 0;
}

int run_start_reader(struct session *s)
{
	int rv;

	pthread_mutex_lock(&s->mtx);
	rv = start_reader_locked(s);
	pthread_mutex_unlock(&s->mtx);
	if (rv == -1)
		session_end(s, CLI_EOTHER, "cannot start the reader thread");
	return rv;
}

/* The end of a :resume: c (NULL when it could not be set up) replaces the
 * connection and gets its reader, in one critical section with clearing
 * resuming, so that run_session joins that reader. Once the run has ended
 * nothing aborts a new connection: c is freed and the resume fails
 * quietly (the run is over). 0, or -1 when the run has ended. */
static int end_resume(struct session *s, struct tp_conn *c)
{
	struct tp_conn *old = NULL;
	int rv = -1;

	pthread_mutex_lock(&s->mtx);
	if (c != NULL && !s->ended) {
		old = s->conn;
		session_set_conn_locked(s, c, 1);
		c = NULL;
		rv = start_reader_locked(s);
	}
	s->resuming = 0;
	pthread_cond_broadcast(&s->cv); /* join_reader waits for it */
	pthread_mutex_unlock(&s->mtx);
	tp_conn_free(c);
	tp_conn_free(old); /* its reader was joined (drain_reader) */
	if (old != NULL && rv == -1)
		session_end(s, CLI_EOTHER, "cannot start the reader thread");
	return rv;
}

/* Claims the right to replace the connection; fails once ended. */
static int begin_resume(struct session *s)
{
	int ok;

	pthread_mutex_lock(&s->mtx);
	ok = !s->ended;
	if (ok)
		s->resuming = 1;
	pthread_mutex_unlock(&s->mtx);
	return ok ? 0 : -1;
}

/* Waits up to CLI_DRAIN_MS for the reader to see the peer close
 * (replies still in flight are shown, TLS 1.3 tickets are read), then
 * aborts the connection. The reader is ours to join: run_session joins
 * none while resuming is set. */
static void drain_reader(struct session *s, struct tp_conn *old)
{
	pthread_t reader;
	int started;

	pthread_mutex_lock(&s->mtx);
	reader = s->reader;
	started = s->reader_started;
	s->reader_started = 0;
	pthread_mutex_unlock(&s->mtx);
	if (started)
		cli_join_or_abort(reader, old, CLI_DRAIN_MS);
}

int session_resume(struct session *s)
{
	struct tp_conn *old = session_conn(s), *c;
	enum cli_status st;

	if (!tp_conn_handshake_done(old)) {
		console_msg("No session to resume yet");
		return 0;
	}
	if (begin_resume(s) == -1)
		return -1;
	console_msg("Closing, then reconnecting to resume the session...");
	console_set_busy(1);
	(void)cli_flush_and_close_notify(old);
	drain_reader(s, old);
	c = setup_conn(s, old, &st);
	console_set_busy(0);
	if (c == NULL)
		session_end(s, st, NULL); /* the error line is out already */
	return end_resume(s, c);
}

/* What is due next after end of input. */
enum due {
	DUE_NOTHING,
	DUE_CLOSE, /* close_notify (closing.h) */
	DUE_LINGER /* the end of the --linger wait */
};

/* s->mtx held: what is due next, and when in *at. */
static enum due next_due(const struct session *s, struct timespec *at)
{
	struct timespec linger_at = s->eof_at;
	enum due d = DUE_NOTHING;

	if (!s->input_eof)
		return DUE_NOTHING;
	if (closing_due_locked(s, at))
		d = DUE_CLOSE;
	linger_at.tv_sec += s->opt->linger;
	if (s->opt->linger >= 0 &&
	    (d == DUE_NOTHING || !cli_ts_before(at, &linger_at))) {
		*at = linger_at;
		d = DUE_LINGER;
	}
	return d;
}

static int passed(const struct timespec *at)
{
	struct timespec now = cli_mono_now();

	return !cli_ts_before(&now, at);
}

/* Waits until the run has ended. After end of input, also sends
 * close_notify when it is due and ends the run --linger seconds after end
 * of input (status 0). Woken by s->cv (the run ended, end of input, the
 * peer heard from after it, a renegotiation or a write to stdout over)
 * and by the clock (the close-idle time, --linger). */
static void wait_end(struct session *s)
{
	struct timespec at;
	int lingered = 0;
	enum due d;

	pthread_mutex_lock(&s->mtx);
	while (!s->ended) {
		d = next_due(s, &at);
		if (d == DUE_NOTHING) {
			pthread_cond_wait(&s->cv, &s->mtx);
		} else if (!passed(&at)) {
			(void)pthread_cond_timedwait(&s->cv, &s->mtx, &at);
		} else if (d == DUE_LINGER) {
			s->ended = s->lingered = lingered = 1;
			s->status = CLI_OK;
		} else {
			pthread_mutex_unlock(&s->mtx); /* a leaf lock */
			closing_send(s, session_conn(s));
			pthread_mutex_lock(&s->mtx);
		}
	}
	pthread_mutex_unlock(&s->mtx);
	if (lingered && s->opt->verbosity == CLI_NORMAL)
		console_msg("Peer did not close within %d s (--linger); "
			    "closing",
			    s->opt->linger);
	session_wake_input(s);
}

static int start_threads(struct session *s, pthread_t *input)
{
	void *(*fn)(void *) =
		s->interactive ? input_readline_thread : input_stdin_thread;

	if (run_start_reader(s) == -1)
		return -1;
	if (pthread_create(input, NULL, fn, s) != 0) {
		session_end(s, CLI_EOTHER, "cannot start the input thread");
		return -1;
	}
	return 0;
}

/* --sess-out and the last --reconnect result, while the connection is
 * still whole. */
static void save_results(struct session *s, struct tp_conn *c)
{
	struct tp_info info;
	const struct tp_info *i = conn_info(c, &info);

	if (i == NULL)
		return;
	if (s->opt->reconnect > 0)
		session_note_reconnect(s, c, i->session_reused);
	if (s->opt->sess_out == NULL ||
	    tp_conn_save_session(c, s->opt->sess_out) == 0)
		return;
	console_error("--sess-out '%s': %s", s->opt->sess_out,
		      tp_conn_error(c));
	pthread_mutex_lock(&s->mtx);
	if (s->status == CLI_OK)
		s->status = CLI_EOTHER;
	pthread_mutex_unlock(&s->mtx);
}

void session_input_state(struct session *s, enum input_state st)
{
	pthread_mutex_lock(&s->mtx);
	s->input_state = st;
	pthread_cond_broadcast(&s->cv); /* join_input waits for it */
	pthread_mutex_unlock(&s->mtx);
}

/* The readline thread must restore the terminal: wait for it. The stdin
 * thread is waited for until it returns, so that a command's result or an
 * :expect failing after the end is said before the run reports: in poll()
 * it is woken by stop_fd (session_wake_input), and acting on input it is
 * bounded (tp_conn_abort has woken every library wait it may be in,
 * session_end every :expect and :sleep). Only in read(2) may it block for
 * good: there it gets INPUT_JOIN_MS in all, and is then left behind (the
 * process exits without it). */
static void join_input(struct session *s, pthread_t input)
{
	struct timespec at = cli_ts_add_ms(cli_mono_now(), INPUT_JOIN_MS);
	int left = 0;

	if (s->interactive) {
		pthread_join(input, NULL);
		return;
	}
	pthread_mutex_lock(&s->mtx);
	/* Woken by session_input_state; in read(2), also by the clock. */
	while (s->input_state != INPUT_DONE && !left) {
		if (s->input_state != INPUT_READING)
			pthread_cond_wait(&s->cv, &s->mtx);
		else if (pthread_cond_timedwait(&s->cv, &s->mtx, &at) ==
				 ETIMEDOUT &&
			 s->input_state == INPUT_READING)
			left = 1;
	}
	pthread_mutex_unlock(&s->mtx);
	if (left) {
		pthread_detach(input);
		s->input_left = 1;
	} else {
		pthread_join(input, NULL);
	}
}

/* Joins the reader once no :resume is under way: the stdin thread joins
 * the old reader itself, and starts a new one only if the run has not
 * ended, in the critical section that clears resuming. */
static void join_reader(struct session *s)
{
	pthread_t reader;
	int started;

	pthread_mutex_lock(&s->mtx);
	while (s->resuming) /* woken by end_resume */
		pthread_cond_wait(&s->cv, &s->mtx);
	reader = s->reader;
	started = s->reader_started;
	s->reader_started = 0;
	pthread_mutex_unlock(&s->mtx);
	if (started)
		pthread_join(reader, NULL);
}

enum cli_status run_session(struct session *s)
{
	pthread_t input;
	int input_started = start_threads(s, &input) == 0;
	struct tp_conn *c;

	wait_end(s);
	c = session_conn(s); /* no :resume replaces it once the run ended */
	save_results(s, c);
	/* The peer's close_notify, Ctrl-C or --linger end the session
	 * cleanly: close_notify, bounded by the handshake timeout. */
	closing_at_end(s, c);
	tp_conn_abort(c);
	clock_gettime(CLOCK_MONOTONIC, &s->ended_at); /* timing's total */
	join_reader(s);
	if (input_started)
		join_input(s, input);
	console_queue_end();
	return s->status;
}
