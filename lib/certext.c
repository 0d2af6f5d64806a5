/*
 * A certificate's extensions, read from its DER because wolfSSL 5.5.4
 * does not show them all: subjectAltName (built without
 * WOLFSSL_IP_ALT_NAME it drops iPAddress entries) and
 * authorityInfoAccess (caIssuers needs WOLFSSL_ASN_CA_ISSUER). The bytes
 * come from the peer: every length is checked (der.c).
 */
#include <string.h>

#include "internal.h"

int tp_der_enter_tbs(const unsigned char **p, const unsigned char **end)
{
	return tp_der_enter(p, end, 0x30) < 0 ||
			       tp_der_enter(p, end, 0x30) < 0 ?
		       -1 :
		       0;
}

/* [*p, *end) become the [3] extensions' SEQUENCE OF Extension. */
static int enter_extensions(const unsigned char **p, const unsigned char **end)
{
	const unsigned char *b = NULL;
	int tag = 0;
	size_t n = 0;

	if (tp_der_enter_tbs(p, end) < 0)
		return -1;
	while (*p < *end && tag != 0xa3)
		if (tp_der_next(p, *end, &tag, &b, &n) < 0)
			return -1;
	if (tag != 0xa3)
		return -1;
	*p = b;
	*end = b + n;
	return tp_der_enter(p, end, 0x30);
}

/*
 * The value of the extension with this OID (its contents, without the
 * OCTET STRING around them): [*p, *end) become it. Certificate >
 * tbsCertificate > [3] extensions > Extension { extnID, critical BOOLEAN
 * DEFAULT FALSE, extnValue OCTET STRING }.
 */
static int enter_extension(const unsigned char **p, const unsigned char **end,
			   const unsigned char *oid, size_t oid_len)
{
	const unsigned char *b;
	size_t n;
	int tag;

	if (enter_extensions(p, end) < 0)
		return -1;
	while (*p < *end) {
		const unsigned char *e = *p, *eend = *end;

		if (tp_der_enter(&e, &eend, 0x30) < 0)
			return -1;
		*p = eend; /* the next extension */
		if (tp_der_next(&e, eend, &tag, &b, &n) < 0 || tag != 0x06)
			return -1;
		if (n != oid_len || memcmp(b, oid, n) != 0)
			continue;
		if (tp_der_next(&e, eend, &tag, &b, &n) < 0)
			return -1;
		if (tag == 0x01 && tp_der_next(&e, eend, &tag, &b, &n) < 0)
			return -1;
		if (tag != 0x04)
			return -1;
		*p = b;
		*end = b + n;
		return 0;
	}
	return -1;
}

int tp_der_each_san(const unsigned char *der, size_t len,
		    int (*fn)(int tag, const unsigned char *b, size_t n,
			      void *arg),
		    void *arg)
{
	static const unsigned char san_oid[] = { 0x55, 0x1d, 0x11 };
	const unsigned char *p = der, *end = der + len, *b;
	size_t n;
	int tag, r;

	if (der == NULL ||
	    enter_extension(&p, &end, san_oid, sizeof(san_oid)) < 0 ||
	    tp_der_enter(&p, &end, 0x30) < 0)
		return 0;
	while (p < end) {
		if (tp_der_next(&p, end, &tag, &b, &n) < 0)
			return 0;
		if ((r = fn(tag, b, n, arg)) != 0)
			return r;
	}
	return 0;
}

int tp_der_aia_uri(const unsigned char *der, size_t len, int method,
		   const unsigned char **uri, size_t *uri_len)
{
	/* id-pe-authorityInfoAccess 1.3.6.1.5.5.7.1.1; its access methods
	 * are id-ad 1.3.6.1.5.5.7.48 followed by 1 (OCSP) or 2 (caIssuers) */
	static const unsigned char aia_oid[] = { 0x2b, 0x06, 0x01, 0x05,
						 0x05, 0x07, 0x01, 0x01 };
	static const unsigned char id_ad[] = { 0x2b, 0x06, 0x01, 0x05,
					       0x05, 0x07, 0x30 };
	const unsigned char *p = der, *end = der + len, *b;
	size_t n;
	int tag;

	if (der == NULL ||
	    enter_extension(&p, &end, aia_oid, sizeof(aia_oid)) < 0 ||
	    tp_der_enter(&p, &end, 0x30) < 0)
		return -1;
	while (p < end) {
		const unsigned char *d = p, *dend = end;

		/* AccessDescription { accessMethod, accessLocation } */
		if (tp_der_enter(&d, &dend, 0x30) < 0)
			return -1;
		p = dend;
		if (tp_der_next(&d, dend, &tag, &b, &n) < 0 || tag != 0x06)
			return -1;
		if (n != sizeof(id_ad) + 1 || memcmp(b, id_ad, n - 1) != 0 ||
		    b[n - 1] != method)
			continue;
		/* a GeneralName: uniformResourceIdentifier [6] only */
		if (tp_der_next(&d, dend, &tag, &b, &n) < 0 || tag != 0x86)
			continue;
		*uri = b;
		*uri_len = n;
		return 0;
	}
	return -1;
}
