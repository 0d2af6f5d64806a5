/*
 * Certificate verification: the callback wolfSSL calls for each
 * certificate of the peer's chain (the one nearest the root first, the
 * leaf last), our name check, and the failure records, in words that say
 * what to fix. Verification always runs and records every failure; only
 * the decision to go on differs in insecure mode.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#include <wolfssl/error-ssl.h>
#include <wolfssl/openssl/x509v3.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

struct ip_want {
	const unsigned char *ip;
	size_t len;
};

static int ip_matches(int tag, const unsigned char *b, size_t n, void *arg)
{
	const struct ip_want *w = arg;

	return tag == 0x87 && n == w->len && memcmp(b, w->ip, n) == 0;
}

/* 1 when the leaf has an iPAddress subjectAltName with exactly these
 * octets. wolfSSL 5.5.4 cannot answer this: without WOLFSSL_IP_ALT_NAME
 * its parser skips iPAddress entries, and with it, it compares IPv6 as
 * text in its own uncompressed form ("0000:...:0001"), never "::1". */
static int san_has_ip(WOLFSSL_X509 *x, const unsigned char *ip, size_t iplen)
{
	struct ip_want w = { ip, iplen };
	int derlen = 0;
	const unsigned char *der = wolfSSL_X509_get_der(x, &derlen);

	if (der == NULL || derlen <= 0)
		return 0;
	return tp_der_each_san(der, (size_t)derlen, ip_matches, &w);
}

/* "DNS:a, IP:b" of ci, or its subject when it has no subjectAltName. */
static void names_of(char *out, size_t len, const struct tp_cert_info *ci)
{
	size_t used = 0;

	out[0] = '\0';
	if (ci->nsans == 0) {
		snprintf(out, len, "none in subjectAltName; subject %s",
			 ci->subject ? ci->subject : "?");
		return;
	}
	for (int i = 0; i < ci->nsans && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s",
					 i ? ", " : "", ci->sans[i]);
}

static const char *name_to_check(const struct tp_conn *c)
{
	return c->verify_name ? c->verify_name : c->servername;
}

/* The name the user asked for must be in the leaf: DNS names against
 * subjectAltName (or CN), IP literals against iPAddress SANs only,
 * compared as octets so that every spelling of an address matches. */
static int check_name(struct tp_conn *c, WOLFSSL_X509 *leaf,
		      const struct tp_cert_info *ci)
{
	const char *name = name_to_check(c);
	unsigned char ip[16];
	char names[300];
	int ok;

	if (name == NULL || c->cfg->role != TP_CLIENT)
		return 1;
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
	if (!ok) {
		names_of(names, sizeof(names), ci);
		tp_verify_record(c,
				 "depth 0: certificate does not match name "
				 "'%s'; its names: %s",
				 name, names);
	}
	return ok;
}

static int self_issued(const struct tp_cert_info *ci)
{
	return ci->subject != NULL && ci->issuer != NULL &&
	       strcmp(ci->subject, ci->issuer) == 0;
}

/* The certificate of this verification named subject, or NULL. */
static const struct tp_vseen *seen_named(const struct tp_conn *c,
					 const char *subject)
{
	for (int i = c->peer.nseen - 1; i >= 0; i--)
		if (subject != NULL && c->peer.seen[i].subject != NULL &&
		    strcmp(c->peer.seen[i].subject, subject) == 0)
			return &c->peer.seen[i];
	return NULL;
}

/* When a certificate whose issuer was neither sent nor trusted says where
 * that issuer is published (authorityInfoAccess caIssuers): public CAs
 * put it in every certificate below a root, and issue leaves from
 * intermediates, so a leaf's missing issuer is an intermediate the server
 * left out (s_client and gnutls-cli say only "unable to get local issuer
 * certificate", "issuer is unknown"). A CA's missing issuer may as well
 * be a root not trusted here (a private PKI, a cross-sign): both are
 * said. Not said when the system's store is empty (empty_store_note). */
static const char *published_at(const struct tp_conn *c, const char *ca_issuers,
				int from_leaf)
{
	static __thread char hint[TP_ERR_MAX / 2];

	/* With nothing trusted at all, no server is to blame. */
	if (ca_issuers == NULL || c->cfg->system_ca_none)
		return "";
	snprintf(hint, sizeof(hint),
		 "; its authorityInfoAccess publishes that issuer at %s: %s",
		 ca_issuers,
		 from_leaf ? "the server likely leaves out an intermediate "
			     "certificate" :
			     "the server leaves out an intermediate "
			     "certificate, or that issuer is a root not "
			     "trusted here");
	return hint;
}

/* Where the chain the server sent leads from issuer: its certificates
 * followed by names up to the last one sent. */
static void sent_path_end(char *out, size_t len, const struct tp_conn *c,
			  const char *issuer)
{
	const struct tp_vseen *top = seen_named(c, issuer), *up;

	for (int n = 0; n < TP_VSEEN_MAX && top->issuer != NULL &&
			strcmp(top->subject, top->issuer) != 0 &&
			(up = seen_named(c, top->issuer)) != NULL;
	     n++)
		top = up;
	if (top->issuer != NULL && strcmp(top->subject, top->issuer) == 0)
		snprintf(out, len,
			 "; the chain sent leads to %s, a self-signed root "
			 "that is not trusted",
			 top->subject);
	else
		snprintf(out, len,
			 "; the chain sent ends at %s, whose issuer %s was "
			 "neither sent nor trusted%s",
			 top->subject, top->issuer ? top->issuer : "?",
			 published_at(c, top->ca_issuers, 0));
}

/* What is wrong, in s_client's words where it has some ("self-signed
 * certificate", "unable to get local issuer certificate", ...). */
static const char *verify_reason(struct tp_conn *c, int err, int depth,
				 const struct tp_cert_info *ci)
{
	switch (err) {
	case ASN_NO_SIGNER_E:
		/* wolfSSL stops loading a chain after MAX_CHAIN_DEPTH (9)
		 * certificates; the last one loaded then has no issuer. */
		if (wolfSSL_get_verify_result(c->ssl) ==
		    X509_V_ERR_CERT_CHAIN_TOO_LONG)
			return "certificate chain too long: at most 9 "
			       "certificates are verified, and the issuer of "
			       "this one was not reached";
		if (self_issued(ci))
			return depth == 0 ? "self-signed certificate" :
					    "self-signed certificate in "
					    "certificate chain";
		return "unable to get local issuer certificate";
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
	case ASN_CRL_NO_SIGNER_E:
		return "unable to get CRL issuer certificate (the CRL's signer "
		       "was neither sent nor trusted)";
	case ASN_CRL_CONFIRM_E:
		return "CRL signature failure";
	case EXTKEYUSE_AUTH_E:
	case KEYUSE_SIGNATURE_E:
	case KEYUSE_ENCIPHER_E:
		return "unsuitable certificate purpose";
	default:
		return wolfSSL_ERR_reason_error_string((unsigned long)err);
	}
}

/* What the reason means for this certificate, or "" when the reason
 * says it all. */
static void verify_detail(char *out, size_t len, struct tp_conn *c, int err,
			  const struct tp_cert_info *ci, WOLFSSL_X509 *x)
{
	unsigned int xku = x ? wolfSSL_X509_get_extended_key_usage(x) : 0;
	const char *from = ci->not_before ? ci->not_before : "?",
		   *to = ci->not_after ? ci->not_after : "?";

	out[0] = '\0';
	if (err == ASN_AFTER_DATE_E || err == ASN_BEFORE_DATE_E)
		snprintf(out, len, "; valid from %s to %s", from, to);
	else if (err == ASN_NO_SIGNER_E && self_issued(ci))
		snprintf(out, len, "; it is its own issuer, and not trusted");
	else if (err == ASN_NO_SIGNER_E && seen_named(c, ci->issuer) != NULL)
		sent_path_end(out, len, c, ci->issuer);
	else if (err == ASN_NO_SIGNER_E && ci->issuer != NULL)
		snprintf(out, len,
			 "; issuer not found: %s was neither sent by the "
			 "server nor trusted%s",
			 ci->issuer,
			 published_at(c, ci->ca_issuers,
				      x == NULL || !wolfSSL_X509_get_isCA(x)));
	else if (err == EXTKEYUSE_AUTH_E)
		snprintf(out, len, "; its extendedKeyUsage has no serverAuth%s",
			 (xku & XKU_SSL_CLIENT) ? " (clientAuth only)" : "");
	else if (err == KEYUSE_SIGNATURE_E)
		snprintf(out, len, "; its keyUsage has no digitalSignature");
	else if (err == KEYUSE_ENCIPHER_E)
		snprintf(out, len, "; its keyUsage has no keyEncipherment");
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

static void seen_reset(struct tp_conn *c)
{
	for (int i = 0; i < c->peer.nseen; i++) {
		free(c->peer.seen[i].subject);
		free(c->peer.seen[i].issuer);
		free(c->peer.seen[i].ca_issuers);
	}
	memset(c->peer.seen, 0, sizeof(c->peer.seen));
	c->peer.nseen = 0;
	c->peer.leaf_seen = 0;
	c->peer.leaf_ok = 0;
}

/* Notes a certificate of this verification, for the verified path. */
static void seen_add(struct tp_conn *c, const struct tp_cert_info *ci, int ok)
{
	struct tp_vseen *v;

	if (c->peer.leaf_seen)
		seen_reset(c); /* a new verification (renegotiation) */
	if (c->peer.nseen >= TP_VSEEN_MAX)
		return;
	v = &c->peer.seen[c->peer.nseen++];
	v->subject = ci->subject ? strdup(ci->subject) : NULL;
	v->issuer = ci->issuer ? strdup(ci->issuer) : NULL;
	v->ca_issuers = ci->ca_issuers ? strdup(ci->ca_issuers) : NULL;
	v->ok = ok;
}

/* An issuer not trusted, when the system's store (the only trust asked
 * for) held no CA certificate: that is the cause to fix, whatever the
 * chain. Said before the detail, which may be cut. s_client says only
 * "unable to get local issuer certificate"; gnutls-cli, before it,
 * "Processed 0 CA certificate(s)". */
static const char *empty_store_note(const struct tp_conn *c, int err)
{
	static __thread char note[200];
	const char **dirs;
	word32 n = 0;
	size_t used;

	if (err != ASN_NO_SIGNER_E || !c->cfg->system_ca_none)
		return "";
	used = (size_t)snprintf(note, sizeof(note),
				"; the system's trust store is empty: no CA "
				"certificate in");
	dirs = wolfSSL_get_system_CA_dirs(&n);
	for (word32 i = 0; dirs != NULL && i < n && used < sizeof(note); i++)
		used += (size_t)snprintf(note + used, sizeof(note) - used,
					 "%s %s", i ? "," : "", dirs[i]);
	if (used < sizeof(note))
		snprintf(note + used, sizeof(note) - used,
			 " (Debian: install ca-certificates)");
	return note;
}

static void record_failure(struct tp_conn *c, int depth, int err,
			   const struct tp_cert_info *ci, WOLFSSL_X509 *x)
{
	char line[TP_VERIFY_LINE_MAX], detail[TP_VERIFY_LINE_MAX - 160];

	verify_detail(detail, sizeof(detail), c, err, ci, x);
	snprintf(line, sizeof(line), "depth %d: %s%s%s%s%s", depth,
		 verify_reason(c, err, depth, ci), ci->subject ? ": " : "",
		 ci->subject ? ci->subject : "", empty_store_note(c, err),
		 detail);
	if (depth == 0 || !hold_failure(c, line))
		tp_verify_record(c, "%s", line);
}

int tp_verify_cb(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
	struct tp_conn *c = store->userCtx;
	int depth = wolfSSL_X509_STORE_CTX_get_error_depth(store);
	WOLFSSL_X509 *x = wolfSSL_X509_STORE_CTX_get_current_cert(store);
	const unsigned char *der = NULL;
	struct tp_cert_info ci;
	int before, derlen = 0, ok = preverify;

	if (x != NULL)
		der = wolfSSL_X509_get_der(x, &derlen);
	tp_cert_info_fill(&ci, der, derlen);
	if (depth == 0)
		settle_held(c, !preverify);
	before = c->verify_failures;
	if (!preverify)
		record_failure(c, depth, store->error, &ci, x);
	if (depth == 0)
		tp_crl_note(c, preverify, store->error);
	if (depth == 0 && x != NULL && !check_name(c, x, &ci))
		ok = 0;
	seen_add(c, &ci, ok);
	if (depth == 0) {
		c->peer.leaf_seen = 1;
		c->peer.leaf_ok = ok;
		c->peer.changes++;
	}
	tp_cert_info_free(&ci);
	if (c->cfg->insecure)
		return 1;
	return c->verify_failures == before;
}

void tp_verify_free(struct tp_conn *c)
{
	seen_reset(c);
	free(c->verify_name);
	c->verify_name = NULL;
}

int tp_conn_set_verify_name(struct tp_conn *c, const char *name)
{
	char *copy = name ? strdup(name) : NULL;

	TP_ENTER(c);
	if (name != NULL && copy == NULL) {
		tp_conn_set_soft_error(c, TP_ERR_LOCAL, "out of memory");
		pthread_mutex_unlock(&c->m);
		return -1;
	}
	free(c->verify_name);
	c->verify_name = copy;
	pthread_mutex_unlock(&c->m);
	return 0;
}

const char *tp_verify_name(const struct tp_conn *c)
{
	return c->cfg->role == TP_CLIENT ? name_to_check(c) : NULL;
}
