/*
 * libtlsprobe: one TLS connection on wolfSSL, safe to drive from several
 * threads at once. See libtlsprobe(3).
 *
 * Conventions (after OpenBSD libtls): opaque objects; calls return a byte
 * count, 0, or -1 with the reason kept on the object (tp_conn_error,
 * tp_conn_errcode). Any thread may call any tp_conn_* function at any
 * time; the first call that needs the handshake runs it, and the others
 * wait for it instead of racing (the Go issue 17101 fix).
 */
#ifndef TLSPROBE_H
#define TLSPROBE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tp_config;
struct tp_conn;

/* Error categories; the CLI maps them onto its exit statuses. */
enum tp_errcode {
	TP_ERR_NONE = 0,
	TP_ERR_CONNECT, /* resolve, refused, unreachable */
	TP_ERR_HANDSHAKE, /* TLS handshake failed */
	TP_ERR_VERIFY, /* peer certificate not accepted */
	TP_ERR_ALERT, /* fatal alert after the handshake */
	TP_ERR_IO, /* reset, broken record layer, local I/O */
	TP_ERR_TIMEOUT, /* connect, handshake or renegotiation timeout */
	TP_ERR_CLOSED, /* the connection was closed locally */
	TP_ERR_USAGE, /* bad argument or configuration */
	TP_ERR_REFUSED, /* renegotiation refused by the peer (not fatal) */
	TP_ERR_LOCAL /* this machine's resources: descriptors, memory */
};

enum tp_version {
	TP_VERSION_ANY = 0,
	TP_TLS1_0 = 0x0301,
	TP_TLS1_1 = 0x0302,
	TP_TLS1_2 = 0x0303,
	TP_TLS1_3 = 0x0304
};

enum tp_role {
	TP_CLIENT = 0,
	TP_SERVER = 1
};

/* What to do with a renegotiation the peer starts. */
enum tp_reneg_policy {
	TP_RENEG_ACCEPT = 0, /* accept every one */
	TP_RENEG_REFUSE, /* answer with a warning no_renegotiation alert */
	TP_RENEG_LIMIT, /* accept at most N, then refuse */
	TP_RENEG_IGNORE /* drop the request silently (TLS <= 1.2) */
};

enum tp_event_type {
	TP_EV_HANDSHAKE_START,
	TP_EV_HANDSHAKE_DONE,
	TP_EV_RENEG_REQUESTED, /* detail: "local" or "peer" */
	TP_EV_RENEG_DONE,
	TP_EV_RENEG_REFUSED, /* value: 1 when we refused or ignored the
				peer's request, 0 when the peer did not go
				through with ours; detail: how */
	TP_EV_KEYUPDATE_SENT, /* value: 1 when update_requested */
	TP_EV_KEYUPDATE_RECEIVED,
	TP_EV_ALERT_SENT, /* level, value: alert description */
	TP_EV_ALERT_RECEIVED,
	TP_EV_TICKET, /* value: how many tickets this connection has
			 received, this one included; len: its length.
			 TLS 1.3 tickets come after the handshake */
	TP_EV_HANDSHAKE_MSG, /* value: message type, level: 1 sent, 0 recv,
				len: body length; decrypted messages too */
	TP_EV_RECORD, /* value: content type, level: 1 sent, 0 recv,
			len: record length */
	TP_EV_EVENTS_LOST /* detail: how many events could not be queued
			     (out of memory only) */
};

struct tp_event {
	enum tp_event_type type;
	int level;
	int value;
	size_t len;
	const char *detail; /* human-readable, may be NULL */
	/* CLOCK_MONOTONIC: when it happened (delivery comes later, once the
	 * lock is released), for timings such as a renegotiation's. */
	struct timespec when;
};

/*
 * Called from whichever thread is inside the library, with no library lock
 * held (events are queued and delivered after the lock is released), so it
 * may call tp_conn_* accessors but should not block for long.
 */
typedef void (*tp_event_cb)(struct tp_conn *c, const struct tp_event *ev,
			    void *arg);

/* ---- configuration ---------------------------------------------------- */

struct tp_config *tp_config_new(enum tp_role role);
void tp_config_free(struct tp_config *cfg);
/* Why the last tp_config_* call that failed did (NULL when none has):
 * the convention of tp_conn_error. */
const char *tp_config_error(struct tp_config *cfg);
/* What kind of error tp_config_error tells: TP_ERR_IO when a file could
 * not be read or parsed, TP_ERR_USAGE when the arguments cannot work (a
 * private key that does not belong to its certificate, an unknown cipher),
 * TP_ERR_NONE when there was none. */
enum tp_errcode tp_config_errcode(struct tp_config *cfg);

int tp_config_set_ca_file(struct tp_config *cfg, const char *path);
int tp_config_set_ca_dir(struct tp_config *cfg, const char *path);
/* Load trust anchors from memory (PEM). */
int tp_config_set_ca_mem(struct tp_config *cfg, const void *pem, size_t len);
/* Accept any peer certificate, but still record each failure. */
void tp_config_insecure(struct tp_config *cfg, int on);
/* Our certificate (chain) and its private key; fails, with errcode
 * TP_ERR_USAGE, when the key does not belong to the certificate. */
int tp_config_set_cert_file(struct tp_config *cfg, const char *cert,
			    const char *key);
int tp_config_set_cert_mem(struct tp_config *cfg, const void *cert_pem,
			   size_t cert_len, const void *key_pem,
			   size_t key_len);
/* Server only: ask for (require != 0: require) a client certificate. */
void tp_config_verify_client(struct tp_config *cfg, int require);
int tp_config_set_versions(struct tp_config *cfg, enum tp_version min,
			   enum tp_version max);
/* The whole cipher list, TLS 1.3 suites included. */
int tp_config_set_ciphers(struct tp_config *cfg, const char *list);
/* As s_client's -cipher and -ciphersuites: tls12 replaces the suites for
 * TLS 1.2 and older, tls13 the TLS 1.3 ones; NULL keeps that part as it
 * is (the defaults unless set before). A list naming no suite of its
 * version is an error. */
int tp_config_set_cipher_lists(struct tp_config *cfg, const char *tls12,
			       const char *tls13);
/* Key exchange groups in preference order, ':' or ',' separated (names:
 * X25519, X448, P-256, P-384, P-521, secp256r1, ...). */
#define TP_DEFAULT_GROUPS "X25519:P-256:P-384:P-521"
int tp_config_set_groups(struct tp_config *cfg, const char *list);
/* Comma-separated protocol names, e.g. "h2,http/1.1". */
int tp_config_set_alpn(struct tp_config *cfg, const char *list);
int tp_config_set_keylog_file(struct tp_config *cfg, const char *path);
/* Why a key log line could not be written (the first failure), or NULL. */
const char *tp_config_keylog_error(struct tp_config *cfg);
void tp_config_set_reneg_policy(struct tp_config *cfg,
				enum tp_reneg_policy policy, int limit);
/* Timeouts in milliseconds; 0 means none. Defaults: 10 s each. */
void tp_config_set_timeouts(struct tp_config *cfg, int connect_ms,
			    int handshake_ms);
/* Bound on application bytes queued for sending (default 256 KiB). */
void tp_config_set_write_queue(struct tp_config *cfg, size_t bytes);
/* Server: while a HelloRequest of tp_conn_request_renegotiation is
 * unanswered, writes are kept back (many clients fail on application data
 * inside their renegotiation), up to max_bytes and for at most max_ms
 * after the first; then they are sent anyway. Defaults: 64 MiB and 10 s,
 * enough for s_client and gnutls-cli echoing 64 MiB at full speed with a
 * HelloRequest every MiB; 0 bytes sends at once. */
void tp_config_set_hello_request_hold(struct tp_config *cfg, size_t max_bytes,
				      int max_ms);
void tp_config_set_event_cb(struct tp_config *cfg, tp_event_cb cb, void *arg);

/* The bytes of the connection as they crossed its socket: each piece
 * exactly as one send() wrote or one recv() read it, in order, with the
 * time it did. A copy, handed over after M is released (as events are),
 * so the callback may call back into the library; data is valid during
 * the call only. */
struct tp_raw {
	int sent; /* 1: we sent it, 0: we received it */
	const unsigned char *data;
	size_t len;
	struct timespec when; /* CLOCK_REALTIME */
	int fd; /* the connection's socket (getsockname, getpeername) */
};
typedef void (*tp_raw_cb)(struct tp_conn *c, const struct tp_raw *raw,
			  void *arg);
void tp_config_set_raw_cb(struct tp_config *cfg, tp_raw_cb cb, void *arg);
/* 0: disable session tickets (they are on by default). */
void tp_config_set_tickets(struct tp_config *cfg, int on);
/* Client: ask the server to staple its certificate's OCSP status (the
 * status_request extension, s_client -status); tp_conn_ocsp_info says what
 * came. A stapled response fails verification when it says "revoked" or
 * cannot be trusted (expired or not yet valid, bad signature, for another
 * certificate, malformed or not successful); "unknown" and no response at
 * all are reported, not failed. */
int tp_config_request_ocsp_status(struct tp_config *cfg);
/* Client: check the peer's certificate (the leaf) against the CRL in path
 * (PEM or DER, one CRL; call again for more files); a leaf whose issuer
 * has no CRL fails verification, as OpenSSL's -crl_check. A CRL past its
 * next update is refused, and so is a second CRL of an issuer (wolfSSL
 * would consult only one: give the newest). One signed by a trusted CA is
 * verified as it loads (refused when its signature fails), one signed by
 * another (an intermediate the server will send) when first used, against
 * the CAs of the configuration's store then (trusted, and intermediates
 * servers sent on its connections); one that failed stays failed for its
 * later connections. Set the CA file or directory first (without one, the
 * system trust store is loaded now). */
int tp_config_add_crl_file(struct tp_config *cfg, const char *path);
/* Client: check every certificate of the path against its issuer's CRL,
 * not only the leaf (OpenSSL's -crl_check_all): an intermediate listed in
 * its root's CRL, or whose issuer has no CRL loaded, fails verification.
 * Applies to the CRL files added before and after. */
int tp_config_crl_check_all(struct tp_config *cfg);

/* ---- connections ------------------------------------------------------ */

/* NULL with errno set when a connection cannot be made (memory, or no
 * descriptor left). */
struct tp_conn *tp_conn_new(struct tp_config *cfg);
/* Resolve HOST, connect to PORT (family 0, 4 or 6), and prepare TLS with
 * SNI and the name to verify set to servername (HOST when NULL; "" sends
 * no SNI and verifies against HOST). */
int tp_conn_connect(struct tp_conn *c, const char *host, const char *port,
		    const char *servername, int family);
/* Use an already connected socket; the connection takes ownership of fd,
 * also when this fails (it is closed by then or by tp_conn_free).
 * servername: SNI and name to verify; NULL: no name check; "": no SNI. */
int tp_conn_attach_fd(struct tp_conn *c, int fd, const char *servername);

/* The most plaintext one TLS record carries (2^14 bytes, RFC 8446 5.1):
 * a read buffer of this size takes a whole record. */
#define TP_RECORD_MAX 16384

/* Client: check the server certificate against name instead of the
 * servername given to tp_conn_connect or tp_conn_attach_fd (which is
 * still sent as SNI); call before the handshake. */
int tp_conn_set_verify_name(struct tp_conn *c, const char *name);

/* Runs the handshake (or waits for the thread that does). */
int tp_conn_handshake(struct tp_conn *c);
/* >0 bytes read, 0 at end of stream, -1 on error. */
ssize_t tp_conn_read(struct tp_conn *c, void *buf, size_t len);
/* Queues all of buf for sending; returns len or -1. */
ssize_t tp_conn_write(struct tp_conn *c, const void *buf, size_t len);
/* Waits until everything queued has reached the socket. */
int tp_conn_flush(struct tp_conn *c);
/* TLS <= 1.2: renegotiate and wait for the outcome. Returns 0 when it
 * completed, -1 otherwise; errcode TP_ERR_REFUSED means the peer refused
 * and the session goes on. */
int tp_conn_renegotiate(struct tp_conn *c);
/* Server, TLS <= 1.2: send a HelloRequest and return at once. The
 * client's ClientHello is taken by a later read, which runs the
 * renegotiation (events TP_EV_RENEG_REQUESTED "peer" and TP_EV_RENEG_DONE,
 * or TP_EV_RENEG_REFUSED when the client answers no_renegotiation).
 * Unlike tp_conn_renegotiate, reading goes on while the client takes its
 * time to answer, so its data is never held back without bound. Returns 0
 * when sent, 1 when an earlier one is still unanswered (none is sent), -1
 * otherwise (the session goes on unless errcode says). */
int tp_conn_request_renegotiation(struct tp_conn *c);
/* TLS 1.3: send KeyUpdate, asking the peer to update too when request. */
int tp_conn_key_update(struct tp_conn *c, int request);
/* Send close_notify; reading continues until the peer closes. */
int tp_conn_shutdown_write(struct tp_conn *c);
/* Wakes every thread blocked in this connection, which then returns -1
 * with TP_ERR_CLOSED. Safe to call from any thread, and from a signal
 * handler (async-signal-safe: it takes no lock), also while the
 * interrupted thread is inside this library. */
void tp_conn_abort(struct tp_conn *c);
/* Frees the connection; no other thread may be using it any more. */
void tp_conn_free(struct tp_conn *c);

/* A pointer of the caller's kept with the connection (NULL until set), so
 * that a callback finds its own state from the connection it is given.
 * Atomic: any thread may set or read it at any time. */
void tp_conn_set_arg(struct tp_conn *c, void *arg);
void *tp_conn_arg(struct tp_conn *c);
/* 1 once the first handshake has completed (tp_conn_info would succeed),
 * else 0; a renegotiation under way does not change it. */
int tp_conn_handshake_done(struct tp_conn *c);

/* Why the calling thread's last call on c failed (NULL when none): its
 * own soft error (TP_ERR_REFUSED and others the session survives; other
 * threads' calls and tp_conn_abort do not replace it; one per thread, so
 * a failed call on another connection does), else the sticky error that
 * ended the connection. Valid in the calling thread until its next
 * tp_conn_error call. */
const char *tp_conn_error(struct tp_conn *c);
enum tp_errcode tp_conn_errcode(struct tp_conn *c);

/* How the peer ended the stream, as far as seen so far. */
enum tp_close_reason {
	TP_CLOSE_NONE = 0,
	TP_CLOSE_NOTIFY, /* close_notify alert */
	TP_CLOSE_FATAL_ALERT,
	TP_CLOSE_FIN, /* TCP close without close_notify */
	TP_CLOSE_RESET, /* TCP reset */
	TP_CLOSE_PLAINTEXT /* text where a TLS record belongs, then the
			      connection ended or was failed by us */
};
enum tp_close_reason tp_conn_close_reason(struct tp_conn *c);
/* The last alert received: *level 1 warning, 2 fatal; returns -1 when
 * none has been received. */
int tp_conn_last_alert(struct tp_conn *c, int *level);

/* ---- what was negotiated (captured after each handshake) --------------- */

/* One certificate. Strings a peer chose are escaped (tp_escape); any
 * field may be NULL (0) when the certificate does not say or cannot be
 * parsed. */
struct tp_cert_info {
	char *subject; /* "/O=.../CN=..." */
	char *issuer;
	char *not_before; /* ISO 8601 UTC: "2026-12-02T03:49:58Z" */
	char *not_after;
	char *pem;
	char *serial; /* hexadecimal, as `openssl x509 -serial` prints it */
	char *sha256_fingerprint; /* of the DER, "AB:CD:..." */
	const char *key_type; /* "RSA", "EC", "Ed25519", "Ed448", "DSA" */
	int key_bits;
	const char *signature_algorithm; /* "ecdsa-with-SHA256", ... */
	int nsans;
	char **sans; /* subjectAltName: "DNS:name", "IP:addr", "email:...",
			"URI:...", in certificate order */
	/* authorityInfoAccess: where the issuer's certificate and the OCSP
	 * responder are published (the first URI of each), NULL when not */
	char *ca_issuers;
	char *ocsp_uri;
};

struct tp_info {
	int handshakes; /* 1 + completed renegotiations */
	enum tp_version protocol; /* TP_TLS1_3, ... */
	const char *version; /* the same as text: "TLSv1.3" */
	const char *cipher; /* IANA-style name */
	const char *group; /* key exchange group, may be NULL */
	const char *alpn; /* NULL when none */
	const char *sni; /* client: the name sent in SNI, NULL when none was
			    (none asked for, or an IP address: RFC 6066
			    allows host names only) */
	const char *peer_addr; /* "127.0.0.1:4433" */
	int secure_renegotiation; /* peer supports RFC 5746 */
	int session_reused;
	int ticket_received;
	int tickets_received; /* live: TLS 1.3 tickets come after the
				 handshake (TP_EV_TICKET) */
	int verify_ok; /* 1 when the peer certificate was accepted */
	const char *verify_error; /* first reason, NULL when ok */
	int verify_failures; /* failures recorded (insecure mode keeps going) */
	int peer_chain_len;
	const struct tp_cert_info *peer_chain; /* as sent, leaf first */
	int renegotiations; /* completed */
	int renegotiations_refused;
	int key_updates_sent;
	int key_updates_received;
	uint64_t bytes_read;
	uint64_t bytes_written;
};

enum tp_ocsp_status {
	TP_OCSP_NOT_REQUESTED = 0,
	TP_OCSP_NONE, /* asked for, nothing stapled */
	TP_OCSP_GOOD,
	TP_OCSP_REVOKED,
	TP_OCSP_UNKNOWN,
	TP_OCSP_UNREADABLE /* stapled, but no certificate status in it */
};

/* The last stapled OCSP response of the connection, also of a failed
 * handshake (a renegotiation that staples replaces it; one that is
 * refused does not). Times are ISO 8601 UTC ("2026-12-02T11:02:08Z"),
 * "" when absent. */
struct tp_ocsp_info {
	enum tp_ocsp_status status;
	/* 1: signed by the issuer (or its responder), for this certificate,
	 * current; 0: see problem */
	int trusted;
	char problem[120]; /* why it is not trusted; "" when it is */
	int response_status; /* OCSPResponseStatus: 0 successful, 3 tryLater */
	char produced_at[24];
	char this_update[24];
	char next_update[24];
	char revocation_time[24];
	char revocation_reason[32]; /* "keyCompromise"; "" when none given */
	size_t length; /* of the DER response; 0 when none */
};
void tp_conn_ocsp_info(struct tp_conn *c, struct tp_ocsp_info *out);
/* "good", "revoked", "unknown", "none", "unreadable", "not requested" */
const char *tp_ocsp_status_name(enum tp_ocsp_status s);

enum tp_crl_status {
	TP_CRL_OFF = 0, /* no CRL file given */
	TP_CRL_UNCHECKED, /* the leaf failed verification before its CRL */
	TP_CRL_GOOD, /* not listed in its issuer's CRL */
	TP_CRL_REVOKED,
	TP_CRL_MISSING, /* no CRL of its issuer was loaded */
	TP_CRL_ERROR /* the CRL could not be used (expired, ...) */
};
/* The leaf's last CRL check, also in a failed handshake. */
enum tp_crl_status tp_conn_crl_status(struct tp_conn *c);
/* "good", "revoked", "missing", "error", "unchecked", "off" */
const char *tp_crl_status_name(enum tp_crl_status s);

/* Copies a consistent snapshot into *out; returns -1 (and leaves *out
 * zeroed) before the first handshake has completed. The strings stay valid
 * until tp_conn_free, so a snapshot may be kept. */
int tp_conn_info(struct tp_conn *c, struct tp_info *out);
/* Every verification failure recorded, one per line ("" when none),
 * valid in the calling thread until its next tp_conn_verify_log call. */
const char *tp_conn_verify_log(struct tp_conn *c);

/* When the phases of a connection were reached, as CLOCK_MONOTONIC
 * instants; {0, 0} for a phase not reached, or not the library's: a socket
 * given to tp_conn_attach_fd was resolved and connected by the caller. */
struct tp_timing {
	struct timespec start; /* tp_conn_connect called */
	struct timespec resolved; /* the name resolved */
	struct timespec connected; /* TCP connected */
	struct timespec handshake_start; /* the first handshake began */
	struct timespec handshake_done; /* and completed */
	struct timespec first_byte; /* application data from the peer first
				       decrypted */
};
void tp_conn_timing(struct tp_conn *c, struct tp_timing *out);
/* For a socket the caller connected (tp_conn_attach_fd, also one that
 * failed to connect): its start, resolved and connected instants, kept for
 * tp_conn_timing; the other fields of t are ignored. */
void tp_conn_set_connect_timing(struct tp_conn *c, const struct tp_timing *t);
/* The TCP connect of tp_conn_connect, for a caller that speaks plaintext
 * first (STARTTLS) and then hands the socket to tp_conn_attach_fd: each
 * address of host in turn, all within timeout_ms (0: no limit). Returns a
 * connected non-blocking socket (TCP_NODELAY), or -1 with one line in err
 * and *timed_out set when the time ran out. t, when not NULL, gets start,
 * resolved and connected (for tp_conn_set_connect_timing). */
int tp_tcp_connect(const char *host, const char *port, int family,
		   int timeout_ms, char *err, size_t errlen, int *timed_out,
		   struct tp_timing *t);
/* Is name an IP address (v4 or v6 literal)? Such a name is never sent in
 * SNI. */
int tp_name_is_address(const char *name);
/* One step of the path verification built, leaf first (depth 0). */
struct tp_path_step {
	const char *subject;
	int sent; /* index in the chain as sent; -1: a trust anchor of ours
		     the peer did not send */
};

/*
 * The peer's certificates and what verification made of them, for the
 * last handshake that received any: also after a failed one, when
 * tp_conn_info has nothing. Client side, also what the server asked of
 * us. Returns -1 (and leaves *out zeroed) when no certificate was
 * received and none was asked for. The strings stay valid until
 * tp_conn_free.
 */
struct tp_peer_certs {
	int chain_len;
	const struct tp_cert_info *chain; /* as sent, leaf first */
	const char *verify_name; /* checked against the leaf; NULL: none */
	int verify_ok;
	const char *verify_error; /* the first failure, in words */
	int path_len; /* 0 unless the leaf was verified */
	const struct tp_path_step *path;
	int cert_requested; /* the server sent a CertificateRequest */
	int cert_sent; /* and we answered with a certificate */
	int ca_names_len;
	const char *const *ca_names; /* the CAs the request named */
};
int tp_conn_peer_certs(struct tp_conn *c, struct tp_peer_certs *out);

/* Session resumption: save after the handshake, load before connecting. */
int tp_conn_save_session(struct tp_conn *c, const char *path);
int tp_conn_load_session(struct tp_conn *c, const char *path);
/* Keep the session in memory for a following connection on the same
 * config (for :resume and --reconnect). */
int tp_conn_reuse_session_from(struct tp_conn *c, struct tp_conn *prev);

/* ---- output files and peer text --------------------------------------- */

/* Writes a whole file: through a temporary file in the same directory and
 * a rename, mode 0600 if secret (else 0644 less the umask). Refuses a
 * symbolic link and a file of another user; a device or FIFO (also through
 * a link of ours or root's, as /dev/stdout) is written in place. Returns 0,
 * or -1 with the reason in err. */
int tp_file_write(const char *path, const void *data, size_t len, int secret,
		  char *err, size_t errlen);
/* Could tp_file_write write path now? Checks what tp_file_write refuses,
 * and that a file can be created next to it (one is, and removed), so a
 * report is known to be writable before a session it would describe.
 * Returns 0, or -1 with the reason in err. */
int tp_file_check_writable(const char *path, char *err, size_t errlen);
/* Opens a file to append secrets to (the key log): never through a link,
 * created 0600, an existing one of ours narrowed to 0600, another user's
 * refused. Returns a descriptor, or -1 with the reason in err. */
int tp_file_open_append(const char *path, char *err, size_t errlen);

/* Keep newlines and tabs, and backslashes as they are (text already
 * escaped, on its way to the terminal). */
#define TP_ESC_TEXT 1
/* The printable form of bytes a peer controls: control characters (C0,
 * DEL, C1), invisible characters that reorder or hide text (bidi
 * overrides and isolates, zero-width ones, BOM), backslashes and bytes
 * that are not valid UTF-8 become \xHH
 * (\\ for a backslash). Writes at most outlen bytes with the NUL, cut at
 * a whole character; returns the length the whole text needs. */
size_t tp_escape(char *out, size_t outlen, const void *in, size_t inlen,
		 int flags);
/* The same, allocated (free it); NULL when out of memory. */
char *tp_escape_dup(const void *in, size_t inlen);

/* ---- library facts ---------------------------------------------------- */

const char *tp_version(void);
const char *tp_wolfssl_version(void);
/* Space-separated features of the linked wolfSSL, each "+name" or "-name". */
const char *tp_wolfssl_features(void);
int tp_wolfssl_can_renegotiate(void);
const char *tp_alert_name(int description);
/* Handshake message type name ("ClientHello"), "unknown" otherwise. */
const char *tp_handshake_name(int type);
const char *tp_version_name(enum tp_version v);
/* Parses "1.2", "tls1.2", "TLSv1.2"; returns TP_VERSION_ANY on error. */
enum tp_version tp_version_parse(const char *s);

#ifdef __cplusplus
}
#endif
#endif
