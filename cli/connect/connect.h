/*
 * cli/connect: `tlsprobe [connect]`, the s_client of the project, and the
 * one header of this folder. Sections in the order the files build on
 * each other: the pure parsers and the terminal, the options, what is
 * reported about a connection, the session (the run's state and its lock
 * protocol), and the files that drive a session.
 */
#ifndef CLI_CONNECT_H
#define CLI_CONNECT_H

#include <pthread.h>
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "common/common.h"
#include "tlsprobe.h"

/* ==== command.c =========================================================== */

/*
 * In-band commands: a line that starts with ':' (":reneg", ":status"...);
 * "::" at the start stands for a literal ':' in data. Pure parser, no
 * globals, no I/O.
 */

enum cli_cmd_type {
	CLI_CMD_DATA, /* not a command: send data[0..len) */
	CLI_CMD_RENEG,
	CLI_CMD_KEYUPDATE, /* arg: 1 for "req" (update_requested) */
	CLI_CMD_RESUME,
	CLI_CMD_STATUS,
	CLI_CMD_HELP,
	CLI_CMD_QUIT,
	CLI_CMD_EXPECT, /* data[0..len): the pattern (expect.h) */
	CLI_CMD_SLEEP, /* arg: milliseconds */
	CLI_CMD_INVALID /* unknown command or bad argument: see error */
};

struct cli_cmd {
	enum cli_cmd_type type;
	int arg;
	const char *data; /* DATA, EXPECT: points into the parsed line */
	size_t len;
	char error[96]; /* CLI_CMD_INVALID: what was wrong */
};

/*
 * Parses one line (len bytes, without its line terminator, not
 * NUL-terminated). Always fills out; returns out->type.
 */
enum cli_cmd_type cli_command_parse(const char *line, size_t len,
				    struct cli_cmd *out);

/* Help text for the commands, several lines ending with '\n'. */
const char *cli_command_help(void);

/* ==== console.c =========================================================== */

/*
 * The process's terminal side: peer data to stdout, everything else to
 * stderr. Normally writes go straight to the file descriptors. In
 * interactive mode they are queued instead and the readline thread, woken
 * through a pipe, writes them above the prompt (readline is only ever
 * called from that thread).
 */

/* write(2) until all of buf is written; retries EINTR. 0 or -1. */
int write_all(int fd, const void *buf, size_t len);

/* Peer application data for stdout, byte for byte. Returns 0, or -1 once
 * writing to stdout failed (console_stdout_errno says why). In interactive
 * mode it may wait for the readline thread to drain earlier data. */
int console_data(const void *buf, size_t len);
int console_stdout_errno(void);

/* A message for stderr; a newline is added when fmt lacks one. */
void console_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Text for stderr, written as is (any length). */
void console_text(const char *text);
/* "tlsprobe: <message>\n" on stderr. */
void console_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The first console_error message of the process (without "tlsprobe: "),
 * or NULL; it stays valid. */
const char *console_first_error(void);

/* Interactive mode: from now on output is queued. Returns the fd to poll
 * for "output pending", or -1 on failure. */
int console_queue_begin(void);
/* Is anything queued? */
int console_pending(void);
/* Writes out everything queued (called by the readline thread, or at the
 * end). Returns the last byte written to the terminal, or -1 if none. */
int console_drain(void);
/* Back to direct writes; writes out what is still queued. */
void console_queue_end(void);
/* The draining thread is busy inside the library (a renegotiation, a
 * write): producers must not wait for it meanwhile. */
void console_set_busy(int busy);

/* ==== options.c =========================================================== */

/*
 * Command-line options of `tlsprobe connect` (struct cli_options is in
 * common/common.h, which probe fills too): GNU long names are canonical;
 * the common openssl s_client spellings (-connect, -CAfile, -tls1_3...) are
 * translated to them before getopt_long sees the arguments.
 */

/* Default --expect-timeout, in seconds. */
#define CLI_EXPECT_TIMEOUT 10

/*
 * Parses argv (argv[0] is the program or subcommand name) into o. Returns
 * 0, or -1 with a one-line message (without "tlsprobe: ") in err.
 * Free with cli_options_free.
 */
int cli_options_parse(int argc, char **argv, struct cli_options *o, char *err,
		      size_t errlen);
void cli_options_free(struct cli_options *o);

/* Writes the --help text to fp. */
void cli_options_usage(FILE *fp);

/* ==== pcap.c ============================================================== */

/*
 * --pcap FILE: the session as a pcapng capture. The bytes each connection
 * sent and received (the library's raw callback) go into synthesised
 * TCP/IP frames, with a SYN/SYN-ACK/ACK before them and FINs after, and
 * the TLS secrets into a Decryption Secrets Block ahead of the frames, so
 * that Wireshark and tshark decrypt the file alone. Kept in memory and
 * written at the end, whole, as a secret file (tp_file_write).
 */

/* Before the configuration is made: where the secrets will be logged if
 * no key log was asked for (a private temporary file). 0, or -1 with the
 * error reported. */
int pcap_begin(const char *path);
/* The key log the capture reads its secrets from, when the user gave
 * none; NULL without --pcap. */
const char *pcap_keylog_path(void);
/* Registers the raw callback on cfg. */
void pcap_attach(struct tp_config *cfg);
/* Writes the file: the secrets of user_keylog (or of the temporary key
 * log, then removed) and the frames. 0, or -1 with the error reported. */
int pcap_end(const char *user_keylog);

/* ==== trace.c ============================================================= */

/* --msg: one line per library event. Pure formatting. */

/* Writes the trace line for ev (no newline) into buf. */
void trace_format(char *buf, size_t len, const struct tp_event *ev);

/* Names of TLS record content types (handshake types: tp_handshake_name). */
const char *trace_content_name(int type);

/* ==== timing.c ============================================================ */

/*
 * Timings of a connection (the summary's Timing: lines and --json's
 * "timing"): milliseconds from the start of the connection, before name
 * resolution, to each phase, as curl's -w times are, from the library's
 * CLOCK_MONOTONIC instants (tp_conn_timing). Renegotiations are timed from
 * the instants of their events. Text and JSON are made from one
 * struct timing_figures (common.h), so they cannot disagree.
 */

/* Renegotiations timed per connection; more are counted only. */
#define TIMING_MAX_RENEGS 100

struct timing_reneg {
	struct timespec start, end; /* end {0, 0}: it did not end */
	int by_peer; /* the peer started it (HelloRequest) */
	int refused; /* ended without one: refused, or not answered */
};

/* A connection's renegotiations, from its events. */
struct timing_renegs {
	struct timing_reneg r[TIMING_MAX_RENEGS];
	int n;
	int more; /* started beyond TIMING_MAX_RENEGS */
};

/* Notes a renegotiation event of the connection into *r. */
void timing_note_event(struct timing_renegs *r, const struct tp_event *ev);

/* "Timing: resolve 0.061 ms, connect 0.203 ms, ..." with a newline:
 * the phases reached; with all, every phase ("none" for one not
 * reached), as at the end of the run. */
void timing_text(FILE *fp, const struct timing_figures *f, int all);

/* The "timing" member of the report (key included); r may be NULL. */
void timing_json(struct json_writer *w, const struct timing_figures *f,
		 const struct timing_renegs *r);

/* ==== revocation.c ======================================================== */

/* Revocation in the report: the stapled OCSP response (--status) and the
 * CRL check (--crl-file), as summary lines and as the JSON's "ocsp" and
 * "crl" keys. */

/* "OCSP: ..." and "CRL: ..." lines, each only when it was asked for. */
void revocation_print(FILE *fp, struct tp_conn *c);

/* ", ocsp STATUS" and ", crl STATUS" for the --brief line, each only when
 * it was asked for (the JSON's status names). */
void revocation_brief(FILE *fp, struct tp_conn *c);

/* The "ocsp" and "crl" keys of the connection object (null when not
 * asked for). */
void revocation_json(struct json_writer *w, struct tp_conn *c);

/* ==== certs.c ============================================================= */

/*
 * The peer's certificates as the user sees them: one line per certificate
 * of the chain as sent, the facts of each (--showcerts), the verified path
 * (s_client's depth lines), what a failed verification tried, the
 * server's request for a client certificate; and the same in the --json
 * report. Everything printed was escaped by the library.
 */

/* One certificate of the summary: " N s: / i: / valid:" lines, and with
 * facts (--showcerts) its names, serial, fingerprint, key, signature
 * algorithm and PEM. */
void certs_print_cert(FILE *fp, int n, const struct tp_cert_info *ci,
		      int facts);

/* After "Verification: ok": the path that was verified, top first. */
void certs_print_path(FILE *fp, struct tp_conn *c);

/* Each line of a verification log (tp_conn_verify_log), indented, as
 * "  failure: ...". */
void certs_print_failures(FILE *fp, const char *log);

/* "Client certificate: ..." when the server asked for one. */
void certs_print_request(FILE *fp, struct tp_conn *c);

/* What to show before the error line of a handshake that failed (the
 * chain as sent and what was tried, for a failed verification; the
 * server's request for a client certificate), malloc'ed; NULL when
 * there is nothing, or with --quiet or --brief (one line). */
char *certs_failure_text(struct tp_conn *c, const struct cli_options *o);

/* The "certificates" member of the --json report (c may be NULL). */
void certs_json(struct json_writer *w, struct tp_conn *c);
/* One certificate object, as in "peer_chain" and "certificates". */
void certs_json_cert(struct json_writer *w, const struct tp_cert_info *ci);

/* ==== session.c =========================================================== */

/*
 * One run of `tlsprobe connect`: the connection (replaced on :resume),
 * the two threads that drive it, and how the run ends.
 *
 * Locking: s->mtx guards the fields marked (M). It is a leaf lock for
 * us: no tp_conn_* call is ever made while holding it, since the library
 * may call the event callback, which takes it, from inside any call.
 */

#define CLI_MAX_RECONNECT 100

/* Where the stdin thread is, for the end of the run (join_input). Every
 * change broadcasts s->cv. */
enum input_state {
	INPUT_POLL, /* in poll() (or not started yet): stop_fd wakes it */
	INPUT_READING, /* in read(2): may block for good */
	INPUT_BUSY, /* acting on input: bounded once the run has ended */
	INPUT_DONE /* returned: to join */
};

struct session {
	const struct cli_options *opt;
	struct tp_config *cfg;
	int interactive; /* stdin is a terminal */
	int stop_fd[2]; /* written once the run has ended */

	pthread_mutex_t mtx;
	pthread_cond_t cv; /* ended, input_eof, resuming, input_state */
	struct tp_conn *conn; /* (M) current connection */
	int summary_done; /* (M) summary claimed for conn */
	int summary_shown; /* (M) and out, with the lines that follow it */
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
	int peer_key_updates; /* (M) the peer's KeyUpdates, for its lines */
	int delivering; /* (M) the reader writes peer data out */
	int sent_data; /* (M) stdin data went to the peer */
	int answered; /* (M) the peer sent data after stdin EOF */
	struct timespec last_rx; /* (M) the peer last heard from */
	struct timespec hs_start; /* (M) the last first handshake began */
	long hs_ms; /* (M) and took this long */
	/* (M) conn is being replaced; cleared with a broadcast of cv, for
	 * run_session, which joins the reader only once it is 0. */
	int resuming;
	int lingered; /* (M) ended by --linger */
	int signal; /* (M) ended by this signal */
	char error[CLI_ERROR_MAX]; /* (M) the error line, if any */
	struct expect_state *expect; /* (M) :expect's window (expect.h) */

	struct timespec started_at; /* CLOCK_REALTIME: the report's date */
	struct timespec ended_at; /* CLOCK_MONOTONIC: the run's end */
	/* The timing of a connection that could not be set up (conn is then
	 * NULL), for the report; written by setup_conn. */
	struct tp_timing setup_timing;

	pthread_t reader; /* (M) */
	int reader_started; /* (M) reader is a thread to join */
	enum input_state input_state; /* (M) of the stdin thread */
	int input_left; /* the stdin thread was left behind at the end */
	int crlf_prev_cr; /* writer thread only */
	int nreconnect;
	struct reconnect_result {
		int resumed;
		struct tp_timing timing; /* to compare full and resumed */
	} reconnects[CLI_MAX_RECONNECT]; /* --reconnect results */
};

/* Notes the result of a --reconnect connection, c, handshaken. */
void session_note_reconnect(struct session *s, struct tp_conn *c, int resumed);

/* Entry point of `tlsprobe connect` (argv[0]: program or subcommand). */
int cli_connect_main(int argc, char **argv);

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
/* The stdin thread says where it is (enum input_state). */
void session_input_state(struct session *s, enum input_state st);
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

/* ==== closing.c =========================================================== */

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

/* ==== expect.c ============================================================ */

/*
 * Script commands: ":expect REGEX" waits until the peer's data since the
 * last match matches, ":sleep SECS" pauses; both run on the input thread
 * (the stdin thread with --commands, or the readline thread).
 *
 * The reader thread appends what it receives to a window (expect_feed);
 * the waiting input thread matches it under s->mtx and sleeps on s->cv,
 * which the reader broadcasts when data arrives while someone waits, and
 * session_end broadcasts when the run ends. The window keeps the last
 * EXPECT_WINDOW bytes not yet consumed by a match; a match consumes the
 * data up to its end, as in expect(1), so the same reply cannot satisfy
 * the next :expect.
 *
 * Patterns are POSIX extended regular expressions matched with
 * REG_NEWLINE (^ and $ at every line, '.' within a line); "\n", "\r" and
 * "\t" in a pattern stand for those characters, so a pattern can span
 * lines. A CR before LF in the data is dropped for matching, so "OK$"
 * matches "OK\r\n".
 */

/* Unconsumed peer data kept for matching, in bytes. */
#define EXPECT_WINDOW 65536

/* Allocates s->expect; 0 or -1. expect_free(NULL state) is fine. */
int expect_init(struct session *s);
void expect_free(struct session *s);

/* Reader thread: peer application data arrived. */
void expect_feed(struct session *s, const char *buf, size_t len);

/* Compiles pattern[0..len) after turning \n, \r, \t into those
 * characters. 0, or the regcomp error with its text in err. Pure. */
int expect_compile(regex_t *re, const char *pattern, size_t len, char *err,
		   size_t errlen);

/* Input thread: waits until re matches the window, at most
 * opt->expect_timeout seconds. 0: matched; -1: the run has ended (it was
 * over, or the expectation failed: exit status 8, the error line names
 * pattern and the last line received). */
int expect_wait(struct session *s, const regex_t *re, const char *pattern);

/* Input thread: pauses ms milliseconds, or until the run ends (-1). */
int expect_sleep(struct session *s, long ms);

/* ==== stdin.c, interactive.c ========================================== */

/* The input (writer) thread: stdin to the connection. */

/* Non-terminal stdin: data byte for byte, or lines with :commands when
 * --commands is given. arg: the session. */
void *input_stdin_thread(void *arg);

/* Terminal stdin: GNU readline, history, :commands, peer output shown
 * above the prompt. arg: the session. */
void *input_readline_thread(void *arg);

/* Runs one in-band command; returns 1 when the input should stop
 * (:quit), else 0. */
int input_command(struct session *s, const struct cli_cmd *cmd);

/* ==== reconnect.c ========================================================= */

/* --reconnect N: the first connection and N-1 reconnections each do a
 * handshake, show whether they resumed, and close; the Nth reconnection
 * is returned to carry the data. */

/* Returns the connection for the run, or NULL (error line printed, *st
 * set). Records each result in s->resumed. */
struct tp_conn *reconnect_run(struct session *s, enum cli_status *st);

/* ==== run.c =============================================================== */

/* Running a connected session: the two threads, waiting for the end,
 * and what is done at the end. */

/* Starts the reader thread on the current connection. 0 or -1. */
int run_start_reader(struct session *s);

/* Starts the reader and input threads at once (no handshake first),
 * waits until the run ends, and cleans up. Returns the exit status (the
 * caller writes the report). */
enum cli_status run_session(struct session *s);

/* ==== setup.c ============================================================= */

/* From options to a configured library: the tp_config, and connections
 * (plain or through STARTTLS; common/target.c makes them). */

/* Builds the configuration; on failure prints the error line, sets *st
 * and returns NULL. The event callback gets s. */
struct tp_config *setup_config(struct session *s, enum cli_status *st);

/*
 * A new connection to the target, TCP connected and ready for the
 * handshake. prev (may be NULL) is a connection whose session to resume;
 * without it, --sess-in is loaded. On failure prints the error line, sets
 * *st and returns NULL.
 */
struct tp_conn *setup_conn(struct session *s, struct tp_conn *prev,
			   enum cli_status *st);

/* ==== summary.c =========================================================== */

/* What the user is told about a connection: the summary after the
 * handshake, :status, and the --json document. */

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
