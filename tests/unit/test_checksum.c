/*
 * The sink checksum of `tlsprobe serve` (cli/common/checksum.c): the same bytes
 * give the same value however they are split into reads, and a change of
 * any one byte, or of the length, changes it.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "common/common.h"

#define LEN 1000

static uint64_t whole(const unsigned char *p, size_t n)
{
	struct sum64 s;

	sum64_init(&s);
	sum64_update(&s, p, n);
	return sum64_final(&s);
}

static uint64_t in_pieces(const unsigned char *p, size_t n, unsigned *seed)
{
	struct sum64 s;

	sum64_init(&s);
	while (n > 0) {
		size_t k = (size_t)rand_r(seed) % 70;

		if (k > n)
			k = n;
		sum64_update(&s, p, k);
		p += k;
		n -= k;
	}
	return sum64_final(&s);
}

int main(void)
{
	unsigned char buf[LEN];
	unsigned seed = 7;
	uint64_t ref;

	for (size_t i = 0; i < LEN; i++)
		buf[i] = (unsigned char)rand_r(&seed);
	ref = whole(buf, LEN);
	for (int round = 0; round < 200; round++)
		CHECK(in_pieces(buf, LEN, &seed) == ref);
	for (size_t i = 0; i < LEN; i++) {
		buf[i] ^= 1;
		CHECK(whole(buf, LEN) != ref);
		buf[i] ^= 1;
	}
	/* Trailing zero bytes are padding inside, but the length counts. */
	for (size_t n = 0; n < 64; n++)
		CHECK(whole(buf, LEN - 64 + n) != whole(buf, LEN - 63 + n));
	memset(buf, 0, sizeof(buf));
	CHECK(whole(buf, 31) != whole(buf, 32));
	printf("sink checksum: split-independent, sensitive: ok\n");
	return 0;
}
