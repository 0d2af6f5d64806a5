/*
 * What a certificate says, from its DER: names, validity, serial,
 * fingerprint, key, signature algorithm, subjectAltNames and where its
 * issuer and OCSP responder are published (struct tp_cert_info).
 * Everything a peer chose is escaped here, once.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/hash.h>

/* Appends "/SN=value" for one entry of a name to fp: the value escaped
 * (tp_escape: the peer chose every byte) and each '/' in it as "\/", so
 * that a CN "localhost/O=Example Bank" cannot pass for two entries (a
 * backslash of the value is "\\" already). */
static void name_entry(FILE *fp, WOLFSSL_X509_NAME_ENTRY *e)
{
	WOLFSSL_ASN1_STRING *v = wolfSSL_X509_NAME_ENTRY_get_data(e);
	const char *sn = wolfSSL_OBJ_nid2sn(
		wolfSSL_OBJ_obj2nid(wolfSSL_X509_NAME_ENTRY_get_object(e)));
	unsigned char *data = v ? wolfSSL_ASN1_STRING_data(v) : NULL;
	int len = v ? wolfSSL_ASN1_STRING_length(v) : 0;
	char *esc;

	fprintf(fp, "/%s=", sn ? sn : "?");
	if (data == NULL || len <= 0 ||
	    (esc = tp_escape_dup(data, (size_t)len)) == NULL)
		return;
	for (const char *p = esc; *p != '\0'; p++) {
		if (*p == '/')
			fputc('\\', fp);
		fputc(*p, fp);
	}
	free(esc);
}

/* "/O=../CN=..", as wolfSSL_X509_NAME_oneline writes it, but escaped
 * (name_entry), and built from the entries with their lengths: oneline
 * cuts a value at a NUL, so "localhost\0evil" would read as "localhost".
 * Free it with free(). */
char *tp_x509_name(WOLFSSL_X509_NAME *n)
{
	int count = n ? wolfSSL_X509_NAME_entry_count(n) : 0;
	char *raw = NULL;
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
	return raw;
}

/* "DNS:name", "IP:addr", ... for one GeneralName; NULL for other kinds. */
static char *san_text(int tag, const unsigned char *b, size_t n)
{
	static const struct {
		int tag;
		const char *prefix;
	} kinds[] = { { 0x81, "email:" }, { 0x82, "DNS:" }, { 0x86, "URI:" } };
	char addr[INET6_ADDRSTRLEN + 3], *esc, *out;

	if (tag == 0x87) {
		if (n != 4 && n != 16)
			return strdup("IP:(malformed)");
		inet_ntop(n == 4 ? AF_INET : AF_INET6, b, addr + 3,
			  sizeof(addr) - 3);
		memcpy(addr, "IP:", 3);
		return strdup(addr);
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (kinds[i].tag != tag)
			continue;
		esc = tp_escape_dup(b, n);
		if (esc == NULL ||
		    asprintf(&out, "%s%s", kinds[i].prefix, esc) < 0)
			out = NULL;
		free(esc);
		return out;
	}
	return NULL;
}

static int collect_san(int tag, const unsigned char *b, size_t n, void *arg)
{
	struct tp_cert_info *ci = arg;
	char *s = san_text(tag, b, n), **more;

	if (s == NULL)
		return 0;
	more = realloc(ci->sans, ((size_t)ci->nsans + 1) * sizeof(*more));
	if (more == NULL) {
		free(s);
		return 1;
	}
	ci->sans = more;
	ci->sans[ci->nsans++] = s;
	return 0;
}

/* The first URI of an authorityInfoAccess method (AIA_OCSP,
 * AIA_CA_ISSUERS), escaped; NULL when none. */
static char *aia_text(const unsigned char *der, size_t len, int method)
{
	const unsigned char *uri;
	size_t n;

	if (tp_der_aia_uri(der, len, method, &uri, &n) < 0)
		return NULL;
	return tp_escape_dup(uri, n);
}

/* "2026-12-02T03:49:58Z" from a UTCTime or GeneralizedTime; NULL for
 * anything else. */
static char *iso_time(int tag, const unsigned char *b, size_t n)
{
	char out[TP_DER_TIME_LEN];

	return tp_der_time(tag, b, n, out) == 0 ? strdup(out) : NULL;
}

/* Uppercase hex of n bytes, with sep between bytes when sep != 0. */
static char *hex_of(const unsigned char *b, size_t n, char sep)
{
	char *out = malloc(n * 3 + 1), *q = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && sep != 0)
			*q++ = sep;
		q += sprintf(q, "%02X", b[i]);
	}
	*q = '\0';
	return out;
}

/* Serial and validity, from the DER: tbsCertificate is [0] version
 * (optional), serialNumber, signature, issuer, validity. */
static void fill_from_tbs(struct tp_cert_info *ci, const unsigned char *der,
			  size_t len)
{
	const unsigned char *p = der, *end = der + len, *b, *v, *vend;
	size_t n;
	int tag;

	if (tp_der_enter_tbs(&p, &end) < 0 ||
	    tp_der_next(&p, end, &tag, &b, &n) < 0)
		return;
	if (tag == 0xa0 && tp_der_next(&p, end, &tag, &b, &n) < 0)
		return;
	if (tag != 0x02 || n == 0)
		return;
	/* as openssl prints it: no sign byte, an even number of digits */
	if (n > 1 && b[0] == 0) {
		b++;
		n--;
	}
	ci->serial = hex_of(b, n, 0);
	for (int skip = 0; skip < 2; skip++) /* signature, issuer */
		if (tp_der_next(&p, end, &tag, &b, &n) < 0)
			return;
	if (tp_der_next(&p, end, &tag, &v, &n) < 0 || tag != 0x30)
		return;
	vend = v + n;
	if (tp_der_next(&v, vend, &tag, &b, &n) == 0)
		ci->not_before = iso_time(tag, b, n);
	if (tp_der_next(&v, vend, &tag, &b, &n) == 0)
		ci->not_after = iso_time(tag, b, n);
}

static void fill_key(struct tp_cert_info *ci, WOLFSSL_X509 *x)
{
	WOLFSSL_EVP_PKEY *pk;

	switch (wolfSSL_X509_get_pubkey_type(x)) {
	case RSAk:
		ci->key_type = "RSA";
		break;
	case ECDSAk:
		ci->key_type = "EC";
		break;
	case ED25519k:
		ci->key_type = "Ed25519";
		ci->key_bits = 256;
		return;
	case ED448k:
		ci->key_type = "Ed448";
		ci->key_bits = 456;
		return;
	case DSAk:
		ci->key_type = "DSA";
		break;
	default:
		return;
	}
	pk = wolfSSL_X509_get_pubkey(x);
	if (pk != NULL) {
		ci->key_bits = wolfSSL_EVP_PKEY_bits(pk);
		wolfSSL_EVP_PKEY_free(pk);
	}
}

/* OpenSSL's name for the signature algorithm (what s_client and
 * `openssl x509 -text` print): its long name, "sha256WithRSAEncryption",
 * except for ECDSA, where wolfSSL's long name ("sha256WithECDSA") is
 * its own and the short one is OpenSSL's ("ecdsa-with-SHA256"). */
static const char *signature_name(WOLFSSL_X509 *x)
{
	int nid = wolfSSL_X509_get_signature_nid(x);
	const char *ln = wolfSSL_OBJ_nid2ln(nid);
	size_t n = ln ? strlen(ln) : 0;

	if (n > 9 && strcmp(ln + n - 9, "WithECDSA") == 0)
		return wolfSSL_OBJ_nid2sn(nid);
	return ln;
}

/* PEM of any size (wolfSSL_get_chain_cert_pem wants a fixed buffer and
 * leaves out the newline after the BEGIN line in 5.5.4). */
static char *der_to_pem(const unsigned char *der, int len)
{
	int need, got;
	char *pem;

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

void tp_cert_info_fill(struct tp_cert_info *ci, const unsigned char *der,
		       int len)
{
	unsigned char digest[WC_SHA256_DIGEST_SIZE];
	WOLFSSL_X509 *x;

	memset(ci, 0, sizeof(*ci));
	if (der == NULL || len <= 0)
		return;
	ci->pem = der_to_pem(der, len);
	if (wc_Sha256Hash(der, (word32)len, digest) == 0)
		ci->sha256_fingerprint = hex_of(digest, sizeof(digest), ':');
	fill_from_tbs(ci, der, (size_t)len);
	tp_der_each_san(der, (size_t)len, collect_san, ci);
	ci->ca_issuers = aia_text(der, (size_t)len, TP_AIA_CA_ISSUERS);
	ci->ocsp_uri = aia_text(der, (size_t)len, TP_AIA_OCSP);
	x = wolfSSL_X509_d2i(NULL, der, len);
	if (x == NULL)
		return;
	ci->subject = tp_x509_name(wolfSSL_X509_get_subject_name(x));
	ci->issuer = tp_x509_name(wolfSSL_X509_get_issuer_name(x));
	ci->signature_algorithm = signature_name(x);
	fill_key(ci, x);
	wolfSSL_X509_free(x);
}

void tp_cert_info_free(struct tp_cert_info *ci)
{
	free(ci->subject);
	free(ci->issuer);
	free(ci->not_before);
	free(ci->not_after);
	free(ci->pem);
	free(ci->serial);
	free(ci->sha256_fingerprint);
	for (int i = 0; i < ci->nsans; i++)
		free(ci->sans[i]);
	free(ci->sans);
	free(ci->ca_issuers);
	free(ci->ocsp_uri);
	memset(ci, 0, sizeof(*ci));
}
