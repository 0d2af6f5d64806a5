/* Configuration: one WOLFSSL_CTX plus the policies the library applies. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

void tp_config_seterr(struct tp_config *cfg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cfg->err, sizeof(cfg->err), fmt, ap);
	va_end(ap);
	cfg->errcode = TP_ERR_USAGE;
}

/* A file that could not be read or parsed. */
static void file_error(struct tp_config *cfg, const char *what,
		       const char *path)
{
	tp_config_seterr(cfg, "cannot load %s '%s'", what, path);
	cfg->errcode = TP_ERR_IO;
}

enum tp_errcode tp_config_errcode(struct tp_config *cfg)
{
	return cfg->err[0] ? cfg->errcode : TP_ERR_NONE;
}

/* The key must sign for the certificate: wolfSSL loads a pair that does
 * not match and the mistake only shows as the server's decrypt_error
 * alert after our CertificateVerify (s_client refuses at load). */
static int check_key_matches(struct tp_config *cfg, const char *cert,
			     const char *key)
{
	if (wolfSSL_CTX_check_private_key(cfg->ctx) == WOLFSSL_SUCCESS)
		return 0;
	tp_config_seterr(cfg,
			 "the private key %s%s%sdoes not belong to the "
			 "certificate %s%s%s",
			 key ? "'" : "", key ? key : "", key ? "' " : "",
			 cert ? "'" : "", cert ? cert : "given",
			 cert ? "'" : "");
	return -1;
}

const char *tp_config_error(struct tp_config *cfg)
{
	return cfg->err[0] ? cfg->err : NULL;
}

struct tp_config *tp_config_new(enum tp_role role)
{
	struct tp_config *cfg;

	tp_library_init();
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return NULL;
	cfg->role = role;
	cfg->ctx =
		wolfSSL_CTX_new(role == TP_SERVER ? wolfSSLv23_server_method() :
						    wolfSSLv23_client_method());
	if (cfg->ctx == NULL) {
		free(cfg);
		return NULL;
	}
	cfg->connect_ms = 10000;
	cfg->handshake_ms = 10000;
	cfg->write_queue = 256 * 1024;
	cfg->hold_max = 64u << 20;
	cfg->hold_ms = 10000;
	cfg->tickets = 1;
	wolfSSL_CTX_set_min_proto_version(cfg->ctx, TP_TLS1_2);
	/* wolfSSL would offer P-521 first (slow, and what TLS 1.2 servers
	 * then pick); prefer what browsers and OpenSSL prefer. */
	tp_config_set_groups(cfg, TP_DEFAULT_GROUPS);
	if (role == TP_CLIENT) {
		wolfSSL_CTX_set_verify(cfg->ctx, WOLFSSL_VERIFY_PEER,
				       tp_verify_cb);
	} else {
		wolfSSL_CTX_set_verify(cfg->ctx, WOLFSSL_VERIFY_NONE, NULL);
		wolfSSL_CTX_UseSecureRenegotiation(cfg->ctx);
	}
	return cfg;
}

void tp_config_free(struct tp_config *cfg)
{
	if (cfg == NULL)
		return;
	wolfSSL_CTX_free(cfg->ctx);
	free(cfg->alpn);
	free(cfg->keylog_path);
	tp_crl_issuers_free(cfg);
	free(cfg);
}

int tp_config_set_ca_file(struct tp_config *cfg, const char *path)
{
	if (wolfSSL_CTX_load_verify_locations(cfg->ctx, path, NULL) !=
	    WOLFSSL_SUCCESS) {
		file_error(cfg, "CA file", path);
		return -1;
	}
	cfg->have_ca = 1;
	return 0;
}

int tp_config_set_ca_dir(struct tp_config *cfg, const char *path)
{
	if (wolfSSL_CTX_load_verify_locations_ex(
		    cfg->ctx, NULL, path, WOLFSSL_LOAD_FLAG_IGNORE_ERR) !=
	    WOLFSSL_SUCCESS) {
		file_error(cfg, "CA directory", path);
		return -1;
	}
	cfg->have_ca = 1;
	return 0;
}

int tp_config_set_ca_mem(struct tp_config *cfg, const void *pem, size_t len)
{
	if (wolfSSL_CTX_load_verify_buffer(cfg->ctx, pem, (long)len,
					   WOLFSSL_FILETYPE_PEM) !=
	    WOLFSSL_SUCCESS) {
		tp_config_seterr(cfg, "cannot load CA certificates");
		return -1;
	}
	cfg->have_ca = 1;
	return 0;
}

void tp_config_insecure(struct tp_config *cfg, int on)
{
	cfg->insecure = on != 0;
}

int tp_config_set_cert_file(struct tp_config *cfg, const char *cert,
			    const char *key)
{
	if (wolfSSL_CTX_use_certificate_chain_file(cfg->ctx, cert) !=
	    WOLFSSL_SUCCESS) {
		file_error(cfg, "certificate", cert);
		return -1;
	}
	if (wolfSSL_CTX_use_PrivateKey_file(cfg->ctx, key ? key : cert,
					    WOLFSSL_FILETYPE_PEM) !=
	    WOLFSSL_SUCCESS) {
		file_error(cfg, "private key", key ? key : cert);
		return -1;
	}
	if (check_key_matches(cfg, cert, key ? key : cert) == -1)
		return -1;
	cfg->have_cert = 1;
	return 0;
}

int tp_config_set_cert_mem(struct tp_config *cfg, const void *cert_pem,
			   size_t cert_len, const void *key_pem, size_t key_len)
{
	if (wolfSSL_CTX_use_certificate_chain_buffer(
		    cfg->ctx, cert_pem, (long)cert_len) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_use_PrivateKey_buffer(cfg->ctx, key_pem, (long)key_len,
					      WOLFSSL_FILETYPE_PEM) !=
		    WOLFSSL_SUCCESS) {
		tp_config_seterr(cfg, "cannot load certificate or key");
		cfg->errcode = TP_ERR_IO;
		return -1;
	}
	if (check_key_matches(cfg, NULL, NULL) == -1)
		return -1;
	cfg->have_cert = 1;
	return 0;
}

void tp_config_verify_client(struct tp_config *cfg, int require)
{
	int mode = WOLFSSL_VERIFY_PEER;

	if (require)
		mode |= WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	wolfSSL_CTX_set_verify(cfg->ctx, mode, tp_verify_cb);
}

int tp_config_set_versions(struct tp_config *cfg, enum tp_version min,
			   enum tp_version max)
{
	if (min != TP_VERSION_ANY && max != TP_VERSION_ANY && min > max) {
		tp_config_seterr(cfg, "minimum TLS version above maximum");
		return -1;
	}
	if (wolfSSL_CTX_set_min_proto_version(
		    cfg->ctx, min ? (int)min : TP_TLS1_0) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_set_max_proto_version(cfg->ctx, (int)max) !=
		    WOLFSSL_SUCCESS) {
		tp_config_seterr(cfg, "unsupported TLS version bounds");
		return -1;
	}
	return 0;
}

int tp_config_set_ciphers(struct tp_config *cfg, const char *list)
{
	if (wolfSSL_CTX_set_cipher_list(cfg->ctx, list) != WOLFSSL_SUCCESS) {
		tp_config_seterr(cfg, "no usable cipher in '%s'", list);
		return -1;
	}
	return 0;
}

/*
 * --ciphers and --ciphersuites as in s_client: each replaces only its own
 * version's part of the list and the other part stays as it was (by
 * default, wolfSSL's defaults). wolfSSL 5.5.4's set_cipher_list means to
 * do that for a list of one version only, but keeps the other version's
 * suites only once a list has been set: from the defaults, which exist
 * only per session, it keeps nothing, and --ciphers alone then offers no
 * TLS 1.3 suite at all. So build the whole list here, as suite bytes.
 */
#define TLS13_SUITE_BYTE 0x13 /* RFC 8446 B.4: TLS 1.3 suites are 0x13,xx */
#define MAX_SUITE_BYTES 600 /* above wolfSSL's WOLFSSL_MAX_SUITE_SZ (300) */

struct suites {
	unsigned char b[MAX_SUITE_BYTES];
	size_t n;
};

/* The suites a session of ctx would offer. */
static int ctx_suites(WOLFSSL_CTX *ctx, struct suites *out)
{
	WOLFSSL *ssl = wolfSSL_new(ctx);
	int n = ssl ? tp_wolf_suites(ssl, out->b, sizeof(out->b)) : -1;

	wolfSSL_free(ssl);
	out->n = n > 0 ? (size_t)n : 0;
	return n > 0 ? 0 : -1;
}

/* The suites of list (wolfSSL's names, IANA names or keywords). */
static int list_suites(enum tp_role role, const char *list, struct suites *out)
{
	WOLFSSL_CTX *ctx =
		wolfSSL_CTX_new(role == TP_SERVER ? wolfSSLv23_server_method() :
						    wolfSSLv23_client_method());
	int r = -1;

	if (ctx != NULL &&
	    wolfSSL_CTX_set_cipher_list(ctx, list) == WOLFSSL_SUCCESS)
		r = ctx_suites(ctx, out);
	wolfSSL_CTX_free(ctx);
	return r;
}

/* Appends to out the suites of in that are TLS 1.3 ones (tls13) or not. */
static void take_version(struct suites *out, const struct suites *in, int tls13)
{
	for (size_t i = 0; i + 1 < in->n; i += 2) {
		if ((in->b[i] == TLS13_SUITE_BYTE) != tls13 ||
		    out->n + 2 > sizeof(out->b))
			continue;
		out->b[out->n++] = in->b[i];
		out->b[out->n++] = in->b[i + 1];
	}
}

/* One version's part: from list when given, else from the current. */
static int version_part(struct tp_config *cfg, struct suites *out,
			const struct suites *cur, const char *list, int tls13)
{
	struct suites given;
	size_t before = out->n;

	if (list == NULL) {
		take_version(out, cur, tls13);
		return 0;
	}
	if (list_suites(cfg->role, list, &given) == -1) {
		tp_config_seterr(cfg, "no usable cipher in '%s'", list);
		return -1;
	}
	take_version(out, &given, tls13);
	if (out->n == before) {
		tp_config_seterr(cfg, "no %s cipher suite in '%s'",
				 tls13 ? "TLS 1.3" : "TLS 1.2 or older", list);
		return -1;
	}
	return 0;
}

int tp_config_set_cipher_lists(struct tp_config *cfg, const char *tls12,
			       const char *tls13)
{
	struct suites cur, all = { .n = 0 };

	if (tls12 == NULL && tls13 == NULL)
		return 0;
	if (ctx_suites(cfg->ctx, &cur) == -1) {
		/* No view of the current list (a system wolfSSL): the
		 * given lists alone, as before. */
		char *both = NULL;
		int r;

		if (asprintf(&both, "%s%s%s", tls13 ? tls13 : "",
			     tls12 && tls13 ? ":" : "",
			     tls12 ? tls12 : "") == -1)
			return -1;
		r = tp_config_set_ciphers(cfg, both);
		free(both);
		return r;
	}
	/* TLS 1.3 first, as OpenSSL orders them. */
	if (version_part(cfg, &all, &cur, tls13, 1) == -1 ||
	    version_part(cfg, &all, &cur, tls12, 0) == -1)
		return -1;
	if (wolfSSL_CTX_set_cipher_list_bytes(cfg->ctx, all.b, (int)all.n) !=
	    WOLFSSL_SUCCESS) {
		tp_config_seterr(cfg, "cannot set the cipher suites");
		return -1;
	}
	return 0;
}

int tp_config_set_groups(struct tp_config *cfg, const char *list)
{
	char *copy = strdup(list);
	int r;

	if (copy == NULL)
		return -1;
	for (char *p = copy; *p; p++)
		if (*p == ',')
			*p = ':';
	/* set1_curves_list knows X25519 and X448 too, and sets the TLS 1.3
	 * key share preference in the same order. */
	r = wolfSSL_CTX_set1_curves_list(cfg->ctx, copy);
	free(copy);
	if (r != WOLFSSL_SUCCESS) {
		tp_config_seterr(cfg, "unknown group in '%s'", list);
		return -1;
	}
	return 0;
}

int tp_config_set_alpn(struct tp_config *cfg, const char *list)
{
	if (list[0] == '\0' || strstr(list, ",,") != NULL) {
		tp_config_seterr(cfg, "bad ALPN list '%s'", list);
		return -1;
	}
	free(cfg->alpn);
	cfg->alpn = strdup(list);
	return cfg->alpn ? 0 : -1;
}

int tp_config_set_keylog_file(struct tp_config *cfg, const char *path)
{
	char why[160];
	int fd = tp_file_open_append(path, why, sizeof(why));

	if (fd < 0) {
		tp_config_seterr(cfg, "key log file '%s': %s", path, why);
		return -1;
	}
	close(fd);
	free(cfg->keylog_path);
	cfg->keylog_path = strdup(path);
	wolfSSL_CTX_set_ex_data(cfg->ctx, 0, cfg);
	wolfSSL_CTX_set_keylog_callback(cfg->ctx, tp_keylog_cb);
	return 0;
}

void tp_config_set_reneg_policy(struct tp_config *cfg,
				enum tp_reneg_policy policy, int limit)
{
	cfg->reneg_policy = policy;
	cfg->reneg_limit = limit;
}

void tp_config_set_timeouts(struct tp_config *cfg, int connect_ms,
			    int handshake_ms)
{
	cfg->connect_ms = connect_ms;
	cfg->handshake_ms = handshake_ms;
}

void tp_config_set_write_queue(struct tp_config *cfg, size_t bytes)
{
	cfg->write_queue = bytes ? bytes : 1;
}

void tp_config_set_hello_request_hold(struct tp_config *cfg, size_t max_bytes,
				      int max_ms)
{
	cfg->hold_max = max_bytes;
	cfg->hold_ms = max_ms;
}

void tp_config_set_event_cb(struct tp_config *cfg, tp_event_cb cb, void *arg)
{
	cfg->event_cb = cb;
	cfg->event_arg = arg;
}

void tp_config_set_raw_cb(struct tp_config *cfg, tp_raw_cb cb, void *arg)
{
	cfg->raw_cb = cb;
	cfg->raw_arg = arg;
}

void tp_config_set_tickets(struct tp_config *cfg, int on)
{
	cfg->tickets = on != 0;
}

/* Without a CA file or directory, trust the system store (loaded once, on
 * the first connection, so that a given CA file is the only trust). An
 * empty store (no ca-certificates on Debian) is noted: every verification
 * then fails, and its error says why (verify.c). */
void tp_config_load_default_trust(struct tp_config *cfg)
{
	if (cfg->role != TP_CLIENT || cfg->have_ca || cfg->system_ca_loaded)
		return;
	cfg->system_ca_loaded = 1;
	cfg->system_ca_none =
		wolfSSL_CTX_load_system_CA_certs(cfg->ctx) != WOLFSSL_SUCCESS;
}
