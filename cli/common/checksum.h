/* The checksum `tlsprobe serve --mode sink` reports. */
#ifndef TLSPROBE_CHECKSUM_H
#define TLSPROBE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

struct sum64 {
	uint64_t lane[4];
	unsigned char pend[32]; /* a partial 32-byte block */
	size_t npend;
	uint64_t total;
};

void sum64_init(struct sum64 *s);
/* The result depends only on the bytes, not on how they are split. */
void sum64_update(struct sum64 *s, const void *p, size_t n);
uint64_t sum64_final(struct sum64 *s);

#endif
