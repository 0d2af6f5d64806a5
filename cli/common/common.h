/*
 * cli/common: what the commands of tlsprobe share, and the one header of
 * this folder. Other folders include it as "common/common.h", never
 * another command's header.
 */
#ifndef CLI_COMMON_H
#define CLI_COMMON_H

#include <getopt.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "tlsprobe.h"

/* ---- status.c: exit statuses (tlsprobe(1) EXIT STATUS) -------------- */

enum cli_status {
	CLI_OK = 0, /* clean close */
	CLI_EOTHER = 1, /* anything else, local output failure included */
	CLI_EUSAGE = 2, /* bad command line */
	CLI_ECONNECT = 3, /* resolve, refused, unreachable */
	CLI_EHANDSHAKE = 4,
	CLI_EVERIFY = 5, /* certificate verification */
	CLI_EPROTO = 6, /* fatal alert, reset... after the handshake */
	CLI_ETIMEOUT = 7,
	CLI_EEXPECT = 8 /* an :expect not matched in time (connect/expect.h) */
};

/* Exit status for a library error. An alert or I/O error before the
 * first handshake completed is a handshake failure. Pure. */
enum cli_status cli_status_from_errcode(enum tp_errcode e, int handshake_done);

/* The one error line (without "tlsprobe: ") for a library error: adds
 * what the category means when msg does not already say it. Pure. */
void cli_format_error(char *buf, size_t len, enum tp_errcode e,
		      int handshake_done, const char *msg);

/* Both of the above for the last error of c: the line in buf, the exit
 * status returned. A failure that set no error code is a connect
 * failure when it happened before the first handshake. */
/* Why c ended, for a thread other than the one whose call failed: the
 * sticky error, else how the peer closed (never NULL). */
const char *cli_conn_end_text(struct tp_conn *c);
enum cli_status cli_conn_error(struct tp_conn *c, int handshake_done, char *buf,
			       size_t len);

/* ---- cmdline.c: the option and usage layer of every command ---------- */

/* The message of a usage error into err (errlen bytes); returns -1. */
int cli_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The usage error line of every command, on stderr:
 *   tlsprobe[ CMD]: MESSAGE (see 'tlsprobe[ CMD] --help')
 * cmd NULL is the default command (connect). Returns CLI_EUSAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* getopt_long with opterr = 0, so that the caller reports every error in
 * the one format above. Start with cli_getopt_begin; shortopts as for
 * getopt_long (without a leading ':'). Returns the next option, -1 after
 * the last, or CLI_OPT_ERROR with the message ("unrecognized option
 * '--x'", "option '--x' requires an argument", ...) in err. */
#define CLI_OPT_ERROR (-2)
void cli_getopt_begin(void);
int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, char *err, size_t errlen);

/* A number option's value: digits only, in [min, max]. 0, or -1 with
 * "invalid NAME 'ARG' (want MIN-MAX)" in err. */
int cli_uint_arg(const char *name, const char *arg, long min, long max,
		 long *out, char *err, size_t errlen);
/* The same into an int (min and max within int's range). */
int cli_int_arg(const char *name, const char *arg, long min, long max, int *out,
		char *err, size_t errlen);
/* A byte count: digits with an optional k, M or G (binary) suffix, at most
 * max. 0, or -1 with the message in err. */
int cli_bytes_arg(const char *name, const char *arg, uint64_t max,
		  uint64_t *out, char *err, size_t errlen);

/* --tls1.x (a pinned version) and --min-tls/--max-tls (a range), with the
 * same spellings and rules in every command. */
struct cli_versions {
	enum tp_version min, max; /* TP_VERSION_ANY: no bound */
	int pinned, ranged;
};
/* --tls1.x: 0, or -1 with the message when another pin conflicts. */
int cli_versions_pin(struct cli_versions *v, enum tp_version pin, char *err,
		     size_t errlen);
/* --min-tls (is_max 0) or --max-tls (1) ARG: 0, or -1 with the message. */
int cli_versions_bound(struct cli_versions *v, int is_max, const char *arg,
		       char *err, size_t errlen);
/* After the last option: pin and range together, min above max. */
int cli_versions_check(const struct cli_versions *v, char *err, size_t errlen);

/* ---- clock.c: CLOCK_MONOTONIC, for deadlines and condition waits ----- */

/* Now, in ms. */
int64_t cli_now_ms(void);
/* Milliseconds left until deadline_ms (a cli_now_ms time), for poll():
 * -1 (wait forever) when deadline_ms is 0, never below 0 otherwise. */
int cli_remaining_ms(int64_t deadline_ms);
/* Now, as a timespec. */
struct timespec cli_mono_now(void);
/* ts plus ms milliseconds (ms >= 0). */
struct timespec cli_ts_add_ms(struct timespec ts, long ms);
/* Now plus ms: an absolute time for cli_cond_init's condition variables. */
struct timespec cli_mono_after_ms(long ms);
/* Now plus ms on CLOCK_REALTIME, the clock of pthread_timedjoin_np. */
struct timespec cli_real_after_ms(long ms);
int cli_ts_before(const struct timespec *a, const struct timespec *b);
/* b - a in ms (negative when b is before a). */
long cli_ms_between(const struct timespec *a, const struct timespec *b);
/* A mutex and a condition variable whose timed waits use CLOCK_MONOTONIC
 * (a wall clock set back would stretch them). */
void cli_cond_init(pthread_mutex_t *m, pthread_cond_t *cv);
void cli_cond_destroy(pthread_mutex_t *m, pthread_cond_t *cv);
/* Sleeps ms milliseconds, across signals. */
void cli_sleep_ms(long ms);

/* ---- conn.c: a connection's facts, and its end ----------------------- */

/* How long a connection we closed may take to deliver what the peer still
 * sends (replies in flight, TLS 1.3 tickets) and its close_notify. */
#define CLI_DRAIN_MS 2000

/* Snapshot of what c negotiated into *buf; NULL before the first
 * handshake completed. */
const struct tp_info *conn_info(struct tp_conn *c, struct tp_info *buf);
/* Everything queued is written, then our close_notify: 0, or -1 (the
 * connection's error says why). */
int cli_flush_and_close_notify(struct tp_conn *c);
/* Waits at most ms for thread t, which reads c until the peer closes, to
 * end; then aborts c, so that its read returns, and joins t. */
void cli_join_or_abort(pthread_t t, struct tp_conn *c, long ms);
/* cli_flush_and_close_notify, then reads and drops what the peer still
 * sends until it closes, for at most ms: TLS 1.3 tickets sent after the
 * handshake are taken in, and the peer sees a clean close. */
void cli_close_and_drain(struct tp_conn *c, long ms);

/* ---- parse.c: pure parsers (no globals, I/O or allocation) ----------- */

#define CLI_HOST_MAX 256
#define CLI_PORT_MAX 6
#define CLI_DEFAULT_PORT "443"

struct cli_hostport {
	char host[CLI_HOST_MAX]; /* without brackets for IPv6 literals */
	char port[CLI_PORT_MAX]; /* decimal, 1-65535 */
};

/*
 * Splits "HOST", "HOST:PORT", "[V6]", "[V6]:PORT" or a bare IPv6 literal
 * ("::1", taken as a host with the default port). Returns 0, or -1 with a
 * message in err (errlen bytes, always NUL-terminated).
 */
int cli_parse_hostport(const char *s, struct cli_hostport *out, char *err,
		       size_t errlen);

/*
 * Parses a decimal integer in [min, max]: digits only, no sign, no spaces.
 * Returns 0 and sets *out, or -1.
 */
int cli_parse_uint(const char *s, long min, long max, long *out);

/* "1.0" .. "1.3", "tls1.2", "TLSv1.2", "tls1_2", "tls12" (any case).
 * Returns TP_VERSION_ANY when s is none of these. */
enum tp_version cli_parse_version(const char *s);

/*
 * Converts LF to CRLF from in (n bytes) into out, which must hold 2 * n
 * bytes. *prev_cr carries "the previous byte was CR" across calls, so an
 * existing CRLF is left alone even when split between two chunks.
 * Returns the number of bytes written to out.
 */
size_t cli_crlf_convert(const char *in, size_t n, char *out, int *prev_cr);

/* ---- target.c, starttls.c: the connection a command opens ----------- */

/* What connect's command line holds, and probe fills for its connections
 * (target, names, trust, client certificate, key log, STARTTLS, family,
 * timeout); connect/options.c parses it. */
enum cli_verbosity {
	CLI_NORMAL = 0,
	CLI_BRIEF,
	CLI_QUIET
};

enum cli_starttls {
	CLI_STARTTLS_NONE = 0,
	CLI_STARTTLS_SMTP,
	CLI_STARTTLS_IMAP,
	CLI_STARTTLS_POP3,
	CLI_STARTTLS_FTP,
	CLI_STARTTLS_XMPP,
	CLI_STARTTLS_POSTGRES
};

/* One error line: a verification failure in words (long names, an
 * address) with what the CLI puts before it. */
#define CLI_ERROR_MAX 1280

/* --crl-file may be given this many times. */
#define CLI_MAX_CRL_FILES 8

struct cli_options {
	struct cli_hostport target;
	const char *servername; /* NULL: HOST */
	int no_servername;
	const char *verify_name; /* NULL: the SNI name (or HOST) */
	const char *ca_file, *ca_dir;
	int insecure;
	int status; /* --status: ask for a stapled OCSP response */
	/* --crl-file (repeatable: one CRL per file): the leaf is checked */
	const char *crl_files[CLI_MAX_CRL_FILES];
	int ncrl_files;
	int crl_check; /* --crl-check: s_client's word; needs --crl-file */
	int crl_check_all; /* --crl-check-all: every certificate of the path */
	const char *cert, *key;
	enum tp_version min_tls, max_tls;
	const char *ciphers, *ciphersuites, *groups, *alpn;
	const char *sess_in, *sess_out;
	int reconnect; /* extra connections resuming the session */
	enum cli_starttls starttls;
	const char *keylog; /* --keylog, else $SSLKEYLOGFILE */
	const char *pcap; /* --pcap: the session as pcapng, secrets in it */
	int showcerts, msg;
	enum cli_verbosity verbosity;
	const char *json;
	int crlf;
	int timeout; /* seconds, -1: library default */
	int linger; /* seconds, -1: unbounded */
	int close_idle; /* ms of peer quiet before close_notify, -1: auto */
	int family; /* 0, 4 or 6 */
	int commands; /* in-band commands from non-terminal stdin */
	const char *script; /* --script: commands from this file */
	int expect_timeout; /* seconds an :expect waits */
	int no_tickets;
	int help, version; /* --help/--version seen: nothing else runs */
	char **argv_copy; /* owned: the translated argument vector */
};

/* Name of a STARTTLS protocol ("smtp"...). */
const char *cli_starttls_name(enum cli_starttls p);
/* The protocol named arg into *p; -1 when there is none. */
int cli_starttls_parse(const char *arg, enum cli_starttls *p);
/* The usage error for a bad --starttls arg, in err; returns -1. */
int cli_starttls_error(const char *arg, char *err, size_t errlen);

/* The connection options' own rules (--servername against
 * --noservername, --key needs --cert...). Returns 0, or -1 with the
 * usage error in err. */
int cli_options_check_conn(const struct cli_options *o, char *err,
			   size_t errlen);

/* SSLKEYLOGFILE unless --keylog; NULL when neither. */
const char *setup_keylog_path(const struct cli_options *o);

/* What a configuration reads from files: trust anchors, CRLs, the client
 * certificate and key, the key log (keylog_default when neither --keylog
 * nor SSLKEYLOGFILE says; may be NULL). Returns 0, or -1 with the error
 * line in err and *st set. */
int setup_config_files(struct tp_config *cfg, const struct cli_options *o,
		       const char *keylog_default, char *err, size_t errlen,
		       enum cli_status *st);
/* The error line of the tp_config_* call about WHAT 'ARG' that failed, in
 * err; returns -1. */
int cli_config_error(struct tp_config *cfg, const char *what, const char *arg,
		     char *err, size_t errlen);

/* The name for SNI and verification: --servername, else HOST; "" with
 * --noservername (no SNI, verified against HOST). */
const char *setup_servername(const struct cli_options *o);
/* The name SNI is to carry: NULL with --noservername, or when the name is
 * an IP address (which SNI cannot carry). */
const char *setup_sni(const struct cli_options *o);
struct json_writer;
/* The target's members of a --json report, the same in every command:
 * host, port (a number), servername (as sent) and starttls. */
void json_target_members(struct json_writer *w, const struct cli_options *o);

/*
 * Connects c to the target, ready for the handshake: by the library, or
 * with --starttls by setup_plain_connect. Prints nothing: returns 0, or -1
 * with the error line in err and *st set. Safe to call from several
 * threads at once.
 */
int setup_connect(struct tp_conn *c, const struct cli_options *o, char *err,
		  size_t errlen, enum cli_status *st);

/* A plain TCP socket to the target, past the STARTTLS preamble when
 * --starttls is given, so that the next bytes are TLS; bounded by
 * --timeout. Returns the socket, or -1 with err and *st set. */
int setup_plain_connect(const struct cli_options *o, char *err, size_t errlen,
			enum cli_status *st);

/* The loud notes about options that weaken or expose connections
 * (--insecure, --noservername, a key log), each a call of note, unless
 * --quiet. */
void cli_conn_notes(const struct cli_options *o,
		    void (*note)(const char *fmt, ...));

/* The plaintext preambles that upgrade a connection to TLS. */

/*
 * Runs the STARTTLS exchange of proto on the connected socket fd, so that
 * the next thing on the wire is our ClientHello. host names the server
 * (XMPP's to=). timeout_ms bounds the whole exchange (0: none). Returns
 * 0, or -1 with a message in err and *st set (CLI_EHANDSHAKE when the
 * server refuses or breaks the exchange, CLI_ETIMEOUT, CLI_EPROTO never).
 */
int starttls_run(int fd, enum cli_starttls proto, const char *host,
		 int timeout_ms, char *err, size_t errlen, enum cli_status *st);

/* ---- checksum.c: the checksum of a byte stream ----------------------- */

/* What `serve --mode sink` reports and `probe` compares: the result
 * depends only on the bytes, not on how they are split. */
struct sum64 {
	uint64_t lane[4];
	unsigned char pend[32]; /* a partial 32-byte block */
	size_t npend;
	uint64_t total;
};

void sum64_init(struct sum64 *s);
void sum64_update(struct sum64 *s, const void *p, size_t n);
/* The checksum of the bytes so far; s can go on being updated. */
uint64_t sum64_final(const struct sum64 *s);

/* ---- version.c ------------------------------------------------------- */

/* `tlsprobe --version`: tlsprobe's and wolfSSL's versions, wolfSSL's
 * features, to fp. */
void cli_print_version(FILE *fp);

/* ---- json.c: a streaming JSON writer -------------------------------- */

/*
 * A tiny streaming JSON writer: objects, arrays, strings (escaped, invalid
 * UTF-8 replaced by U+FFFD), integers, booleans, null. Commas and
 * indentation are handled by the writer; the caller only nests calls
 * correctly. Errors (write failures, nesting too deep) are sticky and
 * reported by json_finish.
 */

#define JSON_MAX_DEPTH 32

struct json_writer {
	FILE *fp; /* not owned */
	int depth;
	int err;
	int after_key; /* a key was written; the value follows */
	int compact; /* one line, no indentation (JSON Lines) */
	unsigned char count[JSON_MAX_DEPTH]; /* values so far, saturating */
};

void json_init(struct json_writer *w, FILE *fp);
void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
/* Inside an object: the key of the next value. */
void json_key(struct json_writer *w, const char *key);
/* s == NULL writes null. */
void json_string(struct json_writer *w, const char *s);
void json_int(struct json_writer *w, long long v);
void json_uint(struct json_writer *w, uint64_t v);
void json_bool(struct json_writer *w, int v);
/* A number with three decimals (milliseconds to the microsecond). */
void json_fixed3(struct json_writer *w, double v);
void json_null(struct json_writer *w);

/* key + value shorthands */
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_int(struct json_writer *w, const char *key, long long v);
void json_kv_bool(struct json_writer *w, const char *key, int v);

/* Ends the document with a newline. Returns 0, or -1 if anything failed
 * (unbalanced nesting included). Does not close fp. */
int json_finish(struct json_writer *w);

/* Writes s as a JSON string literal (quotes included) to fp. */
void json_write_escaped(FILE *fp, const char *s);

/* ---- jsontime.c: times in the reports, the same for every command ---- */

/*
 * A connection's timings: milliseconds from its start, before name
 * resolution, to each phase, as curl's -w times are, from the library's
 * CLOCK_MONOTONIC instants (tp_conn_timing). Negative: not reached (or
 * not known).
 */
struct timing_figures {
	struct timespec start;
	double resolve, connect, handshake, first_byte, total;
	/* With --starttls: when the plaintext exchange ended and the
	 * handshake began; -1 otherwise. */
	double starttls;
};

/* Milliseconds from start to t, or -1 when either is not set. */
double timing_ms_from(const struct timespec *start, const struct timespec *t);
/* The figures of t; end: the end of the connection, or NULL before it;
 * starttls: whether a STARTTLS exchange came before the handshake. */
void timing_figures(const struct tp_timing *t, const struct timespec *end,
		    int starttls, struct timing_figures *f);
/* key: milliseconds with three decimals, as the text prints them, or null
 * when ms is negative. */
void json_kv_ms(struct json_writer *w, const char *key, double ms);
/* resolve_ms, connect_ms, starttls_ms, handshake_ms, first_byte_ms,
 * total_ms. */
void timing_json_phases(struct json_writer *w, const struct timing_figures *f);
/* key: t (CLOCK_REALTIME) in ISO 8601, UTC, to the millisecond
 * (2026-12-02T11:20:07.123Z), or null when t is not set. */
void json_kv_date(struct json_writer *w, const char *key,
		  const struct timespec *t);

#endif
