/*
 * What was negotiated, captured once after each handshake (under M), and
 * certificate verification. Verification always runs and records every
 * failure; only the decision to go on differs in insecure mode.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

void tp_verify_record(struct tp_conn *c, const char *fmt, ...)
{
	char line[200];
	size_t used = strlen(c->verify_log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (c->verify_failures++ == 0)
		snprintf(c->first_verify_error, sizeof(c->first_verify_error),
			 "%s", line);
	if (used + strlen(line) + 2 < sizeof(c->verify_log))
		snprintf(c->verify_log + used, sizeof(c->verify_log) - used,
			 "%s\n", line);
}

static const char *verify_reason(int err)
{
	switch (err) {
	case ASN_NO_SIGNER_E:
		return "unable to get local issuer certificate (untrusted "
		       "chain)";
	case ASN_AFTER_DATE_E:
		return "certificate has expired";
	case ASN_BEFORE_DATE_E:
		return "certificate is not yet valid";
	case ASN_SIG_CONFIRM_E:
		return "certificate signature failure";
	case ASN_SELF_SIGNED_E:
		return "self-signed certificate";
	case ASN_PATHLEN_INV_E:
	case ASN_PATHLEN_SIZE_E:
		return "path length constraint exceeded";
	case CRL_CERT_REVOKED:
		return "certificate revoked (listed in its issuer's CRL)";
	case CRL_MISSING:
		return "unable to get certificate CRL (no CRL of its issuer "
		       "was loaded)";
	case CRL_CERT_DATE_ERR:
		return "the issuer's CRL has expired or is not yet valid";
	default:
		return wolfSSL_ERR_reason_error_string((unsigned long)err);
	}
}

/* Appends "/SN=value" for one entry of a name to fp. */
static void name_entry(FILE *fp, WOLFSSL_X509_NAME_ENTRY *e)
{
	WOLFSSL_ASN1_STRING *v = wolfSSL_X509_NAME_ENTRY_get_data(e);
	const char *sn = wolfSSL_OBJ_nid2sn(
		wolfSSL_OBJ_obj2nid(wolfSSL_X509_NAME_ENTRY_get_object(e)));
	unsigned char *data = v ? wolfSSL_ASN1_STRING_data(v) : NULL;
	int len = v ? wolfSSL_ASN1_STRING_length(v) : 0;

	fprintf(fp, "/%s=", sn ? sn : "?");
	if (data != NULL && len > 0)
		fwrite(data, 1, (size_t)len, fp);
}

/* "/O=../CN=..", as wolfSSL_X509_NAME_oneline writes it, but escaped
 * (tp_escape: the peer chose every byte), and built from the entries with
 * their lengths: oneline cuts a value at a NUL, so "localhost\0evil"
 * would read as "localhost". Free it with free(). */
static char *name_of(WOLFSSL_X509_NAME *n)
{
	int count = n ? wolfSSL_X509_NAME_entry_count(n) : 0;
	char *raw = NULL, *out;
	size_t len = 0;
	FILE *fp;

	if (count <= 0 || (fp = open_memstream(&raw, &len)) == NULL)
		return NULL;
	for (int i = 0; i < count; i++) {
		WOLFSSL_X509_NAME_ENTRY *e = wolfSSL_X509_NAME_get_entry(n, i);

		if (e != NULL)
			name_entry(fp, e);
	}
	if (fclose(fp) != 0) {
		free(raw);
		return NULL;
	}
	out = tp_escape_dup(raw, len);
	free(raw);
	return out;
}

static char *subject_of(WOLFSSL_X509 *x)
{
	return x ? name_of(wolfSSL_X509_get_subject_name(x)) : NULL;
}

/*
 * 1 when the leaf has an iPAddress subjectAltName with exactly these
 * octets. wolfSSL 5.5.4 cannot answer this for us: unless it is built with
 * WOLFSSL_IP_ALT_NAME (or OPENSSL_ALL) its certificate parser skips
 * iPAddress entries altogether, so wolfSSL_X509_check_ip_asc never
 * matches; and when it keeps them, it compares IPv6 as text in its own
 * uncompressed form ("0000:...:0001"), never "::1". So walk the
 * certificate's DER: Certificate > tbsCertificate > [3] extensions >
 * subjectAltName > GeneralNames > [7] iPAddress.
 */
static int san_has_ip(WOLFSSL_X509 *x, const unsigned char *ip, size_t iplen)
{
	static const unsigned char san_oid[] = { 0x55, 0x1d, 0x11 };
	const unsigned char *p, *end, *b;
	int derlen = 0, tag = 0;
	size_t n;

	p = wolfSSL_X509_get_der(x, &derlen);
	if (p == NULL || derlen <= 0)
		return 0;
	end = p + derlen;
	if (tp_der_enter(&p, &end, 0x30) < 0 ||
	    tp_der_enter(&p, &end, 0x30) < 0)
		return 0;
	while (p < end && tag != 0xa3)
		if (tp_der_next(&p, end, &tag, &b, &n) < 0)
			return 0;
	if (tag != 0xa3)
		return 0;
	p = b;
	end = b + n;
	if (tp_der_enter(&p, &end, 0x30) < 0)
		return 0;
	while (p < end) {
		const unsigned char *e = p, *eend = end;

		if (tp_der_enter(&e, &eend, 0x30) < 0)
			return 0;
		p = eend; /* the next extension */
		if (tp_der_next(&e, eend, &tag, &b, &n) < 0 || tag != 0x06)
			return 0;
		if (n != sizeof(san_oid) || memcmp(b, san_oid, n) != 0)
			continue;
		/* critical BOOLEAN DEFAULT FALSE, then the OCTET STRING */
		if (tp_der_next(&e, eend, &tag, &b, &n) < 0)
			return 0;
		if (tag == 0x01 && tp_der_next(&e, eend, &tag, &b, &n) < 0)
			return 0;
		if (tag != 0x04)
			return 0;
		e = b;
		eend = b + n;
		if (tp_der_enter(&e, &eend, 0x30) < 0)
			return 0;
		while (e < eend) {
			if (tp_der_next(&e, eend, &tag, &b, &n) < 0)
				return 0;
			if (tag == 0x87 && n == iplen && memcmp(b, ip, n) == 0)
				return 1;
		}
		return 0;
	}
	return 0;
}

/* The name the user asked for must be in the leaf: DNS names against
 * subjectAltName (or CN), IP literals against iPAddress SANs only,
 * compared as octets so that every spelling of an address matches. */
static void check_name(struct tp_conn *c, WOLFSSL_X509 *leaf)
{
	const char *name = c->servername;
	unsigned char ip[16];
	int ok;

	if (name == NULL || c->cfg->role != TP_CLIENT)
		return;
	if (inet_pton(AF_INET, name, ip) == 1)
		ok = san_has_ip(leaf, ip, 4);
	else if (inet_pton(AF_INET6, name, ip) == 1)
		ok = san_has_ip(leaf, ip, 16);
	else if (strchr(name, ':') != NULL ||
		 strspn(name, "0123456789.") == strlen(name))
		ok = 0; /* looks like an address but is not a valid one */
	else
		ok = wolfSSL_X509_check_host(leaf, name, strlen(name), 0,
					     NULL) == WOLFSSL_SUCCESS;
	if (!ok)
		tp_verify_record(c,
				 "depth 0: certificate does not match "
				 "name '%s'",
				 name);
}

/* wolfSSL stops loading a chain after MAX_CHAIN_DEPTH (9) certificates
 * and notes that in the verify result; the last one loaded then has no
 * issuer, which alone would read as an untrusted chain. */
static const char *failure_reason(struct tp_conn *c, int err)
{
	if (err == ASN_NO_SIGNER_E &&
	    wolfSSL_get_verify_result(c->ssl) == X509_V_ERR_CERT_CHAIN_TOO_LONG)
		return "certificate chain too long: at most 9 certificates "
		       "are verified, and the issuer of this one was not "
		       "reached";
	return verify_reason(err);
}

/*
 * A server may send more than its path: an unrelated CA, a cross-sign of
 * the root to an older root (expired, or whose root we do not trust). With
 * WOLFSSL_ALT_CERT_CHAINS, wolfSSL skips a chain certificate it cannot
 * verify instead of failing, and never uses it as an issuer: if the leaf
 * then verifies, a valid path exists without it, and its failure is none
 * (OpenSSL and GnuTLS build the path the same way). So failures of chain
 * certificates are held, one per line, until the leaf (verified last)
 * tells: dropped when it verifies, recorded before its own when it does
 * not, since they then explain it (an expired intermediate). Without
 * WOLFSSL_ALT_CERT_CHAINS, a chain certificate our callback accepted would
 * be trusted as an issuer: never hold there.
 */
#ifdef WOLFSSL_ALT_CERT_CHAINS
static int hold_failure(struct tp_conn *c, const char *line)
{
	size_t used = strlen(c->verify_held);

	if (used + strlen(line) + 2 > sizeof(c->verify_held))
		return 0; /* no room: record it now rather than lose it */
	snprintf(c->verify_held + used, sizeof(c->verify_held) - used, "%s\n",
		 line);
	return 1;
}
#else
static int hold_failure(struct tp_conn *c, const char *line)
{
	(void)c;
	(void)line;
	return 0;
}
#endif

/* The leaf decided: record the held failures (failed) or drop them. */
static void settle_held(struct tp_conn *c, int failed)
{
	char *line = c->verify_held, *nl;

	while (failed && (nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		tp_verify_record(c, "%s", line);
		line = nl + 1;
	}
	c->verify_held[0] = '\0';
}

int tp_verify_cb(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
	struct tp_conn *c = store->userCtx;
	int depth = wolfSSL_X509_STORE_CTX_get_error_depth(store);
	WOLFSSL_X509 *x = wolfSSL_X509_STORE_CTX_get_current_cert(store);
	int before;
	char line[200];

	if (depth == 0)
		settle_held(c, !preverify);
	before = c->verify_failures;
	if (!preverify) {
		char *subj = subject_of(x);

		snprintf(line, sizeof(line), "depth %d: %s%s%s", depth,
			 failure_reason(c, store->error), subj ? ": " : "",
			 subj ? subj : "");
		free(subj);
		if (depth == 0 || !hold_failure(c, line))
			tp_verify_record(c, "%s", line);
	}
	if (depth == 0)
		tp_crl_note(c, preverify, store->error);
	if (depth == 0 && x != NULL)
		check_name(c, x);
	if (c->cfg->insecure)
		return 1;
	return c->verify_failures == before;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static char *time_string(WOLFSSL_ASN1_TIME *t)
{
	char buf[64];

	if (t == NULL ||
	    wolfSSL_ASN1_TIME_to_string(t, buf, sizeof(buf)) == NULL)
		return NULL;
	return strdup(buf);
}

/* PEM of any size (wolfSSL_get_chain_cert_pem wants a fixed buffer and
 * leaves out the newline after the BEGIN line in 5.5.4). */
static char *der_to_pem(const unsigned char *der, int len)
{
	int need, got;
	char *pem;

	if (der == NULL || len <= 0)
		return NULL;
	need = wc_DerToPem(der, (word32)len, NULL, 0, CERT_TYPE);
	if (need <= 0 || (pem = malloc((size_t)need + 1)) == NULL)
		return NULL;
	got = wc_DerToPem(der, (word32)len, (byte *)pem, (word32)need,
			  CERT_TYPE);
	if (got <= 0) {
		free(pem);
		return NULL;
	}
	pem[got] = '\0';
	return pem;
}

static void cert_info_fill(struct tp_cert_info *ci, WOLFSSL_X509_CHAIN *ch,
			   int i)
{
	WOLFSSL_X509 *x = wolfSSL_get_chain_X509(ch, i);

	if (x != NULL) {
		ci->subject = subject_of(x);
		ci->issuer = name_of(wolfSSL_X509_get_issuer_name(x));
		ci->not_before = time_string(wolfSSL_X509_get_notBefore(x));
		ci->not_after = time_string(wolfSSL_X509_get_notAfter(x));
		wolfSSL_X509_free(x);
	}
	ci->pem = der_to_pem(wolfSSL_get_chain_cert(ch, i),
			     wolfSSL_get_chain_length(ch, i));
}

static void capture_chain(struct tp_conn *c, struct tp_info_gen *g)
{
	WOLFSSL_X509_CHAIN *ch = wolfSSL_get_peer_chain(c->ssl);
	int n = ch ? wolfSSL_get_chain_count(ch) : 0;

	if (n <= 0)
		return;
	g->chain = calloc((size_t)n, sizeof(*g->chain));
	if (g->chain == NULL)
		return;
	g->chain_len = n;
	for (int i = 0; i < n; i++)
		cert_info_fill(&g->chain[i], ch, i);
}

static const char *alpn_of(struct tp_conn *c, char *buf, size_t buflen)
{
	char *name = NULL;
	unsigned short len = 0;

	if (wolfSSL_ALPN_GetProtocol(c->ssl, &name, &len) != WOLFSSL_SUCCESS ||
	    name == NULL)
		return NULL;
	/* The server's choice: checked by wolfSSL against our list, but
	 * escaped all the same, as all peer text is. */
	tp_escape(buf, buflen, name, len, 0);
	return buf;
}

/* wolfSSL's version numbers are the protocol's, as tp_version's are. */
static enum tp_version protocol_of(WOLFSSL *ssl)
{
	switch (wolfSSL_version(ssl)) {
	case TLS1_VERSION:
		return TP_TLS1_0;
	case TLS1_1_VERSION:
		return TP_TLS1_1;
	case TLS1_2_VERSION:
		return TP_TLS1_2;
	case TLS1_3_VERSION:
		return TP_TLS1_3;
	default:
		return TP_VERSION_ANY;
	}
}

void tp_info_capture(struct tp_conn *c)
{
	struct tp_info_gen *g = calloc(1, sizeof(*g));
	struct tp_info *in = &c->info;
	char alpnbuf[256];
	const char *alpn;

	if (g == NULL)
		return;
	g->next = c->gens;
	c->gens = g;
	alpn = alpn_of(c, alpnbuf, sizeof(alpnbuf));
	g->alpn = dup_or_null(alpn);
	g->verify_error =
		c->verify_failures ? strdup(c->first_verify_error) : NULL;
	capture_chain(c, g);

	c->scr_negotiated =
		wolfSSL_SSL_get_secure_renegotiation_support(c->ssl) == 1;
	in->handshakes++;
	if (c->hs_kind != TP_HS_INITIAL)
		in->renegotiations++;
	in->protocol = protocol_of(c->ssl);
	in->version = wolfSSL_get_version(c->ssl);
	/* IANA names: unambiguous, and what RFCs and scanners print. */
	in->cipher =
		wolfSSL_CIPHER_get_name(wolfSSL_get_current_cipher(c->ssl));
	in->group = wolfSSL_get_curve_name(c->ssl);
	in->alpn = g->alpn;
	in->sni = c->cfg->role == TP_CLIENT && !c->sni_sent ? NULL :
							      c->servername;
	in->peer_addr = c->peer_addr[0] ? c->peer_addr : NULL;
	in->secure_renegotiation = c->scr_negotiated;
	in->session_reused = wolfSSL_session_reused(c->ssl);
	in->verify_ok = c->verify_failures == 0;
	in->verify_error = g->verify_error;
	in->verify_failures = c->verify_failures;
	in->peer_chain_len = g->chain_len;
	in->peer_chain = g->chain;
	c->have_info = 1;
}

static void cert_info_free(struct tp_cert_info *ci)
{
	free(ci->subject);
	free(ci->issuer);
	free(ci->not_before);
	free(ci->not_after);
	free(ci->pem);
}

void tp_info_free_all(struct tp_conn *c)
{
	while (c->gens != NULL) {
		struct tp_info_gen *g = c->gens;

		c->gens = g->next;
		for (int i = 0; i < g->chain_len; i++)
			cert_info_free(&g->chain[i]);
		free(g->chain);
		free(g->alpn);
		free(g->verify_error);
		free(g);
	}
}

int tp_conn_info(struct tp_conn *c, struct tp_info *out)
{
	int r;

	TP_LOCK(c);
	r = c->have_info ? 0 : -1;
	if (r == 0)
		*out = c->info;
	else
		memset(out, 0, sizeof(*out));
	pthread_mutex_unlock(&c->m);
	return r;
}

int tp_conn_handshake_done(struct tp_conn *c)
{
	int done;

	TP_LOCK(c);
	done = c->have_info;
	pthread_mutex_unlock(&c->m);
	return done;
}

const char *tp_conn_verify_log(struct tp_conn *c)
{
	const char *s;

	TP_LOCK(c);
	s = c->verify_log;
	pthread_mutex_unlock(&c->m);
	return s;
}
