/*
 * tlsprobe probe reneg: renegotiation and key-update probes with verdicts,
 * and the one header of cli/probe. See tlsprobe-probe(1).
 *   main.c     the run and the exit status
 *   options.c  the command line and --help
 *   conn.c     one probe connection with its reader thread
 *   hello.c    hand-made ClientHellos: RFC 5746 signalling, each alone
 *   reneg.c    client- and server-initiated renegotiation
 *   stream.c   mid-stream renegotiation, TLS 1.3 KeyUpdate
 *   report.c   verdict rules, text and JSON
 *   verdict.c  the verdict names, the one table of findings and --fail-on
 *   batch.c    --targets: many targets, concurrent probes, JSON Lines
 */
#ifndef CLI_PROBE_H
#define CLI_PROBE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/common.h"
#include "tlsprobe.h"

/* The --json report's layout, tlsprobe-probe(1) JSON REPORT: raised when
 * a member is removed or redefined, not for new ones. */
#define PROBE_JSON_SCHEMA_VERSION 2
#define PROBE_MAX_ATTEMPTS 1000
#define PROBE_CAPTURE 512
/* probe_close: how long the peer may take to answer our close_notify. */
#define PROBE_CLOSE_WAIT_MS 200
#define PROBE_STREAM_RENEGS 3
#define PROBE_MAX_JOBS 256
/* --targets: no --fail-on verdict held, but a target could not be probed
 * (its line says why). */
#define PROBE_EXIT_UNPROBED 8

/* --fail-on bits */
enum {
	FAIL_ACCEPTED = 1 << 0,
	FAIL_LIMITED = 1 << 1,
	FAIL_REJECTED = 1 << 2,
	FAIL_IGNORED = 1 << 3,
	FAIL_INCONCLUSIVE = 1 << 4,
	FAIL_NOT_SUPPORTED = 1 << 5, /* no RFC 5746 */
	FAIL_STREAM_BROKEN = 1 << 6,
	FAIL_KU_UNANSWERED = 1 << 7,
	FAIL_SERVER_RENEG = 1 << 8 /* a HelloRequest was seen */
};

/* The verdicts: each field's values, named in verdict.c. */
enum sr_status {
	SR_NOT_APPLICABLE,
	SR_SUPPORTED,
	SR_NOT_SUPPORTED
};
enum sig_status {
	SIG_SUPPORTED,
	SIG_NOT_SUPPORTED,
	SIG_NOT_ACCEPTED,
	SIG_INCONCLUSIVE
};
enum ci_status {
	CI_NOT_APPLICABLE,
	CI_ACCEPTED,
	CI_LIMITED,
	CI_REJECTED,
	CI_IGNORED,
	CI_INCONCLUSIVE
};
enum srv_status {
	SRV_NOT_APPLICABLE,
	SRV_COMPLETED,
	SRV_FAILED,
	SRV_NOT_OBSERVED,
	SRV_INCONCLUSIVE
};
enum stream_status {
	STREAM_NOT_TESTED,
	STREAM_OK,
	STREAM_BROKEN
};
enum ku_status {
	KU_NOT_APPLICABLE,
	KU_ANSWERED,
	KU_NOT_ANSWERED,
	KU_NO_REPLY,
	KU_CLOSED,
	KU_ERROR
};

struct probe_opts {
	/* What a connection needs, as the connect command has it (target,
	 * names, trust, client certificate, key log, STARTTLS, family), so
	 * that connect/setup.c's helpers make the probe's connections too. */
	struct cli_options conn;
	int timeout_ms;
	int attempts;
	int interval_ms;
	int hello_wait_ms;
	size_t stream_bytes;
	char *request; /* decoded, may hold NUL bytes */
	size_t request_len;
	const char *json_path;
	unsigned fail_on;
	/* The configs of one probe_run, shared by its connections, and the
	 * log its connections are noted in. */
	struct probe_configs *configs;
	struct probe_log *log;
};

/* One connection of a run as the report's "connections" shows it: what
 * it was for, what was negotiated and sent, and its timings. */
struct probe_conn_log {
	const char *purpose; /* client_initiated, server_initiated... */
	int handshake_done;
	char protocol[16], cipher[80], peer_addr[80];
	char sni[256]; /* as sent; "" when none was */
	struct timing_figures timing;
	/* Why it could not be opened; "" when it was. */
	char error[CLI_ERROR_MAX];
};

/* The connections of one probe_run, in the order they were made. */
#define PROBE_MAX_LOGGED 16
struct probe_log {
	struct probe_conn_log c[PROBE_MAX_LOGGED];
	int n;
	int more; /* made beyond PROBE_MAX_LOGGED, counted only */
};

/* One config per version range a run connects with: its connections
 * differ only in that, and each finds its probe_conn by tp_conn_arg. */
#define PROBE_MAX_CONFIGS 8
struct probe_configs {
	struct {
		enum tp_version min, max;
		struct tp_config *cfg;
	} v[PROBE_MAX_CONFIGS];
	int n;
};

/* One probe connection: a tp_conn (whose tp_conn_arg is this struct, for
 * the event callback) and a reader thread that drains what the peer
 * sends, counting and checksumming it. Counters are under m. */
struct probe_conn {
	struct tp_conn *c;
	pthread_t reader;
	int reader_started;
	pthread_mutex_t m;
	pthread_cond_t cv;
	/* reader */
	uint64_t rx_bytes;
	struct sum64 rx_sum;
	char capture[PROBE_CAPTURE];
	size_t capture_len;
	int rx_done; /* EOF or error seen by the reader */
	/* events */
	int in_reneg;
	unsigned interleaved_rx, interleaved_tx;
	int peer_reneg_requested, peer_reneg_done, peer_reneg_refused;
	int key_updates_rx;
	int renegs_ended; /* done or refused, either side */
	int reader_held; /* probe_hold_reader */
	struct timespec first_hello_at; /* the first HelloRequest; {0, 0}:
					   none yet */
	/* For the run's log (probe_close notes the connection there). */
	struct probe_log *log;
	const char *purpose;
	int starttls; /* a STARTTLS exchange came first (its timing) */
	char open_error[CLI_ERROR_MAX];
	/* What the probe's own wait predicates compare with: kept on the
	 * connection so that concurrent probes share nothing. */
	uint64_t want;
};

/* tlsprobe probe SUBCOMMAND ...; argv[0] is "probe". Returns the exit
 * status. */
int probe_main(int argc, char **argv);

/* ---- conn.c ---- */

double probe_elapsed_ms(const struct timespec *t0);
/* Connects and completes the handshake with versions [min, max]. Returns
 * 0, or -1 with *err the library's category and msg its message (the
 * struct is then cleaned up). */
/* Sends a ClientHello signalling secure renegotiation only by the SCSV
 * (scsv 1) or only by the extension; returns the verdict, with the reason
 * in why. */
enum sig_status probe_signalling(const struct probe_opts *o, int scsv,
				 char *why, size_t whylen);

/* purpose names the connection in the report (a string constant). */
int probe_open(struct probe_conn *pc, const struct probe_opts *o,
	       const char *purpose, enum tp_version min, enum tp_version max,
	       enum tp_errcode *err, char *msg, size_t msglen);
/* Frees the configs probe_open made for a run. */
void probe_configs_free(struct probe_configs *pcs);
int probe_start_reader(struct probe_conn *pc);
/* Holds the reader before its next read (1) or lets it go on (0). */
void probe_hold_reader(struct probe_conn *pc, int hold);
/* Waits until pred(pc) holds (m held while it is called) or deadline_ms
 * passes; returns pred's last value. */
int probe_wait(struct probe_conn *pc, int (*pred)(struct probe_conn *),
	       int64_t deadline_ms);
/* Waits for more than `have` received bytes; returns 1 if they came. */
int probe_wait_rx(struct probe_conn *pc, uint64_t have, int64_t deadline_ms);
void probe_reset_rx(struct probe_conn *pc);
/* Sends close_notify when alive, waits briefly, aborts, joins, notes the
 * connection in the run's log, frees. */
void probe_close(struct probe_conn *pc);

/* ---- results ---- */

enum attempt_outcome {
	OUT_COMPLETED,
	OUT_REFUSED, /* warning no_renegotiation, session alive */
	OUT_FATAL_ALERT, /* alert = code */
	OUT_CLOSE_NOTIFY,
	OUT_FIN,
	OUT_RESET,
	OUT_IGNORED, /* no answer until the handshake timeout */
	OUT_ERROR, /* anything else; msg says what */
	OUT_PLAINTEXT /* text instead of TLS (then a close): msg has it */
};

struct attempt {
	enum attempt_outcome outcome;
	double start_ms; /* from the start of the connection */
	double ms; /* how long it took (or was waited for) */
	int alert; /* OUT_FATAL_ALERT */
	int alive; /* after a refusal: 1 answered --request, 0 not, -1 n/a */
	char msg[160];
};

struct reneg_result {
	/* the connection used for TLS <= 1.2 */
	int tested; /* a TLS <= 1.2 connection was made */
	char version[16], cipher[80];
	int secure_reneg;
	/* RFC 5746 signalling, each tried alone (hello.c) */
	enum sig_status sig_ext, sig_scsv;
	char sig_ext_why[96], sig_scsv_why[96];
	/* client-initiated */
	struct attempt *att;
	int n_att, n_completed;
	int stopped_early; /* the connection ended, or repeated timeouts */
	int alive_after; /* after the last attempt: 1, 0, -1 unknown */
	enum ci_status ci_status;
	int ci_limit;
	char ci_reason[CLI_ERROR_MAX];
	/* server-initiated */
	enum srv_status srv_status;
	int srv_hello_requests, srv_completed, srv_refused, srv_request_sent;
	double srv_first_ms; /* from the start of the connection; -1: none */
	int srv_wait_ms;
	char srv_reason[CLI_ERROR_MAX];
};

struct stream_result {
	enum stream_status status;
	char reason[CLI_ERROR_MAX];
	int echo_detected; /* -1 not checked */
	uint64_t sent, received, sent_sum, recv_sum;
	int renegs_tried, renegs_completed;
	int renegs_in_flight; /* started with sent bytes not yet echoed */
	int renegs_echo_inside; /* echoed records arrived while it ran */
	unsigned interleaved_rx, interleaved_tx;
	double ms;
};

struct tls13_result {
	int supported;
	char version[16], cipher[80];
	enum ku_status ku_status;
	int ku_provoked; /* data was sent to make the peer write */
	double ku_ms;
	int ku_sent, ku_received;
	char reason[CLI_ERROR_MAX];
};

struct probe_result {
	const struct probe_opts *o;
	char peer_addr[80];
	struct timespec started_at; /* CLOCK_REALTIME: the report's date */
	struct timespec start, end; /* CLOCK_MONOTONIC: the run */
	struct probe_log log;
	struct reneg_result r;
	struct stream_result s;
	struct tls13_result t;
	/* Derived once the probes are done (probe_settle_verdicts). */
	enum sr_status sr;
	enum stream_status stream;
	enum ku_status ku;
};

/* ---- reneg.c ---- */

void probe_client_initiated(struct probe_conn *pc, const struct probe_opts *o,
			    struct reneg_result *r);
void probe_server_initiated(const struct probe_opts *o, enum tp_version v,
			    struct reneg_result *r);
const char *attempt_outcome_name(enum attempt_outcome out);

/* ---- stream.c ---- */

void probe_midstream(const struct probe_opts *o, enum tp_version v,
		     const struct reneg_result *r, struct stream_result *s);
void probe_key_update(struct probe_conn *pc, const struct probe_opts *o,
		      struct tls13_result *t);

/* ---- options.c ---- */

/* What the command line asks for beyond one probe's options. */
struct probe_cmd {
	struct probe_opts o;
	const char *targets;
	int jobs;
	int help;
};

/* The arguments after "probe" (argv[0]: "reneg") into cmd. Returns -1 to
 * go on, else the exit status (--help printed, or the usage error). */
int probe_parse_args(int argc, char **argv, struct probe_cmd *cmd);
/* The --help text. */
void probe_help(FILE *fp);
/* --request's STRING with \n \r \t \\ \xHH decoded into *request
 * (malloc'ed, may hold NUL bytes); -1 on a bad escape or when empty. */
int probe_decode_request(const char *s, char **request, size_t *reqlen);

/* ---- main.c ---- */

/* Runs every probe against o's target into *pr (set up here; free with
 * probe_result_free). Prints nothing, so that concurrent probes can run
 * it. Returns CLI_OK when the probe ran, whatever the verdicts, else the
 * exit status a single probe ends with (3, 4, 5, 7...) and the error line
 * in err. */
enum cli_status probe_run(const struct probe_opts *o, struct probe_result *pr,
			  char *err, size_t errlen);
void probe_result_free(struct probe_result *pr);

/* ---- batch.c ---- */

/* --targets FILE ('-': stdin) with --jobs concurrent probes; o holds the
 * options common to every target. Returns the exit status. */
int probe_batch(const struct probe_opts *o, const char *path, int jobs);

/* ---- report.c ---- */

/* The client-initiated verdict from the attempts (sets ci_status,
 * ci_limit, ci_reason). */
void probe_ci_verdict(struct reneg_result *r);
void probe_report_text(FILE *fp, const struct probe_result *pr);
/* The JSON report, pretty (compact 0) or on one line (JSON Lines);
 * status: the exit status the probe of this target ends with. */
int probe_report_json(FILE *fp, const struct probe_result *pr,
		      enum cli_status status, int compact);
/* The report of a target that could not be probed: its exit status, the
 * error line and the connections tried (pretty or on one line). */
int probe_report_json_error(FILE *fp, const struct probe_result *pr,
			    enum cli_status st, const char *msg, int compact);

/* ---- verdict.c ---- */

const char *probe_sr_name(enum sr_status v);
const char *probe_sig_name(enum sig_status v);
const char *probe_ci_name(enum ci_status v);
const char *probe_srv_name(enum srv_status v);
const char *probe_stream_name(enum stream_status v);
const char *probe_ku_name(enum ku_status v);
/* Sets pr->sr, pr->stream and pr->ku from the probes' results. */
void probe_settle_verdicts(struct probe_result *pr);

/* One finding of the report: a row of the verdict table that holds. */
struct probe_finding {
	const char *severity, *id;
	char text[400];
};

#define PROBE_MAX_FINDINGS 16
/* The findings, in the table's order; returns how many. */
int probe_findings(const struct probe_result *pr,
		   struct probe_finding f[PROBE_MAX_FINDINGS]);
/* The --fail-on bits that the result matches. */
unsigned probe_verdict_bits(const struct probe_result *pr);
/* "accepted,rejected,..." into bits (added to *bits); -1 on an unknown
 * name or an empty list. */
int probe_parse_fail_on(const char *list, unsigned *bits);
/* The --fail-on name of one bit. */
const char *probe_fail_on_name(unsigned bit);
/* Every --fail-on name, wrapped for --help with indent columns. */
void probe_print_fail_on_names(FILE *fp, int indent);

#endif
