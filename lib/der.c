/* A minimal DER reader for the few structures wolfSSL 5.5.4 parses but
 * does not show (a certificate's iPAddress names, an OCSP response's
 * times and revocation reason). Every length is checked against the end
 * of its enclosing element: the bytes come from the peer. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

int tp_der_next(const unsigned char **p, const unsigned char *end, int *tag,
		const unsigned char **body, size_t *len)
{
	const unsigned char *q = *p;
	size_t n;

	if (end - q < 2)
		return -1;
	*tag = *q++;
	n = *q++;
	if (n & 0x80) {
		int k = (int)(n & 0x7f);

		if (k == 0 || k > 4 || end - q < k)
			return -1;
		for (n = 0; k > 0; k--)
			n = n << 8 | *q++;
	}
	if ((size_t)(end - q) < n)
		return -1;
	*body = q;
	*len = n;
	*p = q + n;
	return 0;
}

int tp_der_enter(const unsigned char **p, const unsigned char **end, int want)
{
	const unsigned char *b;
	size_t n;
	int tag;

	if (tp_der_next(p, *end, &tag, &b, &n) < 0 || tag != want)
		return -1;
	*p = b;
	*end = b + n;
	return 0;
}

int tp_der_time(int tag, const unsigned char *b, size_t n,
		char out[TP_DER_TIME_LEN])
{
	size_t digits = tag == 0x17 ? 12 : 14;
	char d[14];

	out[0] = '\0';
	if ((tag != 0x17 && tag != 0x18) || n < digits + 1 || b[n - 1] != 'Z')
		return -1;
	if (n > digits + 1 && (tag != 0x18 || b[digits] != '.'))
		return -1; /* only a GeneralizedTime has a fraction */
	for (size_t i = 0; i < digits; i++)
		if (b[i] < '0' || b[i] > '9')
			return -1;
	if (tag == 0x17) { /* YY: 50-99 are 19YY (RFC 5280 4.1.2.5.1) */
		memcpy(d, b[0] >= '5' ? "19" : "20", 2);
		memcpy(d + 2, b, 12);
	} else {
		memcpy(d, b, 14);
	}
	snprintf(out, TP_DER_TIME_LEN, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", d,
		 d + 4, d + 6, d + 8, d + 10, d + 12);
	return 0;
}
