/* Private state of libtlsprobe; never included by the CLI. */
#ifndef TP_INTERNAL_H
#define TP_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "tlsprobe.h"
#include "hooks.h"

/* ---- byte buffer (FIFO) ------------------------------------------------ */

struct tp_buf {
	unsigned char *data;
	size_t off; /* consumed prefix */
	size_t len; /* bytes after off */
	size_t cap;
};

int tp_buf_append(struct tp_buf *b, const void *p, size_t n);
size_t tp_buf_take(struct tp_buf *b, void *out, size_t n);
void tp_buf_consume(struct tp_buf *b, size_t n);
void tp_buf_free(struct tp_buf *b);

/* ---- configuration ----------------------------------------------------- */

struct tp_config {
	enum tp_role role;
	WOLFSSL_CTX *ctx;
	char err[512];
	enum tp_errcode errcode; /* of err: TP_ERR_IO for files */
	int insecure;
	char *alpn;
	char *keylog_path;
	/* keylog.c: the first failure to write a line, kept for
	 * tp_config_keylog_error (keylog_failed: 0, 1 claimed, 2 set). */
	int keylog_failed;
	char keylog_err[200];
	enum tp_reneg_policy reneg_policy;
	int reneg_limit;
	int connect_ms, handshake_ms;
	size_t write_queue;
	size_t hold_max; /* hold.c */
	int hold_ms;
	tp_event_cb event_cb;
	void *event_arg;
	tp_raw_cb raw_cb;
	void *raw_arg;
	int tickets;
	int have_ca;
	int have_cert; /* a certificate of our own: a client offers
			  post-handshake authentication */
	int system_ca_loaded;
	int system_ca_none; /* and it held no CA certificate (verify.c) */
	int ocsp_status; /* ask for a stapled OCSP response (ocsp.c) */
	int crl; /* CRL files loaded: the leaf is checked (ocsp.c) */
	int crl_all; /* and every certificate of the path */
	/* the issuers of the CRLs loaded (crlissuer.c) */
	struct tp_crl_issuer *crl_issuers;
	size_t ncrl_issuers;
};
void tp_config_load_default_trust(struct tp_config *cfg);

void tp_config_seterr(struct tp_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- wolf_peek.c ---- */
/* wolf_peek.c: the few wolfSSL 5.5.4 internals there is no API for */
struct tp_wolf_hs_snap {
	int saved[10];
};
void tp_wolf_send_warning(WOLFSSL *ssl, int description);
void tp_wolf_skip_peer_record(WOLFSSL *ssl);
int tp_wolf_send_hello_request(WOLFSSL *ssl);
void tp_wolf_hs_save(WOLFSSL *ssl, struct tp_wolf_hs_snap *s);
void tp_wolf_hs_restore(WOLFSSL *ssl, const struct tp_wolf_hs_snap *s);
void tp_wolf_clear_rx_alert(WOLFSSL *ssl);
int tp_wolf_mid_record(WOLFSSL *ssl);
void tp_wolf_keyupdate_no_request(WOLFSSL *ssl);
void tp_wolf_decrypt_key(WOLFSSL *ssl, unsigned char out[32]);
void tp_wolf_encrypt_key(WOLFSSL *ssl, unsigned char out[32]);
/* The cipher suites ssl would offer, as bytes: their length, or -1. */
int tp_wolf_suites(WOLFSSL *ssl, unsigned char *out, size_t max);

/* Sizes inside wolfSSL 5.5.4's session encoding (session.c validates a
 * session file against them; wolf_peek.c asserts they are wolfSSL's). */
#define TP_ERR_MAX 1024 /* room for a verification failure in words */
/* One verification failure: long names (EV subjects) and an address, and
 * room left in TP_ERR_MAX for what precedes it. */
#define TP_VERIFY_LINE_MAX (TP_ERR_MAX - 64)
#define TP_SESS_ID_LEN 32 /* ID_LEN */
#define TP_SESS_SECRET_LEN 48 /* SECRET_LEN */
#define TP_SESS_MAX_CHAIN 9 /* MAX_CHAIN_DEPTH */
#define TP_SESS_MAX_CERT 2048 /* MAX_X509_SIZE */
#define TP_SESS_SERVER_ID_LEN 20 /* SERVER_ID_LEN */

/* ---- connection -------------------------------------------------------- */

enum tp_hs_state {
	TP_HS_NONE, /* no handshake yet */
	TP_HS_RUNNING, /* one thread (owner) drives it; others wait on cv */
	TP_HS_DONE,
	TP_HS_FAILED
};

enum tp_hs_kind {
	TP_HS_INITIAL,
	TP_HS_RENEG_LOCAL,
	TP_HS_RENEG_PEER
};

struct tp_event_slot {
	struct tp_event ev;
	char detail[96];
	/* Set for a tp_raw_push slot (ev unused): the bytes, copied. */
	unsigned char *raw;
	struct tp_raw r;
};

/* Strings of one handshake's snapshot; generations are kept until free so
 * that snapshots handed out stay valid. */
struct tp_info_gen {
	struct tp_info_gen *next;
	char *alpn;
	char *verify_error;
	int chain_len;
	struct tp_cert_info *chain;
};

struct tp_rec_tracer {
	unsigned char hdr[5];
	int have;
	size_t body_left;
	/* The first bytes of the last record received, as they came: when
	 * they are not TLS, they say what the peer wrote instead. */
	unsigned char start[80];
	size_t start_len;
};

/* A thread asleep in tp_io_wait's poll(). Whoever changes what it waits
 * for (tp_conn_wake) makes its eventfd readable, so a change made by
 * another thread reaches it in poll() as it reaches cv waiters. */
struct tp_poller {
	int fd; /* the thread's own eventfd (wake.c) */
	enum tp_sched_point sp; /* what it waits for */
	int signalled;
	struct tp_poller *next;
};

/* A record header gathered by the renegotiation-policy filter before the
 * policy decides on the record (policy.c): a header split across TCP
 * segments is judged whole, never handed to wolfSSL in pieces unseen. */
struct tp_policy_hdr {
	unsigned char b[5];
	int have; /* bytes gathered */
	int given; /* of those, bytes handed on to wolfSSL */
};

/* verify.c, peercerts.c: the certificates one verification saw, in the
 * order the callback was called (the leaf last), for the verified path;
 * what the server asked of a client; snapshots handed out. */
#define TP_VSEEN_MAX 12
struct tp_vseen {
	char *subject, *issuer, *ca_issuers;
	int ok;
};
struct tp_peer_gen;
struct tp_peer_state {
	struct tp_vseen seen[TP_VSEEN_MAX];
	int nseen;
	int leaf_seen; /* the next callback starts a new verification */
	int leaf_ok;
	unsigned long changes; /* snapshots are rebuilt when it moves */
	int cert_requested, cert_sent;
	int nca_names;
	char **ca_names;
	struct tp_peer_gen *gens; /* newest first, freed with the conn */
};

struct tp_conn {
	struct tp_config *cfg;
	_Atomic(void *) arg; /* the caller's (tp_conn_set_arg) */
	pthread_mutex_t m; /* M of DESIGN 3.2: guards everything below */
	pthread_cond_t cv; /* broadcast on every move out of RUNNING */

	WOLFSSL *ssl;
	int fd;
	int wake_fd; /* eventfd made readable by tp_conn_abort */
	struct tp_poller *pollers; /* threads in poll(), woken on changes */
	char *servername; /* name to verify; also sent as SNI */
	char *verify_name; /* verify this instead (tp_conn_set_verify_name) */
	struct tp_peer_state peer;
	int no_sni;
	int sni_sent; /* servername went out in SNI (tp_info.sni) */
	struct tp_timing timing; /* tp_conn_timing (timing.c) */
	char peer_addr[64];

	enum tp_hs_state hs;
	enum tp_hs_kind hs_kind;
	pthread_t owner;
	int64_t hs_deadline_ms;
	int hs_paused; /* the owner left to hand data to its caller */
	int peer_renegs_accepted;
	/* We sent a HelloRequest and read on: the peer's ClientHello is
	 * welcome whatever the policy for unsolicited ones. */
	int hello_request_pending;
	int scr_negotiated; /* the peer signalled RFC 5746 support */
	struct tp_wolf_hs_snap hs_snap; /* before our renegotiation */
	int saw_fin, saw_reset; /* set by the receive callback */
	int saw_plaintext; /* text where a TLS record belongs */
	/* The peer answered our renegotiation or HelloRequest with a warning
	 * no_renegotiation (notice.c), perhaps with another alert after it
	 * in the same read, which wolfSSL's history keeps instead. */
	int peer_refused_reneg;
	size_t drop_left; /* of a renegotiation record the policy drops */
	struct tp_policy_hdr pol_hdr;
	int refusal_pending; /* send no_renegotiation after this read */

	struct tp_buf outq; /* records wolfSSL produced, in wire order */
	struct tp_buf rxbuf; /* plaintext that arrived during a handshake */
	struct tp_buf held; /* writes kept while our HelloRequest is open */
	int64_t hold_deadline_ms;
	/* A wolfSSL call that starts a handshake (wolfSSL_Rehandshake, or a
	 * wolfSSL_read meeting HelloRequest) returned APP_DATA_READY: the
	 * decrypted record must be taken with wolfSSL_read before the next
	 * wolfSSL_negotiate, which would otherwise drop it. */
	int app_data_ready;

	/* The sticky error; soft ones are the calling thread's (errors.c),
	 * keyed by serial (unique per tp_conn_new). */
	enum tp_errcode errcode;
	char err[TP_ERR_MAX];
	uint64_t serial;
	int failed; /* sticky error set */
	/* Set by tp_conn_abort without M (it may run in a signal handler);
	 * turned into the sticky error by the next tp_conn_lock. */
	atomic_int aborted;
	int read_eof; /* peer closed (close_notify or FIN) */
	int write_shut; /* shutdown requested */
	int close_notify_queued; /* later records are dropped */

	/* verification records, filled by the verify callback */
	char verify_log[4096];
	int verify_failures;
	char first_verify_error[TP_VERIFY_LINE_MAX];
	/* failures of chain certificates, held until the leaf tells whether
	 * they were on the path (verify.c, tp_verify_cb) */
	char verify_held[4 * TP_VERIFY_LINE_MAX];
	/* revocation facts of the current handshake (ocsp.c) */
	struct tp_ocsp_info ocsp;
	enum tp_crl_status crl;

	/* alerts already reported */
	int last_rx_alert, last_rx_level;
	int last_tx_alert, last_tx_level;

	unsigned char dec_key_snap[32];
	/* Our write key: a change we did not make is wolfSSL's KeyUpdate in
	 * reply to the peer's update_requested (tp_conn_notice_key_update). */
	unsigned char enc_key_snap[32];

	struct tp_info info;
	int have_info;
	struct tp_info_gen *gens;

	struct tp_rec_tracer trace_in, trace_out;
	struct tp_event_slot *events; /* grows: a trace never drops one */
	int nevents, events_cap;
	unsigned long events_lost; /* only when out of memory; reported */
	int delivering; /* one thread delivers events at a time */
};

/*
 * The connection's files, each calling only the ones listed before it
 * (DESIGN 1): clock, wake, events, notice, errors, timing, sock, policy,
 * io, hold, info, keylog, handshake, reneg, then the public calls (conn,
 * session).
 */

/* clock.c: CLOCK_MONOTONIC milliseconds */
int64_t tp_now_ms(void);
/* now + ms, or 0 (no deadline) when ms <= 0 */
int64_t tp_deadline_in(int ms);
/* poll()'s timeout until deadline_ms: -1 for none, 0 when passed */
int tp_ms_until(int64_t deadline_ms);

/* wake.c: wake-ups wherever a thread sleeps (invariant 9); M held */
void tp_conn_wake(struct tp_conn *c);
/* Only the pollers waiting at sp (every one for TP_SP_COUNT). */
void tp_wake_pollers(struct tp_conn *c, enum tp_sched_point sp);
void tp_poller_add(struct tp_conn *c, struct tp_poller *me);
void tp_poller_remove(struct tp_conn *c, struct tp_poller *me);
/* The calling thread's eventfd, or -1 when none can be made. */
int tp_thread_poller_fd(void);

/* events.c: events are queued under M and delivered after unlocking */
void tp_event_push(struct tp_conn *c, enum tp_event_type type, int level,
		   int value, size_t len, const char *detail);
void tp_conn_unlock(struct tp_conn *c);
/* Queues a copy of bytes that crossed the socket for the raw callback. */
void tp_raw_push(struct tp_conn *c, int sent, const void *p, size_t n);
void tp_events_free(struct tp_conn *c);
void tp_trace_bytes(struct tp_conn *c, struct tp_rec_tracer *t, int sent,
		    const unsigned char *p, size_t n);

/* notice.c: alerts and KeyUpdates wolfSSL handled without telling */
void tp_alerts_poll(struct tp_conn *c);
void tp_conn_notice_key_update(struct tp_conn *c);
void tp_conn_notice_key_update_reply(struct tp_conn *c);

/* errors.c: sticky and soft errors, and the lock that checks for abort */
void tp_conn_lock(struct tp_conn *c);
void tp_conn_enter(struct tp_conn *c);
void tp_conn_fail(struct tp_conn *c, enum tp_errcode code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tp_conn_set_soft_error(struct tp_conn *c, enum tp_errcode code,
			    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tp_conn_classify_wolf_error(struct tp_conn *c, int ret, const char *what);

/* sock.c: >0 bytes read, else a wolfSSL I/O error code (negative) */
int tp_sock_recv(struct tp_conn *c, void *buf, size_t len);

/* policy.c: the renegotiation policy, applied before wolfSSL reads */
int tp_conn_peer_reneg_allowed(struct tp_conn *c);
/* Returns >0 bytes of a judged record header put in buf, 0 when the
 * caller is to read normally, else a wolfSSL I/O error code. */
int tp_policy_filter(struct tp_conn *c, char *buf, int sz);
/* After a read: the no_renegotiation for a request the filter refused. */
void tp_policy_send_refusal(struct tp_conn *c);

/* io.c: wolfSSL I/O callbacks, the output queue, waiting in poll() */
void tp_io_install(struct tp_conn *c);
int tp_io_flush(struct tp_conn *c);
int tp_io_encrypt(struct tp_conn *c, const void *p, size_t n);
int tp_io_wait(struct tp_conn *c, short events, int64_t deadline_ms,
	       enum tp_sched_point sp);

/* hold.c: a server's writes while its HelloRequest is unanswered */
int tp_hold_write(struct tp_conn *c, const void *buf, size_t len);
int tp_hold_flush(struct tp_conn *c);
int64_t tp_hold_deadline(const struct tp_conn *c);

/* handshake.c: the handshake state machine (DESIGN 3.2) */
int tp_conn_hs_begin(struct tp_conn *c, enum tp_hs_kind kind);
void tp_conn_hs_end(struct tp_conn *c, enum tp_hs_state to);
int tp_conn_ensure_handshake(struct tp_conn *c, int stop_on_data);
int tp_conn_drive_handshake(struct tp_conn *c);
int tp_conn_reneg_ended_by_close(struct tp_conn *c, int err);
int tp_conn_stash_app_data(struct tp_conn *c);

/* reneg.c: renegotiations, ours and the peer's */
void tp_conn_begin_peer_reneg(struct tp_conn *c, int err);
/* After a read: the client refused our HelloRequest. */
void tp_reneg_notice_refused(struct tp_conn *c);

/* vlog.c: records a verification failure (the first is kept apart) */
void tp_verify_record(struct tp_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* der.c: one DER element at *p (its tag, body and length; *p moves past
 * it), or -1 when it does not fit before end; tp_der_enter makes [*p,
 * *end) the contents of the element at *p, which must have tag want. */
int tp_der_next(const unsigned char **p, const unsigned char *end, int *tag,
		const unsigned char **body, size_t *len);
int tp_der_enter(const unsigned char **p, const unsigned char **end, int want);
/* A UTCTime (tag 0x17; years 50-99 are 19YY) or GeneralizedTime (0x18;
 * a fraction of a second is dropped) ending in Z, as
 * "YYYY-MM-DDTHH:MM:SSZ" in out; -1, out empty, for anything else. */
#define TP_DER_TIME_LEN 21
int tp_der_time(int tag, const unsigned char *b, size_t n,
		char out[TP_DER_TIME_LEN]);

/* certext.c: a certificate's extensions, from its DER.
 * tp_der_enter_tbs makes [*p, *end) the tbsCertificate's contents.
 * tp_der_each_san calls fn for each GeneralName of the subjectAltName
 * (its context tag: 0x82 dNSName, 0x87 iPAddress, ...) until fn returns
 * non-zero, and returns that, or 0. tp_der_aia_uri finds the first URI of
 * an authorityInfoAccess method: 0, or -1 when there is none. */
int tp_der_enter_tbs(const unsigned char **p, const unsigned char **end);
int tp_der_each_san(const unsigned char *der, size_t len,
		    int (*fn)(int tag, const unsigned char *b, size_t n,
			      void *arg),
		    void *arg);
#define TP_AIA_OCSP 1
#define TP_AIA_CA_ISSUERS 2
int tp_der_aia_uri(const unsigned char *der, size_t len, int method,
		   const unsigned char **uri, size_t *uri_len);

/* certinfo.c: what a certificate says */
char *tp_x509_name(WOLFSSL_X509_NAME *n);
void tp_cert_info_fill(struct tp_cert_info *ci, const unsigned char *der,
		       int len);
void tp_cert_info_free(struct tp_cert_info *ci);

/* crlissuer.c: tp_crl_issuer_claim records the issuer of the CRL in path,
 * or fails (-1, the error set) when a CRL of that issuer was claimed
 * before: wolfSSL would use only the one loaded last. A file that is no
 * CRL claims nothing (0). tp_crl_issuer_unclaim takes back the last claim,
 * of a file that then failed to load. */
int tp_crl_issuer_claim(struct tp_config *cfg, const char *path);
void tp_crl_issuer_unclaim(struct tp_config *cfg);
void tp_crl_issuers_free(struct tp_config *cfg);
/* Reads an OCSPResponse (RFC 6960 4.2.1): its status, and the status,
 * times and revocation reason of the SingleResponse for the certificate
 * with this serial number (its INTEGER contents; the first one when none
 * is, or serial is NULL). Returns 0, or -1 when it is not one
 * (out->status TP_OCSP_UNREADABLE). Verifies nothing. */
int tp_ocsp_parse(const unsigned char *der, size_t len,
		  const unsigned char *serial, size_t serial_len,
		  struct tp_ocsp_info *out);

/* ocsp.c: stapled OCSP responses and CRL checks. The WOLFSSL's ex_data
 * slot TP_SSL_EX_CONN holds its tp_conn (wolfSSL's status callback gets
 * only the WOLFSSL). */
#define TP_SSL_EX_CONN 0
void tp_revocation_reset(struct tp_conn *c);
void tp_crl_note(struct tp_conn *c, int preverify, int err);

/* verify.c: the verify callback */
int tp_verify_cb(int preverify, WOLFSSL_X509_STORE_CTX *store);
/* The name checked against the leaf (client), or NULL. */
const char *tp_verify_name(const struct tp_conn *c);
void tp_verify_free(struct tp_conn *c);

/* peercerts.c: the handshake messages as the message callback sees them
 * (the server's CertificateRequest, our answer), tp_conn_peer_certs */
void tp_peer_note_msg(struct tp_conn *c, int sent, const unsigned char *p,
		      size_t len);
void tp_peer_free(struct tp_conn *c);

/* info.c: what was negotiated */
void tp_info_capture(struct tp_conn *c);
void tp_info_free_all(struct tp_conn *c);

/* keylog.c */
void tp_keylog_cb(const WOLFSSL *ssl, const char *line);
void tp_keylog_tls12(struct tp_conn *c);

/* timing.c: marks a phase of c->timing reached now, the first time */
void tp_timing_mark(struct timespec *phase);

/* facts.c */
void tp_library_init(void);

#define TP_LOCK(c) tp_conn_lock(c)
/* The same, for a public call that can fail (it reports its own reason). */
#define TP_ENTER(c) tp_conn_enter(c)

#endif
