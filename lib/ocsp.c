/*
 * Revocation: the stapled OCSP response (tp_config_request_ocsp_status)
 * and CRL checks (tp_config_add_crl_file).
 *
 * wolfSSL decodes a stapled response and checks it (signature, times, the
 * certificate it is for); with cmake/patches/0008 it then hands the
 * response and its verdict to our status callback instead of failing
 * every response that is not "good". We read what wolfSSL keeps no copy
 * of (the times, the revocation reason: tp_ocsp_parse) and decide as
 * gnutls-cli does: a trusted "revoked" and a response that cannot be
 * trusted are verification failures, recorded like the verify callback's
 * (so --insecure goes on and still reports them); "unknown" is reported.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

const char *tp_ocsp_status_name(enum tp_ocsp_status s)
{
	switch (s) {
	case TP_OCSP_NONE:
		return "none";
	case TP_OCSP_GOOD:
		return "good";
	case TP_OCSP_REVOKED:
		return "revoked";
	case TP_OCSP_UNKNOWN:
		return "unknown";
	case TP_OCSP_UNREADABLE:
		return "unreadable";
	default:
		return "not requested";
	}
}

const char *tp_crl_status_name(enum tp_crl_status s)
{
	switch (s) {
	case TP_CRL_UNCHECKED:
		return "unchecked";
	case TP_CRL_GOOD:
		return "good";
	case TP_CRL_REVOKED:
		return "revoked";
	case TP_CRL_MISSING:
		return "missing";
	case TP_CRL_ERROR:
		return "error";
	default:
		return "off";
	}
}

/* RFC 5280 5.3.1 CRLReason */
static const char *reason_name(int r)
{
	static const char *const names[] = {
		"unspecified",	   "keyCompromise",
		"cACompromise",	   "affiliationChanged",
		"superseded",	   "cessationOfOperation",
		"certificateHold", NULL,
		"removeFromCRL",   "privilegeWithdrawn",
		"aACompromise",
	};

	if (r >= 0 && r < (int)(sizeof(names) / sizeof(names[0])) &&
	    names[r] != NULL)
		return names[r];
	return "unassigned reason";
}

/* RFC 6960 4.2.1 OCSPResponseStatus */
static const char *response_status_name(int s)
{
	switch (s) {
	case 0:
		return "successful";
	case 1:
		return "malformedRequest";
	case 2:
		return "internalError";
	case 3:
		return "tryLater";
	case 5:
		return "sigRequired";
	case 6:
		return "unauthorized";
	default:
		return "an unassigned status";
	}
}

static int read_time(const unsigned char **p, const unsigned char *end,
		     char out[24])
{
	const unsigned char *b;
	size_t n;
	int tag;

	if (tp_der_next(p, end, &tag, &b, &n) < 0 || tag != 0x18)
		return -1;
	return tp_der_time(tag, b, n, out);
}

/* RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime,
 *                            revocationReason [0] EXPLICIT CRLReason OPT } */
static int read_revoked(const unsigned char *p, const unsigned char *end,
			struct tp_ocsp_info *out)
{
	const unsigned char *b;
	size_t n;
	int tag;

	if (read_time(&p, end, out->revocation_time) < 0)
		return -1;
	if (p < end && *p == 0xa0) {
		if (tp_der_enter(&p, &end, 0xa0) < 0 ||
		    tp_der_next(&p, end, &tag, &b, &n) < 0 || tag != 0x0a ||
		    n != 1)
			return -1;
		snprintf(out->revocation_reason, sizeof(out->revocation_reason),
			 "%s", reason_name(b[0]));
	}
	return 0;
}

/* SingleResponse ::= SEQUENCE { certID, certStatus, thisUpdate,
 *                               nextUpdate [0] EXPLICIT OPT, ... } */
static int read_single(const unsigned char *p, const unsigned char *end,
		       struct tp_ocsp_info *out)
{
	const unsigned char *b;
	size_t n;
	int tag;

	if (tp_der_next(&p, end, &tag, &b, &n) < 0 || tag != 0x30 ||
	    tp_der_next(&p, end, &tag, &b, &n) < 0)
		return -1;
	if (tag == 0x80)
		out->status = TP_OCSP_GOOD;
	else if (tag == 0x82)
		out->status = TP_OCSP_UNKNOWN;
	else if (tag == 0xa1 && read_revoked(b, b + n, out) == 0)
		out->status = TP_OCSP_REVOKED;
	else
		return -1;
	if (read_time(&p, end, out->this_update) < 0)
		return -1;
	if (p < end && *p == 0xa0 &&
	    (tp_der_enter(&p, &end, 0xa0) < 0 ||
	     read_time(&p, end, out->next_update) < 0))
		return -1;
	return 0;
}

/* Is the SingleResponse [p, end) about the certificate with this serial?
 * CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash, issuerKeyHash,
 *                       serialNumber } */
static int single_is_for(const unsigned char *p, const unsigned char *end,
			 const unsigned char *serial, size_t serial_len)
{
	const unsigned char *b;
	size_t n;
	int tag;

	if (tp_der_enter(&p, &end, 0x30) < 0)
		return 0;
	for (int i = 0; i < 3; i++)
		if (tp_der_next(&p, end, &tag, &b, &n) < 0)
			return 0;
	return tp_der_next(&p, end, &tag, &b, &n) == 0 && tag == 0x02 &&
	       n == serial_len && memcmp(b, serial, n) == 0;
}

/* ResponseData ::= SEQUENCE { version [0] EXPLICIT OPT, responderID,
 *     producedAt, responses SEQUENCE OF SingleResponse, ... }: the
 * SingleResponse for serial, else the first. */
static int read_response_data(const unsigned char *p, const unsigned char *end,
			      const unsigned char *serial, size_t serial_len,
			      struct tp_ocsp_info *out)
{
	const unsigned char *b, *first = NULL, *first_end = NULL;
	size_t n;
	int tag;

	if (p < end && *p == 0xa0 && tp_der_next(&p, end, &tag, &b, &n) < 0)
		return -1;
	if (tp_der_next(&p, end, &tag, &b, &n) < 0 ||
	    (tag != 0xa1 && tag != 0xa2))
		return -1;
	if (read_time(&p, end, out->produced_at) < 0 ||
	    tp_der_enter(&p, &end, 0x30) < 0)
		return -1;
	while (p < end) {
		if (tp_der_next(&p, end, &tag, &b, &n) < 0 || tag != 0x30)
			return -1;
		if (serial != NULL &&
		    single_is_for(b, b + n, serial, serial_len))
			return read_single(b, b + n, out);
		if (first == NULL) {
			first = b;
			first_end = b + n;
		}
	}
	return first != NULL ? read_single(first, first_end, out) : -1;
}

int tp_ocsp_parse(const unsigned char *der, size_t len,
		  const unsigned char *serial, size_t serial_len,
		  struct tp_ocsp_info *out)
{
	/* id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1 */
	static const unsigned char basic[] = { 0x2b, 0x06, 0x01, 0x05, 0x05,
					       0x07, 0x30, 0x01, 0x01 };
	const unsigned char *p = der, *end = der + len, *b;
	size_t n;
	int tag;

	memset(out, 0, sizeof(*out));
	out->status = TP_OCSP_UNREADABLE;
	out->length = len;
	out->response_status = -1;
	if (der == NULL || tp_der_enter(&p, &end, 0x30) < 0 ||
	    tp_der_next(&p, end, &tag, &b, &n) < 0 || tag != 0x0a || n != 1)
		return -1;
	out->response_status = b[0];
	if (out->response_status != 0)
		return 0; /* no responseBytes: nothing more to read */
	if (tp_der_enter(&p, &end, 0xa0) < 0 ||
	    tp_der_enter(&p, &end, 0x30) < 0 ||
	    tp_der_next(&p, end, &tag, &b, &n) < 0 || tag != 0x06 ||
	    n != sizeof(basic) || memcmp(b, basic, n) != 0 ||
	    tp_der_next(&p, end, &tag, &b, &n) < 0 || tag != 0x04)
		return -1;
	p = b;
	end = b + n;
	if (tp_der_enter(&p, &end, 0x30) < 0 ||
	    tp_der_enter(&p, &end, 0x30) < 0 ||
	    read_response_data(p, end, serial, serial_len, out) < 0) {
		out->status = TP_OCSP_UNREADABLE;
		return -1;
	}
	return 0;
}

/* Why wolfSSL's verdict (see patch 0008) leaves the response untrusted. */
static void untrusted_because(struct tp_ocsp_info *o, int verdict)
{
	char *why = o->problem;
	size_t len = sizeof(o->problem);

	switch (verdict) {
	case ASN_AFTER_DATE_E:
		snprintf(why, len, "expired: its next update (%s) has passed",
			 o->next_update[0] ? o->next_update : "?");
		break;
	case ASN_BEFORE_DATE_E:
		snprintf(why, len, "not yet valid: this update (%s) is ahead",
			 o->this_update[0] ? o->this_update : "?");
		break;
	case ASN_OCSP_CONFIRM_E:
	case ASN_NO_SIGNER_E:
	case ASN_SIG_CONFIRM_E:
		snprintf(why, len,
			 "signature not verified: not signed by the issuer "
			 "or a responder it authorised");
		break;
	case BAD_CERTIFICATE_STATUS_ERROR:
		if (o->response_status > 0)
			snprintf(why, len, "the responder answered %s (%d)",
				 response_status_name(o->response_status),
				 o->response_status);
		else if (o->status == TP_OCSP_UNREADABLE)
			snprintf(why, len, "malformed response");
		else
			snprintf(why, len,
				 "not for this certificate (serial or "
				 "issuer differs)");
		break;
	default:
		snprintf(
			why, len, "%s (%d)",
			wolfSSL_ERR_reason_error_string((unsigned long)verdict),
			verdict);
	}
}

/* The serial number of the peer's leaf (wolfSSL keeps the chain as sent
 * from the moment it parsed it, also in TLS 1.3 before verifying). */
static int leaf_serial(WOLFSSL *ssl, const unsigned char **serial, size_t *len)
{
	WOLFSSL_X509_CHAIN *ch = wolfSSL_get_peer_chain(ssl);
	const unsigned char *p, *end, *b;
	int derlen, tag;
	size_t n;

	if (ch == NULL || wolfSSL_get_chain_count(ch) < 1 ||
	    (p = wolfSSL_get_chain_cert(ch, 0)) == NULL ||
	    (derlen = wolfSSL_get_chain_length(ch, 0)) <= 0)
		return -1;
	end = p + derlen;
	if (tp_der_enter(&p, &end, 0x30) < 0 ||
	    tp_der_enter(&p, &end, 0x30) < 0)
		return -1;
	if (p < end && *p == 0xa0 && tp_der_next(&p, end, &tag, &b, &n) < 0)
		return -1; /* [0] version */
	if (tp_der_next(&p, end, &tag, &b, &n) < 0 || tag != 0x02)
		return -1;
	*serial = b;
	*len = n;
	return 0;
}

/* wolfSSL's status callback (cmake/patches/0008): arg points to its
 * verdict (OCSP_LOOKUP_FAIL: not checked, the leaf failed first); 1 goes
 * on, 0 fails the handshake. Runs inside wolfSSL, so under M. */
static int status_cb(WOLFSSL *ssl, void *arg)
{
	struct tp_conn *c = wolfSSL_get_ex_data(ssl, TP_SSL_EX_CONN);
	int verdict = arg ? *(int *)arg : BAD_CERTIFICATE_STATUS_ERROR;
	unsigned char *resp = NULL;
	long len = wolfSSL_get_tlsext_status_ocsp_resp(ssl, &resp);
	struct tp_ocsp_info *o;
	const unsigned char *serial;
	size_t serial_len = 0;
	int before;

	if (c == NULL)
		return 0;
	o = &c->ocsp;
	before = c->verify_failures;
	if (leaf_serial(ssl, &serial, &serial_len) < 0)
		serial = NULL;
	tp_ocsp_parse(resp, len > 0 ? (size_t)len : 0, serial, serial_len, o);
	o->trusted = verdict == 0 || verdict == OCSP_CERT_REVOKED ||
		     verdict == OCSP_CERT_UNKNOWN;
	if (verdict == OCSP_LOOKUP_FAIL) {
		/* Its own failure is the verify callback's to record. */
		snprintf(o->problem, sizeof(o->problem),
			 "not checked: the certificate failed verification "
			 "first");
	} else if (!o->trusted) {
		untrusted_because(o, verdict);
		tp_verify_record(c,
				 "depth 0: stapled OCSP response not "
				 "accepted: %s",
				 o->problem);
	} else if (verdict == OCSP_CERT_REVOKED) {
		tp_verify_record(c,
				 "depth 0: certificate revoked (stapled OCSP "
				 "response: revoked at %s%s%s)",
				 o->revocation_time[0] ? o->revocation_time :
							 "?",
				 o->revocation_reason[0] ? ", reason " : "",
				 o->revocation_reason);
	}
	return c->cfg->insecure || c->verify_failures == before;
}

int tp_config_request_ocsp_status(struct tp_config *cfg)
{
	if (cfg->role != TP_CLIENT) {
		tp_config_seterr(cfg, "OCSP status requests are for clients");
		return -1;
	}
	/* The callback also enables stapling: without it wolfSSL leaves the
	 * status_request extension out of the ClientHello. No nonce: servers
	 * staple a cached response, which cannot echo ours. */
	if (wolfSSL_CTX_set_tlsext_status_cb(cfg->ctx, status_cb) !=
		    WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_UseOCSPStapling(cfg->ctx, WOLFSSL_CSR_OCSP, 0) !=
		    WOLFSSL_SUCCESS) {
		tp_config_seterr(cfg, "cannot request OCSP stapling");
		return -1;
	}
	cfg->ocsp_status = 1;
	return 0;
}

/* Why wolfSSL_CTX_LoadCRLFile refused a file. It checks the CRL's dates
 * as it loads, and its signature when its issuer is a CA known already (a
 * CRL of an intermediate is checked when used: patch 0009); it reports a
 * CRL past its next update as a parse error (ASN_PARSE_E), as it does for
 * a file that is no CRL. */
static const char *crl_load_error(int r)
{
	switch (r) {
	case ASN_CRL_CONFIRM_E:
		return "its signature does not verify";
	default:
		return "not a CRL (PEM or DER), or one past its next update "
		       "(wolfSSL loads no expired CRL)";
	}
}

static int enable_crl(struct tp_config *cfg)
{
	int options = cfg->crl_all ? WOLFSSL_CRL_CHECKALL : 0;

	if (wolfSSL_CTX_EnableCRL(cfg->ctx, options) != WOLFSSL_SUCCESS) {
		tp_config_seterr(cfg, "cannot enable CRL checks");
		return -1;
	}
	return 0;
}

int tp_config_crl_check_all(struct tp_config *cfg)
{
	if (cfg->role != TP_CLIENT) {
		tp_config_seterr(cfg, "CRL checks are for clients");
		return -1;
	}
	cfg->crl_all = 1;
	/* Once enabled, enabling again only adds the flag. */
	return cfg->crl ? enable_crl(cfg) : 0;
}

int tp_config_add_crl_file(struct tp_config *cfg, const char *path)
{
	size_t claimed;
	int r;

	if (cfg->role != TP_CLIENT) {
		tp_config_seterr(cfg, "CRL checks are for clients");
		return -1;
	}
	if (access(path, R_OK) != 0) {
		tp_config_seterr(cfg, "cannot read CRL file '%s': %s", path,
				 strerror(errno));
		return -1;
	}
	/* wolfSSL verifies a CRL's signature as it loads it. */
	tp_config_load_default_trust(cfg);
	if (!cfg->crl && enable_crl(cfg) < 0)
		return -1;
	cfg->crl = 1;
	claimed = cfg->ncrl_issuers;
	if (tp_crl_issuer_claim(cfg, path) < 0)
		return -1;
	r = wolfSSL_CTX_LoadCRLFile(cfg->ctx, path, WOLFSSL_FILETYPE_PEM);
	if (r != WOLFSSL_SUCCESS && r != ASN_CRL_CONFIRM_E)
		r = wolfSSL_CTX_LoadCRLFile(cfg->ctx, path,
					    WOLFSSL_FILETYPE_ASN1);
	if (r != WOLFSSL_SUCCESS) {
		if (cfg->ncrl_issuers > claimed)
			tp_crl_issuer_unclaim(cfg);
		tp_config_seterr(cfg, "cannot load CRL file '%s': %s", path,
				 crl_load_error(r));
		return -1;
	}
	return 0;
}

/* For a new connection: nothing stapled or checked yet. */
void tp_revocation_reset(struct tp_conn *c)
{
	memset(&c->ocsp, 0, sizeof(c->ocsp));
	c->ocsp.status =
		c->cfg->ocsp_status ? TP_OCSP_NONE : TP_OCSP_NOT_REQUESTED;
	c->crl = c->cfg->crl ? TP_CRL_UNCHECKED : TP_CRL_OFF;
}

/* From the verify callback, for the leaf: wolfSSL checks its CRL only once
 * its chain verified, and reports the outcome as the leaf's error. */
void tp_crl_note(struct tp_conn *c, int preverify, int err)
{
	if (!c->cfg->crl)
		return;
	if (preverify)
		c->crl = TP_CRL_GOOD;
	else if (err == CRL_CERT_REVOKED)
		c->crl = TP_CRL_REVOKED;
	else if (err == CRL_MISSING)
		c->crl = TP_CRL_MISSING;
	else if (err == CRL_CERT_DATE_ERR || err == ASN_CRL_NO_SIGNER_E ||
		 err == ASN_CRL_CONFIRM_E)
		c->crl = TP_CRL_ERROR;
	else
		c->crl = TP_CRL_UNCHECKED;
}

void tp_conn_ocsp_info(struct tp_conn *c, struct tp_ocsp_info *out)
{
	TP_LOCK(c);
	*out = c->ocsp;
	pthread_mutex_unlock(&c->m);
}

enum tp_crl_status tp_conn_crl_status(struct tp_conn *c)
{
	enum tp_crl_status s;

	TP_LOCK(c);
	s = c->crl;
	pthread_mutex_unlock(&c->m);
	return s;
}
