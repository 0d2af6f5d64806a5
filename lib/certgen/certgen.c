/*
 * Generated certificates: a throwaway CA and a leaf signed by it, for
 * `tlsprobe serve`, demos and tests. ECDSA P-256 keeps generation fast
 * (a few milliseconds), so tests can make fresh certificates every run
 * instead of shipping files that expire.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>

#include "tlsprobe_certgen.h"

#if !defined(WOLFSSL_CERT_GEN) || !defined(WOLFSSL_KEY_GEN) || \
	!defined(HAVE_ECC)
#error "certgen.c needs WOLFSSL_CERT_GEN, WOLFSSL_KEY_GEN and HAVE_ECC"
#endif
#ifndef WOLFSSL_ALT_NAMES
#error "certgen.c needs WOLFSSL_ALT_NAMES (subjectAltName and explicit dates)"
#endif

#define CA_CN "tlsprobe test CA"
#define DER_MAX 4096
#define SERIAL_LEN 16
#define HOUR 3600L
#define DAY (24L * HOUR)
/* The CA outlives any leaf it signs, so a test about an expired or
 * not-yet-valid leaf fails on the leaf and not on the CA. */
#define CA_EXTRA_DAYS 3650L

/* ---- small DER writer ------------------------------------------------- */

struct der {
	unsigned char *buf;
	size_t len, cap;
	int err;
};

static void der_bytes(struct der *d, const void *p, size_t n)
{
	if (d->err || n > d->cap - d->len) {
		d->err = 1;
		return;
	}
	memcpy(d->buf + d->len, p, n);
	d->len += n;
}

/* Tag and definite length; short form below 128, long form above. */
static void der_header(struct der *d, unsigned char tag, size_t n)
{
	unsigned char h[6];
	size_t i = 0;

	h[i++] = tag;
	if (n < 0x80) {
		h[i++] = (unsigned char)n;
	} else if (n <= 0xff) {
		h[i++] = 0x81;
		h[i++] = (unsigned char)n;
	} else if (n <= 0xffff) {
		h[i++] = 0x82;
		h[i++] = (unsigned char)(n >> 8);
		h[i++] = (unsigned char)n;
	} else {
		d->err = 1;
		return;
	}
	der_bytes(d, h, i);
}

/* ---- subjectAltName --------------------------------------------------- */

/* GeneralName tags (context-specific, primitive): dNSName [2] IA5String,
 * iPAddress [7] OCTET STRING. */
#define GN_DNS 0x82
#define GN_IP 0x87

/* Appends one GeneralName: an IP literal when it parses as one, because
 * clients match IP addresses only against iPAddress entries. */
static void san_add(struct der *d, const char *name, size_t n)
{
	char tmp[INET6_ADDRSTRLEN + 2];
	unsigned char ip[16];

	if (n < sizeof(tmp)) {
		memcpy(tmp, name, n);
		tmp[n] = '\0';
		if (inet_pton(AF_INET, tmp, ip) == 1) {
			der_header(d, GN_IP, 4);
			der_bytes(d, ip, 4);
			return;
		}
		if (inet_pton(AF_INET6, tmp, ip) == 1) {
			der_header(d, GN_IP, 16);
			der_bytes(d, ip, 16);
			return;
		}
	}
	der_header(d, GN_DNS, n);
	der_bytes(d, name, n);
}

/* Returns the next comma-separated, blank-trimmed item of *s, or NULL. */
static const char *next_name(const char **s, size_t *n)
{
	const char *p = *s, *end;

	while (*p == ',' || *p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return NULL;
	end = p;
	while (*end != '\0' && *end != ',')
		end++;
	*s = end;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*n = (size_t)(end - p);
	return p;
}

/*
 * Fills cert->altNames with a DER GeneralNames SEQUENCE, which is what
 * wolfSSL copies into the subjectAltName extension, and the subject CN
 * with the first name. Returns 0 or -1 (no names, or too long).
 */
static int set_names(Cert *cert, const char *names)
{
	/* Leave room for the outer SEQUENCE header (at most 4 bytes). */
	struct der in = { NULL, 0, sizeof(cert->altNames) - 8, 0 };
	struct der out = { cert->altNames, 0, sizeof(cert->altNames), 0 };
	const char *s = names, *p;
	size_t n;
	int first = 1, ret = -1;

	in.buf = malloc(in.cap);
	if (in.buf == NULL)
		return -1;
	while ((p = next_name(&s, &n)) != NULL) {
		if (first) {
			if (n >= sizeof(cert->subject.commonName))
				goto out;
			memcpy(cert->subject.commonName, p, n);
			cert->subject.commonName[n] = '\0';
			first = 0;
		}
		san_add(&in, p, n);
	}
	if (first || in.err)
		goto out;
	der_header(&out, 0x30, in.len);
	der_bytes(&out, in.buf, in.len);
	if (out.err)
		goto out;
	cert->altNamesSz = (int)out.len;
	ret = 0;
out:
	free(in.buf);
	return ret;
}

/* ---- validity --------------------------------------------------------- */

/*
 * Encodes t as RFC 5280 wants: UTCTime for 1950-2049, GeneralizedTime
 * otherwise, tag and length included (Cert.beforeDate/afterDate hold the
 * raw DER element; wolfSSL uses them instead of daysValid when both are
 * set, which is the only way to make an already expired certificate).
 */
static int encode_time(time_t t, byte *out, int *outsz)
{
	struct tm tm;
	char s[20];
	int n;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	if (tm.tm_year >= 50 && tm.tm_year < 150) {
		n = snprintf(s, sizeof(s), "%02d%02d%02d%02d%02d%02dZ",
			     tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday,
			     tm.tm_hour, tm.tm_min, tm.tm_sec);
		out[0] = 0x17;
	} else {
		n = snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02dZ",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			     tm.tm_hour, tm.tm_min, tm.tm_sec);
		out[0] = 0x18;
	}
	if (n != 13 && n != 15)
		return -1;
	out[1] = (byte)n;
	memcpy(out + 2, s, (size_t)n);
	*outsz = n + 2;
	return 0;
}

static int set_validity(Cert *cert, time_t before, time_t after)
{
	if (encode_time(before, cert->beforeDate, &cert->beforeDateSz) != 0 ||
	    encode_time(after, cert->afterDate, &cert->afterDateSz) != 0)
		return -1;
	return 0;
}

/* ---- one certificate -------------------------------------------------- */

struct keypair {
	ecc_key key;
	int init;
};

static int key_make(struct keypair *kp, WC_RNG *rng)
{
	if (wc_ecc_init(&kp->key) != 0)
		return -1;
	kp->init = 1;
	if (wc_ecc_make_key(rng, 32, &kp->key) != 0)
		return -1;
	/* ECC_TIMING_RESISTANT builds want an RNG on the key for blinding. */
	if (wc_ecc_set_rng(&kp->key, rng) != 0)
		return -1;
	return 0;
}

static void key_free(struct keypair *kp)
{
	if (kp->init)
		wc_ecc_free(&kp->key);
	kp->init = 0;
}

/* A random positive serial: top bit clear (DER INTEGER sign) and the first
 * byte nonzero (no leading zero that a strict parser might reject). */
static int set_serial(Cert *cert, WC_RNG *rng)
{
	if (wc_RNG_GenerateBlock(rng, cert->serial, SERIAL_LEN) != 0)
		return -1;
	cert->serial[0] = (byte)((cert->serial[0] & 0x7f) | 0x01);
	cert->serialSz = SERIAL_LEN;
	return 0;
}

/* Common fields of both certificates. */
static int cert_init(Cert *cert, struct keypair *subject, WC_RNG *rng)
{
	if (wc_InitCert(cert) != 0)
		return -1;
	cert->sigType = CTC_SHA256wECDSA;
	if (set_serial(cert, rng) != 0)
		return -1;
#ifdef WOLFSSL_CERT_EXT
	if (wc_SetSubjectKeyIdFromPublicKey_ex(cert, ECC_TYPE, &subject->key) !=
	    0)
		return -1;
#endif
	return 0;
}

/*
 * Key usages and the authority key id, when this wolfSSL can write them
 * (WOLFSSL_CERT_EXT). Without them the chain still verifies: RFC 5280
 * makes both optional, and basicConstraints (isCA) is always written.
 */
static int set_exts(Cert *cert, struct keypair *ca, const char *usage,
		    const char *ext_usage)
{
#ifdef WOLFSSL_CERT_EXT
	if (wc_SetKeyUsage(cert, usage) != 0)
		return -1;
	if (ext_usage != NULL && wc_SetExtKeyUsage(cert, ext_usage) != 0)
		return -1;
	if (wc_SetAuthKeyIdFromPublicKey_ex(cert, ECC_TYPE, &ca->key) != 0)
		return -1;
#else
	(void)cert;
	(void)ca;
	(void)usage;
	(void)ext_usage;
#endif
	return 0;
}

/* Builds the TBS for subject's key and signs it with signer's key. */
static int cert_sign(Cert *cert, struct keypair *subject,
		     struct keypair *signer, WC_RNG *rng, byte *der)
{
	int ret;

	ret = wc_MakeCert_ex(cert, der, DER_MAX, ECC_TYPE, &subject->key, rng);
	if (ret < 0)
		return -1;
	ret = wc_SignCert_ex(cert->bodySz, cert->sigType, der, DER_MAX,
			     ECC_TYPE, &signer->key, rng);
	return ret < 0 ? -1 : ret;
}

static int make_ca(Cert *cert, struct keypair *ca, WC_RNG *rng, time_t before,
		   time_t after, byte *der)
{
	if (cert_init(cert, ca, rng) != 0)
		return -1;
	strcpy(cert->subject.commonName, CA_CN);
	strcpy(cert->subject.org, "tlsprobe");
	cert->isCA = 1;
	cert->selfSigned = 1;
	if (set_exts(cert, ca, "keyCertSign,cRLSign", NULL) != 0 ||
	    set_validity(cert, before, after) != 0)
		return -1;
	return cert_sign(cert, ca, ca, rng, der);
}

static int make_leaf(Cert *cert, struct keypair *leaf, struct keypair *ca,
		     WC_RNG *rng, const byte *ca_der, int ca_len,
		     const char *names, time_t before, time_t after, byte *der)
{
	if (cert_init(cert, leaf, rng) != 0)
		return -1;
	if (set_names(cert, names) != 0)
		return -1;
	strcpy(cert->subject.org, "tlsprobe");
	cert->isCA = 0;
	/* Copies the CA's subject as our issuer and clears selfSigned. */
	if (wc_SetIssuerBuffer(cert, ca_der, ca_len) != 0)
		return -1;
	if (set_exts(cert, ca, "digitalSignature,keyAgreement",
		     "serverAuth,clientAuth") != 0 ||
	    set_validity(cert, before, after) != 0)
		return -1;
	return cert_sign(cert, leaf, ca, rng, der);
}

/* ---- PEM -------------------------------------------------------------- */

static int to_pem(const byte *der, int len, int type, struct tp_pem *out)
{
	int need, n;

	need = wc_DerToPem(der, (word32)len, NULL, 0, type);
	if (need <= 0)
		return -1;
	out->data = malloc((size_t)need + 1);
	if (out->data == NULL)
		return -1;
	n = wc_DerToPem(der, (word32)len, (byte *)out->data, (word32)need,
			type);
	if (n <= 0 || n > need) {
		free(out->data);
		out->data = NULL;
		return -1;
	}
	out->data[n] = '\0';
	out->len = (size_t)n;
	return 0;
}

static int key_pem(struct keypair *kp, struct tp_pem *out)
{
	byte der[512];
	int len, ret;

	len = wc_EccKeyToDer(&kp->key, der, sizeof(der));
	if (len <= 0)
		return -1;
	ret = to_pem(der, len, ECC_PRIVATEKEY_TYPE, out);
	/* The private key must not linger on the stack. */
	memset(der, 0, sizeof(der));
	return ret;
}

/* ---- public ----------------------------------------------------------- */

/* The leaf's window; see tlsprobe.h. days < 0: it ended -days days ago,
 * and began a day before that, so it is a plainly expired certificate. */
static void leaf_window(time_t now, int days, time_t *before, time_t *after)
{
	*after = now + (time_t)days * DAY;
	*before = now - HOUR;
	if (days < 0)
		*before = *after - DAY;
}

struct gen {
	WC_RNG rng;
	int rng_init;
	struct keypair ca, leaf;
	Cert cert; /* reused: the CA's, then the leaf's */
	byte ca_der[DER_MAX], leaf_der[DER_MAX];
};

static int generate(struct gen *g, struct tp_testcerts *out, const char *names,
		    int days)
{
	time_t now = time(NULL), before, after;
	int ca_len, leaf_len;

	leaf_window(now, days, &before, &after);
	if (wc_InitRng(&g->rng) != 0)
		return -1;
	g->rng_init = 1;
	if (key_make(&g->ca, &g->rng) != 0 || key_make(&g->leaf, &g->rng) != 0)
		return -1;
	ca_len = make_ca(&g->cert, &g->ca, &g->rng, before - HOUR,
			 (after > now ? after : now) + CA_EXTRA_DAYS * DAY,
			 g->ca_der);
	if (ca_len <= 0)
		return -1;
	leaf_len = make_leaf(&g->cert, &g->leaf, &g->ca, &g->rng, g->ca_der,
			     ca_len, names, before, after, g->leaf_der);
	if (leaf_len <= 0)
		return -1;
	if (to_pem(g->ca_der, ca_len, CERT_TYPE, &out->ca_cert) != 0 ||
	    key_pem(&g->ca, &out->ca_key) != 0 ||
	    to_pem(g->leaf_der, leaf_len, CERT_TYPE, &out->leaf_cert) != 0 ||
	    key_pem(&g->leaf, &out->leaf_key) != 0)
		return -1;
	return 0;
}

int tp_testcerts_generate(struct tp_testcerts *out, const char *names, int days)
{
	struct gen *g;
	int ret;

	if (out == NULL || names == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	/* A Cert holds a 16 KiB altNames buffer and more: too big for small
	 * thread stacks, so the working set lives on the heap. */
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return -1;
	ret = generate(g, out, names, days);
	key_free(&g->leaf);
	key_free(&g->ca);
	if (g->rng_init)
		wc_FreeRng(&g->rng);
	free(g);
	if (ret != 0)
		tp_testcerts_free(out);
	return ret;
}

static void pem_free(struct tp_pem *p)
{
	if (p->data != NULL) {
		/* Two of the four are private keys; wipe before freeing
		 * (explicit_bzero: a memset before free may be dropped). */
		explicit_bzero(p->data, p->len);
		free(p->data);
	}
	p->data = NULL;
	p->len = 0;
}

void tp_testcerts_free(struct tp_testcerts *certs)
{
	if (certs == NULL)
		return;
	pem_free(&certs->ca_cert);
	pem_free(&certs->ca_key);
	pem_free(&certs->leaf_cert);
	pem_free(&certs->leaf_key);
}
