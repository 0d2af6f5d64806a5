/*
 * tlsprobe probe reneg: renegotiation and key-update probes with verdicts.
 * See tlsprobe-probe(1). Files: probe_main.c (options, the run, exit
 * status), probe_conn.c (one probe connection with its reader thread),
 * probe_reneg.c (client- and server-initiated renegotiation),
 * probe_stream.c (mid-stream renegotiation, TLS 1.3 KeyUpdate),
 * probe_report.c (verdict rules, findings, text and JSON).
 */
#ifndef CLI_PROBE_H
#define CLI_PROBE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "parse.h"
#include "tlsprobe.h"

#define PROBE_MAX_ATTEMPTS 1000
#define PROBE_CAPTURE 512
#define PROBE_STREAM_RENEGS 3

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

struct probe_opts {
	struct cli_hostport target;
	const char *servername;
	const char *ca_file;
	int insecure;
	int family;
	int timeout_ms;
	int attempts;
	int interval_ms;
	int hello_wait_ms;
	size_t stream_bytes;
	char *request; /* decoded, may hold NUL bytes */
	size_t request_len;
	const char *json_path;
	unsigned fail_on;
};

/* One probe connection: a tp_conn, its own config (the event callback's
 * argument is this struct) and a reader thread that drains what the peer
 * sends, counting and checksumming it. Counters are under m. */
struct probe_conn {
	struct tp_config *cfg;
	struct tp_conn *c;
	pthread_t reader;
	int reader_started;
	pthread_mutex_t m;
	pthread_cond_t cv;
	/* reader */
	uint64_t rx_bytes, rx_sum;
	char capture[PROBE_CAPTURE];
	size_t capture_len;
	int rx_done; /* EOF or error seen by the reader */
	/* events */
	int in_reneg;
	unsigned interleaved_rx, interleaved_tx;
	int peer_reneg_requested, peer_reneg_done, peer_reneg_refused;
	int key_updates_rx;
	int64_t first_hello_ms; /* since open, -1 before */
	int64_t opened_ms;
};

/* tlsprobe probe SUBCOMMAND ...; argv[0] is "probe". Returns the exit
 * status. */
int probe_main(int argc, char **argv);

/* ---- probe_conn.c ---- */

int64_t probe_now_ms(void);
double probe_elapsed_ms(const struct timespec *t0);
uint64_t probe_fnv_init(void);
uint64_t probe_fnv(uint64_t h, const void *p, size_t n);
/* Connects and completes the handshake with versions [min, max]. Returns
 * 0, or -1 with *err the library's category and msg its message (the
 * struct is then cleaned up). */
/* Sends a ClientHello signalling secure renegotiation only by the SCSV
 * (scsv 1) or only by the extension; returns "supported", "not_supported",
 * "not_accepted" or "inconclusive", with the reason in why. */
const char *probe_signalling(const struct probe_opts *o, int scsv, char *why,
			     size_t whylen);

int probe_open(struct probe_conn *pc, const struct probe_opts *o,
	       enum tp_version min, enum tp_version max, enum tp_errcode *err,
	       char *msg, size_t msglen);
int probe_start_reader(struct probe_conn *pc);
/* Waits until pred(pc) holds (m held while it is called) or deadline_ms
 * passes; returns pred's last value. */
int probe_wait(struct probe_conn *pc, int (*pred)(struct probe_conn *),
	       int64_t deadline_ms);
/* Waits for more than `have` received bytes; returns 1 if they came. */
int probe_wait_rx(struct probe_conn *pc, uint64_t have, int64_t deadline_ms);
void probe_reset_rx(struct probe_conn *pc);
/* Sends close_notify when alive, waits briefly, aborts, joins, frees. */
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
	OUT_ERROR /* anything else; msg says what */
};

struct attempt {
	enum attempt_outcome outcome;
	double ms;
	int alert; /* OUT_FATAL_ALERT */
	int alive; /* after a refusal: 1 answered --request, 0 not, -1 n/a */
	char msg[160];
};

struct reneg_result {
	/* the connection used for TLS <= 1.2 */
	int tested; /* a TLS <= 1.2 connection was made */
	char version[16], cipher[80];
	int secure_reneg;
	/* RFC 5746 signalling, each tried alone (probe_hello.c) */
	const char *sig_ext, *sig_scsv;
	char sig_ext_why[96], sig_scsv_why[96];
	/* client-initiated */
	struct attempt *att;
	int n_att, n_completed;
	int stopped_early; /* the connection ended, or repeated timeouts */
	int alive_after; /* after the last attempt: 1, 0, -1 unknown */
	const char *ci_status;
	int ci_limit;
	char ci_reason[256];
	/* server-initiated */
	const char *srv_status;
	int srv_hello_requests, srv_completed, srv_refused, srv_request_sent;
	int64_t srv_first_ms;
	int srv_wait_ms;
	char srv_reason[256];
};

struct stream_result {
	const char *status; /* ok | broken | not_tested */
	char reason[256];
	int echo_detected; /* -1 not checked */
	uint64_t sent, received, sent_sum, recv_sum;
	int renegs_tried, renegs_completed;
	unsigned interleaved_rx, interleaved_tx;
	double ms;
};

struct tls13_result {
	int supported;
	char version[16], cipher[80];
	const char *ku_status; /* answered | not_answered | no_reply |
				  closed | not_applicable | error */
	int ku_provoked; /* data was sent to make the peer write */
	double ku_ms;
	int ku_sent, ku_received;
	char reason[256];
};

struct probe_result {
	const struct probe_opts *o;
	char peer_addr[80];
	struct reneg_result r;
	struct stream_result s;
	struct tls13_result t;
};

/* ---- probe_reneg.c ---- */

void probe_client_initiated(struct probe_conn *pc, const struct probe_opts *o,
			    struct reneg_result *r);
void probe_server_initiated(const struct probe_opts *o, enum tp_version v,
			    struct reneg_result *r);
const char *attempt_outcome_name(enum attempt_outcome out);

/* ---- probe_stream.c ---- */

void probe_midstream(const struct probe_opts *o, enum tp_version v,
		     const struct reneg_result *r, struct stream_result *s);
void probe_key_update(struct probe_conn *pc, const struct probe_opts *o,
		      struct tls13_result *t);

/* ---- probe_report.c ---- */

/* The client-initiated verdict from the attempts (sets ci_status,
 * ci_limit, ci_reason). */
void probe_ci_verdict(struct reneg_result *r);
void probe_report_text(FILE *fp, const struct probe_result *pr);
int probe_report_json(FILE *fp, const struct probe_result *pr);
/* The --fail-on bits that the result matches. */
unsigned probe_verdict_bits(const struct probe_result *pr);

#endif
