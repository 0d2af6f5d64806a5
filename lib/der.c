/* A minimal DER reader for the few structures wolfSSL 5.5.4 parses but
 * does not show (a certificate's iPAddress names, an OCSP response's
 * times and revocation reason). Every length is checked against the end
 * of its enclosing element: the bytes come from the peer. */
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
